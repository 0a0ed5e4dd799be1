#include "rules/forecast_evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "forecaster/auto_arima.h"
#include "forecaster/fourier.h"
#include "forecaster/sarimax.h"

namespace promcast::rules {

namespace {

namespace fc = promcast::forecaster;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int to_steps(Duration d, Duration step) { return static_cast<int>(d.count() / step.count()); }

// What one series keeps between evaluations: besides the recent part of its window (SeriesWindows; the
// whole history is read again before a refit), the model's filter state without in-sample history
// (charts re-filter the window) and the forecast path as mean and standard error only (the bounds per
// level are derived when read).
struct SeriesModel {
  std::optional<fc::Sarimax> model;
  std::vector<fc::FourierTerm> user_terms;  // fixed harmonics: regressors we supply
  std::vector<fc::FourierTerm> auto_terms;  // harmonics chosen by the search
  Eigen::Index n = 0;                       // grid points absorbed (Fourier phase)
  TimestampMs origin_ms = 0;                // grid time of the model's time 0, where the phase starts
  TimestampMs fitted_at = 0;
  std::string description;
  double aicc = kNaN;
  double ljung_box_p = kNaN;  // of the last fit's residuals
  // the last outputs, re-exported while no new point arrives
  double h0_mean = kNaN;
  std::vector<double> h0_lower, h0_upper;
  std::optional<fc::Forecast> forecast;  // mean and std_err; lower/upper left empty
  double last_value = kNaN;
  std::string state = "ok";
};

// Regressor rows t = start .. start+count-1 in the column order the model was fitted with.
Eigen::MatrixXd exog_rows(const SeriesModel& m, Eigen::Index start, Eigen::Index count) {
  const Eigen::MatrixXd user = fc::fourier_matrix(m.user_terms, start, count);
  const Eigen::MatrixXd chosen = fc::fourier_matrix(m.auto_terms, start, count);
  Eigen::MatrixXd out(count, user.cols() + chosen.cols());
  if (user.cols() > 0) out.leftCols(user.cols()) = user;
  if (chosen.cols() > 0) out.rightCols(chosen.cols()) = chosen;
  return out;
}

bool same_terms(const std::vector<fc::FourierTerm>& a, const std::vector<fc::FourierTerm>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.period == y.period && x.harmonics == y.harmonics;
  });
}

std::size_t term_columns(const std::vector<fc::FourierTerm>& terms) {
  std::size_t columns = 0;
  for (const auto& t : terms) columns += 2 * static_cast<std::size_t>(std::max(0, t.harmonics));
  return columns;
}

class ForecastEvaluator final : public RuleEvaluator {
 public:
  ForecastEvaluator(const ForecastRule& rule, Shard shard)
      : rule_(rule),
        windows_(rule.common.step, rule.common.history,
                 std::max(rule.common.step * 5, Duration{5 * 60 * 1000}), shard) {
    const Duration step = rule_.common.step;
    season_ = rule_.model.seasonal_period ? to_steps(*rule_.model.seasonal_period, step) : 0;
    for (const auto& f : rule_.model.fourier) {
      if (f.harmonics > 0)
        user_terms_.push_back({static_cast<double>(to_steps(f.period, step)), f.harmonics});
      else
        auto_periods_.push_back(to_steps(f.period, step));
    }
    for (Duration h : rule_.horizons) horizon_steps_.push_back(to_steps(h, step));
    // Between refits only the charts read the window: three of the longest season, at least two days.
    std::size_t longest = static_cast<std::size_t>(std::max(season_, 1));
    for (const auto& t : user_terms_) longest = std::max(longest, static_cast<std::size_t>(t.period));
    for (int p : auto_periods_) longest = std::max(longest, static_cast<std::size_t>(p));
    const auto day = static_cast<std::size_t>(std::max<std::int64_t>(1, 86'400'000 / step.count()));
    recent_points_ = std::min(windows_.capacity(), std::max({3 * longest, 2 * day, std::size_t{2}}));
    for (double l : rule_.intervals) levels_.push_back(l * 100.0);
    const boost::math::normal normal;  // the quantiles Sarimax::forecast uses, so the bounds are its own
    for (double level : levels_) z_.push_back(boost::math::quantile(normal, 0.5 + level / 200.0));
    fingerprint_ = forecast_model_fingerprint(rule_);
  }

