#include "forecaster/kalman_filter.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

namespace promcast::forecaster {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// P_inf and F_inf are O(1) by construction (identity prior on the diffuse block): anything this
// small is rounding noise of an exactly vanishing quantity.
constexpr double kDiffuseTolerance = 1e-9;
// A forecast variance this small relative to the state's scale carries no information (statsmodels
// treats it as a singular observation and leaves it out of the likelihood).
constexpr double kSingularTolerance = 1e-14;

// Z is sparse in practice (a handful of ones): dot products over its non-zeros only.
struct SparseDesign {
  std::vector<Eigen::Index> index;
  std::vector<double> value;
  explicit SparseDesign(const Eigen::VectorXd& z) {
    for (Eigen::Index i = 0; i < z.size(); ++i)
      if (z[i] != 0.0) {
        index.push_back(i);
        value.push_back(z[i]);
      }
  }
  [[nodiscard]] double dot(const Eigen::VectorXd& x) const {
    double s = 0.0;
    for (std::size_t k = 0; k < index.size(); ++k) s += value[k] * x[index[k]];
    return s;
  }
  // P Z' for symmetric P: a combination of a few columns.
  [[nodiscard]] Eigen::VectorXd times(const Eigen::MatrixXd& P) const {
    Eigen::VectorXd out = Eigen::VectorXd::Zero(P.rows());
    for (std::size_t k = 0; k < index.size(); ++k) out.noalias() += value[k] * P.col(index[k]);
    return out;
  }
};

// T P T' using the sparsity of T twice (P symmetric), touching the column-major matrices only along
// their columns: X = P T' column by column (X.col(i) = sum_j T_ij P.col(j), contiguous axpys), then
// P = T X column by column (sparse gathers from one contiguous column). Eigen's row-major
// sparse-times-dense product walks rows of the dense operand instead, and took half the filter's time.
void propagate_cov(const SparseMatrix& T, Eigen::MatrixXd& P, Eigen::MatrixXd& scratch) {
  if (!T.isCompressed()) {
    scratch.noalias() = T * P;
    P.noalias() = T * scratch.transpose();
    return;
  }
  const Eigen::Index m = T.rows();
  const int* outer = T.outerIndexPtr();
  const int* inner = T.innerIndexPtr();
  const double* value = T.valuePtr();
  for (Eigen::Index i = 0; i < m; ++i) {
    auto x = scratch.col(i);
    x.setZero();
    for (int k = outer[i]; k < outer[i + 1]; ++k) x.noalias() += value[k] * P.col(inner[k]);
  }
  for (Eigen::Index c = 0; c < m; ++c) {
    const double* x = scratch.col(c).data();
    double* out = P.col(c).data();
    for (Eigen::Index i = 0; i < m; ++i) {
      double sum = 0.0;
      for (int k = outer[i]; k < outer[i + 1]; ++k) sum += value[k] * x[inner[k]];
      out[i] = sum;
    }
  }
}

// T x for the Chandrasekhar filter's per-step products. ARMA blocks in Harvey's form (a first
// column, ones on the superdiagonal, nothing else) are recognised once and applied as one axpy plus a
// shift: several times faster than a generic sparse product over hundreds of one-entry rows (s = 288).
class Transition {
 public:
  explicit Transition(const SparseMatrix& T) : T_(T), first_col_(Eigen::VectorXd::Zero(T.rows())) {
    const Eigen::Index m = T.rows();
    companion_ = T.cols() == m;
    for (Eigen::Index i = 0; i < m && companion_; ++i) {
      bool super = false;
      for (SparseMatrix::InnerIterator it(T, i); it; ++it) {
        if (it.col() == 0) {
          first_col_[i] += it.value();
        } else if (it.col() == i + 1 && it.value() == 1.0) {
          super = true;
        } else if (it.value() != 0.0) {
          companion_ = false;
        }
      }
      if (i + 1 < m && !super) companion_ = false;
    }
  }
  /// out = T x; out must not alias x.
  void apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const {
    if (!companion_) {
      out.noalias() = T_ * x;
      return;
    }
    const Eigen::Index m = x.size();
    out.noalias() = first_col_ * x[0];
    if (m > 1) out.head(m - 1) += x.tail(m - 1);
  }

