#pragma once
// SARIMAX(p,d,q)(P,D,Q,s) with a trend and exogenous regressors, as statsmodels' SARIMAX defines it
// (regression with SARIMA errors, mle_regression=True, differencing inside the state vector,
// exact diffuse initialization of the differencing states, scale concentrated out).
//
//   y_t = x_t' beta + u_t,   phi(L) Phi(L^s) (1-L)^d (1-L^s)^D u_t = A(t) + theta(L) Theta(L^s) e_t
//
// A(t) is the trend polynomial (intercept, drift * t with t = 1, 2, ...), e_t ~ N(0, sigma2).
// Parameters are always given and reported in statsmodels' order and with its names:
//   intercept, drift, <exog names>, ar.L1.., ma.L1.., ar.S.L<s>.., ma.S.L<s>.., sigma2
#include <Eigen/Core>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "forecaster/stat_tests.h"

namespace promcast::forecaster {

/// Deterministic trend of the (differenced) ARMA equation: "n", "c", "t", "ct".
enum class Trend { kNone, kConstant, kLinear, kConstantLinear };

/// Parses "n", "c", "t" or "ct".
std::expected<Trend, Error> parse_trend(std::string_view text);
/// "n", "c", "t" or "ct".
std::string_view to_string(Trend trend);

/// Orders of the model; s = 0 (or P = D = Q = 0) means no seasonal part.
struct SarimaxOrder {
  int p = 0, d = 0, q = 0;
  int P = 0, D = 0, Q = 0, s = 0;
};

/// What to fit: orders, trend and the names of the exogenous columns (one per column).
struct SarimaxSpec {
  SarimaxOrder order;
  Trend trend = Trend::kNone;
  std::vector<std::string> exog_names;

  /// statsmodels' parameter names in order, sigma2 last.
  [[nodiscard]] std::vector<std::string> param_names() const;
  /// Number of parameters including sigma2 (statsmodels' k_params, used by AIC/AICc/BIC).
  [[nodiscard]] int k_params() const;
  /// Rejects negative orders, seasonal orders without s >= 2, absurd sizes.
  [[nodiscard]] std::expected<void, Error> validate() const;
  /// "SARIMAX(p,d,q)(P,D,Q,s) trend=c exog=[...]" for messages and JSON.
  [[nodiscard]] std::string describe() const;
};

/// Estimation knobs. Defaults are tight enough to match statsmodels/R to 1e-6 in loglik.
struct FitOptions {
  int max_iterations = 500;
  /// L-BFGS stops when the relative decrease of -loglik/n over one iteration falls below this.
  double tolerance = 1e-10;
  /// Optional start (statsmodels order, with or without sigma2); empty = CSS / Hannan-Rissanen.
  std::vector<double> start_params;
  /// Optional warm start (statsmodels order, sigma2 optional), e.g. a neighbouring model's or a
  /// conditional-sum-of-squares estimate. Only its ARMA part is used, in place of the
  /// Hannan-Rissanen start (and, like it, only when it beats ARMA at zero); unlike start_params it
  /// keeps the trend and regression coefficients profiled out. Ignored when start_params is given.
  std::vector<double> warm_start;
  /// When L-BFGS does not converge: a Nelder-Mead simplex, then L-BFGS again (slow but thorough).
  /// auto_arima's search turns it off for its many candidate fits and keeps it for the final one.
  bool simplex_fallback = true;
  /// Standard errors from the numerical Hessian of the loglik (statsmodels' cov_type="approx").
  bool standard_errors = true;
  /// Asked after every optimizer iteration with the current ARMA estimate (ar, ma, seasonal ar,
  /// seasonal ma, as in params); true abandons the fit, which then fails. auto_arima's refits stop
  /// fits heading for a root its admissibility check would reject, instead of following them there.
  std::function<bool(std::span<const double> arma)> abandon;
  /// Forward-difference gradients (MinimizeOptions::forward_differences): half the likelihood
  /// evaluations per iteration, a slightly blunter optimum. auto_arima's refits use it; its final
  /// fit, started from the refit's estimate, does not.
  bool forward_differences = false;
};

/// The estimated model: everything a caller reports. Vectors over time have the input's length.
struct SarimaxFit {
  SarimaxSpec spec;
  std::vector<std::string> param_names;
  std::vector<double> params;      ///< statsmodels order, sigma2 last
  std::vector<double> std_errors;  ///< NaN where the Hessian was not usable
  double loglik = 0;    ///< statsmodels' exact diffuse loglik (log 2 pi counted for every observation)
  double loglik_r = 0;  ///< the same on R's arima scale: + nobs_diffuse * log(2 pi) / 2
  /// Information criteria on R's scale (comparable with auto.arima): from loglik_r, with k =
  /// k_params (sigma2 included) and n = nobs_effective. statsmodels' own aic would add d + D s to k.
  double aic = 0, aicc = 0, bic = 0;
  int nobs = 0;            ///< number of time points (statsmodels' nobs)
  int nobs_effective = 0;  ///< non-missing observations after the diffuse period
  int nobs_diffuse = 0;    ///< non-missing observations consumed by the diffuse period
  double sigma2 = 0;
  bool converged = false;
  int iterations = 0;
  /// Time steps of the diffuse period (d + D s for gap-free data). fitted and residuals there are
  /// the diffuse filter's, as statsmodels reports them (crude: the first prediction is the prior
  /// mean); statistics of the residuals, such as Ljung-Box, should start after them.
  int diffuse_steps = 0;
  std::vector<double> fitted;     ///< one-step-ahead predictions E[y_t | y_1..t-1], also where y is NaN
  std::vector<double> residuals;  ///< y - fitted (NaN where y is NaN)
  std::vector<double>
      standardized_residuals;  ///< residual / sqrt(F_t * sigma2); NaN where y is NaN or diffuse
  /// Time index of fitted[0], residuals[0] and standardized_residuals[0]: 0 unless a history limit
  /// (Sarimax::limit_history) dropped older points.
  int history_start = 0;
};

/// Point forecasts and central prediction intervals, original scale.
struct Forecast {
  std::vector<double> mean;                       ///< one per step
  std::vector<double> std_err;                    ///< standard deviation of the forecast error
  std::vector<double> levels;                     ///< e.g. 80, 95 (percent)
  std::vector<std::vector<double>> lower, upper;  ///< [level index][step]
};

/// A fitted SARIMAX model holding its filter state, so it can forecast and absorb new points.
class Sarimax {
 public:
  /// Fits by exact maximum likelihood. y may contain NaN (skipped); exog is n x k (k = exog_names.size()).
  static std::expected<Sarimax, Error> fit(const SarimaxSpec& spec, std::span<const double> y,
                                           const Eigen::MatrixXd& exog, const FitOptions& options = {});
  /// Builds the model at given parameters (statsmodels order, sigma2 last; with fewer values sigma2
  /// is concentrated out) and runs the filter, without estimating anything. `first_time` places y[0]
  /// on the time axis of the fit the parameters came from (as in filter()), so that a drift continues
  /// where it was; exog's rows must be those of the same times. Later forecasts and updates follow on.
  static std::expected<Sarimax, Error> from_params(const SarimaxSpec& spec, std::span<const double> y,
                                                   const Eigen::MatrixXd& exog,
                                                   std::span<const double> params, long first_time = 0);