  [[nodiscard]] std::string model_fingerprint() const override { return fingerprint_; }

  [[nodiscard]] RuleModelSnapshot export_models() const override {
    RuleModelSnapshot out;
    out.fingerprint = fingerprint_;
    for (const auto& [key, m] : models_) {
      if (!m.model) continue;
      const fc::SarimaxFit& r = m.model->result();
      out.models.push_back({key, r.spec, r.params, m.user_terms, m.auto_terms, m.origin_ms, m.fitted_at,
                            m.aicc, m.description});
    }
    // stored models of series not seen yet stay stored until the next refit (a series may be late)
    for (const auto& [key, s] : stored_)
      if (!models_.contains(key)) out.models.push_back(s);
    return out;
  }

  std::size_t restore_models(RuleModelSnapshot snapshot) override {
    if (snapshot.fingerprint != fingerprint_) return 0;
    std::size_t taken = 0;
    TimestampMs oldest = 0;
    for (auto& s : snapshot.models) {
      // the fingerprint covers the rule's terms; this guards against a file that disagrees with itself
      if (!same_terms(s.user_terms, user_terms_) ||
          s.spec.exog_names.size() != term_columns(s.user_terms) + term_columns(s.auto_terms))
        continue;
      oldest = taken == 0 ? s.fitted_at : std::min(oldest, s.fitted_at);
      stored_[s.series_hash] = std::move(s);
      ++taken;
    }
    // the rule-wide refit schedule resumes from the oldest stored fit, never later than it was due
    if (taken > 0 && last_refit_ == 0) last_refit_ = oldest;
    return taken;
  }

  [[nodiscard]] const RuleCommon& common() const override { return rule_.common; }

  [[nodiscard]] std::optional<SeriesChart> chart(std::uint64_t series_hash) const override {
    auto w = windows_.windows().find(series_hash);
    if (w == windows_.windows().end()) return std::nullopt;
    SeriesChart c;
    c.labels = w->second.labels;
    c.step = rule_.common.step;
    c.values = w->second.values;
    c.start = windows_.start_of(w->second);
    const std::size_t n = c.values.size();
    c.expected.assign(n, kNaN);
    c.lower.assign(n, kNaN);
    c.upper.assign(n, kNaN);
    auto m = models_.find(series_hash);
    if (m == models_.end() || !m->second.forecast) return c;
    const SeriesModel& sm = m->second;
    c.model = sm.description;
    const fc::Forecast& f = *sm.forecast;
    const std::size_t widest = static_cast<std::size_t>(
        std::max_element(rule_.intervals.begin(), rule_.intervals.end()) - rule_.intervals.begin());
    c.level = rule_.intervals[widest];
    c.forecast_mean = f.mean;
    c.forecast_lower = bounds(f, widest, -1.0);
    c.forecast_upper = bounds(f, widest, 1.0);
    // in-sample: the model's one-step expectations with the band's width for that level, from a filter
    // pass over the window (the model keeps no history), from its first observed point on
    const double z = z_[widest];
    std::size_t first = 0;
    while (first < n && !std::isfinite(c.values[first])) ++first;
    const std::span<const double> seen = std::span<const double>(c.values).subspan(first);
    const auto t0 = static_cast<Eigen::Index>(sm.n) - static_cast<Eigen::Index>(seen.size());
    std::optional<fc::SarimaxFit> in_sample;
    if (sm.model && !seen.empty() && t0 >= 0)
      if (auto r = sm.model->filter(seen, exog_rows(sm, t0, static_cast<Eigen::Index>(seen.size())), t0))
        in_sample = std::move(*r);
    if (in_sample) {
      const auto& r = *in_sample;
      const std::size_t have = std::min(n, r.fitted.size());
      for (std::size_t i = 0; i < have; ++i) {
        const std::size_t src = r.fitted.size() - have + i, dst = n - have + i;
        c.expected[dst] = r.fitted[src];
        double sd = std::sqrt(r.sigma2);
        if (src < r.standardized_residuals.size() && std::isfinite(r.standardized_residuals[src]) &&
            r.standardized_residuals[src] != 0.0)
          sd = std::abs(r.residuals[src] / r.standardized_residuals[src]);
        if (static_cast<int>(src) < r.diffuse_steps) continue;  // no prediction variance there
        c.lower[dst] = r.fitted[src] - z * sd;
        c.upper[dst] = r.fitted[src] + z * sd;
      }
    }
    return c;
  }

