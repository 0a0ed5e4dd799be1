#include "forecaster/auto_arima.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <tuple>
#include <utility>

#include "forecaster/polynomial.h"

namespace promcast::forecaster {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::unexpected<Error> fail(std::string message) {
  return std::unexpected(Error{std::move(message), "", 0, 0});
}

// R's is.constant on the non-missing values.
bool is_constant(std::span<const double> x) {
  double first = std::numeric_limits<double>::quiet_NaN();
  double diff = 0, scale = 0;
  for (double v : x) {
    if (!std::isfinite(v)) continue;
    if (std::isnan(first)) first = v;
    diff += std::abs(v - first);
    scale += std::abs(v);
  }
  if (diff == 0) return true;
  return scale > 0 ? diff / scale < 1.5e-8 : diff < 1.5e-8;
}

std::vector<double> seasonal_difference(std::span<const double> x, int lag) {
  if (static_cast<int>(x.size()) <= lag) return {};
  std::vector<double> out(x.size() - lag);
  for (size_t i = 0; i < out.size(); ++i) out[i] = x[i + lag] - x[i];
  return out;
}

// Residuals of y ~ 1 + X on the rows where everything is observed (R's xx[j] <- residuals(lm(x ~ xregg))),
// so that the unit root tests see the series without the regression effects.
std::vector<double> regression_residuals(std::span<const double> y, const Eigen::MatrixXd& X) {
  std::vector<double> out(y.begin(), y.end());
  if (X.cols() == 0) return out;
  std::vector<int> rows;
  for (int t = 0; t < static_cast<int>(y.size()); ++t)
    if (std::isfinite(y[t]) && X.row(t).allFinite()) rows.push_back(t);
  if (static_cast<int>(rows.size()) <= X.cols() + 1) return out;
  Eigen::MatrixXd A(rows.size(), X.cols() + 1);
  Eigen::VectorXd b(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    A(r, 0) = 1.0;
    A.row(r).tail(X.cols()) = X.row(rows[r]);
    b[r] = y[rows[r]];
  }
  const Eigen::VectorXd coef = A.colPivHouseholderQr().solve(b);
  const Eigen::VectorXd res = b - A * coef;
  for (size_t r = 0; r < rows.size(); ++r) out[rows[r]] = res[r];
  return out;
}

bool any_constant_column(const Eigen::MatrixXd& X) {
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    std::vector<double> col(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) col[i] = X(i, j);
    if (is_constant(col)) return true;
  }
  return false;
}

Eigen::MatrixXd difference_rows(const Eigen::MatrixXd& X, int lag, int times) {
  Eigen::MatrixXd out = X;
  for (int k = 0; k < times && out.rows() > lag; ++k)
    out = (out.bottomRows(out.rows() - lag) - out.topRows(out.rows() - lag)).eval();
  return out;
}

// Largest |eigenvalue| of the companion matrix of 1 + c_1 z + ... + c_p z^p = 1 / (smallest root modulus).
double max_inverse_root(const Eigen::VectorXd& poly) {
  int p = static_cast<int>(poly.size()) - 1;
  while (p > 0 && std::abs(poly[p]) <= 1e-8) --p;  // R drops trailing (near-)zero coefficients
  if (p == 0) return 0.0;
  Eigen::MatrixXd C = Eigen::MatrixXd::Zero(p, p);
  for (int j = 0; j < p; ++j) C(0, j) = -poly[j + 1] / poly[0];
  for (int i = 1; i < p; ++i) C(i, i - 1) = 1.0;
  Eigen::EigenSolver<Eigen::MatrixXd> es(C, false);
  double m = 0;
  for (Eigen::Index i = 0; i < es.eigenvalues().size(); ++i) m = std::max(m, std::abs(es.eigenvalues()[i]));
  return m;
}

struct Key {
  int p, q, P, Q;
  bool constant;
  auto operator<=>(const Key&) const = default;
};

