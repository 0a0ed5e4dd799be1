#include "forecaster/sarimax_model.h"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <cmath>
#include <limits>
#include <vector>

#include "forecaster/arma_process.h"
#include "forecaster/polynomial.h"
#include "forecaster/transforms.h"

namespace promcast::forecaster::detail {
namespace {

using Triplet = Eigen::Triplet<double>;

Eigen::VectorXd as_vector(std::span<const double> s, std::size_t from, std::size_t count) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(count));
  for (std::size_t i = 0; i < count; ++i) v[static_cast<Eigen::Index>(i)] = s[from + i];
  return v;
}

}  // namespace

SarimaxModel::SarimaxModel(SarimaxSpec spec, Eigen::VectorXd y, Eigen::MatrixXd exog,
                           Eigen::Index time_offset)
    : spec_(std::move(spec)), time_offset_(time_offset), y_(std::move(y)), exog_(std::move(exog)) {
  switch (spec_.trend) {
    case Trend::kNone:
      k_trend_ = 0;
      break;
    case Trend::kConstant:
    case Trend::kLinear:
      k_trend_ = 1;
      break;
    case Trend::kConstantLinear:
      k_trend_ = 2;
      break;
  }
  const auto& o = spec_.order;
  const int s = o.s;
  k_diffuse_ = o.d + o.D * s;
  r_ = std::max(o.p + o.P * s, o.q + o.Q * s + 1);
  diff_poly_ = differencing_polynomial(o.d, o.D, s);
  has_missing_ = !y_.allFinite();
  if (exog_.rows() != y_.size()) exog_.resize(y_.size(), 0);
  prepare_profile_data();
}

SarimaxParams SarimaxModel::split(std::span<const double> params) const {
  const auto& o = spec_.order;
  SarimaxParams p;
  std::size_t at = 0;
  auto take = [&](std::size_t count) {
    Eigen::VectorXd v = as_vector(params, at, count);
    at += count;
    return v;
  };
  p.trend = take(static_cast<std::size_t>(k_trend_));
  p.beta = take(static_cast<std::size_t>(exog_.cols()));
  p.ar = take(static_cast<std::size_t>(o.p));
  p.ma = take(static_cast<std::size_t>(o.q));
  p.seasonal_ar = take(static_cast<std::size_t>(o.P));
  p.seasonal_ma = take(static_cast<std::size_t>(o.Q));
  p.sigma2 = at < params.size() ? params[at] : 1.0;
  return p;
}

Eigen::VectorXd SarimaxModel::constrain(const Eigen::VectorXd& x) const {
  const auto& o = spec_.order;
  Eigen::VectorXd out = x;
  Eigen::Index at = k_trend_ + exog_.cols();
  auto apply = [&](int count, double sign) {
    if (count > 0) out.segment(at, count) = sign * constrain_stationary(x.segment(at, count));
    at += count;
  };
  apply(o.p, 1.0);
  apply(o.q, -1.0);
  apply(o.P, 1.0);
  apply(o.Q, -1.0);
  return out;
}

Eigen::VectorXd SarimaxModel::unconstrain(const Eigen::VectorXd& params) const {
  const auto& o = spec_.order;
  Eigen::VectorXd out = params;
  Eigen::Index at = k_trend_ + exog_.cols();
  auto apply = [&](int count, double sign) {
    if (count > 0) out.segment(at, count) = unconstrain_stationary(sign * params.segment(at, count));
    at += count;
  };
  apply(o.p, 1.0);
  apply(o.q, -1.0);
  apply(o.P, 1.0);
  apply(o.Q, -1.0);
  return out;
}

Eigen::VectorXd SarimaxModel::reduced_ar(const SarimaxParams& p) const {
  const auto& o = spec_.order;
  const std::span<const double> ar(p.ar.data(), static_cast<std::size_t>(p.ar.size()));
  const std::span<const double> sar(p.seasonal_ar.data(), static_cast<std::size_t>(p.seasonal_ar.size()));
  const Eigen::VectorXd poly = poly_mul(ar_polynomial(ar, 1), ar_polynomial(sar, std::max(o.s, 1)));
  return -poly.tail(poly.size() - 1);
}

