#pragma once
// Automatic SARIMA order selection: the stepwise Hyndman-Khandakar (2008) search of R's
// forecast::auto.arima (forecast 8.20 defaults). As R (approximation = TRUE when n > 150 or m > 12),
// long or seasonal series are scored during the search by conditional sum of squares (css.h: one
// O(n) pass per evaluation, warm-started from the neighbouring model) and only the best few
// candidates are refitted by exact maximum likelihood; the chosen model is always an exact fit and
// its criterion exact. With the approximation off every candidate is an exact fit.
//
//   1. D by nsdiffs (seasonal strength > 0.64 by default, or OCSB), d by repeated KPSS (ndiffs),
//      both on the residuals of a regression on the exogenous columns, as R does.
//   2. A constant (statsmodels' "c": the mean when d + D = 0, the drift when d + D = 1) is allowed
//      only when d + D <= 1.
//   3. Start models, then moves of +-1 in p, q, P, Q (and pairs), and the constant toggle, in R's
//      order; a move is taken as soon as it improves the criterion. Models whose AR or MA
//      polynomial has a root within 1.01 of the unit circle are rejected, as in R.
//   4. When the seasonal period is too long for seasonal states (fourier.h's prefer_fourier, or above
//      max_seasonal_arima_period), the season is modelled by Fourier terms instead and the number of
//      harmonics K (<= 10) is chosen by the same criterion: K from a pilot model, the order search
//      at it, then the other K's at the chosen order (every K <= 5, above 5 while one improves), and
//      the climb again at a K that improves on it; after the exact refits, the K's are scored again
//      at the refitted pick's order when it differs.
#include <Eigen/Core>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "forecaster/fourier.h"
#include "forecaster/sarimax.h"
#include "forecaster/stat_tests.h"