 private:
  const SparseMatrix& T_;
  Eigen::VectorXd first_col_;
  bool companion_ = false;
};

double max_abs(const Eigen::MatrixXd& m) { return m.size() == 0 ? 0.0 : m.cwiseAbs().maxCoeff(); }

}  // namespace

FilterOutput kalman_filter(const StateSpace& model, std::span<const double> y) {
  const auto n = static_cast<Eigen::Index>(y.size());
  const Eigen::Index m = model.states();
  const SparseDesign Z(model.design);
  // R Q R' is zero outside the rows the selection matrix touches (the ARMA block): add only that
  // block, a quarter of the full matrix for a seasonally differenced model.
  Eigen::Index noise_lo = m, noise_hi = 0;
  for (Eigen::Index i = 0; i < model.selection.rows(); ++i)
    if (model.selection.row(i).squaredNorm() > 0.0) {
      noise_lo = std::min(noise_lo, i);
      noise_hi = i + 1;
    }
  const Eigen::Index noise_len = std::max<Eigen::Index>(0, noise_hi - noise_lo);
  const Eigen::MatrixXd rqr =
      noise_len > 0 ? Eigen::MatrixXd(model.selection.middleRows(noise_lo, noise_len) * model.state_cov *
                                      model.selection.middleRows(noise_lo, noise_len).transpose())
                    : Eigen::MatrixXd();
  const SparseMatrix& T = model.transition;
  const bool has_intercept = model.intercept_direction.size() == m && model.intercept_path.size() > 0;

  FilterOutput out;
  out.forecast_error = Eigen::VectorXd::Constant(n, kNaN);
  out.forecast_var = Eigen::VectorXd::Constant(n, kNaN);
  out.prediction = Eigen::VectorXd::Constant(n, kNaN);

  Eigen::VectorXd a = model.initial_state.size() == m ? model.initial_state : Eigen::VectorXd::Zero(m);
  Eigen::MatrixXd P = model.initial_cov.rows() == m ? model.initial_cov : Eigen::MatrixXd::Zero(m, m);
  Eigen::MatrixXd Pinf;
  bool diffuse = model.initial_diffuse_cov.rows() == m && max_abs(model.initial_diffuse_cov) > 0.0;
  if (diffuse) Pinf = model.initial_diffuse_cov;
  Eigen::MatrixXd scratch(m, m);

  for (Eigen::Index t = 0; t < n; ++t) {
    const double pred = model.obs_intercept_at(t) + Z.dot(a);
    out.prediction[t] = pred;
    const double yt = y[static_cast<std::size_t>(t)];
    if (!std::isnan(yt)) {
      ++out.observed;
      const double v = yt - pred;
      out.forecast_error[t] = v;
      const Eigen::VectorXd M = Z.times(P);
      const double F = Z.dot(M) + model.obs_variance;
      double Finf = 0.0;
      Eigen::VectorXd Minf;
      if (diffuse) {
        Minf = Z.times(Pinf);
        Finf = Z.dot(Minf);
      }
      if (diffuse && Finf > kDiffuseTolerance) {
        // Diffuse step: the observation pins down a diffuse direction; its likelihood term is
        // log F_inf only (Durbin & Koopman 2012, section 5.2 and 7.2.2).
        a.noalias() += Minf * (v / Finf);
        P.noalias() += (Minf * (F / (Finf * Finf))) * Minf.transpose();  // vector-scaled: no m x m temporary
        P.noalias() -= (M / Finf) * Minf.transpose();
        P.noalias() -= (Minf / Finf) * M.transpose();
        Pinf.noalias() -= (Minf / Finf) * Minf.transpose();
        out.sum_log_f_diffuse += std::log(Finf);
      } else if (F > kSingularTolerance * (1.0 + P.diagonal().cwiseAbs().maxCoeff())) {
        out.forecast_var[t] = F;
        out.sum_log_f += std::log(F);
        out.sum_v2_f += v * v / F;
        ++out.regular_obs;
        a.noalias() += M * (v / F);
        P.noalias() -= (M / F) * M.transpose();
      }
    }
    // Prediction step.
    a = T * a;
    if (has_intercept) a.noalias() += model.intercept_direction * model.intercept_at(t);
    propagate_cov(T, P, scratch);
    if (noise_len > 0) P.block(noise_lo, noise_lo, noise_len, noise_len) += rqr;
    if ((t & 15) == 15) P = 0.5 * (P + P.transpose()).eval();
    if (diffuse) {
      propagate_cov(T, Pinf, scratch);
      if (max_abs(Pinf) < kDiffuseTolerance) {
        diffuse = false;
        out.diffuse_steps = static_cast<int>(t + 1);
      }
    }
  }
  out.diffuse_remaining = diffuse;
  if (diffuse) {
    out.diffuse_steps = static_cast<int>(n);
    out.next_diffuse_cov = Pinf;
  }
  out.next_state = std::move(a);
  out.next_cov = std::move(P);
  return out;
}

