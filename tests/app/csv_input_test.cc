#include "app/csv_input.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace promcast::app {
namespace {

TEST(CsvInput, Rfc3339TimesGapsAndFutureRows) {
  const auto s = parse_csv_series(
      "timestamp,value,temp\n"
      "2026-11-23T00:00:00Z,1.5,10\n"
      "2026-11-23T01:00:00+01:00,,11\n",  // 01:00+01:00 is 00:00Z again
      "in.csv");
  ASSERT_FALSE(s.has_value());  // equal instants are not strictly increasing
  EXPECT_EQ(s.error().line, 3);
  EXPECT_NE(s.error().message.find("equal to the previous row's (line 2)"), std::string::npos)
      << s.error().message;

  const auto t = parse_csv_series(
      "timestamp,value,temp\n"
      "2026-11-23T00:00:00Z,1.5,10\n"
      "2026-11-23T00:05:00.5Z,,11\n"
      "\"2026-11-23T00:10:00Z\",NA,12\n",
      "in.csv");
  ASSERT_TRUE(t.has_value()) << t.error().to_string();
  EXPECT_EQ(t->time_kind, TimeKind::kRfc3339);
  EXPECT_EQ(t->times[0], 1795392000.0);
  EXPECT_EQ(t->times[1] - t->times[0], 300.5);
  EXPECT_TRUE(std::isnan((*t->column("value"))[1]));
  EXPECT_TRUE(std::isnan((*t->column("value"))[2]));
  EXPECT_EQ((*t->column("temp"))[2], 12.0);
  EXPECT_EQ(t->format_time(t->times[2]), "2026-11-23T00:10:00Z");
  EXPECT_EQ(t->column("missing"), nullptr);
}

TEST(CsvInput, UnixSecondsAndIndex) {
  const auto u = parse_csv_series("time,value\n1795392000,1\n1795392300,2\n1795392600,3\n", "u.csv");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->time_kind, TimeKind::kUnixSeconds);
  EXPECT_EQ(u->step(), 300.0);
  const auto i = parse_csv_series("index,value\n0,112\n1,118\n", "i.csv");
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(i->time_kind, TimeKind::kIndex);
  EXPECT_EQ(i->format_time(2), "2");
}

TEST(CsvInput, ErrorsNameFileLineAndColumn) {
  const auto bad = parse_csv_series("index,value\n0,1\n1,abc\n", "bad.csv");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().file, "bad.csv");
  EXPECT_EQ(bad.error().line, 3);
  EXPECT_EQ(bad.error().column, 3);
  EXPECT_NE(bad.error().to_string().find("bad.csv:3:3"), std::string::npos);
  const auto ragged = parse_csv_series("index,value\n0,1,2\n", "r.csv");
  ASSERT_FALSE(ragged.has_value());
  EXPECT_EQ(ragged.error().line, 2);
  EXPECT_FALSE(parse_csv_series("", "e.csv").has_value());
  EXPECT_FALSE(parse_csv_series("index,value\n2026-13-01T00:00:00Z,1\n", "d.csv").has_value());
}

TEST(CsvInput, FutureTimesFollowTheCalendarForMonthlyData) {
  const auto m = parse_csv_series("month,value\n2025-11-01T00:00:00Z,1\n2025-12-01T00:00:00Z,2\n", "m.csv");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->format_time(m->time_after_last(1)), "2026-01-01T00:00:00Z");
  EXPECT_EQ(m->format_time(m->time_after_last(3)), "2026-03-01T00:00:00Z");
  const auto h = parse_csv_series("t,value\n2025-11-01T00:00:00Z,1\n2025-11-01T01:00:00Z,2\n", "h.csv");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->format_time(h->time_after_last(2)), "2025-11-01T03:00:00Z");
}

TEST(CsvInput, SharedDataFilesParse) {
  // The detector data sets: NAB (no UTC offset) and Twitter's export (index, then timestamps).
  const auto tw = parse_csv_series(
      "t,timestamp,count\n0,1980-09-25T14:01:00Z,182.478\n1,1980-09-25T14:02:00Z,176.231\n", "tw.csv");
  ASSERT_TRUE(tw.has_value()) << tw.error().to_string();
  EXPECT_EQ(tw->time_column, "timestamp");
  EXPECT_EQ(tw->time_kind, TimeKind::kRfc3339);
  EXPECT_EQ(tw->times[1] - tw->times[0], 60.0);
  ASSERT_NE(tw->column("count"), nullptr);
  const auto nab =
      parse_csv_series("timestamp,value\n2014-04-01 00:00:00,20.0\n2014-04-01 00:05:00,20.5\n", "nab.csv");
  ASSERT_TRUE(nab.has_value()) << nab.error().to_string();
  EXPECT_EQ(nab->step(), 300.0);
  const auto mixed = parse_csv_series("t,value\n0,1\n1,2026-01-01T00:00:00Z\n", "x.csv");
  EXPECT_FALSE(mixed.has_value());  // numbers then a timestamp in one column
}

