#pragma once
// Internal to the SARIMAX implementation: fills StateSpace matrices from parameters (the statsmodels
// layout: differencing states first, then the ARMA block in Harvey's form) and evaluates the exact
// diffuse likelihood, by the Chandrasekhar filter on the differenced data when there are no gaps
// (same value: the differencing states are known exactly once the diffuse period is over) and by the
// full diffuse filter otherwise. Not part of the public interface; exposed for tests and benchmarks.
#include <Eigen/Core>
#include <span>
#include <vector>

#include "forecaster/kalman_filter.h"
#include "forecaster/sarimax.h"
#include "forecaster/state_space.h"

namespace promcast::forecaster::detail {

/// Parameters split by role (constrained, statsmodels' signs).
struct SarimaxParams {
  Eigen::VectorXd trend, beta, ar, ma, seasonal_ar, seasonal_ma;
  double sigma2 = 1.0;
};

class SarimaxModel {
 public:
  /// y[0] is at time_offset on the trend's time axis (0 for a fit; later for Sarimax::filter).
  SarimaxModel(SarimaxSpec spec, Eigen::VectorXd y, Eigen::MatrixXd exog, Eigen::Index time_offset = 0);

  [[nodiscard]] const SarimaxSpec& spec() const { return spec_; }
  [[nodiscard]] int k_trend() const { return k_trend_; }
  [[nodiscard]] int k_exog() const { return static_cast<int>(exog_.cols()); }
  /// Parameters without sigma2.
  [[nodiscard]] int k_mean_params() const { return spec_.k_params() - 1; }
  /// d + D s: observations consumed by the diffuse differencing states.
  [[nodiscard]] int k_diffuse() const { return k_diffuse_; }
  [[nodiscard]] bool has_missing() const { return has_missing_; }
  [[nodiscard]] const Eigen::VectorXd& y() const { return y_; }
  [[nodiscard]] const Eigen::MatrixXd& exog() const { return exog_; }

  /// Splits a statsmodels-ordered vector (sigma2 optional at the end).
  [[nodiscard]] SarimaxParams split(std::span<const double> params) const;
  /// Unconstrained optimizer space <-> constrained parameters (without sigma2).
  [[nodiscard]] Eigen::VectorXd constrain(const Eigen::VectorXd& x) const;
  [[nodiscard]] Eigen::VectorXd unconstrain(const Eigen::VectorXd& params) const;

  /// Reduced-form AR coefficients (phi_eff: u_t = sum phi_i u_{t-i} + ...) and MA polynomial
  /// (theta_eff with theta_0 = 1).
  [[nodiscard]] Eigen::VectorXd reduced_ar(const SarimaxParams& p) const;
  [[nodiscard]] Eigen::VectorXd reduced_ma(const SarimaxParams& p) const;

  /// Trend value A(t) for the 0-based time index t of y, shifted by the time offset (statsmodels'
  /// trend_offset = 1 for a fit).
  [[nodiscard]] double trend_at(const SarimaxParams& p, Eigen::Index t) const;

  /// Full state space over times [start, start + count) with unit scale (Q = 1). future_exog rows
  /// give x_t for those times when they are beyond the data (row 0 = time start).
  [[nodiscard]] StateSpace full_state_space(const SarimaxParams& p, Eigen::Index start, Eigen::Index count,
                                            const Eigen::MatrixXd& exog_rows) const;

  /// Likelihood pass over the data at unit scale; picks the Chandrasekhar path when possible.
  /// With want_state the result also holds the full state (a, P) after the last observation.
  struct Pass {
    FilterOutput out;
    Eigen::VectorXd state;  ///< full state after the data (when requested)
    Eigen::MatrixXd cov;    ///< its covariance at unit scale
    Eigen::MatrixXd diffuse_cov;
    bool ok = false;
  };
  /// With want_state, predictions during the diffuse period are filled in too (statsmodels' fitted
  /// values there), also on the Chandrasekhar path, which otherwise leaves them NaN.
  [[nodiscard]] Pass run(const SarimaxParams& p, bool want_state, bool force_full_filter = false) const;

