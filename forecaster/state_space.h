#pragma once
// A linear Gaussian state space model with one observation per time step (statsmodels' notation):
//
//   y_t       = d_t + Z a_t + eps_t,              eps_t ~ N(0, H)
//   a_{t+1}   = c_t + T a_t + R eta_t,            eta_t ~ N(0, Q)
//   a_0       ~ N(a0, P_star + kappa P_inf),      kappa -> infinity (exact diffuse part)
//
// T is sparse because every model we fill (ARIMA companion blocks, differencing blocks) has O(m)
// non-zeros; the filter's cost per step is then O(m^2) instead of O(m^3). The state intercept has the
// form c_t = intercept_direction * intercept_path[t], enough for deterministic trends.
#include <Eigen/Core>
#include <Eigen/SparseCore>

namespace promcast::forecaster {

using SparseMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor>;

struct StateSpace {
  SparseMatrix transition;            ///< T, m x m
  Eigen::VectorXd design;             ///< Z, m (one observation per step)
  double obs_variance = 0.0;          ///< H
  Eigen::MatrixXd selection;          ///< R, m x k
  Eigen::MatrixXd state_cov;          ///< Q, k x k
  Eigen::VectorXd obs_intercept;      ///< d_t per time step; empty = 0
  Eigen::VectorXd intercept_direction;  ///< c_t = direction * path[t]; empty = 0
  Eigen::VectorXd intercept_path;
  Eigen::VectorXd initial_state;       ///< a0 (the prediction for the first time step)
  Eigen::MatrixXd initial_cov;         ///< P_star at t = 0
  Eigen::MatrixXd initial_diffuse_cov; ///< P_inf at t = 0; empty or zero = no diffuse part

  [[nodiscard]] Eigen::Index states() const { return transition.rows(); }
  [[nodiscard]] double obs_intercept_at(Eigen::Index t) const {
    return t < obs_intercept.size() ? obs_intercept[t] : 0.0;
  }
  [[nodiscard]] double intercept_at(Eigen::Index t) const {
    return t < intercept_path.size() ? intercept_path[t] : 0.0;
  }
  /// R Q R'.
  [[nodiscard]] Eigen::MatrixXd state_noise_cov() const { return selection * state_cov * selection.transpose(); }
};

}  // namespace promcast::forecaster
