#include "app/csv_input.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>

namespace promcast::app {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Error error_at(std::string_view file, int line, int column, std::string message) {
  Error e;
  e.message = std::move(message);
  e.file = std::string(file);
  e.line = line;
  e.column = column;
  return e;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

struct Field {
  std::string text;
  int column = 1;  // 1-based character column where the field starts
};

// Splits one line into fields, honouring double quotes ("" inside quotes is a quote).
std::expected<std::vector<Field>, std::string> split_line(std::string_view line) {
  std::vector<Field> out;
  std::size_t i = 0;
  while (true) {
    Field f;
    f.column = static_cast<int>(i) + 1;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return std::unexpected(std::string("unterminated quoted field"));
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            f.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f.text += line[i++];
      }
      while (i < line.size() && line[i] != ',') {
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
          return std::unexpected(std::string("text after a closing quote"));
        ++i;
      }
    } else {
      const std::size_t end = line.find(',', i);
      f.text =
          std::string(trim(line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
      i = end == std::string_view::npos ? line.size() : end;
    }
    out.push_back(std::move(f));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return out;
}

bool is_missing(std::string_view s) {
  return s.empty() || s == "NA" || s == "NaN" || s == "nan" || s == "null" || s == "NULL";
}

std::expected<double, std::string> parse_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    return std::unexpected(fmt::format("'{}' is not a number", s));
  if (!std::isfinite(v)) return std::unexpected(fmt::format("'{}' is not finite", s));
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
long days_from_civil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

void civil_from_days(long z, long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

}  // namespace

std::expected<double, Error> parse_rfc3339(std::string_view s) {
  s = trim(s);
  auto bad = [&] {
    return std::unexpected(error_at("", 0, 0, fmt::format("'{}' is not an RFC 3339 timestamp", s)));
  };
  auto digits = [&](std::size_t at, std::size_t count, int& out) {
    if (at + count > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, mi, sec;
  if (!digits(0, 4, Y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, M) || s[7] != '-' ||
      !digits(8, 2, D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) ||
      s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' || !digits(17, 2, sec))
    return bad();
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60) return bad();
  std::size_t i = 19;
  double frac = 0.0;
  if (i < s.size() && s[i] == '.') {
    double scale = 0.1;
    ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return bad();
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  long offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(i + 4, 2, om)) return bad();
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    i += 6;
  }  // no offset: UTC (NAB and Twitter files write "2014-04-01 00:00:00")
  if (i != s.size()) return bad();
  const long days = days_from_civil(Y, static_cast<unsigned>(M), static_cast<unsigned>(D));
  return static_cast<double>(days * 86400L + h * 3600L + mi * 60L + sec - offset) + frac;
}

const std::vector<double>* CsvSeries::column(std::string_view name) const {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return &columns[i];
  return nullptr;
}

double CsvSeries::step() const {
  if (times.size() < 2) return 1.0;
  std::vector<double> diffs;
  for (std::size_t i = 1; i < times.size(); ++i) diffs.push_back(times[i] - times[i - 1]);
  std::nth_element(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(diffs.size() / 2), diffs.end());
  const double s = diffs[diffs.size() / 2];
  return s > 0 ? s : 1.0;
}

double CsvSeries::time_after_last(std::size_t steps) const {
  if (times.empty()) return static_cast<double>(steps);
  if (time_kind == TimeKind::kRfc3339 && times.size() >= 2) {
    bool monthly = true;
    long prev_index = 0;
    long y = 0;
    unsigned m = 0, d = 0;
    for (std::size_t i = 0; i < times.size() && monthly; ++i) {
      const double t = times[i];
      const long secs = static_cast<long>(std::floor(t));
      if (t != static_cast<double>(secs) || secs % 86400 != 0) {
        monthly = false;
        break;
      }
      civil_from_days(secs / 86400, y, m, d);
      const long index = y * 12 + static_cast<long>(m) - 1;
      if (d != 1 || (i > 0 && index != prev_index + 1)) monthly = false;
      prev_index = index;
    }
    if (monthly) {
      const long index = prev_index + static_cast<long>(steps);
      const long year = index / 12;
      const auto month = static_cast<unsigned>(index % 12 + 1);
      return static_cast<double>(days_from_civil(year, month, 1) * 86400L);
    }
  }
  return times.back() + step() * static_cast<double>(steps);
}

std::string CsvSeries::row_location(std::size_t row) const {
  if (row < lines.size() && lines[row] > 0) return fmt::format("{}:{}", file, lines[row]);
  if (row < times.size())
    return fmt::format("{}, time {} (a row inserted for a missing time)", file, format_time(times[row]));
  return fmt::format("{}, row {}", file, row);
}

std::string CsvSeries::format_time(double t) const {
  if (time_kind != TimeKind::kRfc3339) return fmt::format("{}", t);
  const double whole = std::floor(t);
  const auto secs = static_cast<long>(whole);
  long days = secs / 86400;
  long rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  long y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const double frac = t - whole;
  if (frac > 1e-9)
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:09.6f}Z", y, m, d, rem / 3600, (rem / 60) % 60,
                       static_cast<double>(rem % 60) + frac);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rem / 3600, (rem / 60) % 60, rem % 60);
}

std::expected<CsvSeries, Error> parse_csv_series(std::string_view text, std::string_view file_name) {
  CsvSeries out;
  out.file = std::string(file_name);
  std::vector<std::string> first_cells;
  std::vector<int> column_kind;
  int line_no = 0;
  bool header_done = false;
  std::size_t pos = 0;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;  // UTF-8 byte order mark
  while (pos <= text.size()) {
    const std::size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++line_no;
    if (trim(line).empty() || trim(line).front() == '#') continue;
    auto fields = split_line(line);
    if (!fields) return std::unexpected(error_at(file_name, line_no, 0, fields.error()));
    if (!header_done) {
      if (fields->size() < 2)
        return std::unexpected(
            error_at(file_name, line_no, 0, "the header needs a time column and at least one value column"));
      out.time_column = (*fields)[0].text;
      for (std::size_t i = 1; i < fields->size(); ++i) {
        if ((*fields)[i].text.empty())
          return std::unexpected(error_at(file_name, line_no, (*fields)[i].column, "empty column name"));
        out.names.push_back((*fields)[i].text);
      }
      out.columns.resize(out.names.size());
      header_done = true;
      continue;
    }
    if (fields->size() != out.names.size() + 1)
      return std::unexpected(
          error_at(file_name, line_no, 0,
                   fmt::format("{} fields, the header has {}", fields->size(), out.names.size() + 1)));
    first_cells.push_back((*fields)[0].text);
    out.lines.push_back(line_no);
    column_kind.resize(out.names.size(), 0);
    for (std::size_t i = 1; i < fields->size(); ++i) {
      const Field& f = (*fields)[i];
      int& kind = column_kind[i - 1];  // 0 unknown, 1 numeric, 2 timestamps
      if (is_missing(trim(f.text))) {
        out.columns[i - 1].push_back(kNaN);
        continue;
      }
      auto v = parse_number(f.text);
      if (v && kind != 2) {
        kind = 1;
        out.columns[i - 1].push_back(*v);
        continue;
      }
      if (kind != 1) {
        if (auto ts = parse_rfc3339(f.text)) {
          kind = 2;
          out.columns[i - 1].push_back(*ts);
          continue;
        }
      }
      return std::unexpected(
          error_at(file_name, line_no, f.column,
                   fmt::format("column '{}': '{}' is not a number", out.names[i - 1], trim(f.text))));
    }
  }
  if (!header_done) return std::unexpected(error_at(file_name, 0, 0, "empty file: expected a header row"));
  // Decide the time column's kind from all of its cells.
  bool all_numeric = true, all_rfc = true;
  for (const auto& c : first_cells) {
    if (all_numeric && !parse_number(c)) all_numeric = false;
    if (all_rfc && !parse_rfc3339(c)) all_rfc = false;
  }
  for (std::size_t r = 0; r < first_cells.size(); ++r) {
    if (all_rfc) {
      out.times.push_back(*parse_rfc3339(first_cells[r]));
    } else if (all_numeric) {
      out.times.push_back(*parse_number(first_cells[r]));
    } else {
      auto v = parse_number(first_cells[r]);
      if (!v) {
        const bool looks_like_date = first_cells[r].size() >= 10 && first_cells[r][4] == '-';
        return std::unexpected(
            error_at(file_name, out.lines[r], 1,
                     fmt::format("time '{}' is neither {} nor a number", first_cells[r],
                                 looks_like_date ? "a valid RFC 3339 timestamp" : "RFC 3339")));
      }
      out.times.push_back(*v);
    }
  }
  out.time_kind = all_rfc && !first_cells.empty()              ? TimeKind::kRfc3339
                  : (!out.times.empty() && out.times[0] > 1e8) ? TimeKind::kUnixSeconds
                                                               : TimeKind::kIndex;
  // A plain index first, then a column of timestamps (Twitter's AnomalyDetection export): the
  // timestamps are the time axis.
  if (out.time_kind == TimeKind::kIndex) {
    for (std::size_t j = 0; j < column_kind.size(); ++j) {
      if (column_kind[j] != 2) continue;
      if (std::any_of(out.columns[j].begin(), out.columns[j].end(), [](double v) { return std::isnan(v); }))
        continue;
      out.time_column = out.names[j];
      out.times = out.columns[j];
      out.time_kind = TimeKind::kRfc3339;
      out.names.erase(out.names.begin() + static_cast<std::ptrdiff_t>(j));
      out.columns.erase(out.columns.begin() + static_cast<std::ptrdiff_t>(j));
      break;
    }
  }
  for (std::size_t r = 1; r < out.times.size(); ++r)
    if (!(out.times[r] > out.times[r - 1]))
      return std::unexpected(error_at(
          file_name, out.lines[r], 1,
          fmt::format(
              "time is {} the previous row's (line {}): times must be strictly increasing (a repeated local "
              "hour at a daylight-saving change is a common cause; use UTC or a plain index column)",
              out.times[r] == out.times[r - 1] ? "equal to" : "before", out.lines[r - 1])));
  return out;
}

namespace {

constexpr std::size_t kMaxRegularRows = 10'000'000;
constexpr std::size_t kMaxGrowth = 10;  // rows after filling, per row read

// floor(a / b) for b > 0.
long floor_div(long a, long b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// Months since 0000-01 when t is 00:00:00 UTC on the first of a month.
std::optional<long> month_index(double t) {
  if (!(std::fabs(t) < 1e15) || std::floor(t) != t) return std::nullopt;
  const auto secs = static_cast<long>(t);
  if (secs % 86400 != 0) return std::nullopt;
  long y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(secs / 86400, y, m, d);
  if (d != 1) return std::nullopt;
  return y * 12 + static_cast<long>(m) - 1;
}

double month_start(long index) {
  const long year = floor_div(index, 12);
  const auto month = static_cast<unsigned>(index - year * 12 + 1);
  return static_cast<double>(days_from_civil(year, month, 1) * 86400L);
}

// A spacing for messages: microseconds at most, so float timestamps do not print 15.005000114440918.
std::string spacing(double d) { return fmt::format("{}", std::round(d * 1e6) / 1e6); }

}  // namespace

std::string TimeAxisFill::summary() const {
  if (inserted == 0) return "";
  const std::string unit = step_months > 0
                               ? fmt::format("{} month{}", step_months, step_months == 1 ? "" : "s")
                               : fmt::format("{} s", spacing(step));
  return fmt::format("inserted {} row{} of missing values (NaN) for {} gap{} in the time axis (step {})",
                     inserted, inserted == 1 ? "" : "s", gaps, gaps == 1 ? "" : "s", unit);
}

std::expected<TimeAxisFill, Error> regularize_times(CsvSeries& series, const std::string& file_name) {
  const std::string& file = file_name.empty() ? series.file : file_name;
  TimeAxisFill fill;
  const std::size_t n = series.rows();
  if (series.time_kind == TimeKind::kIndex || n < 2) return fill;
  auto line_of = [&](std::size_t row) { return row < series.lines.size() ? series.lines[row] : 0; };

  // Positions on the axis: seconds, or calendar months when every time starts a month.
  std::vector<long> months;
  months.reserve(n);
  for (double t : series.times) {
    const auto m = month_index(t);
    if (!m) break;
    months.push_back(*m);
  }
  const bool calendar = months.size() == n;
  std::vector<double> diffs(n - 1);
  for (std::size_t i = 1; i < n; ++i) {
    diffs[i - 1] =
        calendar ? static_cast<double>(months[i] - months[i - 1]) : series.times[i] - series.times[i - 1];
    if (!(diffs[i - 1] > 0))
      return std::unexpected(Error{fmt::format("time {} is not after the previous row's (line {})",
                                               series.format_time(series.times[i]), line_of(i - 1)),
                                   file, line_of(i), 1});
  }
  // Exact for calendar months; jitter of float timestamps otherwise.
  auto tolerance = [&](double step) { return calendar ? 0.0 : std::max(1e-6 * step, 1e-3); };

  // The step: the most common difference, near-equal ones (jitter) counted together.
  std::vector<double> sorted = diffs;
  std::sort(sorted.begin(), sorted.end());
  std::size_t best_begin = 0, best_end = 0;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j] - sorted[i] <= tolerance(sorted[i])) ++j;
    if (j - i > best_end - best_begin) {  // strict: ties keep the smaller difference
      best_begin = i;
      best_end = j;
    }
    i = j;
  }
  const double step0 = sorted[(best_begin + best_end) / 2];
  const double tol = tolerance(step0);
  const std::string unit = calendar ? " months" : " s";

  // Steps between each pair of rows.
  std::vector<std::size_t> steps(n - 1);
  std::size_t total_steps = 0, widest = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const double d = diffs[i - 1];
    const double q = d / step0;
    const double k = std::round(q);
    if (k < 1 || std::fabs(d - k * step0) > k * tol)
      return std::unexpected(Error{
          fmt::format("time {} is {}{} after the previous row (line {}), not a multiple of the {}{} step "
                      "(the most common spacing); missing rows are filled in only when whole steps are "
                      "missing",
                      series.format_time(series.times[i]), spacing(d), unit, line_of(i - 1), spacing(step0),
                      unit),
          file, line_of(i), 1});
    if (k > static_cast<double>(kMaxRegularRows)) {
      widest = i;
      total_steps = kMaxRegularRows;
      break;
    }
    steps[i - 1] = static_cast<std::size_t>(k);
    total_steps += steps[i - 1];
    if (widest == 0 || steps[i - 1] > steps[widest - 1]) widest = i;
  }
  const std::size_t rows_after = total_steps + 1;
  if (rows_after > kMaxGrowth * n || rows_after > kMaxRegularRows) {
    const std::size_t i = widest;
    return std::unexpected(
        Error{fmt::format(
                  "time {} is {}{} after the previous row (line {}): filling the gaps at a {}{} step (the "
                  "most common spacing) would make {}{} rows from the {} read (at most {}x, and {}); is the "
                  "series regular?",
                  series.format_time(series.times[i]), spacing(diffs[i - 1]), unit, line_of(i - 1),
                  spacing(step0), unit, rows_after >= kMaxRegularRows ? "at least " : "", rows_after, n,
                  kMaxGrowth, kMaxRegularRows),
              file, line_of(i), 1});
  }
  // The step between inserted times, from the whole span so that jitter does not accumulate.
  const double step =
      calendar ? step0 : (series.times.back() - series.times.front()) / static_cast<double>(total_steps);
  fill.step = calendar ? 0.0 : step;
  fill.step_months = calendar ? static_cast<int>(step0) : 0;
  if (rows_after == n) return fill;

  std::vector<double> times;
  std::vector<int> lines;
  std::vector<std::vector<double>> columns(series.columns.size());
  times.reserve(rows_after);
  lines.reserve(rows_after);
  for (auto& c : columns) c.reserve(rows_after);
  auto copy_row = [&](std::size_t r) {
    times.push_back(series.times[r]);
    lines.push_back(line_of(r));
    for (std::size_t c = 0; c < columns.size(); ++c) columns[c].push_back(series.columns[c][r]);
  };
  copy_row(0);
  for (std::size_t i = 1; i < n; ++i) {
    const std::size_t k = steps[i - 1];
    if (k > 1) ++fill.gaps;
    for (std::size_t j = 1; j < k; ++j) {
      times.push_back(calendar ? month_start(months[i - 1] + static_cast<long>(j) * static_cast<long>(step0))
                               : series.times[i - 1] + static_cast<double>(j) * step);
      lines.push_back(0);
      for (auto& c : columns) c.push_back(kNaN);
      ++fill.inserted;
    }
    copy_row(i);
  }
  series.times = std::move(times);
  series.lines = std::move(lines);
  series.columns = std::move(columns);
  return fill;
}

std::expected<CsvSeries, Error> read_csv_series(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::unexpected(error_at(path, 0, 0, "cannot open file"));
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  return parse_csv_series(text, path == "-" ? "<stdin>" : path);
}

}  // namespace promcast::app