FilterOutput chandrasekhar_filter(const StateSpace& model, std::span<const double> y, bool want_final_cov) {
  const auto n = static_cast<Eigen::Index>(y.size());
  const Eigen::Index m = model.states();
  const SparseDesign Z(model.design);
  const Transition T(model.transition);
  const bool has_intercept = model.intercept_direction.size() == m && model.intercept_path.size() > 0;

  FilterOutput out;
  out.forecast_error.resize(n);
  out.forecast_var.resize(n);
  out.prediction.resize(n);

  Eigen::VectorXd a = model.initial_state.size() == m ? model.initial_state : Eigen::VectorXd::Zero(m);
  // With P_0 stationary, P_{t+1} - P_t = W_t M_t W_t' has rank one, so only the gain G_t = T P_t Z',
  // F_t and the rank-one factor are carried forward (Morf, Sidhu & Kailath 1974; Herbst 2015).
  const Eigen::VectorXd pz = Z.times(model.initial_cov);
  double F = Z.dot(pz) + model.obs_variance;
  Eigen::VectorXd G(m);
  T.apply(pz, G);
  Eigen::VectorXd W = G;
  double Mw = -1.0 / F;
  double log_f = std::log(F);
  // The final P = P_0 + sum_t M_t W_t W_t' (M_t < 0: P shrinks from the stationary covariance),
  // accumulated by rank-k updates over blocks of steps instead of an O(m^2) outer product per step.
  Eigen::MatrixXd Pacc, factors;
  Eigen::Index factors_used = 0;
  if (want_final_cov) {
    Pacc = model.initial_cov;
    factors.resize(m, std::min<Eigen::Index>(64, std::max<Eigen::Index>(n, 1)));
  }
  auto flush_factors = [&] {
    if (factors_used > 0)
      Pacc.selfadjointView<Eigen::Lower>().rankUpdate(factors.leftCols(factors_used), -1.0);
    factors_used = 0;
  };
  Eigen::VectorXd g(m), next(m);
  bool steady = false;
  // The intercept direction is a single state in every model we build; fall back to a dense add.
  Eigen::Index intercept_index = 0;
  double intercept_value = 0.0;
  bool single_intercept = false;
  if (has_intercept) {
    int nonzeros = 0;
    for (Eigen::Index i = 0; i < m; ++i)
      if (model.intercept_direction[i] != 0.0) {
        ++nonzeros;
        intercept_index = i;
        intercept_value = model.intercept_direction[i];
      }
    single_intercept = nonzeros == 1;
  }

  for (Eigen::Index t = 0; t < n; ++t) {
    const double pred = model.obs_intercept_at(t) + Z.dot(a);
    const double v = y[static_cast<std::size_t>(t)] - pred;
    out.prediction[t] = pred;
    out.forecast_error[t] = v;
    out.forecast_var[t] = F;
    out.sum_log_f += log_f;
    out.sum_v2_f += v * v / F;
    T.apply(a, next);  // into a buffer: no allocation per step
    a.swap(next);
    a.noalias() += G * (v / F);
    if (single_intercept) {
      a[intercept_index] += intercept_value * model.intercept_at(t);
    } else if (has_intercept) {
      a.noalias() += model.intercept_direction * model.intercept_at(t);
    }
    if (steady) continue;
    if (want_final_cov) {
      if (Mw < 0.0) {
        factors.col(factors_used++) = std::sqrt(-Mw) * W;
        if (factors_used == factors.cols()) flush_factors();
      } else {
        Pacc.noalias() += Mw * W * W.transpose();  // not expected: kept exact all the same
      }
    }
    const double x = Z.dot(W);
    T.apply(W, g);
    const double F_next = F + Mw * x * x;
    G.noalias() += (Mw * x) * g;
    W.noalias() = g - G * (x / F_next);
    Mw *= F_next / F;
    // Once the rank-one correction no longer moves F or G, P has converged: steady state, O(m) steps.
    steady = std::abs(F_next - F) <= 1e-15 * F && std::abs(Mw) * W.squaredNorm() <= 1e-15 * F;
    F = F_next;
    log_f = std::log(F);  // constant once steady: no log per step there
  }
  out.regular_obs = static_cast<int>(n);
  out.observed = static_cast<int>(n);
  out.next_state = std::move(a);
  if (want_final_cov) {
    flush_factors();
    Pacc.triangularView<Eigen::StrictlyUpper>() = Pacc.transpose();
    out.next_cov = std::move(Pacc);
  }
  return out;
}

