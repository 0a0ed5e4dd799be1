// `promcast detect`: runs one anomaly detector over a CSV series and prints the anomalies (JSON or CSV),
// every point's score (--scores), or, with --online, every point judged only on the points before it as
// CSV `timestamp,value,anomaly_score,raw_score` (anomaly_score = raw / (1 + raw), 0.5 on the boundary).
// Timestamped input is made regular first (csv_input.h regularize_times): rows missing from the time axis
// are inserted as NaN, which no detector judges, so indices and online rows count time steps, not lines.
// An infinite number (a score against a zero scale, a one-sided bound) prints as +/-1.7976931348623157e+308,
// the largest finite double, in JSON and CSV alike, so that every reader gets a number; NaN (nothing to
// say) prints as null in JSON and as an empty cell in CSV.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <expected>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/csv_input.h"
#include "common/json.h"
#include "forecaster/detector_factory.h"
#include "forecaster/periods.h"

namespace promcast::app {
namespace {

namespace fc = promcast::forecaster;

constexpr std::string_view kUsage =
    R"(usage: promcast detect --input FILE.csv --method esd|shesd|zscore|residual|iforest [options]
  --column NAME            value column (default: 'value', else the last column)
  --timestamp-column NAME  must name the time column the CSV reader picked (a check, not a choice)
  --period P               points per season (shesd: required; iforest seasonal peers); also a
                           duration (1d, 1h, 1w: needs timestamps) or 'auto' (found in the data)
  --alpha A                significance in (0, 1) (esd, shesd; default 0.05)
  --max-anoms F            esd: fraction in (0, 1) or integer count >= 1 (default 0.1);
                           shesd: fraction in (0, 0.49] as Twitter's (default 0.1)
  --direction both|pos|neg esd, shesd, zscore (default both; shesd default pos as Twitter)
  --robust                 esd: median and MAD instead of mean and sd (Twitter's hybrid ESD, as in shesd)
  shesd:    --threshold none|med_max|p95|p99  --only-last  --longterm-period N | --piecewise-weeks W
            (batch only: the streaming S-H-ESD judges one point at a time against one fitted piece)
  zscore:   --window N (288)  --z T (3)  --robust (rolling median and MAD)
  residual: --order p,d,q (1,0,1)  --seasonal-order P,D,Q,s  --trend n|c|t|ct (c)  --level L (99)  --k K --n N
  iforest:  --trees N (100)  --subsample N (256)  --contamination C (0.01)  --seed S (1)  --peers K  --diff
  --min-rel-scale F        esd, shesd, zscore: scale floor relative to the level (default 0: off)
  --format json|csv        output format (default json)
  --scores                 also print every point's verdict (batch)
  --online                 judge each point on the past only; prints timestamp,value,anomaly_score,raw_score
                           (residual k-of-n: raw_score is the k-th largest of the last n scores)
  --refit-every N          online, not zscore: refit the model every N points (default 1)
  --history N              online, not zscore: points each fit uses (default per method)
Flags that do not apply to the method or mode are errors. Infinite numbers print as +/-1.7976931348623157e+308.
Input: a header row; the first column a timestamp (RFC 3339, Unix seconds) or a plain index, which is
  taken as is. Timestamped rows are put on a regular axis at the most common spacing: a missing row is
  inserted as a missing value (never judged; indices and --online rows count it; stderr says how many),
  and a spacing that is not a whole number of steps is an error naming the line. Empty, NA or NaN cells
  are missing values too. Monthly data (the first of each month, 00:00 UTC) steps in calendar months.
  --recent-max-window N    online: divide each score by max(1, the largest of the previous N scores)
  --likelihood             online: score = Numenta's anomaly likelihood of the scores (1.0 at tail p = 1e-5)
  --likelihood-learning N  online: scores skipped before fitting the likelihood (300)
  --likelihood-samples N   online: scores fitted before the first likelihood verdict (300)
  --likelihood-average N   online: moving average of scores that is judged (10)
  --range-tolerance F      online: flag values beyond every earlier value's range by F * range (off)
  --range-min-points N     online: values seen before the range rule may flag (default 0)
)";

struct Series {
  std::vector<std::string> timestamps;
  std::vector<double> values;
  std::string fill_summary;  ///< rows inserted for missing times (empty: none)
  double step = 0;           ///< seconds between rows (0: an index axis)
};

// The series to judge, read with the shared CSV reader (app/csv_input.h) so that detect and forecast
// accept the same files and report bad cells as file:line:column.
std::expected<Series, Error> read_series(const std::string& path, const std::string& column,
                                         const std::string& ts_column) {
  auto csv = read_csv_series(path);
  if (!csv) return std::unexpected(csv.error());
  // Missing timestamped rows become NaN rows (never judged), so a period counts time, not rows.
  auto fill = regularize_times(*csv, csv->file);
  if (!fill) return std::unexpected(fill.error());
  if (!ts_column.empty() && ts_column != csv->time_column)
    return std::unexpected(
        Error{fmt::format("no time column named '{}' (the time axis is '{}')", ts_column, csv->time_column),
              path, 1, 0});
  const std::vector<double>* values = nullptr;
  if (!column.empty()) {
    values = csv->column(column);
    if (values == nullptr)
      return std::unexpected(Error{fmt::format("no column named '{}'", column), path, 1, 0});
  } else {
    values = csv->column("value");
    if (values == nullptr && !csv->columns.empty()) values = &csv->columns.back();
    if (values == nullptr) return std::unexpected(Error{"no value column", path, 1, 0});
  }
  if (values->empty()) return std::unexpected(Error{"no data rows", path, 0, 0});
  Series s;
  s.fill_summary = fill->summary();
  s.step = fill->step;
  s.values = *values;
  s.timestamps.reserve(csv->rows());
  for (double t : csv->times) s.timestamps.push_back(csv->format_time(t));
  return s;
}

// +/-inf as the largest finite double (see the top of the file).
double finite_or_max(double v) {
  constexpr double kMax = std::numeric_limits<double>::max();
  return std::isinf(v) ? (v > 0 ? kMax : -kMax) : v;
}

// NaN (nothing to say) as null, +/-inf as the largest finite double (see the top of the file).
json::Json json_number(double v) {
  if (std::isnan(v)) return nullptr;
  return finite_or_max(v);
}

std::string csv_number(double v) { return std::isnan(v) ? "" : fmt::format("{}", finite_or_max(v)); }

struct Args {
  std::string input, method_name, column, ts_column, format = "json";
  bool scores = false, online = false;
  fc::OnlineOptions online_options;
  fc::DetectorConfig config;
  std::string period_text;  ///< --period as "auto" or a duration, resolved once the series is read
  int piecewise_weeks = 0;
};

std::expected<int, Error> to_int(std::string_view flag, const std::string& v) {
  try {
    std::size_t used = 0;
    const long r = std::stol(v, &used);
    if (used == v.size()) return static_cast<int>(r);
  } catch (...) {
  }
  return std::unexpected(Error{fmt::format("{} expects an integer, got '{}'", flag, v), "", 0, 0});
}

std::expected<double, Error> to_double(std::string_view flag, const std::string& v) {
  try {
    std::size_t used = 0;
    const double r = std::stod(v, &used);
    if (used == v.size()) return r;
  } catch (...) {
  }
  return std::unexpected(Error{fmt::format("{} expects a number, got '{}'", flag, v), "", 0, 0});
}

std::expected<std::vector<int>, Error> to_ints(std::string_view flag, const std::string& v,
                                               std::size_t count) {
  std::vector<int> out;
  std::stringstream ss(v);
  std::string part;
  while (std::getline(ss, part, ',')) {
    auto i = to_int(flag, part);
    if (!i) return std::unexpected(i.error());
    out.push_back(*i);
  }
  if (out.size() != count)
    return std::unexpected(
        Error{fmt::format("{} expects {} comma-separated integers", flag, count), "", 0, 0});
  return out;
}

// The methods a flag applies to; empty = every method.
std::vector<fc::Method> flag_scope(std::string_view flag) {
  using M = fc::Method;
  if (flag == "--period") return {M::kShesd, M::kIforest};
  if (flag == "--alpha" || flag == "--max-anoms") return {M::kEsd, M::kShesd};
  if (flag == "--direction" || flag == "--min-rel-scale") return {M::kEsd, M::kShesd, M::kZscore};
  if (flag == "--threshold" || flag == "--only-last" || flag == "--longterm-period" ||
      flag == "--piecewise-weeks")
    return {M::kShesd};
  if (flag == "--robust") return {M::kZscore, M::kEsd};
  if (flag == "--window" || flag == "--z") return {M::kZscore};
  if (flag == "--order" || flag == "--seasonal-order" || flag == "--trend" || flag == "--level" ||
      flag == "--k" || flag == "--n")
    return {M::kResidual};
  if (flag == "--trees" || flag == "--subsample" || flag == "--contamination" || flag == "--seed" ||
      flag == "--peers" || flag == "--diff")
    return {M::kIforest};
  return {};
}

// Batch-only flags: S-H-ESD's filters on per-period maxima, only-last and pieces work on a whole series,
// and --scores adds to the JSON/CSV that --online replaces with its own CSV.
bool not_online(std::string_view flag) {
  return flag == "--threshold" || flag == "--only-last" || flag == "--longterm-period" ||
         flag == "--piecewise-weeks" || flag == "--scores";
}

bool online_only(std::string_view flag) { return flag == "--refit-every" || flag == "--history"; }

std::expected<Args, Error> parse_args(int argc, char** argv) {
  Args a;
  auto& c = a.config;
  // defaults that differ from the library's
  c.residual.spec.order = {1, 0, 1, 0, 0, 0, 0};
  c.residual.spec.trend = fc::Trend::kConstant;
  std::optional<fc::Direction> direction;
  std::optional<double> max_anoms;
  std::optional<double> alpha;
  int period = 0;
  int piecewise_weeks = 0;
  auto fail = [](std::string m) { return std::unexpected(Error{std::move(m), "", 0, 0}); };
  std::vector<std::string> given;  // every flag seen, to reject those the method or mode ignores
  for (int i = 0; i < argc; ++i) {
    const std::string flag = argv[i];
    given.push_back(flag);
    auto value = [&]() -> std::expected<std::string, Error> {
      if (i + 1 >= argc) return std::unexpected(Error{fmt::format("{} needs a value", flag), "", 0, 0});
      return std::string(argv[++i]);
    };
#define PROMCAST_VALUE(var) \
  auto var = value();       \
  if (!var) return std::unexpected(var.error())
#define PROMCAST_CONVERT(var, expr) \
  auto var = (expr);                \
  if (!var) return std::unexpected(var.error())
    if (flag == "--input") {
      PROMCAST_VALUE(v);
      a.input = *v;
    } else if (flag == "--method") {
      PROMCAST_VALUE(v);
      a.method_name = *v;
    } else if (flag == "--column") {
      PROMCAST_VALUE(v);
      a.column = *v;
    } else if (flag == "--timestamp-column") {
      PROMCAST_VALUE(v);
      a.ts_column = *v;
    } else if (flag == "--period") {
      PROMCAST_VALUE(v);
      if (!v->empty() && !std::isdigit(static_cast<unsigned char>(v->back()))) {
        a.period_text = *v;  // "auto" or a duration: resolved with the series' step
        period = 2;          // a placeholder that passes the checks below
      } else {
        PROMCAST_CONVERT(p, to_int(flag, *v));
        period = *p;
      }
    } else if (flag == "--alpha") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_double(flag, *v));
      alpha = *p;
    } else if (flag == "--max-anoms") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_double(flag, *v));
      max_anoms = *p;
    } else if (flag == "--direction") {
      PROMCAST_VALUE(v);
      if (*v == "both")
        direction = fc::Direction::kBoth;
      else if (*v == "pos")
        direction = fc::Direction::kPositive;
      else if (*v == "neg")
        direction = fc::Direction::kNegative;
      else
        return fail(fmt::format("--direction expects both, pos or neg, got '{}'", *v));
    } else if (flag == "--threshold") {
      PROMCAST_VALUE(v);
      if (*v == "none" || *v == "None")
        c.shesd.threshold = fc::ShesdThreshold::kNone;
      else if (*v == "med_max")
        c.shesd.threshold = fc::ShesdThreshold::kMedMax;
      else if (*v == "p95")
        c.shesd.threshold = fc::ShesdThreshold::kP95;
      else if (*v == "p99")
        c.shesd.threshold = fc::ShesdThreshold::kP99;
      else
        return fail(fmt::format("--threshold expects none, med_max, p95 or p99, got '{}'", *v));
    } else if (flag == "--only-last") {
      c.shesd.only_last = true;
    } else if (flag == "--longterm-period") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < 0) return fail("--longterm-period must be >= 0");
      c.shesd.longterm_period = static_cast<std::size_t>(*p);
    } else if (flag == "--piecewise-weeks") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      piecewise_weeks = *p;
    } else if (flag == "--window") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < 2) return fail("--window must be at least 2");
      c.zscore.window = static_cast<std::size_t>(*p);
    } else if (flag == "--z") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_double(flag, *v));
      c.zscore.threshold = *p;
    } else if (flag == "--robust") {  // the median/MAD variant of whichever method is chosen
      c.zscore.robust = true;
      c.esd.statistic = fc::EsdStatistic::kMedianMad;
    } else if (flag == "--order") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_ints(flag, *v, 3));
      c.residual.spec.order.p = (*p)[0];
      c.residual.spec.order.d = (*p)[1];
      c.residual.spec.order.q = (*p)[2];
    } else if (flag == "--seasonal-order") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_ints(flag, *v, 4));
      c.residual.spec.order.P = (*p)[0];
      c.residual.spec.order.D = (*p)[1];
      c.residual.spec.order.Q = (*p)[2];
      c.residual.spec.order.s = (*p)[3];
    } else if (flag == "--trend") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(t, fc::parse_trend(*v));
      c.residual.spec.trend = *t;
    } else if (flag == "--level") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_double(flag, *v));
      c.residual.level = *p;
    } else if (flag == "--k") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      c.residual.k = *p;
    } else if (flag == "--n") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      c.residual.n = *p;
    } else if (flag == "--trees") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      c.iforest.trees = *p;
    } else if (flag == "--subsample") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < 2) return fail("--subsample must be at least 2");
      c.iforest.subsample = static_cast<std::size_t>(*p);
    } else if (flag == "--contamination") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_double(flag, *v));
      c.iforest.contamination = *p;
    } else if (flag == "--seed") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      c.iforest.seed = static_cast<std::uint64_t>(*p);
    } else if (flag == "--peers") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      c.iforest_features.seasonal_peers = *p;
    } else if (flag == "--diff") {
      c.iforest_features.difference = true;
    } else if (flag == "--min-rel-scale") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_double(flag, *v));
      if (*p < 0) return fail("--min-rel-scale must be >= 0");
      c.esd.min_relative_scale = c.shesd.min_relative_scale = c.zscore.min_relative_scale = *p;
    } else if (flag == "--format") {
      PROMCAST_VALUE(v);
      if (*v != "json" && *v != "csv") return fail(fmt::format("--format expects json or csv, got '{}'", *v));
      a.format = *v;
    } else if (flag == "--scores") {
      a.scores = true;
    } else if (flag == "--online") {
      a.online = true;
    } else if (flag == "--refit-every") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < 1) return fail("--refit-every must be at least 1");
      a.online_options.refit_every = static_cast<std::size_t>(*p);
    } else if (flag == "--recent-max-window") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < 0) return fail("--recent-max-window must be >= 0");
      a.online_options.recent_max_window = static_cast<std::size_t>(*p);
    } else if (flag == "--likelihood") {
      if (!a.online_options.likelihood) a.online_options.likelihood.emplace();
    } else if (flag == "--likelihood-learning" || flag == "--likelihood-samples" ||
               flag == "--likelihood-average") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < (flag == "--likelihood-learning" ? 0 : 1))
        return fail(fmt::format("{} must be at least {}", flag, flag == "--likelihood-learning" ? 0 : 1));
      if (!a.online_options.likelihood) a.online_options.likelihood.emplace();
      auto& lo = *a.online_options.likelihood;
      (flag == "--likelihood-learning"  ? lo.learning_period
       : flag == "--likelihood-samples" ? lo.estimation_samples
                                        : lo.averaging_window) = static_cast<std::size_t>(*p);
    } else if (flag == "--range-tolerance") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_double(flag, *v));
      if (!(*p >= 0)) return fail("--range-tolerance must be >= 0");
      a.online_options.range_tolerance = *p;
    } else if (flag == "--range-min-points") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < 0) return fail("--range-min-points must be >= 0");
      a.online_options.range_min_points = static_cast<std::size_t>(*p);
    } else if (flag == "--history") {
      PROMCAST_VALUE(v);
      PROMCAST_CONVERT(p, to_int(flag, *v));
      if (*p < 2) return fail("--history must be at least 2");
      a.online_options.history = static_cast<std::size_t>(*p);
    } else if (flag == "-h" || flag == "--help") {
      return fail("help");
    } else {
      return fail(fmt::format("unknown option '{}'", flag));
    }