// One stepwise search at fixed d, D, m and regressors.
class Search {
 public:
  Search(std::span<const double> y, const Eigen::MatrixXd& exog, std::vector<std::string> exog_names,
         const AutoArimaOptions& options, int d, int D, int m, std::vector<FourierTerm> fourier)
      : y_(y),
        exog_(exog),
        names_(std::move(exog_names)),
        opt_(options),
        d_(d),
        D_(D),
        m_(m),
        fourier_(std::move(fourier)) {}

  // Fits (or recalls) a candidate; returns its criterion. A fresh fit is parked in last_model_ so
  // the caller can keep it when it becomes the best.
  double evaluate(const Key& k) {
    last_model_.reset();
    if (auto it = fits_.find(k); it != fits_.end()) return it->second.ic;
    Entry e;
    SarimaxSpec spec;
    spec.order = SarimaxOrder{k.p, d_, k.q, k.P, D_, k.Q, (k.P + k.Q + D_ > 0) ? m_ : 0};
    spec.trend = k.constant ? Trend::kConstant : Trend::kNone;
    spec.exog_names = names_;
    FitOptions fo = opt_.fit_options;
    fo.standard_errors = false;
    auto fit = Sarimax::fit(spec, y_, exog_, fo);
    e.ic = kInf;
    if (fit) {
      const double ic = information_criterion(fit->result(), opt_.ic);
      if (std::isfinite(ic) && min_root_modulus(fit->result()) >= 1.01) e.ic = ic;
      e.params = fit->result().params;
      last_model_.emplace(std::move(*fit));
    }
    e.spec = spec;
    candidates_.push_back(AutoArimaCandidate{spec.order, k.constant, fourier_, e.ic});
    ++models_;
    const double ic = e.ic;
    fits_.emplace(k, std::move(e));
    return ic;
  }

  [[nodiscard]] bool seen(const Key& k) const { return fits_.contains(k); }

  struct Best;
  /// Fits one model and returns it as the result (no search).
  Best single(const Key& k);
  [[nodiscard]] int models() const { return models_; }

  struct Best {
    SarimaxSpec spec;
    std::vector<double> params;
    double ic = kInf;
    std::optional<Sarimax> model;  ///< the fitted best candidate (without standard errors)
  };

  Best run(int max_p, int max_q, int max_P, int max_Q, bool constant, int n_points) {
    bounds_ = {max_p, max_q, max_P, max_Q};
    int sp = opt_.start_p, sq = opt_.start_q, sP = opt_.start_P, sQ = opt_.start_Q;
    if (n_points < 10) {
      sp = std::min(sp, 1);
      sq = std::min(sq, 1);
      sP = sQ = 0;
    }
    allow_toggle_ = constant;  // R: allowdrift || allowmean, i.e. a constant was allowed at all
    std::vector<Key> starts{
        {std::min(sp, max_p), std::min(sq, max_q), std::min(sP, max_P), std::min(sQ, max_Q), constant},
        {0, 0, 0, 0, constant}};
    if (max_p > 0 || max_P > 0)
      starts.push_back({max_p > 0 ? 1 : 0, 0, (m_ > 1 && max_P > 0) ? 1 : 0, 0, constant});
    if (max_q > 0 || max_Q > 0)
      starts.push_back({0, max_q > 0 ? 1 : 0, 0, (m_ > 1 && max_Q > 0) ? 1 : 0, constant});
    if (constant) starts.push_back({0, 0, 0, 0, false});
    for (const Key& k : starts) consider(k);
    // R's search: climb from the best start model.
    climb(best_, opt_.max_models);
    // Our addition: the greedy climb depends on the path (R's own path differs from ours because it
    // scores long series by CSS); climbing again from the other start models, with the fits cached,
    // finds neighbouring optima R may reach and we would otherwise miss.
    for (const Key& k : starts) {
      if (k == best_) continue;
      climb(k, 2 * opt_.max_models);
    }
    const Entry& e = fits_.at(best_);
    return Best{e.spec, e.params, best_ic_, std::move(best_model_)};
  }

