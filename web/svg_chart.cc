#include "web/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <limits>
#include <vector>

#include "web/html.h"

namespace promcast::web {
namespace {

using rules::TimestampMs;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Plot margins in user units: room for value labels on the left, the legend at the bottom.
constexpr double kLeft = 70, kRight = 20, kTop = 28, kBottom = 62;

struct Scale {
  double t0 = 0, t1 = 1;  // ms
  double v0 = 0, v1 = 1;
  double x0 = 0, x1 = 1, y0 = 1, y1 = 0;  // pixel range (y0 bottom, y1 top)
  [[nodiscard]] double x(double t) const { return x0 + (t - t0) / (t1 - t0) * (x1 - x0); }
  [[nodiscard]] double y(double v) const { return y0 - (v - v0) / (v1 - v0) * (y0 - y1); }
};

std::string num(double v) { return fmt::format("{:.1f}", v); }

// A nice step (1, 2 or 5 times a power of ten) giving about `target` intervals over `span`.
double nice_step(double span, int target) {
  const double raw = span / target;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

// Polyline segments through the finite points; NaN breaks the line.
std::string line_path(const std::vector<std::pair<double, double>>& pts) {
  std::string d;
  bool pen = false;
  for (const auto& [x, y] : pts) {
    if (!std::isfinite(y)) {
      pen = false;
      continue;
    }
    d += fmt::format("{}{},{} ", pen ? 'L' : 'M', num(x), num(y));
    pen = true;
  }
  if (!d.empty()) d.pop_back();
  return d;
}

// Closed areas between lower and upper over each run where both are finite.
std::string band_path(const std::vector<double>& xs, const std::vector<double>& lo,
                      const std::vector<double>& hi) {
  std::string d;
  std::size_t i = 0;
  while (i < xs.size()) {
    while (i < xs.size() && !(std::isfinite(lo[i]) && std::isfinite(hi[i]))) ++i;
    std::size_t j = i;
    while (j < xs.size() && std::isfinite(lo[j]) && std::isfinite(hi[j])) ++j;
    if (j > i) {
      for (std::size_t k = i; k < j; ++k)
        d += fmt::format("{}{},{} ", k == i ? 'M' : 'L', num(xs[k]), num(hi[k]));
      for (std::size_t k = j; k-- > i;) d += fmt::format("L{},{} ", num(xs[k]), num(lo[k]));
      d += "Z ";
    }
    i = j;
  }
  if (!d.empty()) d.pop_back();
  return d;
}

std::tm utc(TimestampMs ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return tm;
}

std::string time_label(TimestampMs ms, bool with_date) {
  const std::tm tm = utc(ms);
  if (with_date && tm.tm_hour == 0 && tm.tm_min == 0)
    return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  if (with_date)
    return fmt::format("{:02}-{:02} {:02}:{:02}", tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
  return fmt::format("{:02}:{:02}", tm.tm_hour, tm.tm_min);
}

}  // namespace

std::string format_compact(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "+Inf" : "-Inf");
  const double a = std::fabs(value);
  static constexpr std::array<std::pair<double, const char*>, 4> kUnits{
      {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
  for (const auto& [scale, suffix] : kUnits)
    if (a >= scale) return fmt::format("{:.3g}{}", value / scale, suffix);
  if (a == 0) return "0";
  return fmt::format("{:.3g}", value);
}

std::string format_utc(TimestampMs ms) {
  if (ms <= 0) return "never";
  const std::tm tm = utc(ms);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string render_chart_svg(const rules::SeriesChart& chart, const ChartOptions& options) {
  const double width = std::max(options.width, 200), height = std::max(options.height, 120);
  const auto step = static_cast<double>(chart.step.count() > 0 ? chart.step.count() : 1);
  const std::size_t n = chart.values.size(), h = chart.forecast_mean.size();
  const auto at = [&](std::size_t i) {
    return static_cast<double>(chart.start) + static_cast<double>(i) * step;
  };
  const auto get = [](const std::vector<double>& v, std::size_t i) { return i < v.size() ? v[i] : kNaN; };

  // Value range over everything drawn.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  const auto take = [&](const std::vector<double>& v) {
    for (const double x : v)
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  };
  for (const auto* v : {&chart.values, &chart.expected, &chart.lower, &chart.upper, &chart.forecast_mean,
                        &chart.forecast_lower, &chart.forecast_upper})
    take(*v);

  const double now = options.now ? static_cast<double>(*options.now) : (n > 0 ? at(n - 1) : at(0));
  Scale s;
  s.x0 = kLeft, s.x1 = width - kRight, s.y0 = height - kBottom, s.y1 = kTop;
  s.t0 = n > 0 ? at(0) : now;
  s.t1 = std::max({h > 0 ? at(n + h - 1) : at(n > 0 ? n - 1 : 0), now, s.t0 + step});

  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" class="promcast-chart" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
      R"(font-family="sans-serif" font-size="12" role="img" data-now-x="{2}">)",
      width, height, num(s.x(now)));
  out += "<title>";
  append_escaped(out, options.title.empty() ? chart.model : options.title);
  out += "</title>";
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#fbfbfd" stroke="#c8c8d0"/>)",
                     num(s.x0), num(s.y1), num(s.x1 - s.x0), num(s.y0 - s.y1));
  if (!options.title.empty()) {
    out += fmt::format(R"(<text x="{}" y="18" font-size="14" font-weight="bold">)", num(s.x0));
    append_escaped(out, options.title);
    out += "</text>";
  }
  if (!std::isfinite(lo)) {
    out += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" fill="#666">no data</text></svg>)",
                       num((s.x0 + s.x1) / 2), num((s.y0 + s.y1) / 2));
    return out;
  }
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) lo -= 1, hi += 1;  // a flat series still gets an axis
  const double pad = (hi - lo) * 0.05;
  const double vstep = nice_step(hi - lo + 2 * pad, 5);
  s.v0 = std::floor((lo - pad) / vstep) * vstep;
  s.v1 = std::ceil((hi + pad) / vstep) * vstep;