TEST(CsvInput, Rfc3339Forms) {
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_EQ(*parse_rfc3339("1970-01-01 01:00:00+01:00"), 0.0);
  EXPECT_EQ(*parse_rfc3339("2000-03-01T00:00:00-00:30"), 951870600.0);
  EXPECT_FALSE(parse_rfc3339("2000-03-01").has_value());
  EXPECT_EQ(*parse_rfc3339("2000-03-01T00:00:00"), 951868800.0);  // no offset: UTC (NAB)
}

// --- regularize_times: missing rows of a timestamped series become NaN rows --------------------------

constexpr double kT0 = 1795392000.0;  // 2026-11-23T00:00:00Z

// Hourly Unix-seconds rows 0..count-1 without those in [skip_from, skip_to); value = row number.
std::string hourly_csv(int count, int skip_from, int skip_to) {
  std::string csv = "time,value,load\n";
  for (int i = 0; i < count; ++i)
    if (i < skip_from || i >= skip_to) csv += fmt::format("{},{},{}\n", kT0 + 3600.0 * i, i, 100 + i);
  return csv;
}

TEST(RegularizeTimes, InsertsNanRowsForMissingSteps) {
  auto s = parse_csv_series(hourly_csv(48, 5, 25), "h.csv");  // 20 consecutive hours removed
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  ASSERT_EQ(s->rows(), 28u);
  const auto fill = regularize_times(*s, "h.csv");
  ASSERT_TRUE(fill.has_value()) << fill.error().to_string();
  EXPECT_EQ(fill->inserted, 20u);
  EXPECT_EQ(fill->gaps, 1u);
  EXPECT_EQ(fill->step, 3600.0);
  EXPECT_EQ(fill->step_months, 0);
  EXPECT_NE(fill->summary().find("inserted 20 rows"), std::string::npos) << fill->summary();
  ASSERT_EQ(s->rows(), 48u);
  ASSERT_EQ(s->lines.size(), 48u);
  const auto& value = *s->column("value");
  const auto& load = *s->column("load");
  ASSERT_EQ(value.size(), 48u);
  ASSERT_EQ(load.size(), 48u);
  for (int i = 0; i < 48; ++i) {
    const auto r = static_cast<std::size_t>(i);
    EXPECT_EQ(s->times[r], kT0 + 3600.0 * i) << i;
    if (i >= 5 && i < 25) {
      EXPECT_TRUE(std::isnan(value[r])) << i;
      EXPECT_TRUE(std::isnan(load[r])) << i;
      EXPECT_EQ(s->lines[r], 0) << i;
    } else {
      EXPECT_EQ(value[r], i);  // real rows keep their values and source lines
      EXPECT_EQ(load[r], 100 + i);
      EXPECT_EQ(s->lines[r], i < 5 ? i + 2 : i + 2 - 20) << i;
    }
  }
  // Already regular: a second pass changes nothing.
  const auto again = regularize_times(*s, "h.csv");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->inserted, 0u);
  EXPECT_EQ(again->summary(), "");
  EXPECT_EQ(s->rows(), 48u);
}

TEST(RegularizeTimes, Rfc3339SeveralGapsAtTheExactStep) {
  // 5-minute data (NAB layout) missing 00:10 and 00:25-00:30.
  auto s = parse_csv_series(
      "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n2014-04-01 00:15:00,4\n"
      "2014-04-01 00:20:00,5\n2014-04-01 00:35:00,8\n",
      "nab.csv");
  ASSERT_TRUE(s.has_value());
  const auto fill = regularize_times(*s, "nab.csv");
  ASSERT_TRUE(fill.has_value()) << fill.error().to_string();
  EXPECT_EQ(fill->inserted, 3u);
  EXPECT_EQ(fill->gaps, 2u);
  EXPECT_EQ(fill->step, 300.0);
  ASSERT_EQ(s->rows(), 8u);
  EXPECT_EQ(s->format_time(s->times[2]), "2014-04-01T00:10:00Z");
  EXPECT_EQ(s->format_time(s->times[5]), "2014-04-01T00:25:00Z");
  EXPECT_EQ(s->format_time(s->times[6]), "2014-04-01T00:30:00Z");
  const auto& v = *s->column("value");
  EXPECT_EQ(v[3], 4.0);
  EXPECT_EQ(v[7], 8.0);
  EXPECT_TRUE(std::isnan(v[2]) && std::isnan(v[5]) && std::isnan(v[6]));
  EXPECT_EQ(s->time_after_last(1), s->times[7] + 300.0);
}