  std::vector<AutoArimaCandidate>& candidates() { return candidates_; }

 private:
  struct Entry {
    SarimaxSpec spec;
    std::vector<double> params;
    double ic = kInf;
  };
  std::span<const double> y_;
  const Eigen::MatrixXd& exog_;
  std::vector<std::string> names_;
  const AutoArimaOptions& opt_;
  int d_, D_, m_;
  std::vector<FourierTerm> fourier_;
  // Fits k; keeps it as the overall best when it improves on it. Returns its criterion.
  double consider(const Key& k) {
    const double ic = evaluate(k);
    if (ic < best_ic_) {
      best_ic_ = ic;
      best_ = k;
      if (last_model_) best_model_ = std::move(last_model_);
    }
    return ic;
  }

  // R's neighbourhood walk from `start`: moves of +-1 in P, Q (and pairs), then p, q (and pairs),
  // taken as soon as one improves on the current model, then the constant toggle; until a full
  // round fits nothing new or `budget` models have been fitted.
  void climb(Key current, int budget) {
    static constexpr std::array<std::array<int, 4>, 16> kMoves{{{0, 0, -1, 0},
                                                                {0, 0, 0, -1},
                                                                {0, 0, 1, 0},
                                                                {0, 0, 0, 1},
                                                                {0, 0, -1, -1},
                                                                {0, 0, -1, 1},
                                                                {0, 0, 1, -1},
                                                                {0, 0, 1, 1},
                                                                {-1, 0, 0, 0},
                                                                {0, -1, 0, 0},
                                                                {1, 0, 0, 0},
                                                                {0, 1, 0, 0},
                                                                {-1, -1, 0, 0},
                                                                {-1, 1, 0, 0},
                                                                {1, -1, 0, 0},
                                                                {1, 1, 0, 0}}};
    double current_ic = evaluate(current);
    const auto [max_p, max_q, max_P, max_Q] = bounds_;
    int start_models = -1;
    while (start_models < models_ && models_ < budget) {
      start_models = models_;
      bool moved = false;
      for (const auto& mv : kMoves) {
        const Key k{current.p + mv[0], current.q + mv[1], current.P + mv[2], current.Q + mv[3],
                    current.constant};
        if (k.p < 0 || k.q < 0 || k.P < 0 || k.Q < 0 || k.p > max_p || k.q > max_q || k.P > max_P ||
            k.Q > max_Q)
          continue;
        if (seen(k)) continue;
        if (models_ >= budget) break;
        const double ic = consider(k);
        if (ic < current_ic) {
          current_ic = ic;
          current = k;
          moved = true;
          break;  // R's `next`: restart the neighbourhood from the new model
        }
      }
      if (moved) continue;
      if (allow_toggle_ && models_ < budget) {
        const Key k{current.p, current.q, current.P, current.Q, !current.constant};
        if (!seen(k)) {
          const double ic = consider(k);
          if (ic < current_ic) {
            current_ic = ic;
            current = k;
          }
        }
      }
    }
  }

  std::map<Key, Entry> fits_;
  std::vector<AutoArimaCandidate> candidates_;
  int models_ = 0;
  std::array<int, 4> bounds_{};
  bool allow_toggle_ = false;
  Key best_{0, 0, 0, 0, false};
  double best_ic_ = kInf;
  std::optional<Sarimax> last_model_;
  std::optional<Sarimax> best_model_;
};

Search::Best Search::single(const Key& k) {
  consider(k);
  if (!fits_.contains(best_)) return Best{};
  const Entry& e = fits_.at(best_);
  return Best{e.spec, e.params, best_ic_, std::move(best_model_)};
}

}  // namespace

