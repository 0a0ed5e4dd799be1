// The SVG chart: what is drawn, where the forecast lies relative to "now", gaps, axes, empty input.
#include "web/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

namespace promcast::web {
namespace {

constexpr rules::TimestampMs kStart = 1'700'000'000'000 - 1'700'000'000'000 % 86'400'000;  // a UTC midnight
const double kNaN = std::nan("");

// 2 days of hourly history with a band, then 12 hours of forecast.
rules::SeriesChart sample_chart() {
  rules::SeriesChart c;
  c.start = kStart;
  c.step = rules::Duration(3'600'000);
  for (int i = 0; i < 48; ++i) {
    const double v = 100 + 20 * std::sin(i * 2 * 3.14159 / 24);
    c.values.push_back(v);
    c.expected.push_back(i < 5 ? kNaN : v + 1);
    c.lower.push_back(i < 5 ? kNaN : v - 10);
    c.upper.push_back(i < 5 ? kNaN : v + 10);
  }
  for (int i = 0; i < 12; ++i) {
    c.forecast_mean.push_back(100 + i);
    c.forecast_lower.push_back(90 + i - i * 2);
    c.forecast_upper.push_back(110 + i + i * 2);
  }
  c.level = 0.95;
  c.anomalies = {10, 30};
  c.model = "SARIMAX(1,0,0)";
  return c;
}

double attribute(const std::string& svg, const std::string& element_class, const std::string& name) {
  const std::regex re("class=\"" + element_class + "\"[^>]*" + name + "=\"([0-9.\\-]+)\"");
  std::smatch m;
  if (!std::regex_search(svg, m, re)) return kNaN;
  return std::stod(m[1]);
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

TEST(SvgChart, DrawsEveryPartWithALegend) {
  const std::string svg = render_chart_svg(sample_chart(), {.title = "ingest", .unit = "msg/s"});
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg.ends_with("</svg>"));
  for (const char* part :
       {"class=\"history\"", "class=\"expected\"", "class=\"band\"", "class=\"forecast\"",
        "class=\"forecast-band\"", "class=\"now\"", ">observed<", ">expected<", ">95% band<", ">forecast<",
        ">95% forecast band<", ">anomaly<", ">now<", "msg/s</text>", ">ingest<"})
    EXPECT_NE(svg.find(part), std::string::npos) << part;
  EXPECT_EQ(count(svg, "class=\"anomaly\""), 2u);
  EXPECT_GE(count(svg, "class=\"y-tick\""), 3u);
  EXPECT_GE(count(svg, "class=\"x-tick\""), 4u);
  // A two-and-a-half-day span is labelled with dates at midnight.
  const std::time_t day = kStart / 1000 + 86400;
  std::tm tm{};
  gmtime_r(&day, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  EXPECT_NE(svg.find(std::string(">") + date + "<"), std::string::npos) << date;
}

TEST(SvgChart, ForecastExtendsPastNowAndHistoryEndsThere) {
  const auto chart = sample_chart();
  const std::string svg = render_chart_svg(chart);
  const double now_x = attribute(svg, "promcast-chart", "data-now-x");
  const double forecast_x = attribute(svg, "forecast", "data-x-max");
  ASSERT_FALSE(std::isnan(now_x));
  ASSERT_FALSE(std::isnan(forecast_x));
  EXPECT_GT(forecast_x, now_x + 100);  // 12 of 59 hours to the right of the last point, on 870 px
  // The plot's right edge is the last forecast step: width 960 minus the right margin of 20.
  EXPECT_NEAR(forecast_x, 940, 0.11);
  // An explicit now moves the line, not the forecast.
  const std::string later = render_chart_svg(chart, {.now = kStart + 50 * 3'600'000});
  EXPECT_GT(attribute(later, "promcast-chart", "data-now-x"), now_x);
  EXPECT_NEAR(attribute(later, "forecast", "data-x-max"), forecast_x, 0.11);
}

TEST(SvgChart, GapsBreakTheHistoryLine) {
  auto chart = sample_chart();
  chart.forecast_mean.clear();
  chart.forecast_lower.clear();
  chart.forecast_upper.clear();
  const std::string whole = render_chart_svg(chart);
  chart.values[20] = kNaN;
  const std::string gapped = render_chart_svg(chart);
  const std::regex history("class=\"history\"[^>]*d=\"([^\"]*)\"");
  std::smatch a, b;
  ASSERT_TRUE(std::regex_search(whole, a, history));
  ASSERT_TRUE(std::regex_search(gapped, b, history));
  EXPECT_EQ(count(a[1], "M"), 1u);
  EXPECT_EQ(count(b[1], "M"), 2u);
  EXPECT_EQ(gapped.find("class=\"forecast\""), std::string::npos);
  EXPECT_EQ(gapped.find(">forecast<"), std::string::npos);
}

TEST(SvgChart, EmptyAndFlatCharts) {
  rules::SeriesChart empty;
  empty.step = rules::Duration(60000);
  const std::string svg = render_chart_svg(empty);
  EXPECT_NE(svg.find("no data"), std::string::npos);
  EXPECT_TRUE(svg.ends_with("</svg>"));
  rules::SeriesChart flat = empty;
  flat.values = {5, 5, 5};
  const std::string f = render_chart_svg(flat);
  EXPECT_NE(f.find("class=\"history\""), std::string::npos);
  EXPECT_EQ(f.find("nan"), std::string::npos);
  EXPECT_EQ(f.find("inf"), std::string::npos);
}

TEST(SvgChart, EscapesTitleAndUnit) {
  const std::string svg = render_chart_svg(sample_chart(), {.title = "<b>&", .unit = "\"u\""});
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;b&gt;&amp;"), std::string::npos);
  EXPECT_NE(svg.find("&quot;u&quot;"), std::string::npos);
}

TEST(FormatCompact, Magnitudes) {
  EXPECT_EQ(format_compact(1250), "1.25k");
  EXPECT_EQ(format_compact(3e9), "3G");
  EXPECT_EQ(format_compact(0.004), "0.004");
  EXPECT_EQ(format_compact(-2'500'000), "-2.5M");
  EXPECT_EQ(format_compact(0), "0");
  EXPECT_EQ(format_utc(1'700'000'000'000), "2023-11-14 22:13:20");
}

}  // namespace
}  // namespace promcast::web