  [[nodiscard]] std::vector<ForecastPath> forecast_path_set() const override {
    std::vector<ForecastPath> out;
    for (const auto& [key, m] : models_) {
      if (!m.forecast) continue;
      auto w = windows_.windows().find(key);
      if (w == windows_.windows().end()) continue;
      ForecastPath p;
      p.rule = rule_.common.name;
      p.labels = output_labels(w->second.labels,
                               expand_rule_labels(w->second.labels, rule_.common.labels, m.last_value));
      p.step = rule_.common.step;
      p.start = windows_.end() + p.step.count();
      p.mean = m.forecast->mean;
      p.std_err = m.forecast->std_err;
      p.levels = rule_.intervals;
      p.z = z_;
      out.push_back(std::move(p));
    }
    return out;
  }

  std::expected<RuleEvaluation, Error> evaluate(TimestampMs now, const QueryFn& query,
                                                const EvalEnv& env) override {
    const bool refit_all = last_refit_ == 0 || now - last_refit_ >= rule_.refit.count();
    // A fit needs the whole history: at a refit, and for a series whose model was dropped (a failed
    // update) after its window was shortened.
    bool refill = refit_all;
    for (const auto& [key, m] : models_) {
      auto w = windows_.windows().find(key);
      if (!m.model && w != windows_.windows().end() && w->second.values.size() < windows_.capacity())
        refill = true;
    }
    auto refreshed = windows_.refresh(now, rule_query(rule_.common), query, refill);
    if (!refreshed) return std::unexpected(refreshed.error());
    if (refit_all) {
      last_refit_ = now;
      stored_.clear();  // due for a refit: stored models are no better than the ones in memory
    }

    std::erase_if(models_, [&](const auto& e) { return !windows_.windows().contains(e.first); });
    const Duration step = rule_.common.step;
    const int future_steps = static_cast<int>(env.future_window.count() / step.count());
    int max_h = std::max(1, future_steps);
    for (int h : horizon_steps_) max_h = std::max(max_h, h);

    std::vector<std::function<void()>> tasks;
    std::vector<std::pair<SeriesWindow*, SeriesModel*>> work;
    std::size_t fits = 0, failures = 0, restored = 0, restore_failures = 0;
    std::mutex count_mutex;
    for (auto& [key, w] : windows_.windows()) {
      SeriesModel& m = models_[key];
      work.emplace_back(&w, &m);
      const auto s = m.model ? stored_.end() : stored_.find(key);
      const SeriesModelSnapshot* stored = s == stored_.end() ? nullptr : &s->second;
      tasks.emplace_back([&, wp = &w, mp = &m, stored] {
        const bool fit = refit_all || wp->is_new || !mp->model;
        // a stored model stands in for the series' first fit; one that cannot be rebuilt is fitted
        if (fit && stored != nullptr && wp->finite_count() >= min_points()) {
          const bool rebuilt = restore_series(*mp, *wp, *stored, max_h);
          {
            std::lock_guard lock(count_mutex);
            ++(rebuilt ? restored : restore_failures);
          }
          if (rebuilt) return;
        }
        const bool ok = fit ? fit_series(*mp, *wp, now, max_h) : update_series(*mp, *wp, max_h);
        if (fit) {
          std::lock_guard lock(count_mutex);
          if (mp->state != "insufficient history" && mp->state != "constant") ok ? ++fits : ++failures;
        }
      });
    }
    run_tasks(env, std::move(tasks));
    for (const auto& [key, w] : windows_.windows()) stored_.erase(key);  // used, or the series has a model

    RuleEvaluation out;
    out.samples_read = refreshed->samples;
    out.queries = refreshed->queries;
    out.fits = fits;
    out.fit_failures = failures;
    out.restored = restored;
    out.restore_failures = restore_failures;
    const std::string& name = rule_.common.name;
    for (auto [w, m] : work) {
      SeriesStatus status;
      status.labels = w->labels;
      status.model = m->description;
      status.aicc = m->aicc;
      status.ljung_box_p = m->ljung_box_p;
      status.last_fit = m->fitted_at;
      status.value = m->last_value;
      status.expected = m->h0_mean;
      status.lower = m->h0_lower.empty() ? kNaN : m->h0_lower.back();
      status.upper = m->h0_upper.empty() ? kNaN : m->h0_upper.back();
      status.score = kNaN;
      status.state = m->state;
      out.series.push_back(status);
      if (m->state == "insufficient history") ++out.insufficient;
      if (!m->forecast) continue;  // never fitted: nothing to export yet
      const Labels labels =
          output_labels(w->labels, expand_rule_labels(w->labels, rule_.common.labels, m->last_value));
      auto emit = [&](const std::string& metric, Labels l, double value) {
        out.samples.push_back({metric, std::move(l), value});
      };
      for (std::size_t i = 0; i < rule_.horizons.size(); ++i) {
        const int h = horizon_steps_[i];
        Labels l = labels;
        set_label(l, "horizon", format_duration(rule_.horizons[i]));
        const double mean = h == 0 ? m->h0_mean : m->forecast->mean[static_cast<std::size_t>(h - 1)];
        emit(name + ":yhat", l, mean);
        for (std::size_t k = 0; k < levels_.size(); ++k) {
          Labels ll = l;
          set_label(ll, "level", format_sample_value(rule_.intervals[k]));
          const auto at = static_cast<std::size_t>(h - 1);
          const double lo = h == 0 ? m->h0_lower[k] : bound(*m->forecast, k, at, -1.0);
          const double hi = h == 0 ? m->h0_upper[k] : bound(*m->forecast, k, at, 1.0);
          emit(name + ":yhat_lower", ll, lo);
          emit(name + ":yhat_upper", std::move(ll), hi);
        }
      }
      // the future path for remote write (written at its own timestamps)
      for (int k = 1; k <= future_steps && k <= static_cast<int>(m->forecast->mean.size()); ++k) {
        const TimestampMs t = windows_.end() + static_cast<TimestampMs>(k) * step.count();
        if (t - now > env.future_window.count()) break;
        const auto idx = static_cast<std::size_t>(k - 1);
        out.remote.push_back({with_name(labels, name + ":yhat_path", env), t, m->forecast->mean[idx]});
        for (std::size_t j = 0; j < levels_.size(); ++j) {
          Labels ll = labels;
          set_label(ll, "level", format_sample_value(rule_.intervals[j]));
          out.remote.push_back(
              {with_name(ll, name + ":yhat_path_lower", env), t, bound(*m->forecast, j, idx, -1.0)});
          out.remote.push_back(
              {with_name(ll, name + ":yhat_path_upper", env), t, bound(*m->forecast, j, idx, 1.0)});
        }
      }
    }
    for (const auto& s : out.samples) out.remote.push_back({with_name(s.labels, s.name, env), now, s.value});
    // Until the next refit, a fitted series needs only the points its chart shows.
    for (const auto& [key, m] : models_)
      if (m.model) windows_.keep_recent(key, recent_points_);
    return out;
  }

