// SARIMAX benchmarks: the Kalman filter step, one likelihood evaluation, and fit + 24-step forecast
// for the issue-3 cases. statsmodels / R timings of the same cases: bench/compare_sarimax.{py,R}.
// Data: tests/forecaster/fixtures/series/AirPassengers.csv and bench/data/*.csv (seeded, written by
// compare_sarimax.py --make-data).
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "app/csv_input.h"
#include "forecaster/fourier.h"
#include "forecaster/kalman_filter.h"
#include "forecaster/sarimax.h"
#include "forecaster/sarimax_model.h"

namespace {

using namespace promcast::forecaster;

std::vector<double> load(const std::string& relative, bool log_values) {
  auto csv = promcast::app::read_csv_series(std::string(PROMCAST_SOURCE_DIR) + "/" + relative);
  if (!csv) throw std::runtime_error(csv.error().to_string());
  std::vector<double> y = *csv->column("value");
  if (log_values)
    for (auto& v : y) v = std::log(v);
  return y;
}

struct Case {
  SarimaxSpec spec;
  std::vector<double> y;
  Eigen::MatrixXd exog, future;
};

Case airline() {
  Case c;
  c.spec.order = {0, 1, 1, 0, 1, 1, 12};
  c.y = load("tests/forecaster/fixtures/series/AirPassengers.csv", true);
  return c;
}

Case hourly() {
  Case c;
  c.spec.order = {1, 0, 1, 1, 1, 1, 24};
  c.y = load("bench/data/hourly_720.csv", false);
  return c;
}

Case fourier_case() {
  Case c;
  c.spec.order = {2, 0, 1, 0, 0, 0, 0};
  c.spec.trend = Trend::kConstant;
  c.y = load("bench/data/fivemin_4032.csv", false);
  const std::vector<FourierTerm> terms = {{288.0, 3}, {2016.0, 3}};
  c.exog = fourier_matrix(terms, 0, static_cast<Eigen::Index>(c.y.size()));
  c.future = fourier_matrix(terms, static_cast<Eigen::Index>(c.y.size()), 24);
  c.spec.exog_names = fourier_names(terms);
  return c;
}

Case season288() {
  Case c;
  c.spec.order = {1, 0, 1, 0, 1, 1, 288};
  c.y = load("bench/data/fivemin_4032.csv", false);
  return c;
}

// The same with 12 missing points after the first season (single points and a run of 5): the
// regime of real scrapes, where the generic diffuse filter used to be the only exact option.
Case season288_gaps() {
  Case c = season288();
  for (std::size_t g : {300, 777, 1500, 1501, 1502, 1503, 1504, 2222, 3000, 3500, 3900, 4000})
    c.y[g] = std::nan("");
  return c;
}

void fit_and_forecast(benchmark::State& state, const Case& c) {
  const std::vector<double> levels = {80, 95};
  double loglik = 0;
  int iterations = 0;
  for (auto _ : state) {
    auto model = Sarimax::fit(c.spec, c.y, c.exog);
    if (!model) {
      state.SkipWithError(model.error().message.c_str());
      return;
    }
    auto f = model->forecast(24, c.future, levels);
    benchmark::DoNotOptimize(f);
    loglik = model->result().loglik;
    iterations = model->result().iterations;
  }
  state.counters["loglik"] = loglik;
  state.counters["iterations"] = iterations;
}

void BM_FitForecast_Airline(benchmark::State& s) { fit_and_forecast(s, airline()); }
void BM_FitForecast_Sarima24_Hourly720(benchmark::State& s) { fit_and_forecast(s, hourly()); }
void BM_FitForecast_Arima201_Fourier3x2_4032(benchmark::State& s) { fit_and_forecast(s, fourier_case()); }
void BM_FitForecast_Sarima288_4032(benchmark::State& s) { fit_and_forecast(s, season288()); }
BENCHMARK(BM_FitForecast_Airline)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FitForecast_Sarima24_Hourly720)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FitForecast_Arima201_Fourier3x2_4032)->Unit(benchmark::kMillisecond);
void BM_FitForecast_Sarima288_Gaps_4032(benchmark::State& s) { fit_and_forecast(s, season288_gaps()); }
BENCHMARK(BM_FitForecast_Sarima288_4032)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_FitForecast_Sarima288_Gaps_4032)->Unit(benchmark::kMillisecond)->Iterations(1);

// One likelihood evaluation at fixed parameters, by each filter path.
void loglik(benchmark::State& state, const Case& c, std::vector<double> params, bool full_filter) {
  const detail::SarimaxModel model(
      c.spec, Eigen::Map<const Eigen::VectorXd>(c.y.data(), static_cast<Eigen::Index>(c.y.size())), c.exog);
  const auto p = model.split(params);
  for (auto _ : state) {
    auto pass = model.run(p, false, full_filter);
    benchmark::DoNotOptimize(pass.out.sum_v2_f);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(c.y.size()));
}

void BM_Loglik_Airline_Chandrasekhar(benchmark::State& s) { loglik(s, airline(), {-0.4, -0.56}, false); }
void BM_Loglik_Airline_DiffuseFilter(benchmark::State& s) { loglik(s, airline(), {-0.4, -0.56}, true); }
void BM_Loglik_Sarima288_Chandrasekhar(benchmark::State& s) {
  loglik(s, season288(), {0.6, 0.2, -0.8}, false);
}
void BM_Loglik_Sarima288_DiffuseFilter(benchmark::State& s) {
  loglik(s, season288(), {0.6, 0.2, -0.8}, true);
}
BENCHMARK(BM_Loglik_Airline_Chandrasekhar)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Loglik_Airline_DiffuseFilter)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Loglik_Sarima288_Chandrasekhar)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Loglik_Sarima288_DiffuseFilter)->Unit(benchmark::kMillisecond)->Iterations(1);

// The generic filter's cost per observation (one Kalman step) against the state dimension.
void BM_KalmanStep_DiffuseFilter(benchmark::State& state) {
  Case c = airline();
  c.spec.order.s = static_cast<int>(state.range(0));
  std::vector<double> y(static_cast<std::size_t>(4 * c.spec.order.s + 64));
  for (std::size_t t = 0; t < y.size(); ++t)
    y[t] = std::sin(0.1 * static_cast<double>(t)) + 0.01 * static_cast<double>(t % 7);
  const detail::SarimaxModel model(
      c.spec, Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size())),
      Eigen::MatrixXd());
  const auto p = model.split(std::vector<double>{-0.4, -0.5});
  for (auto _ : state) benchmark::DoNotOptimize(model.run(p, false, true).out.sum_v2_f);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(y.size()));
  state.counters["states"] = static_cast<double>(2 * c.spec.order.s + 2);
}
BENCHMARK(BM_KalmanStep_DiffuseFilter)->Arg(12)->Arg(24)->Arg(96)->Unit(benchmark::kMillisecond);

}  // namespace