double information_criterion(const SarimaxFit& fit, InformationCriterion ic) {
  const double k = fit.spec.k_params();
  const double n = fit.nobs_effective;
  const double aic = -2.0 * fit.loglik_r + 2.0 * k;
  switch (ic) {
    case InformationCriterion::kAic:
      return aic;
    case InformationCriterion::kBic:
      return -2.0 * fit.loglik_r + k * std::log(n);
    case InformationCriterion::kAicc:
      break;
  }
  return n - k - 1.0 > 0.0 ? aic + 2.0 * k * (k + 1.0) / (n - k - 1.0) : kInf;
}

double min_root_modulus(const SarimaxFit& fit) {
  const auto& o = fit.spec.order;
  std::vector<double> ar, ma, sar, sma;
  for (size_t i = 0; i < fit.param_names.size() && i < fit.params.size(); ++i) {
    const std::string& n = fit.param_names[i];
    if (n.starts_with("ar.S.L")) {
      sar.push_back(fit.params[i]);
    } else if (n.starts_with("ma.S.L")) {
      sma.push_back(fit.params[i]);
    } else if (n.starts_with("ar.L")) {
      ar.push_back(fit.params[i]);
    } else if (n.starts_with("ma.L")) {
      ma.push_back(fit.params[i]);
    }
  }
  const int s = std::max(o.s, 1);
  const double ar_inv = max_inverse_root(poly_mul(ar_polynomial(ar, 1), ar_polynomial(sar, s)));
  const double ma_inv = max_inverse_root(poly_mul(ma_polynomial(ma, 1), ma_polynomial(sma, s)));
  const double m = std::max(ar_inv, ma_inv);
  return m > 0 ? 1.0 / m : kInf;
}

Eigen::MatrixXd auto_arima_future_exog(const AutoArimaResult& result, const Eigen::MatrixXd& user_future_exog,
                                       int horizon) {
  const Eigen::Index k_user = static_cast<Eigen::Index>(result.spec.exog_names.size()) -
                              static_cast<Eigen::Index>(fourier_names(result.fourier).size());
  Eigen::MatrixXd out(horizon, result.spec.exog_names.size());
  if (k_user > 0) {
    // Missing future rows stay NaN: Sarimax::forecast then reports them instead of reading past the end.
    out.leftCols(k_user).setConstant(std::numeric_limits<double>::quiet_NaN());
    const Eigen::Index rows = std::min<Eigen::Index>(horizon, user_future_exog.rows());
    const Eigen::Index cols = std::min<Eigen::Index>(k_user, user_future_exog.cols());
    out.topLeftCorner(rows, cols) = user_future_exog.topLeftCorner(rows, cols);
  }
  if (!result.fourier.empty())
    out.rightCols(out.cols() - k_user) = fourier_matrix(result.fourier, result.exog.rows(), horizon);
  return out;
}

