// Rolling-origin forecast accuracy of promcast's automatic model on the NAB ops series, beside the
// seasonal-naive forecast (docs/quality.md, "Forecast accuracy"; R's models: bench/forecast_accuracy.R).
//
//   forecast_accuracy --data DIR --out DIR [--origins N] [--series SUBSTR]
//
// Every CSV under DIR/data/<group>/ whose group is realAWSCloudwatch or artificial* (NAB layout,
// 5-minute steps) is placed on its 5-minute grid and replayed by `promcast backtest`'s replay with
// the rule of bench/forecast_accuracy.h (order: auto, seasonal period 1d = 288 steps, history 7d,
// horizons 1h, 6h, 1d, intervals 80% and 95%) at the latest N origins (default 7) a day apart.
// Writes to --out: series/<name>.csv (the grid, one value per line, NA for a gap: R's input),
// origins.csv (series, origin index, "ok" or why promcast had no forecast there) and accuracy.csv
// (method, series, horizon, n, mase, smape, cov80, cov95; horizon "all" pools leads 1..288), and
// prints per-series and pooled figures. --exclude R_ORIGINS leaves out the origins where one of
// R's methods failed (bench/forecast_accuracy.R's r_origins.csv). --variant V: see set_variant().
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <expected>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/csv_input.h"
#include "bench/forecast_accuracy.h"
#include "forecaster/auto_arima.h"

namespace {

namespace fs = std::filesystem;
using promcast::app::AccuracyPair;
using promcast::forecaster::Accuracy;

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : "NA"; }

void write_rows(std::ofstream& out, const std::string& series, const std::string& horizon,
                const AccuracyPair& pair) {
  for (const auto& [method, sum] :
       {std::pair{"promcast", &pair.model}, std::pair{"snaive", &pair.baseline}}) {
    const Accuracy a = sum->result();
    out << fmt::format("{},{},{},{},{},{},{},{}\n", method, series, horizon, a.n, number(a.mase),
                       number(a.smape), number(a.coverage.at(0)), number(a.coverage.at(1)));
  }
}

std::string figures(const AccuracyPair& pair) {
  const Accuracy m = pair.model.result(), b = pair.baseline.result();
  return fmt::format("{:>6} {:>7.3f} {:>7.2f} {:>5.3f} {:>5.3f} | {:>7.3f} {:>7.2f} {:>5.3f} {:>5.3f}", m.n,
                     m.mase, m.smape, m.coverage.at(0), m.coverage.at(1), b.mase, b.smape, b.coverage.at(0),
                     b.coverage.at(1));
}

// NAB's timestamp,value rows. Not app::read_csv_series: two files repeat a timestamp (11 rows each),
// which that reader rejects; to_grid keeps the later value, as the rule engine's windows would.
std::expected<std::pair<std::vector<double>, std::vector<double>>, std::string> read_nab(
    const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  std::pair<std::vector<double>, std::vector<double>> out;
  for (int number = 2; std::getline(in, line); ++number) {
    const auto comma = line.find(',');
    if (comma == std::string::npos)
      return std::unexpected(fmt::format("{}:{}: no comma", file.string(), number));
    auto t = promcast::app::parse_rfc3339(line.substr(0, comma));
    if (!t) return std::unexpected(fmt::format("{}:{}: {}", file.string(), number, t.error().message));
    out.first.push_back(*t);
    out.second.push_back(std::strtod(line.c_str() + comma + 1, nullptr));
  }
  return out;
}

// --variant: the automatic search called directly (not through the rule engine) with changed options,
// to see whether a simpler choice forecasts better out of sample. Same windows, origins and figures;
// the fit is on the whole window (the rule engine fits all but the newest point and filters that in).
namespace fc = promcast::forecaster;

bool set_variant(const std::string& name, fc::AutoArimaOptions& o) {
  if (name == "search") return true;  // the defaults: the direct loop's own reference
  if (name == "pq2")
    o.max_p = o.max_q = 2;
  else if (name == "pq1")
    o.max_p = o.max_q = 1;
  else if (name == "k2")
    o.max_harmonics = 2;
  else if (name == "k5")  // R's usual bound, the default before cf0355f
    o.max_harmonics = 5;
  else if (name == "k10")
    o.max_harmonics = 10;
  else if (name == "d0")
    o.d = 0;
  else if (name == "d0pq2") {
    o.d = 0;
    o.max_p = o.max_q = 2;
  } else
    return false;
  return true;
}

