#include "forecaster/css.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <utility>

#include "forecaster/polynomial.h"

namespace promcast::forecaster {
namespace {

// Non-zero lags of a lag polynomial (element 0 excluded), as (lag, coefficient) pairs.
std::vector<std::pair<int, double>> sparse_tail(const Eigen::VectorXd& poly) {
  std::vector<std::pair<int, double>> out;
  for (Eigen::Index k = 1; k < poly.size(); ++k)
    if (poly[k] != 0.0) out.emplace_back(static_cast<int>(k), poly[k]);
  return out;
}

class Residuals {
 public:
  Residuals(std::span<const double> w, const CssOrder& o) : w_(w), o_(o), ncond_(o.p + o.P * o.s) {}

  [[nodiscard]] int ncond() const { return ncond_; }
  [[nodiscard]] Eigen::Index size() const {
    return std::max<Eigen::Index>(0, static_cast<Eigen::Index>(w_.size()) - ncond_);
  }

  // e_t for t >= ncond into out (size()); returns the number of counted residuals.
  int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& out) const {
    const int p = o_.p, q = o_.q, P = o_.P, Q = o_.Q, s = std::max(o_.s, 1);
    auto seg = [&](int at, int count) {
      return std::span<const double>(x.data() + at, static_cast<std::size_t>(count));
    };
    const auto ar = sparse_tail(poly_mul(ar_polynomial(seg(0, p), 1), ar_polynomial(seg(p + q, P), s)));
    const auto ma = sparse_tail(poly_mul(ma_polynomial(seg(p, q), 1), ma_polynomial(seg(p + q + P, Q), s)));
    const auto n = static_cast<int>(w_.size());
    out.resize(size());
    int counted = 0;
    const double* w = w_.data();
    double* e_out = out.data() - ncond_;  // e_out[t] is the residual of time t
    const int max_ma_lag = ma.empty() ? 0 : ma.back().first;
    auto step = [&](int t, bool all_ma_in_reach) {
      double e = w[t];
      for (const auto& [lag, c] : ar) e += c * w[t - lag];
      for (const auto& [lag, c] : ma)
        if (all_ma_in_reach || t - lag >= ncond_) e -= c * e_out[t - lag];
      if (std::isnan(e)) {
        e = 0.0;  // a missing value in reach: no residual here, and none fed back
      } else {
        ++counted;
      }
      e_out[t] = e;
    };
    // The first max_ma_lag steps reach back before the first residual; the rest, nearly all of the
    // series, run without that test (this loop is most of the approximate search's CSS time).
    const int split = std::min(n, ncond_ + max_ma_lag);
    for (int t = ncond_; t < split; ++t) step(t, false);
    for (int t = split; t < n; ++t) step(t, true);
    return counted;
  }

 private:
  std::span<const double> w_;
  CssOrder o_;
  int ncond_;
};

}  // namespace

CssFit css_fit(std::span<const double> w, const CssOrder& order, std::span<const double> start,
               int max_iterations) {
  const int k = order.p + order.q + order.P + order.Q;
  CssFit fit;
  const Residuals residuals(w, order);
  if (residuals.size() <= k) return fit;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(k);
  if (static_cast<int>(start.size()) == k)
    for (int i = 0; i < k; ++i) x[i] = std::isfinite(start[static_cast<std::size_t>(i)]) ? start[i] : 0.0;
  Eigen::VectorXd r, r_try;
  int counted = residuals(x, r);
  double f = r.squaredNorm();
  if (!std::isfinite(f)) {  // a warm start outside the invertible region: start from zero
    x.setZero();
    counted = residuals(x, r);
    f = r.squaredNorm();
  }
  if (k > 0 && std::isfinite(f)) {
    Eigen::MatrixXd J(r.size(), k);
    double lambda = 1e-3;
    for (int it = 0; it < max_iterations; ++it) {
      fit.iterations = it + 1;
      for (int i = 0; i < k; ++i) {
        const double h = 1e-7 * std::max(1.0, std::abs(x[i]));
        Eigen::VectorXd xh = x;
        xh[i] += h;
        residuals(xh, r_try);
        J.col(i) = (r_try - r) / h;
      }
      const Eigen::MatrixXd A = J.transpose() * J;
      const Eigen::VectorXd g = J.transpose() * r;
      bool improved = false;
      double f_new = f;
      while (lambda < 1e10) {
        Eigen::MatrixXd M = A;
        M.diagonal().array() += lambda * (A.diagonal().array() + 1e-12);
        const Eigen::VectorXd step = M.ldlt().solve(-g);
        const Eigen::VectorXd x_try = x + step;
        const int c = residuals(x_try, r_try);
        f_new = r_try.squaredNorm();
        if (std::isfinite(f_new) && f_new < f) {
          x = x_try;
          std::swap(r, r_try);
          counted = c;
          lambda = std::max(1e-12, lambda * 0.1);
          improved = true;
          break;
        }
        lambda *= 10.0;
      }
      if (!improved) break;
      const double decrease = f - f_new;
      f = f_new;
      if (decrease <= 1e-9 * f) break;
    }
  }
  fit.params.assign(x.data(), x.data() + k);
  fit.ssq = f;
  fit.nobs_used = counted;
  fit.finite = std::isfinite(f) && counted > 0;
  fit.sigma2 = counted > 0 ? f / counted : 0.0;
  return fit;
}

}  // namespace promcast::forecaster