TEST(RegularizeTimes, ScrapeJitterWithinToleranceIsOneStep) {
  // 15 s scrapes with up to 0.2 ms of jitter, rows 10..12 missing.
  std::string csv = "time,value\n";
  for (int i = 0; i < 40; ++i) {
    if (i >= 10 && i < 13) continue;
    const double jitter = ((i * 7) % 5 - 2) * 1e-4;
    csv += fmt::format("{:.4f},{}\n", kT0 + 15.0 * i + jitter, i);
  }
  auto s = parse_csv_series(csv, "j.csv");
  ASSERT_TRUE(s.has_value());
  const auto fill = regularize_times(*s, "j.csv");
  ASSERT_TRUE(fill.has_value()) << fill.error().to_string();
  EXPECT_EQ(fill->inserted, 3u);
  EXPECT_NEAR(fill->step, 15.0, 1e-4);
  ASSERT_EQ(s->rows(), 40u);
  for (std::size_t i = 10; i < 13; ++i) {
    EXPECT_NEAR(s->times[i], kT0 + 15.0 * static_cast<double>(i), 1e-3);
    EXPECT_TRUE(std::isnan((*s->column("value"))[i]));
  }
  EXPECT_EQ((*s->column("value"))[13], 13.0);

  // 5 ms off the grid is not jitter within the 1 ms tolerance.
  auto off = parse_csv_series(
      "time,value\n1795392000,1\n1795392015,2\n1795392030,3\n1795392045.005,4\n1795392060,5\n1795392075,6\n",
      "o.csv");
  ASSERT_TRUE(off.has_value());
  const auto err = regularize_times(*off, "o.csv");
  ASSERT_FALSE(err.has_value());
  EXPECT_EQ(err.error().line, 5);
  EXPECT_NE(err.error().message.find("is 15.005 s after the previous row (line 4), not a multiple "
                                     "of the 15 s step"),
            std::string::npos)
      << err.error().message;
}

TEST(RegularizeTimes, DifferenceThatIsNotAWholeStepIsAnError) {
  auto s = parse_csv_series(
      "timestamp,value\n2026-11-23T00:00:00Z,1\n2026-11-23T00:05:00Z,2\n2026-11-23T00:10:00Z,3\n"
      "2026-11-23T00:17:30Z,4\n2026-11-23T00:22:30Z,5\n",
      "bad.csv");
  ASSERT_TRUE(s.has_value());
  const auto before = s->times;
  const auto fill = regularize_times(*s, "bad.csv");
  ASSERT_FALSE(fill.has_value());
  EXPECT_EQ(fill.error().file, "bad.csv");
  EXPECT_EQ(fill.error().line, 5);
  EXPECT_NE(
      fill.error().message.find("time 2026-11-23T00:17:30Z is 450 s after the previous row (line 4), not a "
                                "multiple of the 300 s step"),
      std::string::npos)
      << fill.error().message;
  EXPECT_NE(fill.error().to_string().find("bad.csv:5:"), std::string::npos);
  EXPECT_EQ(s->times, before);  // an error leaves the series as read
  // Shorter than the step is not a multiple either.
  auto short_step =
      parse_csv_series("time,value\n1795392000,1\n1795392300,2\n1795392400,3\n1795392700,4\n", "s.csv");
  ASSERT_TRUE(short_step.has_value());
  const auto e2 = regularize_times(*short_step, "s.csv");
  ASSERT_FALSE(e2.has_value());
  EXPECT_EQ(e2.error().line, 4);
  EXPECT_NE(e2.error().message.find("is 100 s after"), std::string::npos) << e2.error().message;
}

TEST(RegularizeTimes, HugeGapIsAnErrorNamingIt) {
  // Ten 5-minute rows, then a row a year later: 105,000 rows from 11 is not a few scrape gaps.
  std::string csv = "time,value\n";
  for (int i = 0; i < 10; ++i) csv += fmt::format("{},{}\n", kT0 + 300.0 * i, i);
  csv += fmt::format("{},{}\n", kT0 + 300.0 * 9 + 365 * 86400.0, 10);
  auto s = parse_csv_series(csv, "y.csv");
  ASSERT_TRUE(s.has_value());
  const auto fill = regularize_times(*s, "y.csv");
  ASSERT_FALSE(fill.has_value());
  EXPECT_EQ(fill.error().line, 12);
  EXPECT_NE(fill.error().message.find("31536000 s after the previous row (line 11)"), std::string::npos)
      << fill.error().message;
  EXPECT_EQ(s->rows(), 11u);
  // Up to 10x the rows read is accepted: 10 rows spanning 100 steps.
  std::string sparse = "time,value\n";
  for (int i = 0; i < 9; ++i) sparse += fmt::format("{},{}\n", kT0 + 60.0 * i, i);
  sparse += fmt::format("{},{}\n", kT0 + 60.0 * 99, 9);
  auto ok = parse_csv_series(sparse, "ok.csv");
  ASSERT_TRUE(ok.has_value());
  const auto f2 = regularize_times(*ok, "ok.csv");
  ASSERT_TRUE(f2.has_value()) << f2.error().to_string();
  EXPECT_EQ(f2->inserted, 90u);
  EXPECT_EQ(ok->rows(), 100u);
}