Eigen::VectorXd diffuse_predictions(const StateSpace& model, std::span<const double> y, Eigen::Index steps) {
  const Eigen::Index m = model.states();
  steps = std::min<Eigen::Index>(steps, static_cast<Eigen::Index>(y.size()));
  Eigen::VectorXd out = Eigen::VectorXd::Constant(std::max<Eigen::Index>(steps, 0), kNaN);
  if (steps <= 0 || model.initial_diffuse_cov.rows() != m) return out;
  const SparseDesign Z(model.design);
  const SparseMatrix& T = model.transition;
  const bool has_intercept = model.intercept_direction.size() == m && model.intercept_path.size() > 0;
  // Factor of the initial P_inf over the states it touches.
  std::vector<Eigen::Index> support;
  for (Eigen::Index i = 0; i < m; ++i)
    if (model.initial_diffuse_cov(i, i) != 0.0) support.push_back(i);
  const auto k = static_cast<Eigen::Index>(support.size());
  Eigen::MatrixXd block(k, k);
  for (Eigen::Index i = 0; i < k; ++i)
    for (Eigen::Index j = 0; j < k; ++j) block(i, j) = model.initial_diffuse_cov(support[i], support[j]);
  const Eigen::LLT<Eigen::MatrixXd> llt(block);
  if (llt.info() != Eigen::Success) return out;
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(m, k), next(m, k);
  const Eigen::MatrixXd L = llt.matrixL();
  for (Eigen::Index i = 0; i < k; ++i) B.row(support[i]) = L.row(i);
  Eigen::VectorXd a = model.initial_state.size() == m ? model.initial_state : Eigen::VectorXd::Zero(m);
  Eigen::VectorXd u(k), Minf(m), h(k);
  Eigen::Index cols = k;  // B's live columns; the others are zero
  for (Eigen::Index t = 0; t < steps && cols > 0; ++t) {
    auto live = B.leftCols(cols);
    u.head(cols).setZero();
    for (std::size_t z = 0; z < Z.index.size(); ++z)
      u.head(cols).noalias() += Z.value[z] * live.row(Z.index[z]).transpose();
    const double Finf = u.head(cols).squaredNorm();
    if (!(Finf > kDiffuseTolerance)) break;
    const double pred = model.obs_intercept_at(t) + Z.dot(a);
    out[t] = pred;
    Minf.noalias() = live * u.head(cols);
    a.noalias() += Minf * ((y[static_cast<std::size_t>(t)] - pred) / Finf);
    // P_inf - Minf Minf' / F_inf = B (I - u u' / u'u) B': a Householder reflection H with H u = -|u| e_last
    // turns the projection into dropping B H's last column.
    h.head(cols) = u.head(cols);
    h[cols - 1] += (u[cols - 1] >= 0.0 ? 1.0 : -1.0) * std::sqrt(Finf);
    const double hh = h.head(cols).squaredNorm();
    if (hh > 0.0) live -= (live * h.head(cols)) * (h.head(cols).transpose() * (2.0 / hh));
    --cols;
    // Prediction step for the mean and the remaining factor.
    a = T * a;
    if (has_intercept) a.noalias() += model.intercept_direction * model.intercept_at(t);
    next.leftCols(cols).noalias() = T * B.leftCols(cols);
    B.leftCols(cols) = next.leftCols(cols);
  }
  return out;
}