#undef PROMCAST_VALUE
#undef PROMCAST_CONVERT
  }
  if (a.input.empty()) return fail("--input is required");
  if (!a.online && (a.online_options.likelihood || a.online_options.range_tolerance ||
                    a.online_options.recent_max_window > 0))
    return fail(
        "--likelihood*, --range-tolerance and --recent-max-window judge a stream: they need --online");
  if (a.method_name.empty()) return fail("--method is required");
  auto method = fc::parse_method(a.method_name);
  if (!method) return std::unexpected(method.error());
  c.method = *method;
  // a flag the method or the mode would ignore is an error, never silently echoed as if applied
  for (const std::string& flag : given) {
    if (auto scope = flag_scope(flag);
        !scope.empty() && std::find(scope.begin(), scope.end(), c.method) == scope.end()) {
      std::string names;
      for (fc::Method m : scope) names += fmt::format("{}{}", names.empty() ? "" : ", ", fc::to_string(m));
      return fail(fmt::format("{} does not apply to {} (only to {})", flag, a.method_name, names));
    }
    if (a.online && not_online(flag))
      return fail(
          fmt::format("{} does not apply to --online (the streaming detector does not use it)", flag));
    if (!a.online && online_only(flag)) return fail(fmt::format("{} needs --online", flag));
    if (a.online && c.method == fc::Method::kZscore && (flag == "--refit-every" || flag == "--history"))
      return fail(fmt::format("{} does not apply to zscore (its rolling window has no fit)", flag));
  }
  if (a.online && a.format == "json" && std::find(given.begin(), given.end(), "--format") != given.end())
    return fail("--format json does not apply to --online (it prints CSV)");
  if (alpha && !(*alpha > 0.0 && *alpha < 1.0))
    return fail(fmt::format("--alpha must be in (0, 1), got {}", *alpha));
  if (max_anoms) {
    const double m = *max_anoms;
    if (!(m > 0.0)) return fail(fmt::format("--max-anoms must be > 0, got {}", m));
    if (c.method == fc::Method::kShesd && m > 0.49)
      return fail(fmt::format(
          "shesd's --max-anoms is a fraction in (0, 0.49] as in Twitter's AnomalyDetection, got {}", m));
    if (m >= 1.0 && m != std::floor(m))
      return fail(fmt::format("--max-anoms of 1 or more is a count and must be an integer, got {}", m));
  }
  if (c.method == fc::Method::kShesd && period < 2)
    return fail("shesd needs --period (points per season, >= 2)");
  if (c.iforest_features.seasonal_peers > 0 && period < 1) return fail("--peers needs --period");
  c.shesd.period = period;
  c.iforest_features.period = period;
  if (piecewise_weeks > 0) c.shesd.longterm_period = static_cast<std::size_t>(period) * 7 * piecewise_weeks;
  a.piecewise_weeks = piecewise_weeks;
  if (direction) {
    c.esd.direction = c.shesd.direction = c.zscore.direction = *direction;
  } else {
    c.shesd.direction = fc::Direction::kPositive;  // Twitter's default
  }
  if (alpha) c.esd.alpha = c.shesd.alpha = *alpha;
  if (max_anoms) {
    if (*max_anoms >= 1.0) {
      c.esd.max_count = static_cast<std::size_t>(*max_anoms);
    } else {
      c.esd.max_fraction = *max_anoms;
      c.shesd.max_anoms = *max_anoms;
    }
  }
  return a;
}

