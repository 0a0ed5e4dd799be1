// `promcast forecast`: fit SARIMAX (given orders or --auto) to a CSV series and print forecasts
// with prediction intervals as JSON or CSV. Exceptions never escape: every failure is a message on
// stderr and exit code 1 (2 for usage errors).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/csv_input.h"
#include "common/json.h"
#include "forecaster/auto_arima.h"
#include "forecaster/fourier.h"
#include "forecaster/periods.h"
#include "forecaster/sarimax.h"
#include "forecaster/stat_tests.h"

namespace promcast::app {
namespace {

using forecaster::FourierTerm;

constexpr std::string_view kUsage =
    "usage: promcast forecast --input FILE.csv [--order p,d,q | --auto] [--seasonal-order P,D,Q,s]\n"
    "                         [--trend n|c|t|ct] [--exog COL,...] [--fourier PERIOD:K,...] --horizon H\n"
    "                         [--levels 80,95] [--format json|csv] [--value-column value]\n"
    "With --auto the search chooses the orders, the trend and the number of Fourier harmonics:\n"
    "  --seasonal-order 0,0,0,s gives it the seasonal period s (P, D, Q must be 0), --fourier takes\n"
    "  bare periods (e.g. --fourier 2016) always modelled by Fourier terms, and --trend is an error.\n"
    "The seasonal period s may be a duration (--seasonal-order 0,1,1,1d: converted with the series'\n"
    "  step, which needs timestamps) or 'auto' (found in the data: periods.h); --period S is short for\n"
    "  --seasonal-order 0,0,0,S (with --auto, extra periods found go to Fourier terms).\n";

struct Options {
  std::string input;
  std::optional<std::vector<int>> order, seasonal;
  bool automatic = false;
  std::string trend = "n";
  bool trend_given = false;
  std::vector<std::string> exog;
  std::vector<FourierTerm> fourier;
  std::string fourier_text;
  int horizon = 0;
  std::vector<double> levels = {80, 95};
  std::string format = "json";
  std::string value_column = "value";
  std::string period_text;  ///< seasonal period as "auto" or a duration ("1d"), resolved with the data
};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<std::vector<int>> parse_ints(std::string_view s, std::size_t count) {
  std::vector<int> out;
  for (const auto& part : split(s, ',')) {
    char* end = nullptr;
    const long v = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || v < 0 || v > 100000) return std::nullopt;
    out.push_back(static_cast<int>(v));
  }
  if (out.size() != count) return std::nullopt;
  return out;
}

std::expected<Options, std::string> parse_args(int argc, char** argv) {
  Options o;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    bool has_inline = false;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto next = [&]() -> std::expected<std::string, std::string> {
      if (has_inline) return value;
      if (i + 1 >= argc) return std::unexpected(fmt::format("{} needs a value", arg));
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") return std::unexpected(std::string());
    if (arg == "--auto") {
      o.automatic = true;
      continue;
    }
    auto v = next();
    if (!v) return std::unexpected(v.error());
    if (arg == "--input") {
      o.input = *v;
    } else if (arg == "--order") {
      o.order = parse_ints(*v, 3);
      if (!o.order) return std::unexpected(fmt::format("--order '{}' is not p,d,q", *v));
    } else if (arg == "--seasonal-order" || arg == "--period") {
      // s as "auto" or a duration is resolved once the series (and its step) is read.
      std::string text = arg == "--period" ? "0,0,0," + *v : *v;
      const auto last = text.rfind(',');
      if (const std::string s_text = text.substr(last == std::string::npos ? 0 : last + 1);
          !s_text.empty() && !std::isdigit(static_cast<unsigned char>(s_text.back()))) {
        o.period_text = s_text;
        text = text.substr(0, last + 1) + "1";
      }
      o.seasonal = parse_ints(text, 4);
      if (!o.seasonal) return std::unexpected(fmt::format("{} '{}' is not P,D,Q,s", arg, *v));
    } else if (arg == "--trend") {
      if (!forecaster::parse_trend(*v))
        return std::unexpected(fmt::format("--trend '{}' is not n, c, t or ct", *v));
      o.trend = *v;
      o.trend_given = true;
    } else if (arg == "--exog") {
      o.exog = split(*v, ',');
    } else if (arg == "--fourier") {
      o.fourier_text = *v;  // parsed below: PERIOD:K, or bare periods with --auto
    } else if (arg == "--horizon") {
      auto h = parse_ints(*v, 1);
      if (!h || (*h)[0] < 1)
        return std::unexpected(fmt::format("--horizon '{}' is not a positive integer", *v));
      o.horizon = (*h)[0];
    } else if (arg == "--levels") {
      o.levels.clear();
      for (const auto& part : split(*v, ',')) {
        char* end = nullptr;
        const double l = std::strtod(part.c_str(), &end);
        if (part.empty() || *end != '\0' || !(l > 0 && l < 100))
          return std::unexpected(fmt::format("--levels: '{}' is not a percentage in (0, 100)", part));
        o.levels.push_back(l);
      }
    } else if (arg == "--format") {
      if (*v != "json" && *v != "csv")
        return std::unexpected(fmt::format("--format '{}' is not json or csv", *v));
      o.format = *v;
    } else if (arg == "--value-column") {
      o.value_column = *v;
    } else {
      return std::unexpected(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (o.input.empty()) return std::unexpected(std::string("--input is required"));
  if (o.horizon < 1) return std::unexpected(std::string("--horizon is required"));
  if (o.automatic && o.order) return std::unexpected(std::string("--order and --auto exclude each other"));
  if (!o.automatic && !o.order) return std::unexpected(std::string("give --order p,d,q or --auto"));
  // With --auto the search chooses the trend, P, D, Q and the harmonics: flags that would set them
  // are errors rather than silently ignored.
  if (o.automatic && o.trend_given)
    return std::unexpected(std::string("--trend does not apply with --auto: the search chooses it"));
  if (o.automatic && o.seasonal && ((*o.seasonal)[0] != 0 || (*o.seasonal)[1] != 0 || (*o.seasonal)[2] != 0))
    return std::unexpected(std::string(
        "--seasonal-order with --auto gives only the period: use 0,0,0,s (the search chooses P, D, "
        "Q)"));
  if (o.automatic && o.seasonal && (*o.seasonal)[3] < 1)
    return std::unexpected(std::string("--seasonal-order 0,0,0,s with --auto needs a period s >= 1"));
  if (!o.fourier_text.empty()) {
    if (o.automatic) {
      for (const auto& part : split(o.fourier_text, ',')) {
        if (part.find(':') != std::string::npos)
          return std::unexpected(fmt::format(
              "--fourier '{}': with --auto give periods only (e.g. --fourier 2016): the search chooses K",
              part));
        char* end = nullptr;
        const double period = std::strtod(part.c_str(), &end);
        if (part.empty() || *end != '\0' || !(period > 2.0))
          return std::unexpected(fmt::format("--fourier '{}' is not a period > 2", part));
        o.fourier.push_back(FourierTerm{period, 1});
      }
    } else {
      auto terms = forecaster::parse_fourier_terms(o.fourier_text);
      if (!terms) return std::unexpected(fmt::format("--fourier: {}", terms.error().message));
      o.fourier = *terms;
    }
  }
  for (std::size_t i = 0; i < o.exog.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (o.exog[i] == o.exog[j]) return std::unexpected(fmt::format("--exog names '{}' twice", o.exog[i]));
  for (std::size_t i = 0; i < o.fourier.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (o.fourier[i].period == o.fourier[j].period)
        return std::unexpected(fmt::format("--fourier gives period {} twice", o.fourier[i].period));
  return o;
}

// Non-finite numbers (a failed standard error, say) print as null.
json::Json json_number(double v) { return json::number_or_null(v); }

std::string level_name(double level) { return fmt::format("{}", level); }

int fail(const std::string& message) {
  std::fputs(fmt::format("promcast forecast: {}\n", message).c_str(), stderr);
  return 1;
}

}  // namespace

int run_forecast(int argc, char** argv) {
  auto parsed = parse_args(argc, argv);
  if (!parsed) {
    if (!parsed.error().empty())
      std::fputs(fmt::format("promcast forecast: {}\n", parsed.error()).c_str(), stderr);
    std::fputs(kUsage.data(), stderr);
    return 2;
  }
  Options opt = std::move(*parsed);
  auto csv = read_csv_series(opt.input);
  if (!csv) return fail(csv.error().to_string());
  // Missing timestamped rows become NaN rows, which the filter skips: seasonal lags and Fourier
  // terms then follow time, not row count (Prometheus exports have scrape gaps).
  auto fill = regularize_times(*csv, opt.input);
  if (!fill) return fail(fill.error().to_string());
  if (const std::string note = fill->summary(); !note.empty())
    std::fputs(fmt::format("promcast forecast: {}\n", note).c_str(), stderr);
  const std::vector<double>* value = csv->column(opt.value_column);
  if (value == nullptr) return fail(fmt::format("{}: no column named '{}'", opt.input, opt.value_column));

  // History = rows up to the last observed value; the rows after it carry future exog/timestamps.
  std::size_t n = value->size();
  while (n > 0 && std::isnan((*value)[n - 1])) --n;
  if (n == 0) return fail(fmt::format("{}: column '{}' has no values", opt.input, opt.value_column));
  const std::size_t future_rows = value->size() - n;
  const std::vector<double> y(value->begin(), value->begin() + static_cast<std::ptrdiff_t>(n));
  std::vector<int> found_periods;  // --period auto: every significant period, strongest first
  if (!opt.period_text.empty()) {
    int s = 0;
    if (opt.period_text == "auto") {
      forecaster::PeriodSearchOptions po;
      po.step_seconds = fill->step;
      auto periods = forecaster::find_periods(y, po);
      if (!periods) return fail(periods.error().to_string());
      for (const auto& p : *periods) found_periods.push_back(p.period);
      s = found_periods.empty() ? 0 : found_periods.front();
      std::fputs(
          fmt::format("promcast forecast: --period auto: {}\n",
                      s == 0 ? std::string("no significant seasonal period; non-seasonal model")
                             : fmt::format("period {} (all found: {})", s, fmt::join(found_periods, ", ")))
              .c_str(),
          stderr);
    } else {
      auto steps = forecaster::duration_in_steps(opt.period_text, fill->step);
      if (!steps) return fail(steps.error().message);
      s = *steps;
    }
    if (s == 0) {
      opt.seasonal.reset();
    } else {
      (*opt.seasonal)[3] = s;
    }
  }

  // User exogenous columns.
  const auto h = static_cast<std::size_t>(opt.horizon);
  Eigen::MatrixXd exog(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(opt.exog.size()));
  Eigen::MatrixXd future(static_cast<Eigen::Index>(h), static_cast<Eigen::Index>(opt.exog.size()));
  for (std::size_t j = 0; j < opt.exog.size(); ++j) {
    const std::vector<double>* col = csv->column(opt.exog[j]);
    if (col == nullptr)
      return fail(fmt::format("{}: no exogenous column named '{}'", opt.input, opt.exog[j]));
    for (std::size_t t = 0; t < n; ++t) {
      double x = (*col)[t];
      // A row inserted for a missing time has no value either, so its regressor contributes
      // nothing to the likelihood: any finite number will do.
      if (std::isnan(x) && csv->lines[t] == 0 && std::isnan(y[t])) x = 0.0;
      if (std::isnan(x))
        return fail(fmt::format("{}: exogenous column '{}' is empty", csv->row_location(t), opt.exog[j]));
      exog(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(j)) = x;
    }
    if (future_rows < h)
      return fail(fmt::format(
          "{}: forecasting {} steps with exogenous columns needs {} future rows (empty '{}'), found {}",
          opt.input, h, h, opt.value_column, future_rows));
    for (std::size_t k = 0; k < h; ++k) {
      const double v = (*col)[n + k];
      if (std::isnan(v))
        return fail(fmt::format("{}: future value of exogenous column '{}' is empty",
                                csv->row_location(n + k), opt.exog[j]));
      future(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)) = v;
    }
  }

  forecaster::SarimaxSpec spec;
  spec.exog_names = opt.exog;
  spec.trend = *forecaster::parse_trend(opt.trend);
  std::vector<FourierTerm> fourier = opt.fourier;
  if (opt.order) spec.order = {(*opt.order)[0], (*opt.order)[1], (*opt.order)[2], 0, 0, 0, 0};
  int period = 1;
  if (opt.seasonal) {
    const auto& s = *opt.seasonal;
    period = s[3];
    spec.order.P = s[0];
    spec.order.D = s[1];
    spec.order.Q = s[2];
    spec.order.s = s[3];
    // A season too long for seasonal states (or too few cycles for seasonal differencing) is
    // modelled by Fourier terms instead: documented in docs/forecasting.md.
    if (!opt.automatic && s[3] >= 2 && (s[0] + s[1] + s[2]) > 0 && n < 2 * static_cast<std::size_t>(s[3])) {
      // Fewer than two cycles: not even Fourier coefficients of the season are identifiable.
      std::fputs(fmt::format("promcast forecast: {} points cover fewer than two seasons of {}; ignoring the "
                             "seasonal order\n",
                             n, s[3])
                     .c_str(),
                 stderr);
      spec.order.P = spec.order.D = spec.order.Q = spec.order.s = 0;
    } else if (!opt.automatic && s[3] >= 2 && (s[0] + s[1] + s[2]) > 0 &&
               forecaster::prefer_fourier(s[3], static_cast<Eigen::Index>(n))) {
      const int k = std::max(1, std::min(5, (s[3] - 1) / 2));  // K = s/2 has an all-zero sine
      std::fputs(fmt::format("promcast forecast: season {} is too long for seasonal ARIMA on {} points; "
                             "using {} Fourier pairs\n",
                             s[3], n, k)
                     .c_str(),
                 stderr);
      fourier.push_back(FourierTerm{static_cast<double>(s[3]), k});
      // Seasonal differencing also removed the level; without it the model needs a constant.
      if (s[1] > 0 && spec.order.d == 0 && spec.trend == forecaster::Trend::kNone)
        spec.trend = forecaster::Trend::kConstant;
      spec.order.P = spec.order.D = spec.order.Q = spec.order.s = 0;
    }
  }

  std::optional<forecaster::Sarimax> model;
  Eigen::MatrixXd fit_exog = exog, future_exog = future;
  if (opt.automatic) {
    forecaster::AutoArimaOptions ao;
    ao.period = std::max(1, period);
    for (const auto& f : opt.fourier) ao.fourier_periods.push_back(static_cast<int>(std::lround(f.period)));
    for (std::size_t i = 1; i < found_periods.size(); ++i)  // e.g. a weekly cycle next to the daily one
      if (found_periods[i] > ao.period && std::find(ao.fourier_periods.begin(), ao.fourier_periods.end(),
                                                    found_periods[i]) == ao.fourier_periods.end())
        ao.fourier_periods.push_back(found_periods[i]);
    auto chosen = forecaster::auto_arima(y, exog, opt.exog, ao);
    if (!chosen) return fail(chosen.error().to_string());
    future_exog = forecaster::auto_arima_future_exog(*chosen, future, opt.horizon);
    spec = chosen->spec;
    model.emplace(std::move(chosen->model));
  } else {
    if (!fourier.empty()) {
      const Eigen::MatrixXd fx = forecaster::fourier_matrix(fourier, 0, static_cast<Eigen::Index>(n));
      const Eigen::MatrixXd ff =
          forecaster::fourier_matrix(fourier, static_cast<Eigen::Index>(n), opt.horizon);
      fit_exog.conservativeResize(Eigen::NoChange, exog.cols() + fx.cols());
      fit_exog.rightCols(fx.cols()) = fx;
      future_exog.conservativeResize(Eigen::NoChange, future.cols() + ff.cols());
      future_exog.rightCols(ff.cols()) = ff;
      for (const auto& name : forecaster::fourier_names(fourier)) spec.exog_names.push_back(name);
    }
    auto fitted = forecaster::Sarimax::fit(spec, y, fit_exog);
    if (!fitted) return fail(fitted.error().to_string());
    model.emplace(std::move(*fitted));
  }
  const auto& fit = model->result();
  // A stalled optimizer may leave a much worse optimum: say so where a person reads, not only in JSON.
  if (!fit.converged)
    std::fputs(fmt::format("promcast forecast: warning: the estimation of {} did not converge after {} "
                           "iterations; the estimates and forecasts may be far from the maximum likelihood\n",
                           fit.spec.describe(), fit.iterations)
                   .c_str(),
               stderr);
  auto fc = model->forecast(opt.horizon, future_exog, opt.levels);
  if (!fc) return fail(fc.error().to_string());

  std::vector<std::string> stamps;
  for (std::size_t k = 0; k < h; ++k) {
    const std::size_t row = n + k;
    stamps.push_back(
        csv->format_time(row < csv->rows() ? csv->times[row] : csv->time_after_last(row + 1 - csv->rows())));
  }

  const auto lb = forecaster::residual_ljung_box(fit);

  std::string out;
  if (opt.format == "csv") {
    out += "step,timestamp,mean";
    for (double l : opt.levels) out += fmt::format(",lower_{0},upper_{0}", level_name(l));
    out += '\n';
    for (std::size_t k = 0; k < h; ++k) {
      out += fmt::format("{},{},{}", k + 1, stamps[k], fc->mean[k]);
      for (std::size_t l = 0; l < opt.levels.size(); ++l)
        out += fmt::format(",{},{}", fc->lower[l][k], fc->upper[l][k]);
      out += '\n';
    }
  } else {
    const auto& o = fit.spec.order;
    json::Json doc;
    doc["model"] = {{"order", {o.p, o.d, o.q}},
                    {"seasonal_order", {o.P, o.D, o.Q, o.s}},
                    {"trend", forecaster::to_string(fit.spec.trend)},
                    {"exog", fit.spec.exog_names},
                    {"description", fit.spec.describe()}};
    // Built apart and then moved in: an ordered_json object is a vector, so references into it do not
    // survive the next key.
    json::Json params = json::Json::object();
    json::Json std_errors = json::Json::object();
    for (std::size_t i = 0; i < fit.params.size(); ++i) {
      params[fit.param_names[i]] = json_number(fit.params[i]);
      std_errors[fit.param_names[i]] = json_number(fit.std_errors[i]);
    }
    doc["params"] = std::move(params);
    doc["std_errors"] = std::move(std_errors);
    doc["loglik"] = json_number(fit.loglik);
    doc["aic"] = json_number(fit.aic);
    doc["aicc"] = json_number(fit.aicc);
    doc["bic"] = json_number(fit.bic);
    doc["nobs"] = fit.nobs_effective;
    doc["sigma2"] = json_number(fit.sigma2);
    doc["converged"] = fit.converged;
    if (lb)
      doc["ljung_box"] = {{"lags", lb->lags},
                          {"df", lb->df},
                          {"statistic", json_number(lb->statistic)},
                          {"p_value", json_number(lb->p_value)}};
    json::Json rows = json::Json::array();
    for (std::size_t k = 0; k < h; ++k) {
      json::Json row = {{"step", k + 1}, {"timestamp", stamps[k]}, {"mean", json_number(fc->mean[k])}};
      for (std::size_t l = 0; l < opt.levels.size(); ++l) {
        row["lower_" + level_name(opt.levels[l])] = json_number(fc->lower[l][k]);
        row["upper_" + level_name(opt.levels[l])] = json_number(fc->upper[l][k]);
      }
      rows.push_back(std::move(row));
    }
    doc["forecast"] = std::move(rows);
    out = json::dump(doc, 2) + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace promcast::app