struct VariantResult {
  std::vector<AccuracyPair> horizons;
  AccuracyPair all;
  std::size_t forecasts = 0;
  std::string model;
};

VariantResult evaluate_variant(const std::vector<double>& grid, const promcast::bench::AccuracyPlan& plan,
                               const std::string& variant) {
  VariantResult out{std::vector<AccuracyPair>(plan.horizons.size(), AccuracyPair(2)), AccuracyPair(2), 0, {}};
  const int longest = *std::max_element(plan.horizons.begin(), plan.horizons.end());
  const std::vector<double> percents{80, 95};
  for (long long c : promcast::bench::accuracy_origins(grid.size(), plan)) {
    std::vector<double> window(static_cast<std::size_t>(plan.history), std::nan(""));
    for (int i = 0; i < plan.history; ++i) {
      const long long k = c - plan.history + 1 + i;
      if (k >= 0) window[static_cast<std::size_t>(i)] = grid[static_cast<std::size_t>(k)];
    }
    fc::AutoArimaOptions o;
    o.period = plan.period;
    set_variant(variant, o);
    const Eigen::MatrixXd none(static_cast<Eigen::Index>(window.size()), 0);
    auto r = fc::auto_arima(window, none, {}, o);
    if (!r) continue;
    auto f = r->model.forecast(longest, fc::auto_arima_future_exog(*r, Eigen::MatrixXd(longest, 0), longest),
                               percents);
    if (!f) continue;
    ++out.forecasts;
    out.model = r->spec.describe();
    const double scale = fc::seasonal_naive_scale(window, plan.period);
    const fc::NaiveForecast naive = fc::seasonal_naive(window, plan.period, longest, percents);
    for (int k = 1; k <= longest; ++k) {
      const auto ks = static_cast<std::size_t>(k - 1);
      const double actual = grid[static_cast<std::size_t>(c + k)];
      const std::vector<double> lo{f->lower[0][ks], f->lower[1][ks]}, hi{f->upper[0][ks], f->upper[1][ks]};
      const std::vector<double> nlo{naive.lower[0][ks], naive.lower[1][ks]},
          nhi{naive.upper[0][ks], naive.upper[1][ks]};
      auto add = [&](AccuracyPair& a) {
        a.model.add(actual, f->mean[ks], lo, hi, scale);
        a.baseline.add(actual, naive.mean[ks], nlo, nhi, scale);
      };
      add(out.all);
      for (std::size_t j = 0; j < plan.horizons.size(); ++j)
        if (plan.horizons[j] == k) add(out.horizons[j]);
    }
  }
  return out;
}