Eigen::VectorXd SarimaxModel::reduced_ma(const SarimaxParams& p) const {
  const auto& o = spec_.order;
  const std::span<const double> ma(p.ma.data(), static_cast<std::size_t>(p.ma.size()));
  const std::span<const double> sma(p.seasonal_ma.data(), static_cast<std::size_t>(p.seasonal_ma.size()));
  return poly_mul(ma_polynomial(ma, 1), ma_polynomial(sma, std::max(o.s, 1)));
}

double SarimaxModel::trend_at(const SarimaxParams& p, Eigen::Index t) const {
  t += time_offset_;
  switch (spec_.trend) {
    case Trend::kNone:
      return 0.0;
    case Trend::kConstant:
      return p.trend[0];
    case Trend::kLinear:
      return p.trend[0] * static_cast<double>(t + 1);
    case Trend::kConstantLinear:
      return p.trend[0] + p.trend[1] * static_cast<double>(t + 1);
  }
  return 0.0;
}

StateSpace SarimaxModel::full_state_space(const SarimaxParams& p, Eigen::Index start, Eigen::Index count,
                                          const Eigen::MatrixXd& exog_rows) const {
  const auto& o = spec_.order;
  const int s = o.s, d = o.d, D = o.D;
  const int A = k_diffuse_;  // first ARMA state
  const int m = A + r_;
  const Eigen::VectorXd phi = reduced_ar(p), theta = reduced_ma(p);

  std::vector<Triplet> t;
  // Simple differencing block: Delta^j z_{t-1}, j < d.
  for (int i = 0; i < d; ++i) {
    for (int j = i; j < d; ++j) t.emplace_back(i, j, 1.0);
    for (int b = 0; b < D; ++b) t.emplace_back(i, d + (b + 1) * s - 1, 1.0);
    t.emplace_back(i, A, 1.0);
  }
  // Seasonal blocks b: Delta^d Delta_s^b z_{t-1..t-s}.
  for (int b = 0; b < D; ++b) {
    const int start_row = d + b * s;
    t.emplace_back(start_row, start_row + s - 1, 1.0);
    for (int i = 1; i < s; ++i) t.emplace_back(start_row + i, start_row + i - 1, 1.0);
    for (int later = b + 1; later < D; ++later) t.emplace_back(start_row, d + (later + 1) * s - 1, 1.0);
    t.emplace_back(start_row, A, 1.0);
  }
  // ARMA block, Harvey form: first column phi, ones above the diagonal.
  for (int i = 0; i < r_; ++i) {
    if (i < phi.size() && phi[i] != 0.0) t.emplace_back(A + i, A, phi[i]);
    if (i + 1 < r_) t.emplace_back(A + i, A + i + 1, 1.0);
  }
  StateSpace ss;
  ss.transition.resize(m, m);
  ss.transition.setFromTriplets(t.begin(), t.end());
  ss.design = Eigen::VectorXd::Zero(m);
  for (int i = 0; i < d; ++i) ss.design[i] = 1.0;
  for (int b = 0; b < D; ++b) ss.design[d + (b + 1) * s - 1] = 1.0;
  ss.design[A] = 1.0;
  ss.selection = Eigen::MatrixXd::Zero(m, 1);
  for (int i = 0; i < r_ && i < theta.size(); ++i) ss.selection(A + i, 0) = theta[i];
  ss.state_cov = Eigen::MatrixXd::Ones(1, 1);
  if (exog_rows.cols() > 0 && p.beta.size() == exog_rows.cols()) ss.obs_intercept = exog_rows * p.beta;
  if (k_trend_ > 0) {
    ss.intercept_direction = Eigen::VectorXd::Zero(m);
    ss.intercept_direction[A] = 1.0;
    ss.intercept_path.resize(count);
    for (Eigen::Index i = 0; i < count; ++i) ss.intercept_path[i] = trend_at(p, start + i);
  }
  if (start == 0) {
    ss.initial_state = Eigen::VectorXd::Zero(m);
    // Stationary mean of the ARMA block under the first period's intercept (statsmodels' choice).
    const double c0 = trend_at(p, 0);
    if (c0 != 0.0) {
      const double level = c0 / (1.0 - phi.sum());
      ss.initial_state[A] = level;
      for (int j = 1; j < r_; ++j)
        ss.initial_state[A + j] = level * (j < phi.size() ? phi.tail(phi.size() - j).sum() : 0.0);
    }
    ss.initial_cov = Eigen::MatrixXd::Zero(m, m);
    ss.initial_cov.bottomRightCorner(r_, r_) = arma_stationary_covariance(phi, theta);
    ss.initial_diffuse_cov = Eigen::MatrixXd::Zero(m, m);
    for (int i = 0; i < A; ++i) ss.initial_diffuse_cov(i, i) = 1.0;
  }
  return ss;
}