  // Value axis: grid lines and labels.
  std::string unit;
  if (!options.unit.empty()) unit = " " + html_escape(options.unit);
  for (double v = s.v0; v <= s.v1 + vstep / 2; v += vstep) {
    const double y = s.y(v);
    out += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="#e3e3ea"/>)", num(s.x0),
                       num(s.x1), num(y));
    out += fmt::format(R"(<text class="y-tick" x="{}" y="{}" text-anchor="end">{}{}</text>)", num(s.x0 - 6),
                       num(y + 4), html_escape(format_compact(std::fabs(v) < vstep / 1e6 ? 0 : v)), unit);
  }
  // Time axis: a nice interval giving 4 to 10 labels, aligned to UTC.
  static constexpr std::array<std::int64_t, 14> kSteps{
      60'000,     300'000,    900'000,    1'800'000,   3'600'000,   7'200'000,     10'800'000,
      21'600'000, 43'200'000, 86'400'000, 172'800'000, 604'800'000, 2'592'000'000, 31'536'000'000};
  const double span = s.t1 - s.t0;
  std::int64_t tstep = kSteps.back();
  for (const auto c : kSteps)
    if (span / static_cast<double>(c) <= 8) {
      tstep = c;
      break;
    }
  const bool with_date = span > 86'400'000.0 || tstep >= 86'400'000;
  for (auto t = static_cast<std::int64_t>(std::ceil(s.t0 / static_cast<double>(tstep))) * tstep;
       static_cast<double>(t) <= s.t1; t += tstep) {
    const double x = s.x(static_cast<double>(t));
    out += fmt::format(R"(<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#eeeef3"/>)", num(x), num(s.y1),
                       num(s.y0));
    out += fmt::format(R"(<text class="x-tick" x="{}" y="{}" text-anchor="middle">{}</text>)", num(x),
                       num(s.y0 + 16), time_label(t, with_date));
  }
  out += fmt::format(R"(<text x="{}" y="{}" text-anchor="end" fill="#666" font-size="11">UTC</text>)",
                     num(s.x1), num(s.y0 + 30));

  // In-sample band and expectation.
  std::vector<double> xs(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = s.x(at(i));
  const auto ys = [&](const std::vector<double>& v, std::size_t count) {
    std::vector<double> out_y(count);
    for (std::size_t i = 0; i < count; ++i) out_y[i] = std::isfinite(get(v, i)) ? s.y(get(v, i)) : kNaN;
    return out_y;
  };
  const auto zip = [](const std::vector<double>& x, const std::vector<double>& y) {
    std::vector<std::pair<double, double>> p(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) p[i] = {x[i], y[i]};
    return p;
  };
  const std::string level = chart.level > 0 ? fmt::format("{:g}%", chart.level * 100) : std::string();
  const std::string band = band_path(xs, ys(chart.lower, n), ys(chart.upper, n));
  if (!band.empty())
    out += R"(<path class="band" fill="#9ecae1" fill-opacity="0.45" stroke="none" d=")" + band + "\"/>";
  const std::string expected = line_path(zip(xs, ys(chart.expected, n)));
  if (!expected.empty())
    out +=
        R"(<path class="expected" fill="none" stroke="#4a4a4a" stroke-width="1.2" stroke-dasharray="4 3" d=")" +
        expected + "\"/>";

  // Forecast: joined to the last finite observation so the cone starts where the history ends.
  std::string forecast;
  double forecast_x_max = 0;
  if (h > 0) {
    std::vector<double> fx, fm, fl, fu;
    std::size_t last = n;
    while (last > 0 && !std::isfinite(chart.values[last - 1])) --last;
    if (last > 0) {
      const double y = s.y(chart.values[last - 1]);
      fx.push_back(xs[last - 1]), fm.push_back(y), fl.push_back(y), fu.push_back(y);
    }
    const auto fys = [&](const std::vector<double>& v, std::size_t i) {
      return std::isfinite(get(v, i)) ? s.y(get(v, i)) : kNaN;
    };
    for (std::size_t i = 0; i < h; ++i) {
      fx.push_back(s.x(at(n + i)));
      fm.push_back(fys(chart.forecast_mean, i));
      fu.push_back(fys(chart.forecast_upper, i));
      fl.push_back(fys(chart.forecast_lower, i));
    }
    const std::string fband = band_path(fx, fl, fu);
    if (!fband.empty())
      out += R"(<path class="forecast-band" fill="#fdae6b" fill-opacity="0.45" stroke="none" d=")" + fband +
             "\"/>";
    forecast = line_path(zip(fx, fm));
    for (std::size_t i = 0; i < fx.size(); ++i)
      if (std::isfinite(fm[i])) forecast_x_max = std::max(forecast_x_max, fx[i]);
  }
  const std::string history = line_path(zip(xs, ys(chart.values, n)));
  if (!history.empty())
    out += R"(<path class="history" fill="none" stroke="#1f4e99" stroke-width="1.6" d=")" + history + "\"/>";
  if (!forecast.empty())
    out += fmt::format(
        R"(<path class="forecast" fill="none" stroke="#d9480f" stroke-width="2" data-x-max="{}" d="{}"/>)",
        num(forecast_x_max), forecast);
  std::size_t anomalies = 0;
  for (const std::size_t i : chart.anomalies) {
    if (i >= n || !std::isfinite(chart.values[i])) continue;
    out += fmt::format(R"(<circle class="anomaly" cx="{}" cy="{}" r="4" fill="#e03131" stroke="#fff"/>)",
                       num(xs[i]), num(s.y(chart.values[i])));
    ++anomalies;
  }
  const double nx = s.x(now);
  out += fmt::format(
      R"(<line class="now" x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#2b8a3e" stroke-width="1.5" stroke-dasharray="6 3"/>)"
      R"(<text x="{3}" y="{4}" fill="#2b8a3e" font-size="11" text-anchor="{5}">now</text>)",
      num(nx), num(s.y1), num(s.y0), num(nx + 30 > width ? nx - 3 : nx + 3), num(s.y1 + 12),
      nx + 30 > width ? "end" : "start");  // the label stays inside the picture when now is at the edge

  // Legend: only what was drawn.
  struct Item {
    std::string swatch, label;
  };
  std::vector<Item> items;
  const auto line_swatch = [](const char* color, const char* dash) {
    return fmt::format(
        R"(<line x1="0" x2="18" y1="-4" y2="-4" stroke="{}" stroke-width="2" stroke-dasharray="{}"/>)", color,
        dash);
  };
  const auto box_swatch = [](const char* color) {
    return fmt::format(R"(<rect x="0" y="-9" width="18" height="10" fill="{}" fill-opacity="0.6"/>)", color);
  };
  if (!history.empty()) items.push_back({line_swatch("#1f4e99", "none"), "observed"});
  if (!expected.empty()) items.push_back({line_swatch("#4a4a4a", "4 3"), "expected"});
  if (!band.empty()) items.push_back({box_swatch("#9ecae1"), level.empty() ? "band" : level + " band"});
  if (!forecast.empty()) items.push_back({line_swatch("#d9480f", "none"), "forecast"});
  if (h > 0 && out.find("forecast-band") != std::string::npos)
    items.push_back({box_swatch("#fdae6b"), level.empty() ? "forecast band" : level + " forecast band"});
  if (anomalies > 0) items.push_back({R"(<circle cx="9" cy="-4" r="4" fill="#e03131"/>)", "anomaly"});
  items.push_back({line_swatch("#2b8a3e", "6 3"), "now"});
  double lx = s.x0;
  out += "<g class=\"legend\">";
  for (const auto& item : items) {
    out += fmt::format(R"svg(<g transform="translate({},{})">{}<text x="24" y="0">{}</text></g>)svg", num(lx),
                       num(height - 12), item.swatch, html_escape(item.label));
    lx += 36 + 7.0 * static_cast<double>(item.label.size());
  }
  out += "</g></svg>";
  return out;
}

}  // namespace promcast::web
