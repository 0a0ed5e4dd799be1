#pragma once
// Statistical tests used to check residuals and to choose differencing orders, each reproducing a
// reference implementation (named per function) so fixtures from it can test us:
//   Ljung-Box, KPSS, ADF       statsmodels 0.13 (acorr_ljungbox, kpss, adfuller)
//   OCSB, seasonal strength    R forecast 8.20 (ocsb.test, seas.heuristic), as nsdiffs uses them
//   ndiffs, nsdiffs            R forecast 8.20 defaults, as auto.arima uses them
// Inputs are plain series; NaN handling is stated per function.
#include <array>
#include <expected>
#include <span>

#include "common/error.h"

namespace promcast::forecaster {

// ---------------------------------------------------------------------------------------------
// Ljung-Box

struct LjungBox {
  double statistic = 0;  ///< Q = n (n + 2) sum_{k=1..lags} r_k^2 / (n - k)
  double p_value = 0;    ///< chi-squared survival function with df = lags - model_df; NaN if df <= 0
  int lags = 0;
  int df = 0;
  int nobs = 0;  ///< non-NaN values used
};

/// Ljung-Box portmanteau test of `x` (typically residuals) up to `lags`, as statsmodels'
/// acorr_ljungbox(x, lags=[lags], model_df=model_df). NaN values are dropped first (the diffuse
/// residuals of a differenced model). Fails if fewer than lags + 2 values remain.
std::expected<LjungBox, Error> ljung_box(std::span<const double> x, int lags, int model_df = 0);

// ---------------------------------------------------------------------------------------------
// KPSS (null: stationarity)

enum class KpssRegression { kLevel, kTrend };  ///< statsmodels "c" / "ct", urca "mu" / "tau"

/// Lag choice for the Newey-West long-run variance.
inline constexpr int kKpssLagsAuto = -1;    ///< Hobijn et al. (1998), statsmodels nlags="auto"
inline constexpr int kKpssLagsLegacy = -2;  ///< ceil(12 (n/100)^(1/4)), statsmodels nlags="legacy"
inline constexpr int kKpssLagsShort = -3;   ///< trunc(3 sqrt(n) / 13), forecast::ndiffs' choice

struct Kpss {
  double statistic = 0;
  double p_value = 0;  ///< linear interpolation in the KPSS (1992) table, clipped to [0.01, 0.10]
  int lags = 0;
};

/// KPSS test as statsmodels' kpss(x, regression, nlags) (and urca's ur.kpss with the same lags).
/// `lags` >= 0 is used as given, or one of the kKpssLags* rules. No NaN allowed; n >= 3.
std::expected<Kpss, Error> kpss(std::span<const double> x, KpssRegression regression,
                                int lags = kKpssLagsAuto);

// ---------------------------------------------------------------------------------------------
// Augmented Dickey-Fuller (null: unit root)

enum class AdfRegression { kNone, kConstant, kConstantTrend };  ///< statsmodels "n", "c", "ct"
enum class LagCriterion { kFixed, kAic, kBic };

struct AdfOptions {
  AdfRegression regression = AdfRegression::kConstant;
  int max_lag = -1;  ///< -1: ceil(12 (n/100)^(1/4)) capped at n/2 - ntrend - 1 (statsmodels' default)
  LagCriterion autolag = LagCriterion::kAic;  ///< kFixed uses max_lag lags
};

struct Adf {
  double statistic = 0;              ///< t-statistic of the lagged level
  double p_value = 0;                ///< MacKinnon (1994) approximate p-value
  int used_lag = 0;                  ///< number of lagged differences in the final regression
  int nobs = 0;                      ///< observations in the final regression
  std::array<double, 3> critical{};  ///< 1%, 5%, 10% critical values (MacKinnon 2010) at nobs
  double ic_best = 0;                ///< best AIC/BIC of the lag search (NaN for kFixed)
};

/// ADF test as statsmodels' adfuller(x, maxlag, regression, autolag). No NaN allowed.
std::expected<Adf, Error> adf(std::span<const double> x, const AdfOptions& options = {});

/// MacKinnon (1994) approximate p-value of an ADF t-statistic (one series, N = 1).
double mackinnon_p_value(double statistic, AdfRegression regression);
/// MacKinnon (2010) 1%, 5%, 10% critical values for `nobs` observations (N = 1).
std::array<double, 3> mackinnon_critical_values(AdfRegression regression, int nobs);

// ---------------------------------------------------------------------------------------------
// Seasonal unit roots

struct Ocsb {
  double statistic = 0;  ///< t-statistic of the seasonal term; > critical means "difference"
  double critical = 0;   ///< 5% critical value for the period (forecast's calcOCSBCritVal)
  int lag = 0;           ///< AR lags used in the final regression
};

/// Osborn-Chui-Smith-Birchenhall test as forecast::ocsb.test(x, maxlag, lag.method = "AIC"), the
/// way nsdiffs(test = "ocsb") calls it (maxlag = 3). Reproduces forecast's lag choice exactly
/// (the AIC-best of lags 1..maxlag, minus one). No NaN allowed; needs enough data for the regression.
std::expected<Ocsb, Error> ocsb(std::span<const double> x, int period, int max_lag = 3);

/// 5% critical value of the OCSB statistic for a seasonal period (forecast's fitted formula).
double ocsb_critical_value(int period);

/// Strength of seasonality max(0, min(1, 1 - var(R) / var(R + S))) from an STL decomposition with
/// s.window = 11 (forecast's seas.heuristic on a single-period ts via mstl). NaN are linearly
/// interpolated first (mstl uses na.interp). Needs more than two periods.
std::expected<double, Error> seasonal_strength(std::span<const double> x, int period);

// ---------------------------------------------------------------------------------------------
// Differencing decisions (forecast 8.20 defaults)

/// R's is.constant on the finite values: their mean absolute difference to the first, relative to
/// their mean absolute value, is below 1.5e-8 (all.equal's tolerance). True when there are none.
bool is_constant(std::span<const double> x);

/// Number of first differences by repeated KPSS level tests at `alpha` (forecast::ndiffs defaults:
/// lags trunc(3 sqrt(n)/13), urca's p-value interpolation, max_d = 2). NaN are dropped. A constant
/// series needs no differencing; a failing test stops (as R's tryCatch does).
int ndiffs(std::span<const double> x, double alpha = 0.05, int max_d = 2);

enum class SeasonalTest { kStrength, kOcsb };  ///< forecast "seas" (default) and "ocsb"

/// Number of seasonal differences (0 or max_D) as forecast::nsdiffs: seasonal strength > 0.64, or
/// OCSB statistic > critical. Returns 0 when period < 2, period >= n, the series is constant or
/// the test cannot be computed.
int nsdiffs(std::span<const double> x, int period, SeasonalTest test = SeasonalTest::kStrength,
            int max_D = 1);

}  // namespace promcast::forecaster