std::expected<AutoArimaResult, Error> auto_arima(std::span<const double> y, const Eigen::MatrixXd& exog,
                                                 const std::vector<std::string>& exog_names,
                                                 const AutoArimaOptions& options) {
  const int n = static_cast<int>(y.size());
  if (n == 0) return fail("auto_arima: empty series");
  if (static_cast<size_t>(exog.cols()) != exog_names.size())
    return fail(fmt::format("auto_arima: {} exogenous columns but {} names", exog.cols(), exog_names.size()));
  if (exog.cols() > 0 && exog.rows() != n) return fail("auto_arima: exog rows differ from the series length");
  int first = 0, last = n - 1;
  while (first < n && !std::isfinite(y[first])) ++first;
  if (first == n) return fail("auto_arima: all values are missing");
  while (last > first && !std::isfinite(y[last])) --last;
  int series_length = 0;
  for (int t = first; t <= last; ++t) series_length += std::isfinite(y[t]) ? 1 : 0;
  // R's auto.arima switches to AIC for <= 3 points: AICc's n - k - 1 is <= 0 for the model with a
  // mean (k = 2), so its AICc is +inf and the zero-mean model would win and forecast 0.
  if (series_length <= 3 && options.ic == InformationCriterion::kAicc) {
    AutoArimaOptions aic = options;
    aic.ic = InformationCriterion::kAic;
    return auto_arima(y, exog, exog_names, aic);
  }
  if (is_constant(y)) return fail("auto_arima: the series is constant; there is nothing random to model");

  // Seasonal period: short ones by seasonal ARIMA, long ones (and the extra periods) by Fourier terms.
  int m = options.seasonal ? std::max(1, options.period) : 1;
  std::vector<int> fourier_periods = options.fourier_periods;
  if (m > 1 && (prefer_fourier(m, n) || m > options.max_seasonal_arima_period)) {
    // A period of 2 has no Fourier pair beyond the alternating sign; with too few cycles it is
    // dropped, like R's max.P = max.Q = 0 and D = 0 on such data.
    if (m >= 3) fourier_periods.insert(fourier_periods.begin(), m);
    m = 1;
  }
  std::vector<int> max_k;
  for (int period : fourier_periods) {
    if (period < 3) return fail(fmt::format("auto_arima: Fourier period {} must be >= 3", period));
    max_k.push_back(std::max(1, std::min(options.max_harmonics, (period - 1) / 2)));
  }
  auto design = [&](const std::vector<int>& ks, std::vector<FourierTerm>* terms,
                    std::vector<std::string>* names) {
    terms->clear();
    for (size_t i = 0; i < fourier_periods.size(); ++i)
      if (ks[i] > 0) terms->push_back(FourierTerm{double(fourier_periods[i]), ks[i]});
    *names = exog_names;
    Eigen::MatrixXd X = exog;
    if (!terms->empty()) {
      const Eigen::MatrixXd F = fourier_matrix(*terms, 0, n);
      Eigen::MatrixXd both(n, exog.cols() + F.cols());
      if (exog.cols() > 0) both.leftCols(exog.cols()) = exog;
      both.rightCols(F.cols()) = F;
      X = std::move(both);
      for (auto& nm : fourier_names(*terms)) names->push_back(nm);
    }
    return X;
  };

  // Differencing orders, from the series with the regression effects removed (all harmonics in, so
  // that d does not change with K and the criteria stay comparable across K).
  std::vector<FourierTerm> terms;
  std::vector<std::string> names;
  const Eigen::MatrixXd X_full = design(max_k, &terms, &names);
  const std::vector<double> xx = regression_residuals(y, X_full);
  int D = options.D, d = options.d;
  if (options.stationary) d = D = 0;
  if (m == 1) {
    D = 0;
  } else if (D < 0 && n <= 2 * m) {
    D = 0;
  } else if (D < 0) {
    D = nsdiffs(xx, m, options.seasonal_test, options.max_D);
    if (D > 0 && X_full.cols() > 0 && any_constant_column(difference_rows(X_full, m, D))) --D;
  }
  std::vector<double> dx = xx;
  for (int k = 0; k < D; ++k) dx = seasonal_difference(dx, m);
  if (d < 0) {
    d = ndiffs(dx, options.alpha, options.max_d);
    if (d > 0 && X_full.cols() > 0 &&
        any_constant_column(difference_rows(difference_rows(X_full, m, D), 1, d)))
      --d;
  }
  for (int k = 0; k < d; ++k) dx = seasonal_difference(dx, 1);
  if (dx.empty()) return fail("auto_arima: not enough data after differencing");
  if (is_constant(dx))
    return fail(
        fmt::format("auto_arima: the series is deterministic after differencing (d={}, D={}); "
                    "there is nothing random to model",
                    d, D));

  int max_p = std::min(options.max_p, series_length / 3);
  int max_q = std::min(options.max_q, series_length / 3);
  int max_P = m > 1 ? std::min(options.max_P, series_length / 3 / m) : 0;
  int max_Q = m > 1 ? std::min(options.max_Q, series_length / 3 / m) : 0;
  if (m > 1) {
    if (max_P > 0) max_p = std::min(max_p, m - 1);
    if (max_Q > 0) max_q = std::min(max_q, m - 1);
  }
  const bool allow_drift = options.allow_drift && d + D == 1;
  const bool allow_mean = options.allow_mean && d + D == 0;
  const bool constant = allow_drift || allow_mean;

  std::optional<Search::Best> best;  // the best over all Fourier choices
  std::vector<FourierTerm> best_terms;
  Eigen::MatrixXd best_X;
  std::vector<AutoArimaCandidate> all_candidates;
  auto search_with = [&](const std::vector<int>& ks) {
    std::vector<FourierTerm> t;
    std::vector<std::string> nm;
    Eigen::MatrixXd X = design(ks, &t, &nm);
    Search s(y, X, nm, options, d, D, m, t);
    Search::Best b = s.run(max_p, max_q, max_P, max_Q, constant, n);
    for (auto& c : s.candidates()) all_candidates.push_back(std::move(c));
    const double ic = b.ic;
    if (!best || ic < best->ic) {
      best = std::move(b);
      best_terms = t;
      best_X = std::move(X);
    }
    return ic;
  };

  if (fourier_periods.empty()) {
    search_with({});
  } else {
    // Harmonics first, scored with one pilot ARIMA(min(2, max_p), d, 0) per K (greedy per period,
    // raising K while the criterion improves), then one order search at that K, then K +- 1 at the
    // chosen order while that improves. A full order search per K costs ~5x more for the same pick.
    auto pilot = [&](const std::vector<int>& ks) {
      std::vector<FourierTerm> t;
      std::vector<std::string> nm;
      const Eigen::MatrixXd X = design(ks, &t, &nm);
      Search s(y, X, nm, options, d, D, m, t);
      const double ic = s.single(Key{std::min(2, max_p), 0, 0, 0, constant}).ic;
      for (auto& c : s.candidates()) all_candidates.push_back(std::move(c));
      return ic;
    };
    std::vector<int> ks(fourier_periods.size(), 1);
    double current = pilot(ks);
    for (size_t i = 0; i < ks.size(); ++i) {
      while (ks[i] < max_k[i]) {
        std::vector<int> next = ks;
        ++next[i];
        const double ic = pilot(next);
        if (!(ic < current)) break;
        current = ic;
        ks = std::move(next);
      }
    }
    search_with(ks);
    if (best) {
      const auto& o = best->spec.order;
      const Key chosen{o.p, o.q, o.P, o.Q, best->spec.trend == Trend::kConstant};
      for (size_t i = 0; i < ks.size(); ++i) {
        for (int step : {-1, 1}) {
          while (true) {
            std::vector<int> next = ks;
            next[i] += step;
            if (next[i] < 1 || next[i] > max_k[i]) break;
            std::vector<FourierTerm> t;
            std::vector<std::string> nm;
            Eigen::MatrixXd X = design(next, &t, &nm);
            Search s(y, X, nm, options, d, D, m, t);
            Search::Best b = s.single(chosen);
            for (auto& c : s.candidates()) all_candidates.push_back(std::move(c));
            if (!(b.ic < best->ic)) break;
            best = std::move(b);
            best_terms = t;
            best_X = std::move(X);
            ks = std::move(next);
          }
        }
      }
    }
  }
  if (!best || !std::isfinite(best->ic)) return fail("auto_arima: no candidate model could be fitted");

  // Final refit with standard errors (skipped in the search to save the Hessians); the search's own
  // fit is kept if the refit lands lower.
  FitOptions fo = options.fit_options;
  auto refit = Sarimax::fit(best->spec, y, best_X, fo);
  std::optional<Sarimax> chosen;
  if (refit && (!best->model || refit->result().loglik >= best->model->result().loglik - 1e-6)) {
    chosen.emplace(std::move(*refit));
  } else if (best->model) {
    chosen = std::move(best->model);
  } else {
    return std::unexpected(refit.error());
  }
  const double ic = information_criterion(chosen->result(), options.ic);
  AutoArimaResult out{best->spec,        best_terms, std::move(best_X), ic, std::move(all_candidates),
                      std::move(*chosen)};
  return out;
}

}  // namespace promcast::forecaster
