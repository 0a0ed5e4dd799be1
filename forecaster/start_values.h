#pragma once
// Starting values for SARIMAX estimation, computed exactly as statsmodels 0.13's
// SARIMAX(..., simple_differencing=False).start_params:
//
//  1. difference y (and exog) by (1-L^s)^D (1-L)^d; drop the time points where the differenced y is
//     NaN (conditional sums of squares cannot skip them the way the Kalman filter does);
//  2. exog coefficients by OLS (pseudo-inverse) of the differenced y on the differenced exog, which
//     are then subtracted;
//  3. trend, AR and MA by one OLS regression on the trend columns, lagged values and lagged residuals
//     of a long AR(2q) fit (Hannan-Rissanen's first step); the trend columns are statsmodels' trend
//     data taken from t = 1 (not aligned with the regression's rows, a statsmodels quirk we keep);
//  4. seasonal AR and MA the same way on the seasonal lags, without trend, from the same series;
//  5. AR starts that are not stationary and MA starts that are not invertible become zeros
//     (statsmodels warns and zeroes them; we report it in StartValues);
//  6. sigma2 = mean squared residual of step 3 (or of step 4, or the series' second moment when
//     there are no ARMA terms), at least 1e-10.
// Too few observations for the lag matrices: that block's parameters are zero, as in statsmodels.
#include <Eigen/Core>
#include <expected>
#include <span>

#include "common/error.h"
#include "forecaster/sarimax.h"

namespace promcast::forecaster {

/// statsmodels' SARIMAX start_params for this specification and data, in statsmodels' parameter order
/// (SarimaxSpec::param_names(), sigma2 last).
std::expected<Eigen::VectorXd, Error> sarimax_start_params(const SarimaxSpec& spec, std::span<const double> y,
                                                           const Eigen::MatrixXd& exog);

/// The start values with what statsmodels would have warned about.
struct StartValues {
  Eigen::VectorXd params;             ///< as sarimax_start_params
  bool zeroed_ar = false;             ///< the OLS AR start was not stationary
  bool zeroed_ma = false;             ///< the OLS MA start was not invertible
  bool zeroed_seasonal_ar = false;    ///< likewise for the seasonal AR polynomial
  bool zeroed_seasonal_ma = false;    ///< likewise for the seasonal MA polynomial
  bool too_few_observations = false;  ///< a lag matrix did not fit: that block started at zero
  int nobs_used = 0;                  ///< non-missing points of the differenced series
};

/// As sarimax_start_params, plus the diagnostics. Errors: invalid spec, exog of the wrong shape or
/// with non-finite values, no observation left after differencing.
std::expected<StartValues, Error> sarimax_start_values(const SarimaxSpec& spec, std::span<const double> y,
                                                       const Eigen::MatrixXd& exog);

}  // namespace promcast::forecaster