// --exclude: bench/forecast_accuracy.R's r_origins.csv ("series",origin,"<pick or error: ...>" per
// method); an origin where some R method failed is left out, so every method is scored on the same
// forecasts.
std::expected<std::set<std::pair<std::string, long long>>, std::string> read_exclusions(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected(path + ": cannot be read");
  std::set<std::pair<std::string, long long>> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.find(",error:") == std::string::npos && line.find(",\"error:") == std::string::npos) continue;
    const auto first = line.find(',');
    const auto second = line.find(',', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      return std::unexpected(path + ": bad row " + line);
    std::string series = line.substr(0, first);
    std::erase(series, '"');
    out.emplace(series, std::stoll(line.substr(first + 1, second - first - 1)));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir, out_dir, only, variant, exclude_file;
  promcast::bench::AccuracyPlan plan;
  plan.min_history = 864;  // three days: the short iio series (1,243 points) keeps one origin
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", a);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data")
      data_dir = value();
    else if (a == "--out")
      out_dir = value();
    else if (a == "--origins")
      plan.max_origins = std::stoul(value());
    else if (a == "--series")
      only = value();
    else if (a == "--variant")
      variant = value();
    else if (a == "--exclude")
      exclude_file = value();
    else {
      fmt::print(stderr,
                 "usage: forecast_accuracy --data DIR --out DIR [--origins N] [--series SUBSTR] [--variant "
                 "V] [--exclude R_ORIGINS_CSV]\n");
      return 2;
    }
  }
  fc::AutoArimaOptions probe;
  if (!variant.empty() && !set_variant(variant, probe)) {
    fmt::print(stderr, "unknown variant {} (search, pq2, pq1, k2, k5, k10, d0, d0pq2)\n", variant);
    return 2;
  }
  if (data_dir.empty() || out_dir.empty()) {
    fmt::print(stderr, "--data and --out are required\n");
    return 2;
  }
  std::set<std::pair<std::string, long long>> excluded;
  if (!exclude_file.empty()) {
    auto e = read_exclusions(exclude_file);
    if (!e) {
      fmt::print(stderr, "{}\n", e.error());
      return 2;
    }
    excluded = std::move(*e);
  }
  std::vector<fs::path> files;
  for (const auto& group : fs::directory_iterator(fs::path(data_dir) / "data")) {
    const std::string g = group.path().filename().string();
    if (g != "realAWSCloudwatch" && g.rfind("artificial", 0) != 0) continue;
    for (const auto& f : fs::directory_iterator(group.path()))
      if (f.path().extension() == ".csv" && f.path().filename().string().find(only) != std::string::npos)
        files.push_back(f.path());
  }
  std::sort(files.begin(), files.end());
  fs::create_directories(fs::path(out_dir) / "series");
  const std::string suffix = variant.empty() ? "" : "_" + variant;
  std::ofstream origins_csv(fs::path(out_dir) / ("origins" + suffix + ".csv")),
      accuracy_csv(fs::path(out_dir) / ("accuracy" + suffix + ".csv"));
  origins_csv << "series,origin,promcast\n";
  accuracy_csv << "method,series,horizon,n,mase,smape,cov80,cov95\n";

  std::vector<AccuracyPair> horizons(plan.horizons.size(), AccuracyPair(plan.levels.size()));
  AccuracyPair all(plan.levels.size());
  fmt::print(
      "{:<42} {:>5} {:>6} | promcast: {:>5} {:>7} {:>5} {:>5} | snaive: {:>5} {:>7} {:>5} {:>5}  wall s  "
      "model\n",
      "series", "cuts", "n", "MASE", "sMAPE", "c80", "c95", "MASE", "sMAPE", "c80", "c95");
  for (const fs::path& file : files) {
    const std::string name = file.stem().string();
    auto rows = read_nab(file);
    if (!rows) {
      fmt::print(stderr, "{}\n", rows.error());
      return 1;
    }
    const std::vector<double> grid = promcast::bench::to_grid(rows->first, rows->second, 300.0);
    {
      std::ofstream out(fs::path(out_dir) / "series" / (name + ".csv"));
      for (double v : grid) out << number(v) << '\n';
    }
    const auto start = std::chrono::steady_clock::now();
    if (!variant.empty()) {
      const VariantResult v = evaluate_variant(grid, plan, variant);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (std::size_t j = 0; j < plan.horizons.size(); ++j) {
        write_rows(accuracy_csv, name, std::to_string(plan.horizons[j]), v.horizons[j]);
        horizons[j].merge(v.horizons[j]);
      }
      write_rows(accuracy_csv, name, "all", v.all);
      all.merge(v.all);
      fmt::print("{:<42} {:>5} {}  {:>5.1f}  {}\n", name, v.forecasts, figures(v.all), seconds, v.model);
      std::fflush(stdout);
      continue;
    }
    std::vector<long long> origins;
    for (long long c : promcast::bench::accuracy_origins(grid.size(), plan))
      if (!excluded.contains({name, c})) origins.push_back(c);
    if (origins.empty()) continue;
    const promcast::bench::SeriesAccuracy s = promcast::bench::evaluate_series(grid, plan, origins);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (long long c : origins) {
      std::string state = "ok";
      for (const auto& [o, why] : s.skipped)
        if (o == c) state = why;
      std::replace(state.begin(), state.end(), '"', '\'');
      origins_csv << fmt::format("{},{},\"{}\"\n", name, c, state);
    }
    if (s.forecast.empty()) {
      fmt::print("{:<42} no forecast: {}\n", name, s.skipped.front().second);
      continue;
    }
    for (std::size_t j = 0; j < plan.horizons.size(); ++j) {
      write_rows(accuracy_csv, name, std::to_string(plan.horizons[j]), s.horizons[j]);
      horizons[j].merge(s.horizons[j]);
    }
    write_rows(accuracy_csv, name, "all", s.all);
    all.merge(s.all);
    fmt::print("{:<42} {:>2}/{:<2} {}  {:>5.1f}  {}\n", name, s.forecast.size(), origins.size(),
               figures(s.all), seconds, s.model);
    std::fflush(stdout);
  }
  fmt::print("\npooled over every series (leads: MASE, sMAPE, 80% and 95% coverage | seasonal naive)\n");
  for (std::size_t j = 0; j < plan.horizons.size(); ++j)
    fmt::print("h = {:<4} {}\n", plan.horizons[j], figures(horizons[j]));
  fmt::print("all      {}\n", figures(all));
  return 0;
}