MultiFilterOutput chandrasekhar_filter_columns(const StateSpace& model, const Eigen::MatrixXd& Yt,
                                               const Eigen::MatrixXd& A0, const Eigen::MatrixXd& Ct,
                                               bool keep_steps) {
  const Eigen::Index cols = Yt.rows(), n = Yt.cols();
  const Eigen::Index m = model.states();
  const SparseDesign Z(model.design);
  const SparseMatrix& T = model.transition;
  const Eigen::Index k_intercept = Ct.cols() == n ? std::min(Ct.rows(), cols) : 0;
  std::vector<std::pair<Eigen::Index, double>> direction;
  if (model.intercept_direction.size() == m && k_intercept > 0)
    for (Eigen::Index i = 0; i < m; ++i)
      if (model.intercept_direction[i] != 0.0) direction.emplace_back(i, model.intercept_direction[i]);

  // States are held column-of-state-major (A.col(i) = state i of every data column), so each term
  // of T A is one short contiguous axpy over the data columns.
  Eigen::MatrixXd A = A0, next(cols, m);
  // Standardized innovations are buffered for a block of steps and folded into the Gram matrix
  // with one rank-k update per block, which is far cheaper than a rank-one update per step.
  constexpr Eigen::Index kBlock = 128;
  Eigen::MatrixXd block(cols, std::min(kBlock, std::max<Eigen::Index>(n, 1)));
  MultiFilterOutput out;
  out.gram = Eigen::MatrixXd::Zero(cols, cols);
  if (keep_steps) {
    out.innovations.resize(cols, n);
    out.forecast_var.resize(n);
  }
  auto flush = [&](Eigen::Index used) {
    if (used > 0) out.gram.selfadjointView<Eigen::Lower>().rankUpdate(block.leftCols(used));
  };

  const Eigen::VectorXd pz = Z.times(model.initial_cov);
  double F = Z.dot(pz) + model.obs_variance;
  Eigen::VectorXd G = T * pz, W = G, g(m);
  double Mw = -1.0 / F;
  double log_f = std::log(F);
  bool steady = false;
  Eigen::Index used = 0;
  // The per-step loops below run on raw arrays: the data columns are few (the series and its
  // regressors), and Eigen's per-expression overhead on such short columns cost more than the
  // arithmetic (this function was 50-60% of an automatic search). Same operations in the same order.
  SparseMatrix compressed_copy;  // only when T is not in compressed form (never for the models we build)
  const SparseMatrix* Tc = &T;
  if (!T.isCompressed()) {
    compressed_copy = T;
    compressed_copy.makeCompressed();
    Tc = &compressed_copy;
  }
  const int* outer = Tc->outerIndexPtr();
  const int* inner = Tc->innerIndexPtr();
  const double* t_value = Tc->valuePtr();
  for (Eigen::Index t = 0; t < n; ++t) {
    double* v = block.col(used).data();
    const double* y = Yt.col(t).data();
    const double* a = A.data();  // state i of every data column at a + i * cols
    for (Eigen::Index c = 0; c < cols; ++c) v[c] = y[c];
    for (std::size_t k = 0; k < Z.index.size(); ++k) {
      const double z = Z.value[k];
      const double* s = a + Z.index[k] * cols;
      for (Eigen::Index c = 0; c < cols; ++c) v[c] -= z * s[c];
    }
    out.sum_log_f += log_f;
    const double inv_f = 1.0 / F;
    double* nx = next.data();
    for (Eigen::Index i = 0; i < m; ++i) {
      double* o = nx + i * cols;
      const double gain = G[i] * inv_f;
      for (Eigen::Index c = 0; c < cols; ++c) o[c] = gain * v[c];
      for (int k = outer[i]; k < outer[i + 1]; ++k) {
        const double tv = t_value[k];
        const double* s = a + static_cast<Eigen::Index>(inner[k]) * cols;
        for (Eigen::Index c = 0; c < cols; ++c) o[c] += tv * s[c];
      }
    }
    for (const auto& [i, value] : direction)
      next.col(i).head(k_intercept) += value * Ct.col(t).head(k_intercept);
    A.swap(next);
    if (keep_steps) {
      out.innovations.col(t) = block.col(used);
      out.forecast_var[t] = F;
    }
    const double root_inv_f = std::sqrt(inv_f);
    for (Eigen::Index c = 0; c < cols; ++c) v[c] *= root_inv_f;
    if (++used == block.cols()) {
      flush(used);
      used = 0;
    }
    if (steady) continue;
    const double x = Z.dot(W);
    for (Eigen::Index i = 0; i < m; ++i) {
      double sum = 0.0;
      for (int k = outer[i]; k < outer[i + 1]; ++k) sum += t_value[k] * W[inner[k]];
      g[i] = sum;
    }
    const double F_next = F + Mw * x * x;
    G.noalias() += (Mw * x) * g;
    W.noalias() = g - G * (x / F_next);
    Mw *= F_next / F;
    steady = std::abs(F_next - F) <= 1e-15 * F && std::abs(Mw) * W.squaredNorm() <= 1e-15 * F;
    F = F_next;
    log_f = std::log(F);  // constant once steady: no log per step there
  }
  flush(used);
  out.gram.triangularView<Eigen::StrictlyUpper>() = out.gram.transpose();
  if (keep_steps) out.final_states = std::move(A);
  return out;
}