std::string_view to_string(fc::Direction d) {
  return d == fc::Direction::kBoth ? "both" : d == fc::Direction::kPositive ? "pos" : "neg";
}

std::string_view to_string(fc::ShesdThreshold t) {
  switch (t) {
    case fc::ShesdThreshold::kNone:
      return "none";
    case fc::ShesdThreshold::kMedMax:
      return "med_max";
    case fc::ShesdThreshold::kP95:
      return "p95";
    case fc::ShesdThreshold::kP99:
      return "p99";
  }
  return "?";
}

// The parameters the method ran with, defaults included, as JSON values of their own type.
json::Json effective_parameters(const fc::DetectorConfig& c) {
  switch (c.method) {
    case fc::Method::kEsd:
      return {
          {"alpha", json_number(c.esd.alpha)},
          {"max_anoms", c.esd.max_count > 0 ? json::Json(c.esd.max_count) : json_number(c.esd.max_fraction)},
          {"direction", to_string(c.esd.direction)},
          {"robust", c.esd.statistic == fc::EsdStatistic::kMedianMad},
          {"min_rel_scale", json_number(c.esd.min_relative_scale)}};
    case fc::Method::kShesd:
      return {{"period", c.shesd.period},
              {"alpha", json_number(c.shesd.alpha)},
              {"max_anoms", json_number(c.shesd.max_anoms)},
              {"direction", to_string(c.shesd.direction)},
              {"threshold", to_string(c.shesd.threshold)},
              {"only_last", c.shesd.only_last},
              {"longterm_period", c.shesd.longterm_period},
              {"min_rel_scale", json_number(c.shesd.min_relative_scale)}};
    case fc::Method::kZscore:
      return {{"window", c.zscore.window},
              {"z", json_number(c.zscore.threshold)},
              {"robust", c.zscore.robust},
              {"direction", to_string(c.zscore.direction)},
              {"min_rel_scale", json_number(c.zscore.min_relative_scale)}};
    case fc::Method::kResidual: {
      const auto& o = c.residual.spec.order;
      return {{"order", {o.p, o.d, o.q}},
              {"seasonal_order", {o.P, o.D, o.Q, o.s}},
              {"trend", fc::to_string(c.residual.spec.trend)},
              {"level", json_number(c.residual.level)},
              {"k", c.residual.k},
              {"n", c.residual.n}};
    }
    case fc::Method::kIforest:
      return {{"trees", c.iforest.trees},
              {"subsample", c.iforest.subsample},
              {"contamination", json_number(c.iforest.contamination)},
              {"seed", c.iforest.seed},
              {"peers", c.iforest_features.seasonal_peers},
              {"period", c.iforest_features.period},
              {"diff", c.iforest_features.difference}};
  }
  return json::Json::object();
}