 private:
  static Labels with_name(Labels labels, const std::string& name, const EvalEnv& env) {
    for (const auto& [k, v] : env.external_labels)
      if (label_value(labels, k).empty()) set_label(labels, k, v);
    set_label(labels, "__name__", name);
    return labels;
  }

  // Interval bounds from the kept mean and standard error, by Sarimax::forecast's own arithmetic.
  [[nodiscard]] double bound(const fc::Forecast& f, std::size_t level, std::size_t at, double side) const {
    return side < 0 ? f.mean[at] - z_[level] * f.std_err[at] : f.mean[at] + z_[level] * f.std_err[at];
  }
  [[nodiscard]] std::vector<double> bounds(const fc::Forecast& f, std::size_t level, double side) const {
    std::vector<double> out(f.mean.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = bound(f, level, i, side);
    return out;
  }

  [[nodiscard]] std::size_t min_points() const {
    return std::max<std::size_t>(20, season_ >= 2 ? 2 * static_cast<std::size_t>(season_) + 1 : 0);
  }

  // Full estimation on the window: fit on all points but the last, take the one-step expectation for
  // the last (horizon 0s), absorb it, forecast.
  bool fit_series(SeriesModel& m, const SeriesWindow& w, TimestampMs now, int max_h) {
    m.last_value = last_finite(w.values);
    if (w.finite_count() < min_points()) {
      m = SeriesModel{};
      m.last_value = last_finite(w.values);
      m.state = "insufficient history";
      return false;
    }
    const std::span<const double> all(w.values);
    const std::span<const double> head = all.first(all.size() - 1);
    // The fit would see `head`: while that is constant there is nothing to fit, even when the newest
    // point has moved (it is judged against the constant, and fitted on at the next evaluation).
    if (const auto c = constant_value(head)) {
      m = constant_model(*c, max_h);
      m.last_value = last_finite(w.values);
      return true;
    }
    // A constant window's outputs claim no uncertainty: once its values moved they are not kept
    // through a failed fit, as a model's last outputs are.
    if (m.state == "constant") m.forecast.reset();
    const auto n = static_cast<Eigen::Index>(head.size());
    SeriesModel next;
    next.user_terms = user_terms_;
    const Eigen::MatrixXd exog = fc::fourier_matrix(next.user_terms, 0, n);
    if (rule_.model.auto_order) {
      fc::AutoArimaOptions o;
      o.period = season_ >= 2 ? season_ : 1;
      o.seasonal = season_ >= 2;
      o.fourier_periods = auto_periods_;
      o.fit_options.standard_errors = false;  // nothing here reports them; the Hessian cost ~5% of a fit
      auto r = fc::auto_arima(head, exog, fc::fourier_names(next.user_terms), o);
      if (!r) return fail(m, r.error());
      next.auto_terms = r->fourier;
      next.description = r->spec.describe();
      next.model.emplace(std::move(r->model));
    } else {
      fc::SarimaxSpec spec;
      spec.order = {rule_.model.p,
                    rule_.model.d,
                    rule_.model.q,
                    rule_.model.P,
                    rule_.model.D,
                    rule_.model.Q,
                    season_ >= 2 ? season_ : 0};
      spec.trend = rule_.model.trend.value_or(fc::Trend::kNone);
      spec.exog_names = fc::fourier_names(next.user_terms);
      fc::FitOptions fo;
      fo.standard_errors = false;
      auto r = fc::Sarimax::fit(spec, head, exog, fo);
      if (!r) return fail(m, r.error());
      next.description = spec.describe();
      next.model.emplace(std::move(*r));
    }
    const auto lb = fc::residual_ljung_box(next.model->result());  // before the residuals go
    next.ljung_box_p = lb ? lb->p_value : kNaN;
    next.model->limit_history(0);  // nothing here reads it; chart() re-filters the window
    next.aicc = next.model->result().aicc;
    next.n = n;
    next.fitted_at = now;
    next.origin_ms = windows_.start_of(w);
    next.last_value = m.last_value;
    if (auto a = absorb(next, all.subspan(all.size() - 1), max_h, levels_); !a) return fail(m, a.error());
    m = std::move(next);
    return true;
  }

  // The value (their mean, as R takes) of a window whose observed points are all equal by R's
  // is.constant, which auto_arima refuses: a gauge stuck at 0, a fixed capacity.
  static std::optional<double> constant_value(std::span<const double> values) {
    if (!fc::is_constant(values)) return std::nullopt;
    double sum = 0;
    std::size_t n = 0;
    for (double v : values)
      if (std::isfinite(v)) {
        sum += v;
        ++n;
      }
    if (n == 0) return std::nullopt;
    return sum / static_cast<double>(n);
  }

  // A constant window is forecast as itself with zero-width intervals, as R's auto.arima does (its
  // ARIMA(0,0,0) at the constant with zero variance); SARIMAX has no likelihood there. The series
  // has no model, so every evaluation looks again and fits once the values move.
  SeriesModel constant_model(double c, int max_h) const {
    SeriesModel next;
    next.description = fmt::format("constant {}", format_sample_value(c));
    next.state = "constant";  // fitted_at stays 0: nothing was fitted ("never" on the status page)
    next.h0_mean = c;
    next.h0_lower.assign(levels_.size(), c);
    next.h0_upper.assign(levels_.size(), c);
    fc::Forecast f;
    f.mean.assign(static_cast<std::size_t>(max_h), c);
    f.std_err.assign(static_cast<std::size_t>(max_h), 0.0);
    f.levels = levels_;
    next.forecast = std::move(f);
    return next;
  }

  // A stored model rebuilt at its stored parameters on the window (one filter pass, no estimation), then
  // as after a fit: the last point's one-step expectation, absorbed, forecast. The window's first point
  // is `first` steps after the stored origin on the model's time axis, so regressors and drift continue.
  bool restore_series(SeriesModel& m, const SeriesWindow& w, const SeriesModelSnapshot& s, int max_h) const {
    const TimestampMs step = rule_.common.step.count();
    const TimestampMs start = windows_.start_of(w);
    if ((start - s.origin_ms) % step != 0) return false;  // not on this rule's grid
    const auto first = static_cast<Eigen::Index>((start - s.origin_ms) / step);
    const std::span<const double> all(w.values);
    const std::span<const double> head = all.first(all.size() - 1);
    const auto n = static_cast<Eigen::Index>(head.size());
    SeriesModel next;
    next.user_terms = s.user_terms;
    next.auto_terms = s.auto_terms;
    auto r =
        fc::Sarimax::from_params(s.spec, head, exog_rows(next, first, n), s.params, static_cast<long>(first));
    if (!r) return false;
    next.model.emplace(std::move(*r));
    const auto lb = fc::residual_ljung_box(next.model->result());  // of this window, at the stored fit
    next.ljung_box_p = lb ? lb->p_value : kNaN;
    next.model->limit_history(0);
    next.n = first + n;
    next.origin_ms = s.origin_ms;
    next.fitted_at = s.fitted_at;
    next.aicc = s.aicc;
    next.description = s.description;
    next.last_value = last_finite(w.values);
    if (!absorb(next, all.last(1), max_h, levels_)) return false;
    m = std::move(next);
    return true;
  }

  // Between refits: the new points go through the filter; the parameters stay.
  bool update_series(SeriesModel& m, const SeriesWindow& w, int max_h) {
    if (w.new_points == 0) return true;
    m.last_value = last_finite(w.values);
    const std::size_t k = std::min(w.new_points, w.values.size());
    const std::span<const double> fresh = std::span<const double>(w.values).last(k);
    if (k > 1) {
      auto r = m.model->update(fresh.first(k - 1), exog_rows(m, m.n, static_cast<Eigen::Index>(k - 1)));
      if (!r) return fail_update(m, r.error());
      m.n += static_cast<Eigen::Index>(k - 1);
    }
    if (auto a = absorb(m, fresh.last(1), max_h, levels_); !a) return fail_update(m, a.error());
    return true;
  }

  // One-step expectation for `last` (horizon 0s), then absorbs it and forecasts max_h steps.
  static std::expected<void, Error> absorb(SeriesModel& m, std::span<const double> last, int max_h,
                                           const std::vector<double>& levels) {
    auto one = m.model->forecast(1, exog_rows(m, m.n, 1), levels);
    if (!one) return std::unexpected(one.error());
    m.h0_mean = one->mean[0];
    m.h0_lower.clear();
    m.h0_upper.clear();
    for (std::size_t k = 0; k < levels.size(); ++k) {
      m.h0_lower.push_back(one->lower[k][0]);
      m.h0_upper.push_back(one->upper[k][0]);
    }
    auto r = m.model->update(last, exog_rows(m, m.n, 1));
    if (!r) return std::unexpected(r.error());
    m.n += 1;
    auto f = m.model->forecast(max_h, exog_rows(m, m.n, max_h), levels);
    if (!f) return std::unexpected(f.error());
    m.forecast = std::move(*f);
    m.forecast->lower = {};  // derived from mean and std_err when read (bound())
    m.forecast->upper = {};
    m.state = "ok";
    return {};
  }
  // A failed fit keeps the last good model (and its outputs); the state says why.
  static bool fail(SeriesModel& m, const Error& e) {
    m.state = "fit failed: " + e.message;
    return false;
  }
  // The filter's position is unknown after a failed update: the next evaluation refits; the last
  // outputs stay exported until then.
  static bool fail_update(SeriesModel& m, const Error& e) {
    m.model.reset();
    return fail(m, e);
  }
  static double last_finite(const std::vector<double>& v) {
    for (auto it = v.rbegin(); it != v.rend(); ++it)
      if (std::isfinite(*it)) return *it;
    return kNaN;
  }

  ForecastRule rule_;
  SeriesWindows windows_;
  int season_ = 0;
  std::vector<fc::FourierTerm> user_terms_;
  std::vector<int> auto_periods_;
  std::vector<int> horizon_steps_;
  std::vector<double> levels_;
  std::vector<double> z_;  // normal quantile of each level
  std::map<std::uint64_t, SeriesModel> models_;
  std::string fingerprint_;
  std::map<std::uint64_t, SeriesModelSnapshot> stored_;  // restored, not used yet (restore_models)
  TimestampMs last_refit_ = 0;
  std::size_t recent_points_ = 0;  // window points kept between refits
};

}  // namespace

std::string forecast_model_fingerprint(const ForecastRule& rule) {
  const RuleCommon& c = rule.common;
  const ModelConfig& m = rule.model;
  nlohmann::json fourier = nlohmann::json::array();
  for (const auto& f : m.fourier) fourier.push_back({f.period.count(), f.harmonics});
  const nlohmann::json doc = {
      {"kind", "forecast"},
      {"expr", c.expr},
      {"source", c.source},
      {"step_ms", c.step.count()},
      {"history_ms", c.history.count()},
      {"order", m.auto_order ? nlohmann::json("auto") : nlohmann::json({m.p, m.d, m.q})},
      {"seasonal_ms", m.seasonal_period ? nlohmann::json(m.seasonal_period->count()) : nlohmann::json()},
      {"seasonal_order", m.seasonal_auto ? nlohmann::json("auto") : nlohmann::json({m.P, m.D, m.Q})},
      {"fourier", fourier},
      {"trend", m.trend ? nlohmann::json(std::string(fc::to_string(*m.trend))) : nlohmann::json()}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<RuleEvaluator> make_forecast_evaluator(const ForecastRule& rule, Shard shard) {
  return std::make_unique<ForecastEvaluator>(rule, shard);
}

}  // namespace promcast::rules
