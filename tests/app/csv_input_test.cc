#include "app/csv_input.h"

#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace promcast::app
