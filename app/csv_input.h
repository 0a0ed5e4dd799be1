#pragma once
// The time series CSV that `promcast forecast` and `promcast detect` read:
//   header row; first column a timestamp (RFC 3339, Unix seconds) or a plain index; then named
//   numeric columns. Empty cells (and NA/NaN/null) are missing values (NaN). Fields may be
//   double-quoted. Errors name file:line(:column).
// The first column's kind is inferred from all its cells: every cell RFC 3339 -> timestamps;
// every cell numeric and the first one above 1e8 (1973 in Unix seconds) -> Unix seconds;
// otherwise numeric -> an index. Timestamps without an offset ("2014-04-01 00:00:00", as NAB
// writes them) are UTC. When the first column is an index and another column holds timestamps
// (Twitter's AnomalyDetection data: t,timestamp,count), that column becomes the time axis.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace promcast::app {

enum class TimeKind { kIndex, kUnixSeconds, kRfc3339 };

struct CsvSeries {
  std::string file;
  std::string time_column;               ///< header of the first column
  TimeKind time_kind = TimeKind::kIndex;
  std::vector<double> times;             ///< index value or Unix seconds, one per row
  std::vector<std::string> names;        ///< the other columns' headers
  std::vector<std::vector<double>> columns;  ///< [column][row], NaN for empty cells
  std::vector<int> lines;                ///< 1-based source line of each row

  [[nodiscard]] std::size_t rows() const { return times.size(); }
  /// Column by header name; nullptr when absent.
  [[nodiscard]] const std::vector<double>* column(std::string_view name) const;
  /// The typical spacing of the time column (median difference; 1 when fewer than two rows).
  [[nodiscard]] double step() const;
  /// The time `steps` rows after the last one: calendar months when every RFC 3339 time is
  /// midnight UTC on the first of consecutive months (monthly data), else the median spacing.
  [[nodiscard]] double time_after_last(std::size_t steps) const;
  /// Renders a time value like the input did (RFC 3339 in UTC with 'Z', or a plain number).
  [[nodiscard]] std::string format_time(double t) const;
};

/// Parses CSV text; file_name is used in error messages only.
std::expected<CsvSeries, Error> parse_csv_series(std::string_view text, std::string_view file_name);

/// Reads and parses a file ("-" = standard input).
std::expected<CsvSeries, Error> read_csv_series(const std::string& path);

/// Parses an RFC 3339 timestamp ("2026-11-23T12:00:00Z", "+02:00" offsets, fractions, ' ' for 'T')
/// into Unix seconds.
std::expected<double, Error> parse_rfc3339(std::string_view text);

}  // namespace promcast::app
