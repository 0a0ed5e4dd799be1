// STL following the structure of the original Fortran (stlstp: inner loop; stlss: cycle-subseries
// smoothing; stlfts: low-pass filter; stless/stlest: loess with jumps and interpolation; stlrwt: bisquare
// robustness weights). Positions are kept 1-based inside the loess helpers because the tricube distances,
// the half-window arithmetic and the interpolation steps are defined on those positions.
#include "forecaster/stl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "forecaster/detector.h"

namespace promcast::forecaster {
namespace {

// Loess estimate at position xs (1-based) from y[nleft..nright] (1-based, inclusive); y and rw point to
// element 0 of 0-based arrays. Returns false when every weight is zero. One pass of weighted sums in
// coordinates centred on xs gives the same local constant / local linear fit as the Fortran's normalise-
// then-reweight passes (it is this function that dominates STL's run time).
bool loess_estimate(const double* y, int n, int len, int degree, double xs, double& ys, int nleft, int nright,
                    double* /*work*/, bool use_rw, const double* rw) {
  const double range = static_cast<double>(n) - 1.0;
  double h = std::max(xs - static_cast<double>(nleft), static_cast<double>(nright) - xs);
  if (len > n) h += static_cast<double>((len - n) / 2);
  const double h9 = 0.999 * h;
  const double h1 = 0.001 * h;
  const double inv_h = 1.0 / h;
  double sw = 0.0;
  double swd = 0.0;
  double swdd = 0.0;
  double swy = 0.0;
  double swdy = 0.0;
  for (int j = nleft; j <= nright; ++j) {
    const double d = static_cast<double>(j) - xs;
    const double r = std::abs(d);
    if (r > h9) continue;
    double w = 1.0;
    if (r > h1) {
      const double q = r * inv_h;
      const double c = 1.0 - q * q * q;
      w = c * c * c;
    }
    if (use_rw) w *= rw[j - 1];
    const double yj = y[j - 1];
    sw += w;
    swd += w * d;
    swdd += w * d * d;
    swy += w * yj;
    swdy += w * d * yj;
  }
  if (sw <= 0.0) return false;
  double fit = swy / sw;
  if (h > 0.0 && degree > 0) {
    const double mean_d = swd / sw;                  // weighted mean position, relative to xs
    const double var = swdd / sw - mean_d * mean_d;  // weighted spread of the positions
    if (std::sqrt(std::max(var, 0.0)) > 0.001 * range) {
      // local linear fit evaluated at d = 0: mean(y) + slope * (0 - mean_d)
      const double cov = swdy / sw - mean_d * fit;
      fit += (cov / var) * (-mean_d);
    }
  }
  ys = fit;
  return true;
}

// Loess smoothing of y[0..n) into ys, evaluated every `jump` points and linearly interpolated between.
void loess_smooth(const double* y, int n, int len, int degree, int jump, bool use_rw, const double* rw,
                  double* ys, double* work) {
  if (n < 2) {
    ys[0] = y[0];
    return;
  }
  const int newnj = std::min(jump, n - 1);
  int nleft = 0;
  int nright = 0;
  if (len >= n) {
    nleft = 1;
    nright = n;
    for (int i = 1; i <= n; i += newnj)
      if (!loess_estimate(y, n, len, degree, i, ys[i - 1], nleft, nright, work, use_rw, rw))
        ys[i - 1] = y[i - 1];
  } else if (newnj == 1) {
    const int nsh = (len + 1) / 2;
    nleft = 1;
    nright = len;
    for (int i = 1; i <= n; ++i) {
      if (i > nsh && nright != n) {
        ++nleft;
        ++nright;
      }
      if (!loess_estimate(y, n, len, degree, i, ys[i - 1], nleft, nright, work, use_rw, rw))
        ys[i - 1] = y[i - 1];
    }
  } else {
    const int nsh = (len + 1) / 2;
    for (int i = 1; i <= n; i += newnj) {
      if (i < nsh) {
        nleft = 1;
        nright = len;
      } else if (i >= n - nsh + 1) {
        nleft = n - len + 1;
        nright = n;
      } else {
        nleft = i - nsh + 1;
        nright = len + i - nsh;
      }
      if (!loess_estimate(y, n, len, degree, i, ys[i - 1], nleft, nright, work, use_rw, rw))
        ys[i - 1] = y[i - 1];
    }
  }
  if (newnj == 1) return;
  for (int i = 1; i <= n - newnj; i += newnj) {
    const double delta = (ys[i + newnj - 1] - ys[i - 1]) / newnj;
    for (int j = i + 1; j <= i + newnj - 1; ++j) ys[j - 1] = ys[i - 1] + delta * (j - i);
  }
  const int k = ((n - 1) / newnj) * newnj + 1;
  if (k != n) {
    if (!loess_estimate(y, n, len, degree, n, ys[n - 1], nleft, nright, work, use_rw, rw))
      ys[n - 1] = y[n - 1];
    if (k != n - 1) {
      const double delta = (ys[n - 1] - ys[k - 1]) / (n - k);
      for (int j = k + 1; j <= n - 1; ++j) ys[j - 1] = ys[k - 1] + delta * (j - k);
    }
  }
}

// Moving average of length len: out has n - len + 1 values.
void moving_average(const double* x, int n, int len, double* out) {
  const int newn = n - len + 1;
  const double flen = len;
  double v = 0.0;
  for (int i = 0; i < len; ++i) v += x[i];
  out[0] = v / flen;
  int k = len;
  int m = 0;
  for (int j = 1; j < newn; ++j) {
    v = v - x[m] + x[k];
    ++k;
    ++m;
    out[j] = v / flen;
  }
}

struct Params {
  int np, ns, nt, nl, isdeg, itdeg, ildeg, nsjump, ntjump, nljump, ni, no;
};

struct Work {
  std::vector<double> w1, w2, w3, w4, w5;  // the Fortran work array's five columns, n + 2 np each
  std::vector<double> sub, sub_rw, sub_out, sub_work;
};

// Smooths each cycle-subseries of y and extends it one cycle both ways: season has n + 2 np values.
void smooth_subseries(const double* y, int n, const Params& p, bool use_rw, const double* rw, double* season,
                      Work& wk) {
  const int np = p.np;
  for (int j = 1; j <= np; ++j) {
    const int k = (n - j) / np + 1;
    for (int i = 1; i <= k; ++i) {
      wk.sub[i - 1] = y[(i - 1) * np + j - 1];
      if (use_rw) wk.sub_rw[i - 1] = rw[(i - 1) * np + j - 1];
    }
    double* out = wk.sub_out.data();  // out[0] and out[k+1] are the extensions
    loess_smooth(wk.sub.data(), k, p.ns, p.isdeg, p.nsjump, use_rw, wk.sub_rw.data(), out + 1,
                 wk.sub_work.data());
    int nright = std::min(p.ns, k);
    if (!loess_estimate(wk.sub.data(), k, p.ns, p.isdeg, 0.0, out[0], 1, nright, wk.sub_work.data(), use_rw,
                        wk.sub_rw.data()))
      out[0] = out[1];
    int nleft = std::max(1, k - p.ns + 1);
    if (!loess_estimate(wk.sub.data(), k, p.ns, p.isdeg, k + 1, out[k + 1], nleft, k, wk.sub_work.data(),
                        use_rw, wk.sub_rw.data()))
      out[k + 1] = out[k];
    for (int m = 1; m <= k + 2; ++m) season[(m - 1) * np + j - 1] = out[m - 1];
  }
}

void inner_loop(const double* y, int n, const Params& p, bool use_rw, const double* rw, double* season,
                double* trend, Work& wk) {
  const int np = p.np;
  for (int it = 0; it < p.ni; ++it) {
    for (int i = 0; i < n; ++i) wk.w1[i] = y[i] - trend[i];
    smooth_subseries(wk.w1.data(), n, p, use_rw, rw, wk.w2.data(), wk);
    // low-pass filter of the extended seasonal: three moving averages then a loess
    const int m = n + 2 * np;
    moving_average(wk.w2.data(), m, np, wk.w3.data());
    moving_average(wk.w3.data(), m - np + 1, np, wk.w1.data());
    moving_average(wk.w1.data(), m - 2 * np + 2, 3, wk.w3.data());
    loess_smooth(wk.w3.data(), n, p.nl, p.ildeg, p.nljump, false, wk.w4.data(), wk.w1.data(), wk.w5.data());
    for (int i = 0; i < n; ++i) season[i] = wk.w2[np + i] - wk.w1[i];
    for (int i = 0; i < n; ++i) wk.w1[i] = y[i] - season[i];
    loess_smooth(wk.w1.data(), n, p.nt, p.itdeg, p.ntjump, use_rw, rw, trend, wk.w3.data());
  }
}

void robustness_weights(const double* y, int n, const double* fit, double* rw, std::vector<double>& scratch) {
  scratch.resize(n);
  for (int i = 0; i < n; ++i) scratch[i] = std::abs(y[i] - fit[i]);
  const int mid1 = n / 2 + 1;  // 1-based, as the Fortran
  const int mid2 = n - mid1 + 1;
  std::nth_element(scratch.begin(), scratch.begin() + (mid1 - 1), scratch.end());
  const double r1 = scratch[mid1 - 1];
  std::nth_element(scratch.begin(), scratch.begin() + (mid2 - 1), scratch.end());
  const double r2 = scratch[mid2 - 1];
  const double cmad = 3.0 * (r1 + r2);
  const double c9 = 0.999 * cmad;
  const double c1 = 0.001 * cmad;
  for (int i = 0; i < n; ++i) {
    const double r = std::abs(y[i] - fit[i]);
    if (r <= c1) {
      rw[i] = 1.0;
    } else if (r <= c9) {
      const double q = r / cmad;
      const double c = 1.0 - q * q;
      rw[i] = c * c;
    } else {
      rw[i] = 0.0;
    }
  }
}

int next_odd(double x) {
  auto v = static_cast<long>(std::nearbyint(x));
  if (v % 2 == 0) ++v;
  return static_cast<int>(v);
}

}  // namespace

std::expected<StlResult, Error> stl(std::span<const double> y, const StlOptions& o) {
  const int n = static_cast<int>(y.size());
  if (o.period < 2) return detector_error("stl: the period must be at least 2");
  if (n <= 2 * o.period)
    return detector_error(
        fmt::format("stl: needs more than two full periods ({} points for period {}), got {}",
                    2 * o.period + 1, o.period, n));
  for (double v : y)
    if (!std::isfinite(v)) return detector_error("stl: the series holds NaN or infinite values");

  Params p{};
  p.np = o.period;
  int s_window = o.periodic ? 10 * n + 1 : o.seasonal_window;
  if (!o.periodic && s_window < 3) return detector_error("stl: the seasonal window must be at least 3");
  p.isdeg = o.periodic ? 0 : o.seasonal_degree;
  const int t_window =
      o.trend_window > 0 ? o.trend_window
                         : next_odd(std::ceil(1.5 * o.period / (1.0 - 1.5 / static_cast<double>(s_window))));
  const int l_window = o.lowpass_window > 0 ? o.lowpass_window : next_odd(o.period);
  p.itdeg = o.trend_degree;
  p.ildeg = o.lowpass_degree >= 0 ? o.lowpass_degree : o.trend_degree;
  p.nsjump = static_cast<int>(std::ceil(s_window / 10.0));
  p.ntjump = static_cast<int>(std::ceil(t_window / 10.0));
  p.nljump = static_cast<int>(std::ceil(l_window / 10.0));
  p.ni = o.inner >= 0 ? o.inner : (o.robust ? 1 : 2);
  p.no = o.outer >= 0 ? o.outer : (o.robust ? 15 : 0);
  auto odd_at_least_3 = [](int v) {
    v = std::max(3, v);
    return v % 2 == 0 ? v + 1 : v;
  };
  p.ns = odd_at_least_3(s_window);
  p.nt = odd_at_least_3(t_window);
  p.nl = odd_at_least_3(l_window);

  const auto m = static_cast<std::size_t>(n + 2 * p.np);
  Work wk;
  for (auto* v : {&wk.w1, &wk.w2, &wk.w3, &wk.w4, &wk.w5}) v->assign(m, 0.0);
  const auto k_max = static_cast<std::size_t>(n / p.np + 3);
  wk.sub.assign(k_max, 0.0);
  wk.sub_rw.assign(k_max, 1.0);
  wk.sub_out.assign(k_max + 2, 0.0);
  wk.sub_work.assign(k_max, 0.0);

  StlResult r;
  r.seasonal.assign(n, 0.0);
  r.trend.assign(n, 0.0);
  r.weights.assign(n, 1.0);
  std::vector<double> fit(n);
  std::vector<double> scratch;
  bool use_rw = false;
  for (int k = 0;; ++k) {
    inner_loop(y.data(), n, p, use_rw, r.weights.data(), r.seasonal.data(), r.trend.data(), wk);
    if (k + 1 > p.no) break;
    for (int i = 0; i < n; ++i) fit[i] = r.trend[i] + r.seasonal[i];
    robustness_weights(y.data(), n, fit.data(), r.weights.data(), scratch);
    use_rw = true;
  }
  if (p.no <= 0) std::fill(r.weights.begin(), r.weights.end(), 1.0);

  if (o.periodic) {  // R then makes the seasonal exactly periodic: the mean of each cycle position
    for (int j = 0; j < p.np; ++j) {
      double s = 0.0;
      int c = 0;
      for (int i = j; i < n; i += p.np, ++c) s += r.seasonal[i];
      const double mean = s / c;
      for (int i = j; i < n; i += p.np) r.seasonal[i] = mean;
    }
  }
  r.remainder.resize(n);
  for (int i = 0; i < n; ++i) r.remainder[i] = y[i] - r.seasonal[i] - r.trend[i];
  return r;
}

}  // namespace promcast::forecaster
