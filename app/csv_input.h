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
  std::string time_column;  ///< header of the first column
  TimeKind time_kind = TimeKind::kIndex;
  std::vector<double> times;                 ///< index value or Unix seconds, one per row
  std::vector<std::string> names;            ///< the other columns' headers
  std::vector<std::vector<double>> columns;  ///< [column][row], NaN for empty cells
  std::vector<int> lines;  ///< 1-based source line of each row; 0 = inserted by regularize_times

  [[nodiscard]] std::size_t rows() const { return times.size(); }
  /// Column by header name; nullptr when absent.
  [[nodiscard]] const std::vector<double>* column(std::string_view name) const;
  /// The typical spacing of the time column (median difference; 1 when fewer than two rows).
  [[nodiscard]] double step() const;
  /// The time `steps` rows after the last one: calendar months when every RFC 3339 time is
  /// midnight UTC on the first of consecutive months (monthly data), else the median spacing.
  [[nodiscard]] double time_after_last(std::size_t steps) const;
  /// Where a row came from, for messages: "file:line", or for a row regularize_times inserted
  /// (line 0) "file, time 2026-11-23T02:00:00Z (a row inserted for a missing time)".
  [[nodiscard]] std::string row_location(std::size_t row) const;
  /// Renders a time value like the input did (RFC 3339 in UTC with 'Z', or a plain number).
  [[nodiscard]] std::string format_time(double t) const;
};

/// Parses CSV text; file_name is used in error messages only.
std::expected<CsvSeries, Error> parse_csv_series(std::string_view text, std::string_view file_name);

/// Reads and parses a file ("-" = standard input).
std::expected<CsvSeries, Error> read_csv_series(const std::string& path);

/// What regularize_times did to a series.
struct TimeAxisFill {
  std::size_t inserted = 0;  ///< rows added, NaN in every column
  std::size_t gaps = 0;      ///< runs of consecutive missing steps that were filled
  double step = 0;           ///< seconds between rows; 0 for an index axis or calendar months
  int step_months = 0;       ///< months between rows for calendar-month data (first of the month, 00:00Z)
  /// One line for stderr, e.g. "inserted 20 rows of missing values (NaN) in 1 gap (step 3600 s)";
  /// empty when nothing was inserted.
  [[nodiscard]] std::string summary() const;
};

/// Makes a timestamped series evenly spaced by inserting the rows that are missing, so that a
/// model's lags, seasonal phase and Fourier terms follow time rather than row count (Prometheus
/// exports have scrape gaps). Inserted rows hold NaN in every column (missing values, which the
/// Kalman filter and the detectors skip: nothing is interpolated) and line 0 in `lines`, the
/// marker of a row with no source line. Real rows keep their values, exogenous columns included,
/// so future rows (empty `value`, known regressors) after the last observation stay as read.
/// Regressors are NaN in inserted in-sample rows too: with SARIMAX's regression in the observation
/// equation a row whose value is missing contributes nothing, so a caller may fill them with any
/// finite number; an inserted row among the future rows is a genuinely unknown regressor (name it
/// with row_location(), which reports the inserted row's time rather than "file:0").
///
/// - A plain index axis (TimeKind::kIndex) and series of fewer than 3 rows are left alone.
/// - The step is the most common positive difference between consecutive times (ties: the
///   smaller). Differences within max(1e-6 * step, 1 ms) of each other count as the same, so
///   float timestamps with scrape jitter still have a mode; the step used for inserted times is
///   then refined to (last - first) / (number of steps), so jitter does not accumulate.
/// - Every difference must be a whole multiple k >= 1 of the step within k * max(1e-6 * step,
///   1 ms) (integer timestamps are exact; the allowance is for float ones); otherwise the error names the row
///   (file:line) and both times, e.g. "time 2026-11-23T00:07:30Z is 450 s after the previous row (line 4),
///   not a multiple of the 300 s step".
/// - Calendar data: when every time is 00:00:00 UTC on the first of a month (monthly, quarterly,
///   yearly data), steps are counted in calendar months, so 28- to 31-day months are one step.
/// - More than 9 inserted rows per real row (the result over 10x the input) or a result over
///   10,000,000 rows is an error naming the largest gap: such a file is more likely the wrong
///   step or concatenated series than a few scrape gaps.
/// file_name is used in error messages only (series.file when empty).
std::expected<TimeAxisFill, Error> regularize_times(CsvSeries& series, const std::string& file_name = "");

/// Parses an RFC 3339 timestamp ("2026-11-23T12:00:00Z", "+02:00" offsets, fractions, ' ' for 'T')
/// into Unix seconds.
std::expected<double, Error> parse_rfc3339(std::string_view text);

}  // namespace promcast::app