SarimaxModel::Pass SarimaxModel::run(const SarimaxParams& p, bool want_state, bool force_full_filter) const {
  Pass pass;
  const Eigen::Index n = y_.size();
  const Eigen::VectorXd phi = reduced_ar(p), theta = reduced_ma(p);
  if (!is_stationary(phi)) return pass;

  if (force_full_filter || (has_missing_ && gaps_.empty()) || n <= k_diffuse_) {
    const StateSpace ss = full_state_space(p, 0, n, exog_);
    pass.out = kalman_filter(ss, std::span<const double>(y_.data(), static_cast<std::size_t>(n)));
    pass.state = pass.out.next_state;
    pass.cov = pass.out.next_cov;
    pass.diffuse_cov = pass.out.next_diffuse_cov;
    pass.ok = true;
    return pass;
  }

  // Gap-free data: after the diffuse period the differencing states are known exactly, so the
  // likelihood is that of the stationary ARMA model for w = diff(y - X beta). Filter that with
  // Chandrasekhar recursions (O(r) per step) instead of the m-dimensional diffuse filter.
  // Gaps after the diffuse period: the same on the filled series, corrected by the gap dummies below.
  Eigen::VectorXd z = gaps_.empty() ? y_ : filled_;
  if (exog_.cols() > 0) z -= exog_ * p.beta;
  const Eigen::VectorXd w = apply_lag_polynomial(diff_poly_, z);
  const int k = k_diffuse_;
  StateSpace arma = arma_state_space(phi, theta);
  Eigen::VectorXd a = Eigen::VectorXd::Zero(r_);
  if (k_trend_ > 0) {
    a = arma_start_mean(arma, phi, [&](Eigen::Index t) { return trend_at(p, t); });
    arma.intercept_direction = Eigen::VectorXd::Zero(r_);
    arma.intercept_direction[0] = 1.0;
    arma.intercept_path.resize(w.size());
    for (Eigen::Index i = 0; i < w.size(); ++i) arma.intercept_path[i] = trend_at(p, k + i);
  }
  arma.initial_state = a;
  FilterOutput o = chandrasekhar_filter(
      arma, std::span<const double>(w.data(), static_cast<std::size_t>(w.size())), want_state);
  // Back to the time axis of y: the diffuse observations count in statsmodels' loglik through
  // -0.5 log(2 pi) each (F_inf = 1 for this representation).
  FilterOutput full;
  full.sum_log_f = o.sum_log_f;
  full.sum_v2_f = o.sum_v2_f;
  full.regular_obs = o.regular_obs;
  full.observed = o.observed + k;
  full.diffuse_steps = k;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  full.forecast_error = Eigen::VectorXd::Constant(n, nan);
  full.forecast_var = Eigen::VectorXd::Constant(n, nan);
  full.prediction = Eigen::VectorXd::Constant(n, nan);
  full.forecast_error.tail(w.size()) = o.forecast_error;
  full.forecast_var.tail(w.size()) = o.forecast_var;
  full.prediction.tail(w.size()) = z.tail(w.size()) - o.forecast_error;
  if (exog_.cols() > 0) full.prediction.tail(w.size()) += exog_.bottomRows(w.size()) * p.beta;
  GapCorrection gaps;
  if (!gaps_.empty()) gaps = correct_for_gaps(arma, o, full, want_state);
  if (want_state && k > 0) {
    // The diffuse filter's predictions for the first k observations (only the state mean and a
    // factor of P_inf are needed, so this costs far less than running the full filter over them).
    const Eigen::MatrixXd rows = exog_.topRows(k);
    const StateSpace head = full_state_space(p, 0, k, rows);
    full.prediction.head(k) =
        diffuse_predictions(head, std::span<const double>(y_.data(), static_cast<std::size_t>(k)), k);
    full.forecast_error.head(k) = y_.head(k) - full.prediction.head(k);
  }
  if (want_state) {
    const int m = k + r_;
    Eigen::VectorXd state = full_state(z, o.next_state);
    pass.state = std::move(state);
    pass.cov = Eigen::MatrixXd::Zero(m, m);
    pass.cov.bottomRightCorner(r_, r_) = o.next_cov;
    if (!gaps_.empty()) {
      // The filled series' state, minus what the estimated gap dummies contributed, plus their
      // remaining uncertainty.
      pass.state.noalias() -= gaps.states * gaps.coef;
      pass.cov.noalias() += gaps.states * gaps.coef_cov * gaps.states.transpose();
    }
  }
  full.next_state = pass.state;
  full.next_cov = pass.cov;
  pass.out = std::move(full);
  pass.ok = true;
  return pass;
}