  /// Gap-free data only: the concentrated loglik with the trend and regression coefficients profiled
  /// out by GLS (the filter is linear in them), at constrained ARMA parameters (ar, ma, seasonal ar,
  /// seasonal ma). Optionally returns the GLS coefficients (trend then exog) and their covariance.
  /// With gaps the likelihood is the exact one of the observed points, as the full filter gives it.
  [[nodiscard]] double profile_loglik(const Eigen::VectorXd& arma_params,
                                      Eigen::VectorXd* regression = nullptr,
                                      Eigen::MatrixXd* regression_cov = nullptr) const;
  /// Gaps are allowed after the diffuse period: each missing y_t becomes a unit dummy regressor with
  /// a diffuse coefficient (the filled series is then gap-free), whose marginal likelihood is exactly
  /// the likelihood of the observed points (Gomez & Maravall 1994); at most kMaxProfiledGaps of them,
  /// and at most max(32, m) (beyond that the O(m^2) full filter is cheaper).
  [[nodiscard]] bool can_profile() const { return profile_data_.size() > 0; }
  static constexpr int kMaxProfiledGaps = 400;
  /// True when the likelihood needs the full O(m^2)-per-step diffuse filter: gaps in the diffuse
  /// period, or more gaps than the dummies handle cheaply.
  [[nodiscard]] bool needs_full_filter() const { return has_missing_ && gaps_.empty(); }
  /// Dimension m of the full state: d + D s differencing states plus the ARMA block.
  [[nodiscard]] int state_dim() const { return k_diffuse_ + r_; }
  /// Missing time points handled as dummies by profile_loglik.
  [[nodiscard]] int profiled_gaps() const { return static_cast<int>(gaps_.size()); }

  /// Concentrated loglik (statsmodels' value) at constrained mean params; -inf when not computable.
  [[nodiscard]] double concentrated_loglik(const Eigen::VectorXd& mean_params, double* scale = nullptr) const;

  /// Frees the data and everything derived from it (y, exog, the profiling columns: for 4,032 points
  /// and two Fourier columns about 250 KiB), keeping what full_state_space, split and the k_*
  /// accessors need: a fitted Sarimax forecasts and updates from its filter state alone. After this
  /// run, profile_loglik and concentrated_loglik must not be called.
  void release_data();

 private:
  SarimaxSpec spec_;
  Eigen::Index time_offset_ = 0;
  Eigen::VectorXd y_;
  Eigen::MatrixXd exog_;
  int k_trend_ = 0;
  int k_diffuse_ = 0;
  int r_ = 1;  // ARMA block dimension
  bool has_missing_ = false;
  Eigen::VectorXd diff_poly_;
  std::vector<Eigen::Index> gaps_;  // times of missing y (all after the diffuse period) when profiling
  Eigen::VectorXd filled_;          // y with the gaps filled by linear interpolation (when gaps_ is set)
  Eigen::MatrixXd
      profile_data_;  // (k_trend + 1 + k_exog + gaps) x (n - d - D s), time-major; see profile_loglik
  Eigen::MatrixXd profile_trend_;  // k_trend x (n - d - D s): the trend columns' intercept paths

  void prepare_profile_data();
  /// Trend component j (intercept or time) at 0-based time t.
  [[nodiscard]] double trend_column_at(int j, Eigen::Index t) const;

  [[nodiscard]] StateSpace arma_state_space(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta) const;
  /// Full state (differencing states from the undifferenced series z, then the ARMA block).
  [[nodiscard]] Eigen::VectorXd full_state(const Eigen::VectorXd& z, const Eigen::VectorXd& arma_state) const;
  /// Turns the filled series' pass into the observed series' (see run); with want_state also the
  /// dummies' final full states, to correct the state and its covariance.
  struct GapCorrection {
    Eigen::VectorXd coef;      // estimated dummy coefficients (filled minus true value at each gap)
    Eigen::MatrixXd coef_cov;  // their covariance over sigma2
    Eigen::MatrixXd states;    // (k + r) x gaps: each dummy's final full state
  };
  [[nodiscard]] GapCorrection correct_for_gaps(const StateSpace& arma, const FilterOutput& filled,
                                               FilterOutput& out, bool want_state) const;
  /// ARMA state mean after the diffuse period for the intercept path c(t) (0-based times).
  template <class Intercept>
  [[nodiscard]] Eigen::VectorXd arma_start_mean(const StateSpace& arma, const Eigen::VectorXd& phi,
                                                Intercept c) const;
};

}  // namespace promcast::forecaster::detail