void print_json(const Args& a, const Series& s, const fc::Detection& d) {
  auto point = [&](std::size_t i, bool with_flag) {
    const auto& j = d.points[i];
    json::Json p = {{"index", i},
                    {"timestamp", s.timestamps[i]},
                    {"value", json_number(s.values[i])},
                    {"expected", json_number(j.expected)},
                    {"lower", json_number(j.lower)},
                    {"upper", json_number(j.upper)},
                    {"score", json_number(j.score)}};
    if (with_flag) p["anomaly"] = j.anomaly;
    return p;
  };
  json::Json anomalies = json::Json::array();
  for (std::size_t i = 0; i < d.points.size(); ++i)
    if (d.points[i].anomaly) anomalies.push_back(point(i, false));
  json::Json out = {{"method", a.method_name},
                    {"parameters", effective_parameters(a.config)},
                    {"anomalies", std::move(anomalies)}};
  if (a.scores) {
    json::Json points = json::Json::array();
    for (std::size_t i = 0; i < d.points.size(); ++i) points.push_back(point(i, true));
    out["points"] = std::move(points);
  }
  const std::string text = json::dump(out) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void print_csv(const Args& a, const Series& s, const fc::Detection& d) {
  std::string out = "index,timestamp,value,expected,lower,upper,score,anomaly\n";
  for (std::size_t i = 0; i < d.points.size(); ++i) {
    const auto& j = d.points[i];
    if (!a.scores && !j.anomaly) continue;
    out += fmt::format("{},{},{},{},{},{},{},{}\n", i, s.timestamps[i], csv_number(s.values[i]),
                       csv_number(j.expected), csv_number(j.lower), csv_number(j.upper), csv_number(j.score),
                       j.anomaly ? 1 : 0);
  }
  std::fputs(out.c_str(), stdout);
}

void print_online(const Series& s, const fc::Detection& d) {
  std::string out = "timestamp,value,anomaly_score,raw_score\n";
  for (std::size_t i = 0; i < d.points.size(); ++i) {
    const auto& j = d.points[i];
    out += fmt::format("{},{},{},{}\n", s.timestamps[i], csv_number(s.values[i]),
                       fc::bounded_anomaly_score(j.judged ? j.score : std::nan("")),
                       j.judged ? csv_number(j.score) : "");
  }
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int run_detect(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args) {
    if (args.error().message != "help")
      std::fprintf(stderr, "promcast detect: %s\n", args.error().to_string().c_str());
    std::fputs(kUsage.data(), stderr);
    return 2;
  }
  auto series = read_series(args->input, args->column, args->ts_column);
  if (!series) {
    std::fprintf(stderr, "promcast detect: %s\n", series.error().to_string().c_str());
    return 1;
  }
  if (!series->fill_summary.empty())
    std::fprintf(stderr, "promcast detect: %s: %s\n", args->input == "-" ? "<stdin>" : args->input.c_str(),
                 series->fill_summary.c_str());
  if (!args->period_text.empty()) {
    int period = 0;
    if (args->period_text == "auto") {
      fc::PeriodSearchOptions po;
      po.step_seconds = series->step;
      auto found = fc::find_periods(series->values, po);
      if (!found) {
        std::fprintf(stderr, "promcast detect: %s\n", found.error().to_string().c_str());
        return 1;
      }
      if (found->empty()) {
        std::fprintf(stderr, "promcast detect: --period auto: no significant seasonal period in the data\n");
        return 1;
      }
      period = found->front().period;
      std::fprintf(stderr, "promcast detect: --period auto: %d points\n", period);
    } else {
      auto steps = fc::duration_in_steps(args->period_text, series->step);
      if (!steps) {
        std::fprintf(stderr, "promcast detect: --period: %s\n", steps.error().message.c_str());
        return 1;
      }
      period = *steps;
    }
    auto& c = args->config;
    c.shesd.period = period;
    c.iforest_features.period = period;
    if (args->piecewise_weeks > 0)
      c.shesd.longterm_period =
          static_cast<std::size_t>(period) * 7 * static_cast<std::size_t>(args->piecewise_weeks);
  }
  auto d = args->online ? fc::detect_online(args->config, series->values, args->online_options)
                        : fc::detect(args->config, series->values);
  if (!d) {
    std::fprintf(stderr, "promcast detect: %s\n", d.error().to_string().c_str());  // messages name the method
    return 1;
  }
  if (args->online)
    print_online(*series, *d);
  else if (args->format == "csv")
    print_csv(*args, *series, *d);
  else
    print_json(*args, *series, *d);
  return 0;
}

}  // namespace promcast::app