Eigen::VectorXd SarimaxModel::full_state(const Eigen::VectorXd& z, const Eigen::VectorXd& arma_state) const {
  // Differencing states from the (undifferenced) series' last values, in statsmodels' layout.
  const auto& ord = spec_.order;
  const int d = ord.d, D = ord.D, s = ord.s;
  Eigen::VectorXd state = Eigen::VectorXd::Zero(k_diffuse_ + r_);
  Eigen::VectorXd simple = Eigen::VectorXd::Ones(1);
  const Eigen::VectorXd one_lag = (Eigen::VectorXd(2) << 1.0, -1.0).finished();
  for (int j = 0; j < d; ++j) {
    state[j] = apply_lag_polynomial(simple, z)(Eigen::last);
    simple = poly_mul(simple, one_lag);
  }
  for (int b = 0; b < D; ++b) {
    const Eigen::VectorXd series = apply_lag_polynomial(differencing_polynomial(d, b, s), z);
    for (int i = 0; i < s; ++i) state[d + b * s + i] = series[series.size() - 1 - i];
  }
  state.tail(r_) = arma_state;
  return state;
}

SarimaxModel::GapCorrection SarimaxModel::correct_for_gaps(const StateSpace& arma, const FilterOutput& filled,
                                                           FilterOutput& out, bool want_state) const {
  // The augmented (de Jong) form of the gap dummies: the filled series' innovations e_i and the
  // dummies' innovations x_i share the Chandrasekhar gains; a recursive GLS over the dummies seen so
  // far turns them into the innovations of the observed series, v_i = e_i - x_i' b_i with variance
  // F_i + x_i' S_i x_i (S_i: the dummies' posterior covariance over sigma2). At a gap the new dummy
  // absorbs the step: no likelihood term, and its coefficient is pinned. Same v_t, F_t and
  // predictions as the full filter, which skips the missing points.
  const auto G = static_cast<Eigen::Index>(gaps_.size());
  const Eigen::MatrixXd data = profile_data_.bottomRows(G);
  const MultiFilterOutput dummies =
      chandrasekhar_filter_columns(arma, data, Eigen::MatrixXd::Zero(G, r_), Eigen::MatrixXd(), true);
  const Eigen::Index nw = data.cols();
  const int k = k_diffuse_;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  GapCorrection gc;
  gc.coef = Eigen::VectorXd::Zero(G);
  gc.coef_cov = Eigen::MatrixXd::Zero(G, G);
  Eigen::Index active = 0;
  out.sum_log_f = 0.0;
  out.sum_v2_f = 0.0;
  out.regular_obs = 0;
  Eigen::VectorXd u(G);
  for (Eigen::Index i = 0; i < nw; ++i) {
    const Eigen::Index t = i + k;
    const double e = filled.forecast_error[i], F = filled.forecast_var[i];
    const auto x = dummies.innovations.col(i).head(active);
    u.head(active).noalias() = gc.coef_cov.topLeftCorner(active, active) * x;
    if (active < G && gaps_[static_cast<std::size_t>(active)] == t) {
      // y_t is missing: its prediction uses the dummies seen so far; the new one takes up the rest.
      const double xj = dummies.innovations(active, i);
      const double explained = x.dot(gc.coef.head(active));
      out.prediction[t] = filled_[t] - e + explained;
      out.forecast_error[t] = nan;
      out.forecast_var[t] = nan;
      gc.coef[active] = (e - explained) / xj;
      gc.coef_cov.row(active).head(active) = -u.head(active).transpose() / xj;
      gc.coef_cov.col(active).head(active) = -u.head(active) / xj;
      gc.coef_cov(active, active) = (F + x.dot(u.head(active))) / (xj * xj);
      ++active;
      continue;
    }
    const double Fa = F + x.dot(u.head(active));
    const double v = e - x.dot(gc.coef.head(active));
    out.prediction[t] = y_[t] - v;
    out.forecast_error[t] = v;
    out.forecast_var[t] = Fa;
    out.sum_log_f += std::log(Fa);
    out.sum_v2_f += v * v / Fa;
    ++out.regular_obs;
    if (active > 0) {
      gc.coef.head(active) += u.head(active) * (v / Fa);
      gc.coef_cov.topLeftCorner(active, active).noalias() -=
          (u.head(active) / Fa) * u.head(active).transpose();
    }
  }
  out.observed = out.regular_obs + k;
  if (want_state) {
    gc.states.resize(k + r_, G);
    for (Eigen::Index j = 0; j < G; ++j) {
      Eigen::VectorXd unit = Eigen::VectorXd::Zero(y_.size());
      unit[gaps_[static_cast<std::size_t>(j)]] = 1.0;
      gc.states.col(j) = full_state(unit, dummies.final_states.row(j).transpose());
    }
  }
  return gc;
}

