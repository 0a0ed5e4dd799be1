#pragma once
// Kalman filter for univariate StateSpace models: exact diffuse initialization (Koopman & Durbin,
// univariate form, as statsmodels' use_exact_diffuse), missing observations (NaN) skipped, and a
// Chandrasekhar-recursion variant for time-invariant stationary models without gaps, whose cost per
// step is O(nnz(T) + m) instead of O(m^2). Knows nothing of ARIMA.
#include <Eigen/Core>
#include <span>

#include "forecaster/state_space.h"

namespace promcast::forecaster {

/// What the filter leaves behind. Likelihood pieces are kept apart so the caller can concentrate
/// the scale out (variances here are in units of the model's Q and H).
struct FilterOutput {
  Eigen::VectorXd forecast_error;    ///< v_t = y_t - E[y_t | past]; NaN when y_t is missing
  Eigen::VectorXd forecast_var;      ///< F_t; NaN during the diffuse period (where F_inf > 0)
  Eigen::VectorXd prediction;        ///< E[y_t | past] = d_t + Z a_t
  double sum_log_f = 0.0;            ///< sum of log F_t over regular (non-diffuse) observations
  double sum_v2_f = 0.0;             ///< sum of v_t^2 / F_t over regular observations
  int regular_obs = 0;               ///< observations counted in the two sums
  int observed = 0;                  ///< all non-missing observations (including diffuse ones)
  double sum_log_f_diffuse = 0.0;    ///< sum of log F_inf over diffuse observations
  int diffuse_steps = 0;             ///< time steps until P_inf vanished (statsmodels' nobs_diffuse)
  bool diffuse_remaining = false;    ///< P_inf still non-zero after the last step
  Eigen::VectorXd next_state;        ///< a_{n}: prediction of the state after the last step
  Eigen::MatrixXd next_cov;          ///< P_{n} (empty when not requested from the Chandrasekhar path)
  Eigen::MatrixXd next_diffuse_cov;  ///< P_inf after the last step (empty when zero)
};

/// Runs the exact diffuse filter over y (NaN = missing). O(m^2 + nnz(T) m) per step.
FilterOutput kalman_filter(const StateSpace& model, std::span<const double> y);

/// Same likelihood and predictions as kalman_filter for a time-invariant model started from its
/// stationary covariance (P0 = T P0 T' + R Q R', no diffuse part) and no missing values, using
/// Chandrasekhar recursions: O(nnz(T) + m) per step. With want_final_cov the final P is accumulated
/// too, at O(m^2) per step.
FilterOutput chandrasekhar_filter(const StateSpace& model, std::span<const double> y, bool want_final_cov);

/// One-step predictions d_t + Z a_t over the first `steps` observations (statsmodels' fitted values
/// during the diffuse period), for a model whose first `steps` observations are all present and all
/// diffuse (F_inf > 0), as in a gap-free SARIMA model with d + D s = steps. While F_inf > 0 the state
/// mean moves only through P_inf, so P_star is not needed: only a factor B of P_inf = B B' is carried,
/// one column fewer per observation, O((nnz(T) + m) k) per step instead of the full filter's O(m^2).
/// Entries from the first non-diffuse step on are NaN.
Eigen::VectorXd diffuse_predictions(const StateSpace& model, std::span<const double> y, Eigen::Index steps);

/// Chandrasekhar filter run on several data columns at once (same model, so the gains and F_t are
/// shared), for profiling regression coefficients out of the likelihood (the filter is linear in
/// data and intercepts). Inputs are time-major so that each step touches contiguous memory:
/// Yt is columns x n (column c's data at time t is Yt(c, t)), A0 is columns x m (row c is column
/// c's initial state), and Ct (k x n, k <= columns, or empty) adds state intercepts
/// model.intercept_direction * Ct(c, t) to the first k columns. The model's own intercept and
/// initial state are ignored. Nothing of size n is allocated: the innovations are folded into
/// their Gram matrix as they are produced.
struct MultiFilterOutput {
  Eigen::MatrixXd gram;  ///< sum_t v_t v_t' / F_t, columns x columns (v_t: the columns' innovations)
  double sum_log_f = 0.0;
  // Only with keep_steps:
  Eigen::MatrixXd innovations;   ///< columns x n, v_t (not standardized)
  Eigen::VectorXd forecast_var;  ///< F_t
  Eigen::MatrixXd final_states;  ///< columns x m: each column's predicted state after the last step
};
MultiFilterOutput chandrasekhar_filter_columns(const StateSpace& model, const Eigen::MatrixXd& Yt,
                                               const Eigen::MatrixXd& A0, const Eigen::MatrixXd& Ct,
                                               bool keep_steps = false);

/// Gaussian loglik with the scale concentrated out, as statsmodels computes it (diffuse
/// observations contribute -0.5 (log 2 pi + log F_inf)). scale_out receives the estimate.
double concentrated_loglik(const FilterOutput& out, double* scale_out = nullptr);

/// Gaussian loglik when the variances are exact (scale = 1, or the model already holds sigma2 and
/// the result is asked at scale 1); scale multiplies the regular F_t.
double loglik_at_scale(const FilterOutput& out, double scale);

/// Mean and variance of y over `horizon` steps after the filter ended in state (a, P); the model's
/// obs_intercept / intercept_path are indexed from the first forecast step.
struct ObservationForecast {
  Eigen::VectorXd mean, variance;
};
ObservationForecast forecast_observations(const StateSpace& model, const Eigen::VectorXd& a,
                                          const Eigen::MatrixXd& P, int horizon);

}  // namespace promcast::forecaster