namespace promcast::forecaster {

enum class InformationCriterion { kAicc, kAic, kBic };

/// How candidates are scored during the search. kAuto is R's rule: CSS when the series has more
/// than 150 points or the seasonal period m > 12 (after long seasons went to Fourier terms, m is
/// that of the seasonal ARIMA part; Fourier designs on more than 150 points are approximated too).
enum class SearchApproximation { kAuto, kExact, kCss };

struct AutoArimaOptions {
  int period = 1;  ///< seasonal period m (1 = non-seasonal)
  int d = -1;      ///< -1: chosen by ndiffs
  int D = -1;      ///< -1: chosen by nsdiffs
  int max_p = 5, max_q = 5, max_P = 2, max_Q = 2;
  int max_order = 5;  ///< p + q + P + Q bound; R applies it only outside the stepwise search, so do we
  int max_d = 2, max_D = 1;
  int start_p = 2, start_q = 2, start_P = 1, start_Q = 1;
  bool stationary = false;  ///< d = D = 0
  bool seasonal = true;     ///< false: m = 1
  /// AICc by default; with <= 3 points AICc is infinite for the mean model, so AIC (as R).
  InformationCriterion ic = InformationCriterion::kAicc;
  SeasonalTest seasonal_test = SeasonalTest::kStrength;
  double alpha = 0.05;  ///< KPSS level for ndiffs
  bool allow_drift = true;
  bool allow_mean = true;
  int max_models = 94;  ///< R's nmodels
  SearchApproximation approximation = SearchApproximation::kAuto;
  /// With the approximation: the candidates are refitted exactly in the order of their approximate
  /// criterion (as R does) until this many admissible ones are found; the exact criterion picks
  /// among them (R stops at the first).
  int approximation_refits = 3;
  /// ... or until this many exact refits were tried (admissible or not). Only when none of them is
  /// admissible does the search fall back to the exhaustive exact search. R goes down its whole
  /// ranking; 40 reaches an admissible model on every hourly series of bench/auto_arima_search,
  /// where 8 fell back on 7 of 40 (0.6-5.6 s each; see docs/performance.md).
  int max_exact_refits = 40;
  /// The same bound when the season is modelled by Fourier terms. There K was chosen at the order
  /// the search preferred, so when the pick is another order every K is scored again at it and
  /// the best-scored K refitted (without that, the picks stayed at the pilot's K and lost 12-352
  /// AICc on 6 of 38 five-minute series). Not 8 and the exhaustive fallback, as for K <= 5 before:
  /// over K <= 10 the exhaustive exact search takes up to 36 s on a 5-minute series
  /// (bench/auto_arima_search --exact, docs/performance.md).
  int max_exact_refits_fourier = 40;
  /// L-BFGS iterations of each refit (no simplex restart): the CSS estimate is a close start, and
  /// a fit that needs more is mostly heading for R's root check. The final fit is not capped.
  /// Refits whose smallest root modulus is inside R's limit and shrinks for three iterations in a row
  /// are abandoned (see RootWatch in auto_arima.cc).
  int refit_max_iterations = 100;
  /// Refits take forward-difference gradients (FitOptions::forward_differences): their numerical
  /// gradients were about two thirds of an hourly search. The chosen model's final fit starts from
  /// its refit and uses central differences, so the returned estimate is as sharp as before.
  bool refit_forward_differences = true;
  /// During the approximate search, models whose exact likelihood grows towards an MA unit root
  /// (where R's root check would reject the exact fit) are scored +inf without an exact fit, as the
  /// exact search would score them (see auto_arima.cc, heads_to_unit_ma).
  bool predict_rejections = true;
  /// Exact fits of the exact search stop, as rejected, once their smallest root modulus is inside R's
  /// limit (1.01) and has shrunk for three iterations, as the approximate search's refits always do:
  /// such a fit is heading for a root the admissibility check rejects. Off by default so that the
  /// exact search stays the reference; on in the fallback after an approximate search.
  bool abandon_at_root_limit = false;
  /// Cap on p + q + P + Q for models visited by the stepwise moves (0: none, as R).
  int stepwise_max_order = 0;
  /// Seasonal periods above this go to Fourier terms in the automatic search even when seasonal
  /// ARIMA could represent them (prefer_fourier): each seasonal candidate with s = 288 costs seconds
  /// and the stepwise search fits dozens, so a search over s = 288 SARIMA would take minutes.
  int max_seasonal_arima_period = 48;
  /// Extra seasonal periods always modelled by Fourier terms (e.g. 2016 next to a daily 288).
  std::vector<int> fourier_periods;
  /// Upper bound on K per Fourier period (also K < period / 2: sin(pi t) = 0). 10, not R's usual 5:
  /// sharp daily shapes of ops series (steps, square waves, load profiles) need more harmonics;
  /// on the NAB rolling-origin study K <= 10 forecast 2.8% better by MASE than K <= 5 (docs/quality.md).
  int max_harmonics = 10;
  /// K bound of the exhaustive exact search that runs when no refit is admissible.
  int fallback_max_harmonics = 5;
  FitOptions fit_options;  ///< for every candidate fit (standard errors only on the final refit)
};

/// One model tried by the search, with its criterion (+inf when the fit failed or was rejected).
struct AutoArimaCandidate {
  SarimaxOrder order;
  bool constant = false;
  std::vector<FourierTerm> fourier;
  double ic = 0;
  /// true: ic is the CSS approximation n log(2 pi e sigma2_css) + penalty, close to but not equal
  /// to the exact criterion; false: an exact maximum likelihood fit.
  bool approximate = false;
};

/// What the search cost, for benchmarks and tests.
struct AutoArimaStats {
  int approximate_scores = 0;    ///< candidates scored by the approximation
  int predicted_rejections = 0;  ///< of those, scored +inf as heading for R's root check
  int exact_fits = 0;            ///< exact ML fits in the search and its refits (not the final one)
  int rejected_exact_fits = 0;   ///< of those, failed or rejected by R's root check
  bool exhaustive_fallback = false;  ///< no refit was admissible: the exhaustive exact search ran
};

struct AutoArimaResult {
  SarimaxSpec spec;                  ///< chosen model; exog_names = user columns then Fourier columns
  std::vector<FourierTerm> fourier;  ///< chosen Fourier terms (empty when none)
  Eigen::MatrixXd exog;              ///< the regressors the model was fitted with (n rows)
  double ic = 0;                     ///< criterion of the chosen model (R's scale)
  std::vector<AutoArimaCandidate> candidates;  ///< every model fitted, in search order
  Sarimax model;                               ///< the chosen model, fitted, with standard errors
  AutoArimaStats stats;
};

/// Chooses and fits a SARIMAX model for y (NaN allowed) with optional exogenous columns
/// (n x k, names given). Fails on an empty or all-NaN series, a series that is constant or
/// deterministic after differencing (nothing random to model), or when no candidate could be fitted.
std::expected<AutoArimaResult, Error> auto_arima(std::span<const double> y, const Eigen::MatrixXd& exog,
                                                 const std::vector<std::string>& exog_names,
                                                 const AutoArimaOptions& options = {});

/// Future regressors for forecasting a chosen model h steps ahead: the user's future exog rows
/// (h x k, may be empty when k = 0) followed by the Fourier columns continued after the sample.
/// User rows or columns that are not given are NaN (forecast() then fails with a clear error).
Eigen::MatrixXd auto_arima_future_exog(const AutoArimaResult& result, const Eigen::MatrixXd& user_future_exog,
                                       int horizon);

/// The criterion of a fit on R's arima scale (SarimaxFit::loglik_r, which counts the log(2 pi)/2
/// constant only for the nobs_effective observations that enter the likelihood), k = parameters
/// including sigma2, n = nobs_effective. Comparable with forecast::auto.arima's aicc/aic/bic.
double information_criterion(const SarimaxFit& fit, InformationCriterion ic);

/// Smallest modulus of the roots of phi(L) Phi(L^s) and of theta(L) Theta(L^s) of a fit (+inf
/// when there are no such terms); R's auto.arima rejects models where it is below 1.01. NaN for a
/// fit whose parameters do not match its order (one not made by Sarimax::fit).
double min_root_modulus(const SarimaxFit& fit);

}  // namespace promcast::forecaster