StateSpace SarimaxModel::arma_state_space(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta) const {
  StateSpace arma;
  std::vector<Triplet> t;
  for (int i = 0; i < r_; ++i) {
    if (i < phi.size() && phi[i] != 0.0) t.emplace_back(i, 0, phi[i]);
    if (i + 1 < r_) t.emplace_back(i, i + 1, 1.0);
  }
  arma.transition.resize(r_, r_);
  arma.transition.setFromTriplets(t.begin(), t.end());
  arma.design = Eigen::VectorXd::Zero(r_);
  arma.design[0] = 1.0;
  arma.selection = Eigen::MatrixXd::Zero(r_, 1);
  const Eigen::Index q = std::min<Eigen::Index>(r_, theta.size());
  arma.selection.col(0).head(q) = theta.head(q);
  arma.state_cov = Eigen::MatrixXd::Ones(1, 1);
  arma.initial_cov = arma_stationary_covariance(phi, theta);
  return arma;
}

template <class Intercept>
Eigen::VectorXd SarimaxModel::arma_start_mean(const StateSpace& arma, const Eigen::VectorXd& phi,
                                              Intercept c) const {
  // Stationary mean under the first period's intercept (statsmodels' initialization), then the
  // k diffuse observations only predict the ARMA block.
  Eigen::VectorXd a = Eigen::VectorXd::Zero(r_);
  const double level = c(0) / (1.0 - phi.sum());
  a[0] = level;
  for (int j = 1; j < r_; ++j) a[j] = level * (j < phi.size() ? phi.tail(phi.size() - j).sum() : 0.0);
  for (int i = 0; i < k_diffuse_; ++i) {
    a = arma.transition * a;
    a[0] += c(i);
  }
  return a;
}