TEST(RegularizeTimes, PlainIndexIsUntouched) {
  auto s = parse_csv_series("index,value\n0,1\n1,2\n2,3\n5,6\n6,7\n", "i.csv");
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->time_kind, TimeKind::kIndex);
  const auto fill = regularize_times(*s, "i.csv");
  ASSERT_TRUE(fill.has_value());
  EXPECT_EQ(fill->inserted, 0u);
  EXPECT_EQ(fill->step, 0.0);
  EXPECT_EQ(s->rows(), 5u);
  EXPECT_EQ(s->times[3], 5.0);
}

TEST(RegularizeTimes, FutureExogRowsKeepTheirValues) {
  // Observed hours 0..5 with hour 2 missing, then future hours 6..8 with an empty value and known `temp`.
  auto s = parse_csv_series(
      "timestamp,value,temp\n2026-11-23T00:00:00Z,10,1\n2026-11-23T01:00:00Z,11,2\n2026-11-23T03:00:00Z,13,"
      "4\n"
      "2026-11-23T04:00:00Z,14,5\n2026-11-23T05:00:00Z,15,6\n2026-11-23T06:00:00Z,,7\n2026-11-23T07:00:00Z,,"
      "8\n"
      "2026-11-23T08:00:00Z,,9\n",
      "x.csv");
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  const auto fill = regularize_times(*s, "x.csv");
  ASSERT_TRUE(fill.has_value()) << fill.error().to_string();
  EXPECT_EQ(fill->inserted, 1u);
  ASSERT_EQ(s->rows(), 9u);
  const auto& value = *s->column("value");
  const auto& temp = *s->column("temp");
  EXPECT_TRUE(std::isnan(value[2]));
  EXPECT_TRUE(std::isnan(temp[2]));  // an inserted row knows no regressor either
  for (std::size_t i = 6; i < 9; ++i) {
    EXPECT_TRUE(std::isnan(value[i]));
    EXPECT_EQ(temp[i], static_cast<double>(i + 1)) << i;
    EXPECT_EQ(s->format_time(s->times[i]), fmt::format("2026-11-23T{:02}:00:00Z", i));
  }
  EXPECT_EQ(value[5], 15.0);
  EXPECT_EQ(s->lines[8], 9);
  EXPECT_EQ(s->row_location(8), "x.csv:9");
  EXPECT_EQ(s->row_location(2), "x.csv, time 2026-11-23T02:00:00Z (a row inserted for a missing time)");
}

TEST(RegularizeTimes, CalendarMonthsCountAsOneStep) {
  // Monthly data missing 2025-02 and 2025-03: January's 31 days and February's 28 are both one step.
  auto m = parse_csv_series(
      "month,value\n2024-11-01T00:00:00Z,1\n2024-12-01T00:00:00Z,2\n2025-01-01T00:00:00Z,3\n"
      "2025-04-01T00:00:00Z,6\n2025-05-01T00:00:00Z,7\n",
      "m.csv");
  ASSERT_TRUE(m.has_value());
  const auto fill = regularize_times(*m, "m.csv");
  ASSERT_TRUE(fill.has_value()) << fill.error().to_string();
  EXPECT_EQ(fill->step_months, 1);
  EXPECT_EQ(fill->inserted, 2u);
  ASSERT_EQ(m->rows(), 7u);
  EXPECT_EQ(m->format_time(m->times[3]), "2025-02-01T00:00:00Z");
  EXPECT_EQ(m->format_time(m->times[4]), "2025-03-01T00:00:00Z");
  EXPECT_EQ(m->format_time(m->time_after_last(1)), "2025-06-01T00:00:00Z");
  // Quarterly data (90- to 92-day steps) is regular as it is.
  auto q = parse_csv_series(
      "quarter,value\n2025-01-01T00:00:00Z,1\n2025-04-01T00:00:00Z,2\n2025-07-01T00:00:00Z,3\n"
      "2025-10-01T00:00:00Z,4\n2026-01-01T00:00:00Z,5\n",
      "q.csv");
  ASSERT_TRUE(q.has_value());
  const auto qf = regularize_times(*q, "q.csv");
  ASSERT_TRUE(qf.has_value()) << qf.error().to_string();
  EXPECT_EQ(qf->step_months, 3);
  EXPECT_EQ(qf->inserted, 0u);
}

}  // namespace
}  // namespace promcast::app