double concentrated_loglik(const FilterOutput& out, double* scale_out) {
  const double scale = out.regular_obs > 0 ? out.sum_v2_f / out.regular_obs : kNaN;
  if (scale_out != nullptr) *scale_out = scale;
  const double log2pi = std::log(2.0 * std::numbers::pi);
  return -0.5 * out.observed * log2pi - 0.5 * out.sum_log_f_diffuse - 0.5 * out.sum_log_f -
         0.5 * out.regular_obs * (1.0 + std::log(scale));
}

double loglik_at_scale(const FilterOutput& out, double scale) {
  const double log2pi = std::log(2.0 * std::numbers::pi);
  return -0.5 * out.observed * log2pi - 0.5 * out.sum_log_f_diffuse -
         0.5 * (out.sum_log_f + out.regular_obs * std::log(scale)) - 0.5 * out.sum_v2_f / scale;
}

ObservationForecast forecast_observations(const StateSpace& model, const Eigen::VectorXd& a0,
                                          const Eigen::MatrixXd& P0, int horizon) {
  const Eigen::Index m = model.states();
  const SparseDesign Z(model.design);
  const Eigen::MatrixXd rqr = model.state_noise_cov();
  const bool has_intercept = model.intercept_direction.size() == m && model.intercept_path.size() > 0;
  ObservationForecast out;
  out.mean.resize(horizon);
  out.variance.resize(horizon);
  Eigen::VectorXd a = a0;
  Eigen::MatrixXd P = P0, scratch(m, m);
  for (int h = 0; h < horizon; ++h) {
    out.mean[h] = model.obs_intercept_at(h) + Z.dot(a);
    out.variance[h] = Z.dot(Z.times(P)) + model.obs_variance;
    if (h + 1 == horizon) break;
    a = model.transition * a;
    if (has_intercept) a.noalias() += model.intercept_direction * model.intercept_at(h);
    propagate_cov(model.transition, P, scratch);
    P += rqr;
  }
  return out;
}

}  // namespace promcast::forecaster