double SarimaxModel::profile_loglik(const Eigen::VectorXd& arma_params, Eigen::VectorXd* regression,
                                    Eigen::MatrixXd* regression_cov) const {
  const double minus_inf = -std::numeric_limits<double>::infinity();
  const auto k_exog = static_cast<int>(exog_.cols());
  const int k_reg = k_trend_ + k_exog;
  const int k_gaps = profiled_gaps();
  const int k_all = k_reg + k_gaps;  // GLS columns: trend, exog, gap dummies
  Eigen::VectorXd full = Eigen::VectorXd::Zero(k_reg + arma_params.size());
  full.tail(arma_params.size()) = arma_params;
  const SarimaxParams p = split(std::span<const double>(full.data(), static_cast<std::size_t>(full.size())));
  const Eigen::VectorXd phi = reduced_ar(p), theta = reduced_ma(p);
  if (!is_stationary(phi) || !can_profile()) return minus_inf;
  const StateSpace arma = [&] {
    StateSpace s = arma_state_space(phi, theta);
    s.intercept_direction = Eigen::VectorXd::Zero(r_);
    s.intercept_direction[0] = 1.0;
    return s;
  }();
  const Eigen::Index nw = profile_data_.cols();
  // Trend columns have no data, only their intercept path, and start from their stationary mean.
  Eigen::MatrixXd A0 = Eigen::MatrixXd::Zero(profile_data_.rows(), r_);
  for (int j = 0; j < k_trend_; ++j)
    A0.row(j) = arma_start_mean(arma, phi, [&](Eigen::Index t) { return trend_column_at(j, t); }).transpose();
  const MultiFilterOutput mo = chandrasekhar_filter_columns(arma, profile_data_, A0, profile_trend_);
  // Innovations of the joint model: v = v_w - R b, where R's column for a trend coefficient is minus
  // its column's innovation (that column predicts the trend's contribution) and plus it for an exog
  // column (the data were y - X b). Everything needed is in the Gram matrix of the columns.
  const Eigen::MatrixXd& gram = mo.gram;
  const int w_col = k_trend_;
  auto col_of = [&](int j) { return j < k_trend_ ? j : j + 1; };
  auto sign_of = [&](int j) { return j < k_trend_ ? -1.0 : 1.0; };
  double ss = gram(w_col, w_col);
  double log_det_gaps = 0.0;
  Eigen::VectorXd coef;
  Eigen::MatrixXd XtX;
  if (k_all > 0) {
    XtX.resize(k_all, k_all);
    Eigen::VectorXd Xtv(k_all);
    for (int i = 0; i < k_all; ++i) {
      Xtv[i] = sign_of(i) * gram(col_of(i), w_col);
      for (int j = 0; j < k_all; ++j) XtX(i, j) = sign_of(i) * sign_of(j) * gram(col_of(i), col_of(j));
    }
    // Normal equations with Jacobi scaling (a drift column on t = 1..n next to sines would
    // otherwise square a large condition number); k_all is small, n is not.
    const Eigen::VectorXd d = XtX.diagonal().cwiseMax(1e-300).cwiseSqrt().cwiseInverse();
    const Eigen::MatrixXd scaled = d.asDiagonal() * XtX * d.asDiagonal();
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(scaled);
    if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().array() > 1e-12).all())
      return minus_inf;  // collinear
    coef = d.asDiagonal() * ldlt.solve(d.asDiagonal() * Xtv);
    ss += coef.dot(XtX * coef) - 2.0 * coef.dot(Xtv);
    if (k_gaps > 0) {
      // Integrating the dummies' coefficients out (flat prior) leaves log det(X_d' Sigma^-1 X_d).
      const Eigen::LDLT<Eigen::MatrixXd> gaps(XtX.bottomRightCorner(k_gaps, k_gaps));
      if (gaps.info() != Eigen::Success || !(gaps.vectorD().array() > 0.0).all()) return minus_inf;
      log_det_gaps = gaps.vectorD().array().log().sum();
    }
  }
  if (!(ss > 0.0)) return minus_inf;
  FilterOutput sums;
  sums.sum_log_f = mo.sum_log_f + log_det_gaps;
  sums.sum_v2_f = ss;
  sums.regular_obs = static_cast<int>(nw) - k_gaps;
  sums.observed = static_cast<int>(y_.size()) - k_gaps;
  double scale = 0.0;
  const double ll = forecaster::concentrated_loglik(sums, &scale);
  if (regression != nullptr) *regression = coef.head(k_reg);
  if (regression_cov != nullptr && k_reg > 0)
    *regression_cov =
        XtX.ldlt().solve(Eigen::MatrixXd::Identity(k_all, k_all)).topLeftCorner(k_reg, k_reg) * scale;
  return std::isfinite(ll) ? ll : minus_inf;
}

double SarimaxModel::trend_column_at(int j, Eigen::Index t) const {
  const bool is_time = spec_.trend == Trend::kLinear || (spec_.trend == Trend::kConstantLinear && j == 1);
  return is_time ? static_cast<double>(t + time_offset_ + 1) : 1.0;
}