  [[nodiscard]] const SarimaxFit& result() const { return fit_; }

  /// h-step forecasts after the last observation. future_exog is h x k (ignored when k = 0);
  /// levels in percent, each in (0, 100).
  [[nodiscard]] std::expected<Forecast, Error> forecast(int horizon, const Eigen::MatrixXd& future_exog,
                                                        std::span<const double> levels) const;

  /// Extends the filter with new observations (and their exog rows) without re-estimating; later
  /// forecasts start after them. loglik and residuals are extended accordingly.
  std::expected<void, Error> update(std::span<const double> y_new, const Eigen::MatrixXd& exog_new);

  /// Keeps only the last `points` fitted values, residuals and standardized residuals, now and after
  /// every update() (result().history_start says which time fitted[0] is), so that a model absorbing
  /// points for weeks holds a bounded amount of memory (the rule engine keeps none and charts through
  /// filter()). Forecasts, loglik and the criteria are those of the unbounded model.
  void limit_history(std::size_t points);

  /// One-step predictions of this model (its parameters and sigma2, nothing re-estimated) over other
  /// observations: y[i] is the value at time first_time + i on this model's time axis (the fit's first
  /// observation is time 0, so trend and regressors continue from there; exog has one row per y),
  /// filtered from a fresh diffuse start as in a fit. The result's vectors over time have y's length
  /// and diffuse_steps counts from y's start; loglik and criteria are those of y at these parameters.
  /// For charts of a model whose history is limited.
  [[nodiscard]] std::expected<SarimaxFit, Error> filter(std::span<const double> y,
                                                        const Eigen::MatrixXd& exog, long first_time) const;

  Sarimax(Sarimax&&) noexcept;
  Sarimax& operator=(Sarimax&&) noexcept;
  ~Sarimax();

 private:
  struct State;
  Sarimax(SarimaxFit fit, std::unique_ptr<State> state);
  SarimaxFit fit_;
  std::unique_ptr<State> state_;
};

/// Ljung-Box test of a fit's residuals after the diffuse period, with R's checkresiduals() lag choice
/// (min(10, n/5), or min(2 s, n/5) for seasonal models, at least model_df + 3) and model_df = the ARMA
/// coefficients. Fails when
/// the fit kept too few residuals for the test (see Sarimax::limit_history).
std::expected<LjungBox, Error> residual_ljung_box(const SarimaxFit& fit);

/// Exact diffuse loglik at the given parameters (statsmodels order). With sigma2 last it is used as
/// given; without it the scale is concentrated out (statsmodels' concentrate_scale=True).
std::expected<double, Error> sarimax_loglik(const SarimaxSpec& spec, std::span<const double> y,
                                            const Eigen::MatrixXd& exog, std::span<const double> params);

}  // namespace promcast::forecaster
