// auto_arima at rule-engine scale: CPU seconds per series of the default search (CSS-approximate
// scoring, exact refit of the best few) and, with --exact, of the exhaustive exact search
// (every candidate fitted by exact ML), plus the exact AICc of both picks.
//
//   auto_arima_search [--hourly N] [--fivemin N] [--nab DIR] [--exact] [--refits K] [--max-exact-refits R]
//                     [--max-order M] [--refit-iterations I] [--write-series DIR]
//                     [--only hourly|fivemin] [--series SUBSTR] [--candidates] [--central-refits]
//
// Series: N seeded synthetic hourly series (700-1000 points, period 24, seasonal ARIMA-like),
// N seeded synthetic 5-minute ops-like series (4032 points, period 288: the Fourier path), and
// the CSV files under DIR (NAB layout: data/<group>/<file>.csv, 5-minute steps, period 288,
// at most the first 4032 points). --write-series writes every series as <DIR>/<name>.csv
// (one value per line) for bench/auto_arima_search.R. CPU time is the calling thread's
// (CLOCK_THREAD_CPUTIME_ID), so a shared machine's load changes it less than wall time.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/csv_input.h"
#include "forecaster/auto_arima.h"
#include "forecaster/polynomial.h"

namespace {

using namespace promcast::forecaster;

struct Series {
  std::string name;
  std::vector<double> y;
  int period = 1;
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// phi(L) Phi(L^s) (1-L)^d (1-L^s)^D y_t = theta(L) Theta(L^s) e_t, after a burn-in of 5 seasons.
std::vector<double> simulate(std::mt19937_64& rng, int n, int s, const std::vector<double>& phi,
                             const std::vector<double>& theta, const std::vector<double>& sphi,
                             const std::vector<double>& stheta, int d, int D, double sd) {
  const Eigen::VectorXd ar =
      poly_mul(poly_mul(ar_polynomial(phi, 1), ar_polynomial(sphi, s)), differencing_polynomial(d, D, s));
  const Eigen::VectorXd ma = poly_mul(ma_polynomial(theta, 1), ma_polynomial(stheta, s));
  std::normal_distribution<double> noise(0.0, sd);
  const int burn = 5 * s;
  std::vector<double> y(static_cast<std::size_t>(n + burn), 0.0), e(y.size(), 0.0);
  for (int t = 0; t < n + burn; ++t) {
    e[t] = noise(rng);
    double v = 0.0;
    for (Eigen::Index k = 0; k < ma.size() && k <= t; ++k) v += ma[k] * e[t - k];
    for (Eigen::Index k = 1; k < ar.size() && k <= t; ++k) v -= ar[k] * y[t - k];
    y[t] = v;
  }
  return {y.begin() + burn, y.end()};
}

std::vector<Series> hourly(int count) {
  std::vector<Series> out;
  for (int i = 0; i < count; ++i) {
    std::mt19937_64 rng(1000 + i);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const int n = 700 + static_cast<int>(u(rng) * 300);
    const double sd = 1.0 + 9.0 * u(rng);
    std::vector<double> y;
    switch (i % 4) {
      case 0:  // seasonal AR around a level
        y = simulate(rng, n, 24, {0.2 + 0.6 * u(rng)}, {}, {0.3 + 0.5 * u(rng)}, {}, 0, 0, sd);
        break;
      case 1:  // airline
        y = simulate(rng, n, 24, {}, {-0.2 - 0.4 * u(rng)}, {}, {-0.4 - 0.4 * u(rng)}, 1, 1, sd);
        break;
      case 2:  // ARMA(1,1) errors, seasonal difference, seasonal MA
        y = simulate(rng, n, 24, {0.3 + 0.6 * u(rng)}, {-0.4 + 0.8 * u(rng)}, {}, {-0.3 - 0.5 * u(rng)}, 0, 1,
                     sd);
        break;
      default: {  // a fixed daily profile plus AR(2) noise
        y = simulate(rng, n, 24, {0.3 + 0.3 * u(rng), 0.2 * u(rng)}, {}, {}, {}, 0, 0, sd);
        const double a1 = 5 * sd * u(rng), a2 = 2 * sd * u(rng), ph = 2 * std::numbers::pi * u(rng);
        for (int t = 0; t < n; ++t)
          y[t] += a1 * std::sin(2 * std::numbers::pi * t / 24 + ph) +
                  a2 * std::cos(4 * std::numbers::pi * t / 24);
        break;
      }
    }
    for (double& v : y) v += 100.0;
    out.push_back(Series{fmt::format("hourly_{:02d}", i), std::move(y), 24});
  }
  return out;
}

std::vector<Series> fivemin(int count) {
  std::vector<Series> out;
  for (int i = 0; i < count; ++i) {
    std::mt19937_64 rng(5000 + i);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const int n = 4032;
    const double sd = 0.5 + 2.0 * u(rng);
    std::vector<double> y =
        simulate(rng, n, 1, {0.3 + 0.65 * u(rng)}, {-0.3 + 0.6 * u(rng)}, {}, {}, 0, 0, sd);
    const double day = 5 * sd * (0.2 + u(rng)), peak = 4 * sd * u(rng), drift = (u(rng) - 0.5) * 2e-3 * sd;
    std::exponential_distribution<double> spike(1.0);
    for (int t = 0; t < n; ++t) {
      const double phase = 2 * std::numbers::pi * (t % 288) / 288.0;
      const double hour = (t % 288) / 12.0;
      y[t] += 40 + day * std::sin(phase - 1.2) + (hour >= 9 && hour < 17 ? peak : 0.0) + drift * t;
      if (u(rng) < 0.002) y[t] += 8 * sd * spike(rng);  // ops spikes
    }
    out.push_back(Series{fmt::format("fivemin_{:02d}", i), std::move(y), 288});
  }
  return out;
}

std::vector<Series> nab(const std::string& dir) {
  std::vector<Series> out;
  if (dir.empty()) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().extension() == ".csv") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto csv = promcast::app::read_csv_series(f.string());
    if (!csv) continue;
    (void)promcast::app::regularize_times(*csv);  // scrape gaps become NaN rows
    const auto* col = csv->column("value");
    if (col == nullptr) continue;
    std::vector<double> y(col->begin(), col->begin() + std::min<std::ptrdiff_t>(4032, std::ssize(*col)));
    if (y.size() < 3 * 288) continue;
    out.push_back(Series{f.parent_path().filename().string() + "/" + f.stem().string(), std::move(y), 288});
  }
  return out;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string describe(const AutoArimaResult& r) {
  const auto& o = r.spec.order;
  std::string s = fmt::format("({},{},{})", o.p, o.d, o.q);
  if (o.P + o.D + o.Q > 0) s += fmt::format("({},{},{})[{}]", o.P, o.D, o.Q, o.s);
  if (r.spec.trend == Trend::kConstant) s += "+c";
  for (const auto& f : r.fourier) s += fmt::format("+F{}:{}", f.period, f.harmonics);
  return s;
}

// Every candidate a search scored, in search order (--candidates): where an approximate search's
// path left the exhaustive one.
void print_candidates(std::string_view search, const std::vector<AutoArimaCandidate>& all) {
  for (const auto& c : all) {
    std::string f;
    for (const auto& t : c.fourier) f += fmt::format("+F{}:{}", t.period, t.harmonics);
    fmt::print("  {:<10} ({},{},{})({},{},{})[{}]{}{} {:>12.2f}{}\n", search, c.order.p, c.order.d, c.order.q,
               c.order.P, c.order.D, c.order.Q, c.order.s, c.constant ? "+c" : "", f, c.ic,
               c.approximate ? " approx" : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int n_hourly = 40, n_fivemin = 12, refits = 3, max_order = 0, refit_iterations = 100, max_exact_refits = -1;
  bool exact = false, standard_errors = true, candidates = false, central_refits = false;
  std::string nab_dir, write_dir, only, pick;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--hourly") {
      n_hourly = std::stoi(next());
    } else if (a == "--fivemin") {
      n_fivemin = std::stoi(next());
    } else if (a == "--nab") {
      nab_dir = next();
    } else if (a == "--no-standard-errors") {
      standard_errors = false;
    } else if (a == "--exact") {
      exact = true;
    } else if (a == "--refits") {
      refits = std::stoi(next());
    } else if (a == "--max-exact-refits") {
      max_exact_refits = std::stoi(next());
    } else if (a == "--max-order") {
      max_order = std::stoi(next());
    } else if (a == "--write-series") {
      write_dir = next();
    } else if (a == "--only") {
      only = next();
    } else if (a == "--refit-iterations") {
      refit_iterations = std::stoi(next());
    } else if (a == "--series") {
      pick = next();
    } else if (a == "--central-refits") {
      central_refits = true;
    } else if (a == "--candidates") {
      candidates = true;
    } else {
      fmt::print(stderr, "unknown argument {}\n", a);
      return 2;
    }
  }
  std::vector<Series> all;
  if (only.empty() || only == "hourly")
    for (auto& s : hourly(n_hourly)) all.push_back(std::move(s));
  if (only.empty() || only == "fivemin") {
    for (auto& s : fivemin(n_fivemin)) all.push_back(std::move(s));
    for (auto& s : nab(nab_dir)) all.push_back(std::move(s));
  }
  if (!pick.empty())
    std::erase_if(all, [&](const Series& s) { return s.name.find(pick) == std::string::npos; });
  if (!write_dir.empty()) {
    std::filesystem::create_directories(write_dir);
    for (const auto& s : all) {
      std::string file = s.name;
      std::replace(file.begin(), file.end(), '/', '_');
      std::ofstream f(write_dir + "/" + file + ".csv");
      f << "period," << s.period << "\n";
      for (double v : s.y) f << (std::isnan(v) ? std::string("NA") : fmt::format("{}", v)) << "\n";
    }
  }

  std::vector<double> cpu_h, cpu_f, cpu_exact;
  int compared = 0, within = 0, failed = 0;
  fmt::print("{:<44} {:>5} {:>8} {:>12} {:<28} {:>8} {:>12} {:<28} {:>7}\n", "series", "n", "cpu_s", "aicc",
             "pick", "exact_s", "exact_aicc", "exact_pick", "diff");
  for (const auto& s : all) {
    AutoArimaOptions opt;
    opt.period = s.period;
    opt.approximation_refits = refits;
    opt.stepwise_max_order = max_order;
    opt.refit_max_iterations = refit_iterations;
    opt.refit_forward_differences = !central_refits;
    if (max_exact_refits >= 0) opt.max_exact_refits = opt.max_exact_refits_fourier = max_exact_refits;
    opt.fit_options.standard_errors = standard_errors;
    const Eigen::MatrixXd none(static_cast<Eigen::Index>(s.y.size()), 0);
    const double t0 = cpu_seconds();
    auto fast = auto_arima(s.y, none, {}, opt);
    const double t_fast = cpu_seconds() - t0;
    std::vector<AutoArimaCandidate> exact_candidates;  // kept for --candidates only
    (s.period == 24 ? cpu_h : cpu_f).push_back(t_fast);
    std::string line =
        fmt::format("{:<44} {:>5} {:>8.3f} {:>12.2f} {:<28}", s.name, s.y.size(), t_fast,
                    fast ? fast->ic : NAN, fast ? describe(*fast) : fast.error().message.substr(0, 28));
    if (!fast) ++failed;
    if (fast)
      line += fmt::format(" [css {} pred {} exact {} rej {}{}]", fast->stats.approximate_scores,
                          fast->stats.predicted_rejections, fast->stats.exact_fits,
                          fast->stats.rejected_exact_fits, fast->stats.exhaustive_fallback ? " FALLBACK" : "");
    if (exact) {
      AutoArimaOptions eo = opt;
      eo.approximation = SearchApproximation::kExact;
      eo.stepwise_max_order = 0;
      const double t1 = cpu_seconds();
      auto ref = auto_arima(s.y, none, {}, eo);
      const double t_exact = cpu_seconds() - t1;
      if (ref && candidates) exact_candidates = std::move(ref->candidates);
      cpu_exact.push_back(t_exact);
      double diff = NAN;
      if (fast && ref) {
        diff = fast->ic - ref->ic;
        ++compared;
        within += diff <= 0.5 ? 1 : 0;
      }
      line += fmt::format(" {:>8.3f} {:>12.2f} {:<28} {:>7.2f}", t_exact, ref ? ref->ic : NAN,
                          ref ? describe(*ref) : std::string("failed"), diff);
    }
    fmt::print("{}\n", line);
    if (candidates && fast) print_candidates("search", fast->candidates);
    if (candidates) print_candidates("exhaustive", exact_candidates);
    std::fflush(stdout);
  }
  auto summary = [](const char* what, const std::vector<double>& v) {
    if (!v.empty())
      fmt::print("{}: {} series, CPU s per series median {:.3f}, p95 {:.3f}, max {:.3f}, total {:.1f}\n",
                 what, v.size(), quantile(v, 0.5), quantile(v, 0.95), *std::max_element(v.begin(), v.end()),
                 [&] {
                   double t = 0;
                   for (double x : v) t += x;
                   return t;
                 }());
  };
  fmt::print("\n");
  summary("hourly (m=24)", cpu_h);
  summary("5-minute (m=288, Fourier)", cpu_f);
  summary("exhaustive exact search", cpu_exact);
  if (failed > 0) fmt::print("failed (an error, e.g. a constant series): {}\n", failed);
  if (exact)
    fmt::print("exact AICc of the pick within 0.5 of the exhaustive exact search's: {}/{} ({:.1f}%)\n",
               within, compared, compared > 0 ? 100.0 * within / compared : 0.0);
  return 0;
}