void SarimaxModel::prepare_profile_data() {
  const Eigen::Index n = y_.size();
  Eigen::VectorXd filled = y_;
  if (has_missing_) {
    for (Eigen::Index t = 0; t < n; ++t)
      if (std::isnan(y_[t])) gaps_.push_back(t);
    // Each dummy adds O(r) work per step to the multi-column filter and O(G) to the recursive GLS,
    // against the full filter's O(m^2): with more gaps than max(32, m) (many gaps in a small model)
    // the full filter is the cheaper exact option.
    const bool dummies_cheaper = gaps_.size() <= static_cast<std::size_t>(std::max(32, k_diffuse_ + r_));
    if (gaps_.front() < k_diffuse_ || static_cast<int>(gaps_.size()) > kMaxProfiledGaps || !dummies_cheaper) {
      gaps_.clear();
      return;  // gaps in the diffuse period (or too many): the full filter handles them
    }
    // Any fill works (the dummies absorb it), but values near the data keep the Gram matrix's
    // entries, and so the cancellation in the residual sum of squares, small: linear interpolation.
    Eigen::Index prev = -1;
    for (Eigen::Index t = 0; t < n; ++t) {
      if (std::isnan(y_[t])) continue;
      if (prev >= 0 && t > prev + 1)
        for (Eigen::Index g = prev + 1; g < t; ++g)
          filled[g] =
              y_[prev] + (y_[t] - y_[prev]) * static_cast<double>(g - prev) / static_cast<double>(t - prev);
      prev = t;
    }
    for (Eigen::Index g = prev + 1; g < n; ++g) filled[g] = y_[prev];
    filled_ = filled;
  }
  const auto gaps = static_cast<Eigen::Index>(gaps_.size());
  if (n <= k_diffuse_ + 1 + gaps) {
    gaps_.clear();
    return;
  }
  // Columns: the trend components (no data), the differenced series, the differenced regressors,
  // the differenced gap dummies; time-major for the multi-column filter. They do not depend on the
  // parameters.
  const Eigen::VectorXd w = apply_lag_polynomial(diff_poly_, filled);
  const Eigen::Index nw = w.size();
  const auto k_exog = static_cast<int>(exog_.cols());
  profile_data_ = Eigen::MatrixXd::Zero(k_trend_ + 1 + k_exog + gaps, nw);
  profile_data_.row(k_trend_) = w.transpose();
  for (int j = 0; j < k_exog; ++j)
    profile_data_.row(k_trend_ + 1 + j) = apply_lag_polynomial(diff_poly_, exog_.col(j)).transpose();
  // A unit dummy at time g, differenced: the differencing polynomial's coefficients from w's index g - k.
  for (Eigen::Index j = 0; j < gaps; ++j) {
    const Eigen::Index at = gaps_[static_cast<std::size_t>(j)] - k_diffuse_;
    for (Eigen::Index i = 0; i < diff_poly_.size() && at + i < nw; ++i)
      profile_data_(k_trend_ + 1 + k_exog + j, at + i) = diff_poly_[i];
  }
  profile_trend_.resize(k_trend_, nw);
  for (int j = 0; j < k_trend_; ++j)
    for (Eigen::Index i = 0; i < nw; ++i) profile_trend_(j, i) = trend_column_at(j, k_diffuse_ + i);
}

void SarimaxModel::release_data() {
  // Assigning empty objects (rather than resize(0)) is what returns the storage.
  const Eigen::Index k_exog = exog_.cols();
  y_ = Eigen::VectorXd();
  exog_ = Eigen::MatrixXd(0, k_exog);  // the column count still sizes beta
  filled_ = Eigen::VectorXd();
  profile_data_ = Eigen::MatrixXd();
  profile_trend_ = Eigen::MatrixXd();
  std::vector<Eigen::Index>().swap(gaps_);
}

double SarimaxModel::concentrated_loglik(const Eigen::VectorXd& mean_params, double* scale) const {
  const SarimaxParams p =
      split(std::span<const double>(mean_params.data(), static_cast<std::size_t>(mean_params.size())));
  const Pass pass = run(p, false);
  if (!pass.ok || pass.out.regular_obs == 0) return -std::numeric_limits<double>::infinity();
  const double ll = forecaster::concentrated_loglik(pass.out, scale);
  return std::isfinite(ll) ? ll : -std::numeric_limits<double>::infinity();
}

}  // namespace promcast::forecaster::detail
