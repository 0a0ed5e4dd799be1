// Strict decoding of rule files and the backends file: a Reader records every problem at its node's
// position and carries on, so `promcast check rules` lists all of them in one run. Unknown keys are errors
// with the keys that were expected (and the closest one when it looks like a typo).
#include "rules/rule_loader.h"

#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <utility>

#include "rules/alert_template.h"

namespace promcast::rules {

const RuleCommon& common_of(const Rule& rule) {
  return std::visit([](const auto& r) -> const RuleCommon& { return r.common; }, rule);
}

namespace {

namespace fc = promcast::forecaster;

// A document whose aliases make the walk revisit the same nodes many times (a few KB can stand for
// billions of nodes) is refused after this many visits.
constexpr std::size_t kVisitBudget = 2'000'000;

// Counts of steps (windows, periods, histories) beyond this are mistakes, and would overflow an int period.
constexpr long long kMaxSteps = 10'000'000;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (auto n : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

bool is_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool is_label_name(std::string_view s) { return is_metric_name(s) && s.find(':') == std::string_view::npos; }

/// Typed reads that record errors at the node's position and carry on.
class Reader {
 public:
  Reader(std::string file, std::vector<Error>& errors) : file_(std::move(file)), errors_(errors) {}

  void error(const YAML::Node& at, std::string message) {
    const YAML::Mark mark = at.Mark();
    const bool known = !mark.is_null() && mark.line >= 0;
    errors_.push_back(
        Error{std::move(message), file_, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0});
  }

  [[nodiscard]] SourcePosition position(const YAML::Node& at) const {
    const YAML::Mark mark = at.Mark();
    if (mark.is_null() || mark.line < 0) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
  }

  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] std::size_t error_count() const { return errors_.size(); }

  /// False (once, with an error) when the document made the walk too long.
  bool visit(const YAML::Node& at) {
    if (visits_ < kVisitBudget) {
      ++visits_;
      return true;
    }
    if (!budget_reported_) {
      error(at, "document too large once aliases are expanded (refusing to walk it)");
      budget_reported_ = true;
    }
    return false;
  }

  static std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsSequence())
      return fmt::format("a list of {} item{}", node.size(), node.size() == 1 ? "" : "s");
    if (node.IsMap()) return "a map";
    return fmt::format("\"{}\"", node.Scalar());
  }

  std::optional<std::string> string(const YAML::Node& node, std::string_view key) {
    if (!node.IsScalar()) {
      error(node, fmt::format("{}: expected a string, got {}", key, describe(node)));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<std::string> nonempty_string(const YAML::Node& node, std::string_view key) {
    auto s = string(node, key);
    if (s && s->empty()) {
      error(node, fmt::format("{}: must not be empty", key));
      return std::nullopt;
    }
    return s;
  }

  std::optional<bool> boolean(const YAML::Node& node, std::string_view key) {
    if (node.IsScalar() && node.Tag() != "!") {
      const std::string& s = node.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    error(node, fmt::format("{}: expected true or false, got {}", key, describe(node)));
    return std::nullopt;
  }

  std::optional<double> number(const YAML::Node& node, std::string_view key) {
    if (node.IsScalar() && node.Tag() != "!") {
      const std::string& s = node.Scalar();
      double v = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v)) return v;
    }
    error(node, fmt::format("{}: expected a number, got {}", key, describe(node)));
    return std::nullopt;
  }

  std::optional<long long> integer(const YAML::Node& node, std::string_view key, long long min,
                                   long long max) {
    if (node.IsScalar() && node.Tag() != "!") {
      const std::string& s = node.Scalar();
      long long v = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) {
        if (v >= min && v <= max) return v;
        error(node, max == std::numeric_limits<long long>::max()
                        ? fmt::format("{}: expected an integer >= {}, got {}", key, min, v)
                        : fmt::format("{}: expected an integer from {} to {}, got {}", key, min, max, v));
        return std::nullopt;
      }
    }
    error(node, fmt::format("{}: expected an integer, got {}", key, describe(node)));
    return std::nullopt;
  }

  std::optional<std::size_t> count(const YAML::Node& node, std::string_view key, long long min) {
    auto v = integer(node, key, min, std::numeric_limits<long long>::max());
    if (!v) return std::nullopt;
    return static_cast<std::size_t>(*v);
  }

  std::optional<Duration> duration(const YAML::Node& node, std::string_view key) {
    if (!node.IsScalar()) {
      error(node, fmt::format("{}: expected a duration such as 5m or 1h30m, got {}", key, describe(node)));
      return std::nullopt;
    }
    auto d = parse_duration(node.Scalar());
    if (!d) {
      error(node, fmt::format("{}: {}", key, d.error()));
      return std::nullopt;
    }
    return *d;
  }

  std::optional<Duration> positive_duration(const YAML::Node& node, std::string_view key) {
    auto d = duration(node, key);
    if (d && d->count() <= 0) {
      error(node, fmt::format("{}: must be greater than 0", key));
      return std::nullopt;
    }
    return d;
  }

  /// A number of steps: an integer (points) or a duration that is a whole number of `step`s.
  std::optional<std::size_t> steps(const YAML::Node& node, std::string_view key, Duration step,
                                   long long min) {
    if (node.IsScalar() && node.Tag() != "!" && !node.Scalar().empty() &&
        std::all_of(node.Scalar().begin(), node.Scalar().end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      auto v = integer(node, key, min, kMaxSteps);
      if (!v) return std::nullopt;
      return static_cast<std::size_t>(*v);
    }
    if (!node.IsScalar()) {
      error(node, fmt::format("{}: expected a duration (e.g. 1d) or a number of steps, got {}", key,
                              describe(node)));
      return std::nullopt;
    }
    auto d = duration(node, key);
    if (!d) return std::nullopt;
    auto n = whole_steps(node, key, *d, step);
    if (n && (static_cast<long long>(*n) < min || static_cast<long long>(*n) > kMaxSteps)) {
      error(node,
            fmt::format("{}: {} is {} steps of {}, expected {} {}", key, node.Scalar(), *n,
                        format_duration(step), static_cast<long long>(*n) < min ? "at least" : "at most",
                        static_cast<long long>(*n) < min ? min : kMaxSteps));
      return std::nullopt;
    }
    return n;
  }

  std::optional<std::size_t> whole_steps(const YAML::Node& node, std::string_view key, Duration d,
                                         Duration step) {
    if (step.count() <= 0) return std::nullopt;  // the step itself was an error, already reported
    if (d.count() % step.count() != 0) {
      error(node, fmt::format("{}: {} is not a whole number of steps of {}", key, format_duration(d),
                              format_duration(step)));
      return std::nullopt;
    }
    return static_cast<std::size_t>(d.count() / step.count());
  }

  /// Walks a map strictly: keys not in `known` and repeated keys are errors; `on_key(key, value)` gets the
  /// others. Returns false (after an error) when the node is not a map.
  template <typename OnKey>
  bool fields_in(const YAML::Node& node, std::string_view what, std::span<const std::string_view> known,
                 OnKey&& on_key) {
    if (!visit(node)) return false;
    if (!node.IsMap()) {
      error(node, fmt::format("{}: expected a map with keys {}, got {}", what, join(known), describe(node)));
      return false;
    }
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : node) {
      if (!visit(entry.first)) return false;
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string hint;
        std::size_t best = 3;
        for (auto k : known) {
          if (const std::size_t d = edit_distance(name, k); d < best) {
            best = d;
            hint = fmt::format("did you mean {}? ", k);
          }
        }
        error(entry.first,
              fmt::format("unknown key {} in {} ({}expected one of {})",
                          entry.first.IsScalar() ? fmt::format("\"{}\"", name) : describe(entry.first), what,
                          hint, join(known)));
        continue;
      }
      if (!seen.insert(name).second) {
        error(entry.first, fmt::format("key \"{}\" repeated in {}", name, what));
        continue;
      }
      on_key(std::string_view(name), entry.second);
    }
    return true;
  }

  template <typename OnKey>
  bool fields(const YAML::Node& node, std::string_view what, std::initializer_list<std::string_view> known,
              OnKey&& on_key) {
    return fields_in(node, what, std::span<const std::string_view>(known.begin(), known.size()),
                     std::forward<OnKey>(on_key));
  }

  /// Calls `on_item` for each item of a list; false (after an error) when the node is not a list.
  template <typename OnItem>
  bool items(const YAML::Node& node, std::string_view key, std::string_view item_kind, OnItem&& on_item) {
    if (!node.IsSequence()) {
      error(node, fmt::format("{}: expected a list of {}, got {}", key, item_kind, describe(node)));
      return false;
    }
    for (const auto& item : node) {
      if (!visit(item)) return false;
      on_item(item);
    }
    return true;
  }

  /// A map of label names to values: names valid and not reserved (`__` prefix, `reserved`). The valid
  /// entries are returned even when others are not, so their values are still checked.
  std::optional<Labels> labels(const YAML::Node& node, std::string_view key,
                               std::initializer_list<std::string_view> reserved = {}) {
    if (!visit(node)) return std::nullopt;
    if (!node.IsMap()) {
      error(node, fmt::format("{}: expected a map of label names to values, got {}", key, describe(node)));
      return std::nullopt;
    }
    Labels out;
    for (const auto& entry : node) {
      if (!visit(entry.first)) return std::nullopt;
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
      if (!is_label_name(name)) {
        error(entry.first,
              fmt::format("{}: invalid label name {} (expected [a-zA-Z_][a-zA-Z0-9_]*)", key,
                          entry.first.IsScalar() ? fmt::format("\"{}\"", name) : describe(entry.first)));
        continue;
      }
      if (name.starts_with("__")) {
        error(entry.first,
              fmt::format("{}: label name \"{}\" is reserved (names starting with __ are internal)", key,
                          name));
        continue;
      }
      if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
        error(entry.first,
              fmt::format("{}: label \"{}\" is set by promcast on this rule's outputs", key, name));
        continue;
      }
      if (std::any_of(out.begin(), out.end(), [&](const Label& l) { return l.first == name; })) {
        error(entry.first, fmt::format("{}: label \"{}\" repeated", key, name));
        continue;
      }
      auto value = string(entry.second, fmt::format("{}.{}", key, name));
      if (!value) continue;
      out.emplace_back(name, std::move(*value));
    }
    std::sort(out.begin(), out.end(), [](const Label& a, const Label& b) { return a.first < b.first; });
    return out;
  }

  void required(const YAML::Node& at, bool present, std::string_view key, std::string_view what) {
    if (!present) error(at, fmt::format("{}: missing required key \"{}\"", what, key));
  }

 private:
  std::string file_;
  std::vector<Error>& errors_;
  std::size_t visits_ = 0;
  bool budget_reported_ = false;
};

// ---------------------------------------------------------------------------------------------------------
// Rule files.

std::optional<std::vector<int>> read_order(Reader& r, const YAML::Node& node, std::string_view key,
                                           std::initializer_list<std::string_view> names,
                                           std::initializer_list<int> maxima) {
  const std::span<const std::string_view> name_list(names.begin(), names.size());
  if (!node.IsSequence() || node.size() != names.size()) {
    r.error(node,
            fmt::format("{}: expected auto or [{}], got {}", key, join(name_list), Reader::describe(node)));
    return std::nullopt;
  }
  std::vector<int> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto v = r.integer(node[i], fmt::format("{} {}", key, name_list[i]), 0, *(maxima.begin() + i));
    if (!v) return std::nullopt;
    out.push_back(static_cast<int>(*v));
  }
  return out;
}

bool is_auto(const YAML::Node& node) { return node.IsScalar() && node.Scalar() == "auto"; }

void read_model(Reader& r, const YAML::Node& node, Duration step, ModelConfig& m) {
  std::optional<YAML::Node> seasonal, fourier, trend, order;
  r.fields(node, "model", {"order", "seasonal", "fourier", "trend"},
           [&](std::string_view key, const YAML::Node& v) {
             if (key == "order") order.emplace(v);
             if (key == "seasonal") seasonal.emplace(v);
             if (key == "fourier") fourier.emplace(v);
             if (key == "trend") trend.emplace(v);
           });
  if (order && !is_auto(*order)) {
    if (auto o = read_order(r, *order, "model order", {"p", "d", "q"}, {100, 3, 100})) {
      m.auto_order = false;
      m.p = (*o)[0];
      m.d = (*o)[1];
      m.q = (*o)[2];
    } else {
      m.auto_order = false;
    }
  }
  if (seasonal) {
    std::optional<YAML::Node> season_order;
    bool has_period = false;
    r.fields(*seasonal, "model seasonal", {"period", "order"},
             [&](std::string_view key, const YAML::Node& v) {
               if (key == "order") {
                 season_order.emplace(v);
                 return;
               }
               has_period = true;
               if (auto d = r.positive_duration(v, "seasonal period")) {
                 if (auto n = r.whole_steps(v, "seasonal period", *d, step)) {
                   if (*n < 2)
                     r.error(v, fmt::format("seasonal period: {} is {} step(s) of {}, expected at least 2",
                                            format_duration(*d), *n, format_duration(step)));
                   else
                     m.seasonal_period = *d;
                 }
               }
             });
    if (seasonal->IsMap()) r.required(*seasonal, has_period, "period", "model seasonal");
    if (season_order && !is_auto(*season_order)) {
      m.seasonal_auto = false;
      if (m.auto_order)
        r.error(*season_order,
                "seasonal order: a fixed seasonal order needs a fixed model order "
                "(with order: auto the search chooses both)");
      if (auto o = read_order(r, *season_order, "seasonal order", {"P", "D", "Q"}, {10, 2, 10})) {
        m.P = (*o)[0];
        m.D = (*o)[1];
        m.Q = (*o)[2];
      }
    } else if (!m.auto_order && seasonal->IsMap()) {
      r.error(season_order ? *season_order : *seasonal,
              "seasonal order: expected [P, D, Q] with a fixed model order (auto only with order: auto)");
    }
  }
  if (fourier) {
    r.items(*fourier, "fourier", "{period, harmonics} maps", [&](const YAML::Node& item) {
      FourierConfig f;
      bool has_period = false, has_harmonics = false;
      std::size_t period_steps = 0;
      std::optional<YAML::Node> harmonics_node;
      r.fields(item, "fourier term", {"period", "harmonics"}, [&](std::string_view key, const YAML::Node& v) {
        if (key == "period") {
          has_period = true;
          if (auto d = r.positive_duration(v, "fourier period")) {
            if (auto n = r.whole_steps(v, "fourier period", *d, step)) {
              if (*n < 2)
                r.error(v, fmt::format("fourier period: {} is {} step(s) of {}, expected at least 2",
                                       format_duration(*d), *n, format_duration(step)));
              f.period = *d;
              period_steps = *n;
            }
          }
          return;
        }
        has_harmonics = true;
        harmonics_node.emplace(v);
        if (auto h = r.integer(v, "fourier harmonics", 1, 1000)) f.harmonics = static_cast<int>(*h);
      });
      if (harmonics_node && period_steps > 0 && static_cast<std::size_t>(2 * f.harmonics) > period_steps)
        r.error(*harmonics_node,
                fmt::format("fourier harmonics: at most {} for a period of {} steps (2 * harmonics "
                            "<= period)",
                            period_steps / 2, period_steps));
      if (item.IsMap()) {
        r.required(item, has_period, "period", "fourier term");
        if (!has_harmonics && !m.auto_order)
          r.error(item, "fourier term: missing required key \"harmonics\" (only order: auto chooses it)");
      }
      m.fourier.push_back(f);
    });
  }
  if (trend) {
    if (m.auto_order) {
      r.error(*trend, "model trend: only with a fixed order (order: auto chooses the trend)");
    } else if (auto s = r.string(*trend, "model trend")) {
      if (auto t = fc::parse_trend(*s))
        m.trend = *t;
      else
        r.error(*trend, fmt::format("model trend: expected n, c, t or ct, got \"{}\"", *s));
    }
  }
}

// The detector keys: `promcast detect`'s flags with underscores for dashes.
using M = fc::Method;
constexpr std::string_view kDetectorKeys[] = {"method",
                                              "period",
                                              "alpha",
                                              "max_anoms",
                                              "direction",
                                              "min_rel_scale",
                                              "threshold",
                                              "only_last",
                                              "longterm_period",
                                              "piecewise_weeks",
                                              "window",
                                              "z",
                                              "robust",
                                              "order",
                                              "seasonal_order",
                                              "trend",
                                              "level",
                                              "k",
                                              "n",
                                              "trees",
                                              "subsample",
                                              "contamination",
                                              "seed",
                                              "peers",
                                              "diff",
                                              "refit_every",
                                              "history",
                                              "recent_max_window",
                                              "likelihood",
                                              "likelihood_learning",
                                              "likelihood_samples",
                                              "likelihood_average",
                                              "range_tolerance",
                                              "range_min_points"};

std::vector<M> detector_key_scope(std::string_view key) {
  if (key == "period") return {M::kShesd, M::kIforest};
  if (key == "alpha" || key == "max_anoms") return {M::kEsd, M::kShesd};
  if (key == "direction" || key == "min_rel_scale") return {M::kEsd, M::kShesd, M::kZscore};
  if (key == "window" || key == "z" || key == "robust") return {M::kZscore};
  if (key == "threshold" || key == "only_last" || key == "longterm_period" || key == "piecewise_weeks")
    return {M::kShesd};
  if (key == "order" || key == "seasonal_order" || key == "trend" || key == "level" || key == "k" ||
      key == "n")
    return {M::kResidual};
  if (key == "trees" || key == "subsample" || key == "contamination" || key == "seed" || key == "peers" ||
      key == "diff")
    return {M::kIforest};
  if (key == "refit_every" || key == "history") return {M::kEsd, M::kShesd, M::kResidual, M::kIforest};
  return {};
}

struct DetectorResult {
  bool refit_every_given = false;
};

DetectorResult read_detector(Reader& r, const YAML::Node& node, const RuleCommon& common, AnomalyRule& rule) {
  DetectorResult result;
  auto& c = rule.detector;
  auto& online = rule.online;
  const Duration step = common.step;
  // First the method, so every other key can be checked against it.
  std::optional<M> method;
  if (node.IsMap()) {
    const YAML::Node m = node["method"];
    if (!m) {
      r.error(node, "detector: missing required key \"method\" (esd, shesd, zscore, residual or iforest)");
    } else if (auto s = r.string(m, "detector method")) {
      if (auto parsed = fc::parse_method(*s))
        method = *parsed;
      else
        r.error(m, fmt::format(
                       "detector method: expected esd, shesd, zscore, residual or iforest, got \"{}\"", *s));
    }
  }
  c.method = method.value_or(M::kShesd);
  // detect's defaults that differ from the library's
  c.residual.spec.order = {1, 0, 1, 0, 0, 0, 0};
  c.residual.spec.trend = fc::Trend::kConstant;
  std::optional<fc::Direction> direction;
  std::optional<double> alpha, max_anoms;
  std::optional<std::size_t> period;
  std::optional<YAML::Node> period_node, max_anoms_node, peers_node, longterm_node, piecewise_node;
  std::optional<long long> piecewise_weeks;
  std::optional<long long> k, n;
  std::optional<YAML::Node> k_node;
  std::optional<YAML::Node> likelihood_map_node;
  std::set<std::string, std::less<>> likelihood_keys;
  auto& lo = online.likelihood;
  r.fields_in(node, "detector", kDetectorKeys, [&](std::string_view key, const YAML::Node& v) {
    if (key == "method") return;
    if (auto scope = detector_key_scope(key);
        method && !scope.empty() && std::find(scope.begin(), scope.end(), *method) == scope.end()) {
      std::string names;
      for (M m : scope) names += fmt::format("{}{}", names.empty() ? "" : ", ", fc::to_string(m));
      r.error(v, fmt::format("detector {}: does not apply to {} (only to {}){}", key, fc::to_string(*method),
                             names,
                             (key == "refit_every" || key == "history") && *method == M::kZscore
                                 ? "; zscore's rolling window has no fit"
                                 : ""));
      return;
    }
    const std::string what = fmt::format("detector {}", key);
    // The engine runs the batch detector over each series' window, so S-H-ESD's batch options apply.
    if (key == "threshold") {
      if (auto t = r.string(v, what)) {
        if (*t == "none" || *t == "None")
          c.shesd.threshold = fc::ShesdThreshold::kNone;
        else if (*t == "med_max")
          c.shesd.threshold = fc::ShesdThreshold::kMedMax;
        else if (*t == "p95")
          c.shesd.threshold = fc::ShesdThreshold::kP95;
        else if (*t == "p99")
          c.shesd.threshold = fc::ShesdThreshold::kP99;
        else
          r.error(v, fmt::format("{}: expected none, med_max, p95 or p99, got \"{}\"", what, *t));
      }
    } else if (key == "only_last") {
      if (auto b = r.boolean(v, what)) c.shesd.only_last = *b;
    } else if (key == "longterm_period") {
      longterm_node.emplace(v);
      if (auto n = r.steps(v, what, step, 0)) c.shesd.longterm_period = *n;
    } else if (key == "piecewise_weeks") {
      piecewise_node.emplace(v);
      if (auto n = r.integer(v, what, 1, 1000)) piecewise_weeks = *n;
    } else if (key == "period") {
      period_node.emplace(v);
      period = r.steps(v, what, step, 2);
    } else if (key == "alpha") {
      if (auto a = r.number(v, what)) {
        if (*a > 0 && *a < 1)
          alpha = *a;
        else
          r.error(v, fmt::format("{}: expected a number in (0, 1), got {}", what, v.Scalar()));
      }
    } else if (key == "max_anoms") {
      max_anoms_node.emplace(v);
      if (auto a = r.number(v, what)) max_anoms = *a;
    } else if (key == "direction") {
      if (auto s = r.string(v, what)) {
        if (*s == "both")
          direction = fc::Direction::kBoth;
        else if (*s == "pos")
          direction = fc::Direction::kPositive;
        else if (*s == "neg")
          direction = fc::Direction::kNegative;
        else
          r.error(v, fmt::format("{}: expected both, pos or neg, got \"{}\"", what, *s));
      }
    } else if (key == "min_rel_scale") {
      if (auto x = r.number(v, what)) {
        if (*x >= 0)
          c.esd.min_relative_scale = c.shesd.min_relative_scale = c.zscore.min_relative_scale = *x;
        else
          r.error(v, fmt::format("{}: expected a number >= 0, got {}", what, v.Scalar()));
      }
    } else if (key == "window") {
      if (auto w = r.steps(v, what, step, 2)) c.zscore.window = *w;
    } else if (key == "z") {
      if (auto x = r.number(v, what)) {
        if (*x > 0)
          c.zscore.threshold = *x;
        else
          r.error(v, fmt::format("{}: expected a number > 0, got {}", what, v.Scalar()));
      }
    } else if (key == "robust") {
      if (auto b = r.boolean(v, what)) c.zscore.robust = *b;
    } else if (key == "order") {
      if (auto o = read_order(r, v, what, {"p", "d", "q"}, {100, 3, 100})) {
        c.residual.spec.order.p = (*o)[0];
        c.residual.spec.order.d = (*o)[1];
        c.residual.spec.order.q = (*o)[2];
      }
    } else if (key == "seasonal_order") {
      // [P, D, Q, s]: s as a number of steps or a duration
      if (!v.IsSequence() || v.size() != 4) {
        r.error(v, fmt::format("{}: expected [P, D, Q, s] (s in steps or a duration such as 1d), got {}",
                               what, Reader::describe(v)));
      } else {
        auto P = r.integer(v[0], what + " P", 0, 10);
        auto D = r.integer(v[1], what + " D", 0, 2);
        auto Q = r.integer(v[2], what + " Q", 0, 10);
        auto s = r.steps(v[3], what + " s", step, 2);
        if (P && D && Q && s) {
          c.residual.spec.order.P = static_cast<int>(*P);
          c.residual.spec.order.D = static_cast<int>(*D);
          c.residual.spec.order.Q = static_cast<int>(*Q);
          c.residual.spec.order.s = static_cast<int>(*s);
        }
      }
    } else if (key == "trend") {
      if (auto s = r.string(v, what)) {
        if (auto t = fc::parse_trend(*s))
          c.residual.spec.trend = *t;
        else
          r.error(v, fmt::format("{}: expected n, c, t or ct, got \"{}\"", what, *s));
      }
    } else if (key == "level") {
      if (auto x = r.number(v, what)) {
        if (*x > 0 && *x < 100)
          c.residual.level = *x;
        else
          r.error(v, fmt::format("{}: expected a percentage in (0, 100), got {}", what, v.Scalar()));
      }
    } else if (key == "k") {
      k_node.emplace(v);
      k = r.integer(v, what, 1, 10000);
    } else if (key == "n") {
      n = r.integer(v, what, 1, 10000);
    } else if (key == "trees") {
      if (auto x = r.integer(v, what, 1, 10000)) c.iforest.trees = static_cast<int>(*x);
    } else if (key == "subsample") {
      if (auto x = r.integer(v, what, 2, 1'000'000)) c.iforest.subsample = static_cast<std::size_t>(*x);
    } else if (key == "contamination") {
      if (auto x = r.number(v, what)) {
        if (*x >= 0 && *x < 0.5)
          c.iforest.contamination = *x;
        else
          r.error(v, fmt::format("{}: expected a fraction in [0, 0.5), got {}", what, v.Scalar()));
      }
    } else if (key == "seed") {
      if (auto x = r.integer(v, what, 0, std::numeric_limits<long long>::max()))
        c.iforest.seed = static_cast<std::uint64_t>(*x);
    } else if (key == "peers") {
      peers_node.emplace(v);
      if (auto x = r.integer(v, what, 0, 100)) c.iforest_features.seasonal_peers = static_cast<int>(*x);
    } else if (key == "diff") {
      if (auto b = r.boolean(v, what)) c.iforest_features.difference = *b;
    } else if (key == "refit_every") {
      result.refit_every_given = true;
      if (auto x = r.steps(v, what, step, 1)) online.refit_every = *x;
    } else if (key == "history") {
      if (auto x = r.steps(v, what, step, 2)) online.history = *x;
    } else if (key == "recent_max_window") {
      if (auto x = r.steps(v, what, step, 0)) online.recent_max_window = *x;
    } else if (key == "likelihood") {
      if (v.IsMap()) {
        likelihood_map_node.emplace(v);
        if (!lo) lo.emplace();
        r.fields(v, "detector likelihood", {"learning", "samples", "average"},
                 [&](std::string_view lk, const YAML::Node& lv) {
                   likelihood_keys.insert(std::string(lk));
                   const std::string lwhat = fmt::format("detector likelihood {}", lk);
                   if (auto x = r.steps(lv, lwhat, step, lk == "learning" ? 0 : 1))
                     (lk == "learning"  ? lo->learning_period
                      : lk == "samples" ? lo->estimation_samples
                                        : lo->averaging_window) = *x;
                 });
      } else if (auto b = r.boolean(v, fmt::format("{} (or a map of learning, samples, average)", what))) {
        if (*b && !lo) lo.emplace();
        if (!*b) {
          lo.reset();
          likelihood_keys.insert("off");
        }
      }
    } else if (key == "likelihood_learning" || key == "likelihood_samples" || key == "likelihood_average") {
      const std::string_view short_name = key.substr(std::string_view("likelihood_").size());
      if (!likelihood_keys.insert(std::string(short_name)).second) {
        r.error(v, fmt::format("{}: already given under likelihood", what));
        return;
      }
      if (!lo) lo.emplace();
      if (auto x = r.steps(v, what, step, key == "likelihood_learning" ? 0 : 1))
        (key == "likelihood_learning"  ? lo->learning_period
         : key == "likelihood_samples" ? lo->estimation_samples
                                       : lo->averaging_window) = *x;
    } else if (key == "range_tolerance") {
      if (auto x = r.number(v, what)) {
        if (*x >= 0)
          online.range_tolerance = *x;
        else
          r.error(v, fmt::format("{}: expected a number >= 0, got {}", what, v.Scalar()));
      }
    } else if (key == "range_min_points") {
      if (auto x = r.steps(v, what, step, 0)) online.range_min_points = *x;
    }
  });
  if (likelihood_keys.contains("off") && likelihood_keys.size() > 1)
    r.error(node, "detector: likelihood: false contradicts the likelihood_* keys");
  if (likelihood_keys.contains("off")) lo.reset();
  if (!method) return result;
  // Cross-key rules, as `promcast detect` checks them.
  if (max_anoms && max_anoms_node) {
    const double m = *max_anoms;
    if (!(m > 0.0))
      r.error(*max_anoms_node,
              fmt::format("detector max_anoms: must be > 0, got {}", max_anoms_node->Scalar()));
    else if (*method == M::kShesd && m > 0.49)
      r.error(*max_anoms_node,
              fmt::format("detector max_anoms: shesd's max_anoms is a fraction in (0, 0.49] as in Twitter's "
                          "AnomalyDetection, got {}",
                          max_anoms_node->Scalar()));
    else if (m >= 1.0 && m != std::floor(m))
      r.error(*max_anoms_node,
              fmt::format("detector max_anoms: 1 or more is a count and must be an integer, got {}",
                          max_anoms_node->Scalar()));
    else if (m >= 1.0)
      c.esd.max_count = static_cast<std::size_t>(m);
    else
      c.esd.max_fraction = c.shesd.max_anoms = m;
  }
  if (*method == M::kShesd && !period && !period_node)
    r.error(node, "detector: shesd needs period (the season, e.g. 1d, a whole number of steps)");
  if (c.iforest_features.seasonal_peers > 0 && !period && peers_node && !period_node)
    r.error(*peers_node, "detector peers: needs period");
  if (period)
    c.shesd.period = c.iforest_features.period = static_cast<int>(std::min<std::size_t>(*period, 1u << 30));
  // Twitter's AnomalyDetectionTs: pieces of period * 7 * piecewise_median_period_weeks points.
  if (piecewise_weeks && longterm_node)
    r.error(*piecewise_node, "detector piecewise_weeks: give either piecewise_weeks or longterm_period");
  else if (piecewise_weeks && period)
    c.shesd.longterm_period = *period * 7 * static_cast<std::size_t>(*piecewise_weeks);
  if (direction)
    c.esd.direction = c.shesd.direction = c.zscore.direction = *direction;
  else
    c.shesd.direction = fc::Direction::kPositive;  // Twitter's default, as `promcast detect`
  if (alpha) c.esd.alpha = c.shesd.alpha = *alpha;
  if (k) c.residual.k = static_cast<int>(*k);
  if (n) c.residual.n = static_cast<int>(*n);
  if (c.residual.k > c.residual.n)
    r.error(k_node ? *k_node : node,
            fmt::format("detector k: {} of {} points can never happen (expected k <= n)", c.residual.k,
                        c.residual.n));
  (void)common;
  return result;
}

// The keys of each rule kind; a key of the other kind gets a message naming the kind it belongs to.
constexpr std::string_view kForecastKeys[] = {"forecast", "expr",     "step",       "history",
                                              "source",   "labels",   "max_series", "max_samples",
                                              "refit",    "horizons", "model",      "intervals"};
constexpr std::string_view kAnomalyKeys[] = {
    "anomaly",     "expr",  "step",     "history", "source",          "labels",     "max_series",
    "max_samples", "refit", "detector", "for",     "keep_firing_for", "annotations"};
constexpr std::string_view kRuleKeys[] = {
    "forecast",   "anomaly",         "expr",       "step",     "history", "source",    "labels",
    "max_series", "max_samples",     "refit",      "horizons", "model",   "intervals", "detector",
    "for",        "keep_firing_for", "annotations"};

std::optional<Rule> read_rule(Reader& r, const YAML::Node& node, Duration group_interval,
                              std::set<std::string>& forecast_names, std::set<std::string>& anomaly_names) {
  if (!r.visit(node)) return std::nullopt;
  if (!node.IsMap()) {
    r.error(node,
            fmt::format("rule: expected a map with forecast: or anomaly:, got {}", Reader::describe(node)));
    return std::nullopt;
  }
  const bool is_forecast = static_cast<bool>(node["forecast"]);
  const bool is_anomaly = static_cast<bool>(node["anomaly"]);
  if (is_forecast == is_anomaly) {
    r.error(node, is_forecast ? "rule: has both forecast and anomaly (expected exactly one)"
                              : "rule: expected a forecast: or anomaly: key naming the rule");
    return std::nullopt;
  }
  const std::size_t errors_before = r.error_count();
  const std::string_view kind = is_forecast ? "forecast" : "anomaly";
  RuleCommon common;
  common.position = r.position(node);
  common.step = group_interval;
  common.history = Duration{7LL * 24 * 3600 * 1000};
  // Step first: durations given in steps depend on it.
  if (const YAML::Node s = node["step"]) {
    if (auto d = r.positive_duration(s, "step")) common.step = *d;
  }
  ForecastRule forecast;
  AnomalyRule anomaly;
  std::optional<YAML::Node> labels_node, horizons_node, intervals_node, model_node, detector_node, refit_node,
      history_node;
  std::vector<std::pair<std::string, YAML::Node>> annotations;
  bool has_expr = false;
  const std::span<const std::string_view> mine = is_forecast
                                                     ? std::span<const std::string_view>(kForecastKeys)
                                                     : std::span<const std::string_view>(kAnomalyKeys);
  auto on_key = [&](std::string_view key, const YAML::Node& v) {
    if (std::find(mine.begin(), mine.end(), key) == mine.end()) {
      r.error(v, fmt::format("{}: applies only to {} rules (this is a{} {} rule)", key,
                             is_forecast ? "anomaly" : "forecast", is_forecast ? "" : "n", kind));
      return;
    }
    if (key == "forecast" || key == "anomaly") {
      if (auto name = r.nonempty_string(v, key)) {
        if (!is_metric_name(*name))
          r.error(v,
                  fmt::format("{}: \"{}\" is not a valid metric name (expected [a-zA-Z_:][a-zA-Z0-9_:]*; the "
                              "outputs are {}:yhat and so on)",
                              key, *name, *name));
        else if (!(key == "forecast" ? forecast_names : anomaly_names).insert(*name).second)
          r.error(v, fmt::format("{}: \"{}\" is defined twice in this file (its output series would clash)",
                                 key, *name));
        common.name = *name;
      }
    } else if (key == "expr") {
      has_expr = true;
      if (auto e = r.nonempty_string(v, key)) common.expr = *e;
    } else if (key == "step") {
      // read above
    } else if (key == "history") {
      history_node.emplace(v);
      if (auto d = r.positive_duration(v, key)) common.history = *d;
    } else if (key == "source") {
      if (auto s = r.nonempty_string(v, key)) common.source = *s;
    } else if (key == "labels") {
      labels_node.emplace(v);
    } else if (key == "max_series" || key == "max_samples") {
      if (auto x = r.count(v, key, 0)) (key == "max_series" ? common.max_series : common.max_samples) = *x;
    } else if (key == "refit") {
      refit_node.emplace(v);
      if (auto d = r.positive_duration(v, key)) forecast.refit = anomaly.refit = *d;
    } else if (key == "horizons") {
      horizons_node.emplace(v);
    } else if (key == "model") {
      model_node.emplace(v);
    } else if (key == "intervals") {
      intervals_node.emplace(v);
    } else if (key == "detector") {
      detector_node.emplace(v);
    } else if (key == "for" || key == "keep_firing_for") {
      if (auto d = r.duration(v, key)) (key == "for" ? anomaly.for_ : anomaly.keep_firing_for) = *d;
    } else if (key == "annotations") {
      if (!v.IsMap()) {
        r.error(
            v, fmt::format("annotations: expected a map of names to templates, got {}", Reader::describe(v)));
        return;
      }
      std::set<std::string> seen;
      for (const auto& entry : v) {
        if (!r.visit(entry.first)) return;
        auto name = r.nonempty_string(entry.first, "annotation name");
        if (!name) continue;
        if (!seen.insert(*name).second) {
          r.error(entry.first, fmt::format("annotations: \"{}\" repeated", *name));
          continue;
        }
        annotations.emplace_back(*name, entry.second);
      }
    }
  };
  r.fields_in(node, fmt::format("{} rule", kind), kRuleKeys, on_key);
  r.required(node, has_expr, "expr", fmt::format("{} rule", kind));
  if (history_node && common.step.count() > 0 && common.history < 2 * common.step)
    r.error(*history_node, fmt::format("history: {} is less than two steps of {}",
                                       format_duration(common.history), format_duration(common.step)));
  const std::string& name = common.name;
  if (is_forecast) {
    if (labels_node) {
      if (auto l = r.labels(*labels_node, "labels", {"horizon", "level"})) {
        for (const auto& [k, v] : *l) {  // expanded per series ($labels, $value) like an alert's
          if (auto t = AlertTemplate::compile(v); !t)
            r.error(std::as_const(*labels_node)[k], fmt::format("labels.{}: {}", k, t.error().message));
        }
        common.labels = std::move(*l);
      }
    }
    if (!horizons_node) {
      r.error(node,
              fmt::format("forecast rule {}: missing required key \"horizons\" (e.g. [1h, 6h, 1d])", name));
    } else {
      r.items(*horizons_node, "horizons", "durations", [&](const YAML::Node& item) {
        auto d = r.duration(item, "horizon");
        if (!d) return;
        if (!r.whole_steps(item, "horizon", *d, common.step)) return;
        if (std::find(forecast.horizons.begin(), forecast.horizons.end(), *d) != forecast.horizons.end()) {
          r.error(item, fmt::format("horizon: {} repeated", format_duration(*d)));
          return;
        }
        forecast.horizons.push_back(*d);
      });
      if (horizons_node->IsSequence() && horizons_node->size() == 0)
        r.error(*horizons_node, "horizons: expected at least one horizon (e.g. [1h, 6h, 1d])");
    }
    if (intervals_node) {
      forecast.intervals.clear();
      r.items(*intervals_node, "intervals", "levels in (0, 1)", [&](const YAML::Node& item) {
        auto x = r.number(item, "interval");
        if (!x) return;
        if (!(*x > 0 && *x < 1)) {
          r.error(item,
                  fmt::format("interval: expected a level in (0, 1) such as 0.95, got {}", item.Scalar()));
          return;
        }
        if (std::find(forecast.intervals.begin(), forecast.intervals.end(), *x) != forecast.intervals.end()) {
          r.error(item, fmt::format("interval: {} repeated", item.Scalar()));
          return;
        }
        forecast.intervals.push_back(*x);
      });
    }
    if (model_node) read_model(r, *model_node, common.step, forecast.model);
  } else {
    if (labels_node) {
      if (auto l = r.labels(*labels_node, "labels", {"alertname", "alertstate"})) {
        for (const auto& [k, v] : *l) {
          if (auto t = AlertTemplate::compile(v); !t)
            r.error(std::as_const(*labels_node)[k], fmt::format("labels.{}: {}", k, t.error().message));
        }
        common.labels = std::move(*l);
      }
    }
    for (auto& [k, v] : annotations) {
      auto text = r.string(v, fmt::format("annotations.{}", k));
      if (!text) continue;
      if (auto t = AlertTemplate::compile(*text); !t)
        r.error(v, fmt::format("annotations.{}: {}", k, t.error().message));
      anomaly.annotations.emplace_back(k, std::move(*text));
    }
    if (!detector_node) {
      r.error(node,
              fmt::format("anomaly rule {}: missing required key \"detector\" (e.g. {{method: shesd, period: "
                          "1d}})",
                          name));
    } else {
      const auto d = read_detector(r, *detector_node, common, anomaly);
      if (d.refit_every_given && refit_node)
        r.error(*refit_node, "refit: give either refit or detector refit_every, not both");
      if (!d.refit_every_given && common.step.count() > 0)
        anomaly.online.refit_every =
            std::max<std::size_t>(1, static_cast<std::size_t>(anomaly.refit / common.step));
      if (anomaly.online.history == 0 && common.step.count() > 0 && anomaly.detector.method != M::kZscore)
        anomaly.online.history = static_cast<std::size_t>(common.history / common.step);
    }
  }
  if (r.error_count() != errors_before) return std::nullopt;
  // The rule as written plus its group's interval: the engine keeps the fitted models of a rule whose
  // fingerprint did not change across a reload. Only for a valid rule: its every node was visited within
  // the budget, so aliases cannot make the dump explode.
  common.fingerprint = YAML::Dump(node) + "\ninterval=" + std::to_string(group_interval.count());
  if (is_forecast) {
    forecast.common = std::move(common);
    return Rule{std::move(forecast)};
  }
  anomaly.common = std::move(common);
  return Rule{std::move(anomaly)};
}

std::optional<RuleGroup> read_group(Reader& r, const YAML::Node& node, const LoadOptions& options,
                                    std::set<std::string>& group_names, std::set<std::string>& forecast_names,
                                    std::set<std::string>& anomaly_names) {
  RuleGroup group;
  group.position = r.position(node);
  group.interval = options.default_interval;
  const std::size_t errors_before = r.error_count();
  std::optional<YAML::Node> rules;
  bool has_name = false;
  // The interval first: it is every rule's default step.
  if (node.IsMap()) {
    if (const YAML::Node i = node["interval"]) {
      if (auto d = r.positive_duration(i, "interval")) group.interval = *d;
    }
  }
  const bool is_map =
      r.fields(node, "group", {"name", "interval", "rules"}, [&](std::string_view key, const YAML::Node& v) {
        if (key == "name") {
          has_name = true;
          if (auto n = r.nonempty_string(v, "group name")) {
            if (!group_names.insert(*n).second)
              r.error(v, fmt::format("group name: \"{}\" is defined twice in this file", *n));
            group.name = *n;
          }
        } else if (key == "rules") {
          rules.emplace(v);
        }
      });
  if (!is_map) return std::nullopt;
  r.required(node, has_name, "name", "group");
  if (rules) {
    r.items(*rules, "rules", "forecast or anomaly rules", [&](const YAML::Node& item) {
      if (auto rule = read_rule(r, item, group.interval, forecast_names, anomaly_names))
        group.rules.push_back(std::move(*rule));
    });
  }
  if (r.error_count() != errors_before) return std::nullopt;
  return group;
}

// yaml-cpp's parse errors carry a 0-based mark; report it 1-based like every other error.
std::optional<YAML::Node> load_yaml(std::string_view text, const std::string& file,
                                    std::vector<Error>& errors) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    const bool known = !e.mark.is_null();
    errors.push_back(Error{e.msg, file, known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0});
  } catch (const YAML::Exception& e) {
    errors.push_back(Error{e.what(), file, 0, 0});
  }
  return std::nullopt;
}

std::expected<std::string, Error> read_file(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return std::unexpected(Error{fmt::format("is a directory, expected a {} file", what), path, 0, 0});
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Error{fmt::format("cannot open {} file", what), path, 0, 0});
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return std::unexpected(Error{fmt::format("cannot read {} file", what), path, 0, 0});
  return contents.str();
}

// ---------------------------------------------------------------------------------------------------------
// Backends.

constexpr std::string_view kClientKeys[] = {"basic_auth",  "bearer_token", "bearer_token_file",
                                            "tls_config",  "headers",      "timeout",
                                            "max_retries", "min_backoff",  "max_backoff"};

bool is_client_key(std::string_view key) {
  return std::find(std::begin(kClientKeys), std::end(kClientKeys), key) != std::end(kClientKeys);
}

void read_client_key(Reader& r, std::string_view key, const YAML::Node& v, ClientConfig& c) {
  if (key == "basic_auth") {
    std::string username, password, password_file;
    bool has_password = false, has_username = false;
    r.fields(v, "basic_auth", {"username", "password", "password_file"},
             [&](std::string_view k, const YAML::Node& x) {
               auto s = r.string(x, fmt::format("basic_auth {}", k));
               if (!s) return;
               if (k == "username") {
                 has_username = true;
                 username = *s;
               } else if (k == "password") {
                 has_password = true;
                 password = *s;
               } else {
                 password_file = *s;
               }
             });
    if (v.IsMap()) {
      r.required(v, has_username, "username", "basic_auth");
      if (has_password && !password_file.empty())
        r.error(v, "basic_auth: give password or password_file, not both");
    }
    c.basic_auth = std::make_pair(username, password);
    c.basic_auth_password_file = password_file;
  } else if (key == "bearer_token" || key == "bearer_token_file") {
    if (auto s = r.nonempty_string(v, key))
      (key == "bearer_token" ? c.bearer_token : c.bearer_token_file) = *s;
  } else if (key == "tls_config") {
    r.fields(v, "tls_config", {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"},
             [&](std::string_view k, const YAML::Node& x) {
               const std::string what = fmt::format("tls_config {}", k);
               if (k == "insecure_skip_verify") {
                 if (auto b = r.boolean(x, what)) c.tls.insecure_skip_verify = *b;
                 return;
               }
               auto s = r.string(x, what);
               if (!s) return;
               (k == "ca_file"     ? c.tls.ca_file
                : k == "cert_file" ? c.tls.cert_file
                : k == "key_file"  ? c.tls.key_file
                                   : c.tls.server_name) = *s;
             });
    if (c.tls.cert_file.empty() != c.tls.key_file.empty())
      r.error(v, "tls_config: cert_file and key_file go together (a client certificate needs its key)");
  } else if (key == "headers") {
    if (!v.IsMap()) {
      r.error(v,
              fmt::format("headers: expected a map of header names to values, got {}", Reader::describe(v)));
      return;
    }
    for (const auto& entry : v) {
      if (!r.visit(entry.first)) return;
      auto name = r.nonempty_string(entry.first, "header name");
      auto value = r.string(entry.second, "header value");
      if (!name || !value) continue;
      std::string lower = *name;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lower == "authorization") {
        r.error(entry.first,
                "headers: Authorization is set by basic_auth, bearer_token or bearer_token_file");
        continue;
      }
      if (name->find_first_of(" :\r\n") != std::string::npos ||
          value->find_first_of("\r\n") != std::string::npos) {
        r.error(entry.first, fmt::format("headers: \"{}\" is not a valid header", *name));
        continue;
      }
      c.headers.emplace_back(*name, *value);
    }
  } else if (key == "timeout" || key == "min_backoff" || key == "max_backoff") {
    if (auto d = r.positive_duration(v, key))
      (key == "timeout" ? c.timeout : key == "min_backoff" ? c.min_backoff : c.max_backoff) = *d;
  } else if (key == "max_retries") {
    if (auto x = r.integer(v, key, 0, 100)) c.max_retries = static_cast<int>(*x);
  }
}

void check_client(Reader& r, const YAML::Node& node, const ClientConfig& c, std::string_view what) {
  const int auth =
      (c.basic_auth ? 1 : 0) + (c.bearer_token.empty() ? 0 : 1) + (c.bearer_token_file.empty() ? 0 : 1);
  if (auth > 1)
    r.error(node,
            fmt::format("{}: give at most one of basic_auth, bearer_token and bearer_token_file", what));
  if (c.min_backoff > c.max_backoff)
    r.error(node, fmt::format("{}: min_backoff is greater than max_backoff", what));
}

void read_url(Reader& r, const YAML::Node& v, std::string& url) {
  auto s = r.nonempty_string(v, "url");
  if (!s) return;
  if (auto parsed = parse_http_url(*s); !parsed) {
    r.error(v,
            fmt::format("url: {} (expected http://host:port/path or https://...)", parsed.error().message));
    return;
  }
  url = *s;
}

template <typename Config, typename OnKey>
std::optional<Config> read_endpoint(Reader& r, const YAML::Node& node, std::string_view what,
                                    std::initializer_list<std::string_view> own_keys, OnKey&& on_key) {
  Config config;
  bool has_url = false;
  std::vector<std::string_view> keys(own_keys);
  keys.insert(keys.end(), std::begin(kClientKeys), std::end(kClientKeys));
  keys.push_back("url");
  const std::size_t errors_before = r.error_count();
  if (!node.IsMap()) {
    if (r.visit(node))
      r.error(node, fmt::format("{}: expected a map with url and client keys, got {}", what,
                                Reader::describe(node)));
    return std::nullopt;
  }
  r.fields_in(node, what, keys, [&](std::string_view key, const YAML::Node& v) {
    if (key == "url") {
      has_url = true;
      read_url(r, v, config.url);
    } else if (is_client_key(key)) {
      read_client_key(r, key, v, config.client);
    } else {
      on_key(config, key, v);
    }
  });
  r.required(node, has_url, "url", what);
  check_client(r, node, config.client, what);
  if (r.error_count() != errors_before) return std::nullopt;
  return config;
}

// In file order, as an editor would walk them (the reader finds some only after reading a whole rule).
std::vector<Error> sorted(std::vector<Error> errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const Error& a, const Error& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return errors;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

std::expected<RuleSet, std::vector<Error>> parse_rule_file(std::string_view text, const std::string& file,
                                                           const LoadOptions& options) {
  std::vector<Error> errors;
  auto root = load_yaml(text, file, errors);
  if (!root) return std::unexpected(std::move(errors));
  Reader r(file, errors);
  RuleSet set;
  try {
    if (root->IsNull()) return set;  // an empty file has no groups, as in Prometheus
    std::set<std::string> group_names, forecast_names, anomaly_names;
    r.fields(*root, "rule file", {"groups"}, [&](std::string_view, const YAML::Node& groups) {
      if (groups.IsNull()) return;
      r.items(groups, "groups", "groups", [&](const YAML::Node& item) {
        if (auto g = read_group(r, item, options, group_names, forecast_names, anomaly_names))
          set.groups.push_back(std::move(*g));
      });
    });
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on some malformed conversions; report, never escape
    const bool known = !e.mark.is_null();
    errors.push_back(Error{e.what(), file, known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0});
  }
  if (!errors.empty()) return std::unexpected(sorted(std::move(errors)));
  return set;
}

std::expected<std::vector<std::string>, std::vector<Error>> expand_rule_files(
    const std::vector<std::string>& patterns) {
  std::vector<Error> errors;
  std::set<std::string> files;
  for (const auto& pattern : patterns) {
    if (pattern.find_first_of("*?[") == std::string::npos) {
      struct stat st {};
      if (::stat(pattern.c_str(), &st) != 0)
        errors.push_back(Error{"no such file", pattern, 0, 0});
      else
        files.insert(pattern);
      continue;
    }
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    if (rc == 0) {
      for (std::size_t i = 0; i < g.gl_pathc; ++i) files.insert(g.gl_pathv[i]);
    } else if (rc != GLOB_NOMATCH) {
      errors.push_back(Error{"cannot expand the pattern (read error)", pattern, 0, 0});
    }
    ::globfree(&g);
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return std::vector<std::string>(files.begin(), files.end());
}

std::expected<RuleSet, std::vector<Error>> load_rule_files(const std::vector<std::string>& patterns,
                                                           const LoadOptions& options) {
  auto files = expand_rule_files(patterns);
  if (!files) return std::unexpected(files.error());
  std::vector<Error> errors;
  RuleSet all;
  for (const auto& path : *files) {
    auto text = read_file(path, "rule");
    if (!text) {
      errors.push_back(text.error());
      continue;
    }
    auto set = parse_rule_file(*text, path, options);
    if (!set) {
      errors.insert(errors.end(), set.error().begin(), set.error().end());
      continue;
    }
    for (auto& g : set->groups) all.groups.push_back(std::move(g));
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return all;
}

std::expected<BackendsConfig, std::vector<Error>> parse_backends(std::string_view text,
                                                                 const std::string& file) {
  std::vector<Error> errors;
  auto root = load_yaml(text, file, errors);
  if (!root) return std::unexpected(std::move(errors));
  Reader r(file, errors);
  BackendsConfig config;
  try {
    if (root->IsNull()) {
      r.error(*root, "backends file is empty (expected at least sources: [{url: ...}])");
      return std::unexpected(std::move(errors));
    }
    bool has_sources = false;
    r.fields(
        *root, "backends file",
        {"sources", "remote_write", "alertmanagers", "external_labels", "resend_delay",
         "notification_queue_capacity"},
        [&](std::string_view key, const YAML::Node& v) {
          if (key == "sources") {
            has_sources = true;
            std::set<std::string> names;
            std::size_t index = 0;
            r.items(v, "sources", "query sources", [&](const YAML::Node& item) {
              std::optional<std::string> name;
              auto s = read_endpoint<SourceConfig>(
                  r, item, "source", {"name", "max_series", "max_samples", "max_points_per_query"},
                  [&](SourceConfig& c, std::string_view k, const YAML::Node& x) {
                    if (k == "name") {
                      name = r.nonempty_string(x, "source name");
                      if (name) c.name = *name;
                    } else if (k == "max_points_per_query") {
                      if (auto n = r.count(x, k, 2)) c.max_points_per_query = *n;
                    } else if (auto n = r.count(x, k, 1)) {
                      (k == "max_series" ? c.max_series : c.max_samples) = *n;
                    }
                  });
              // Checked whether or not the source itself decoded, so one run reports every clash.
              if (!name && index++ > 0 && item.IsMap())
                r.error(item, "source: name is required when there are several sources");
              else if (!names.insert(name.value_or("default")).second)
                r.error(item, fmt::format("source: name \"{}\" is used twice", name.value_or("default")));
              else if (s)
                config.sources.push_back(std::move(*s));
            });
            if (v.IsSequence() && v.size() == 0) r.error(v, "sources: expected at least one source");
          } else if (key == "remote_write") {
            std::set<std::string> names;
            r.items(v, "remote_write", "remote-write targets", [&](const YAML::Node& item) {
              auto w = read_endpoint<RemoteWriteConfig>(
                  r, item, "remote_write target",
                  {"name", "queue_capacity", "max_samples_per_send", "batch_send_deadline", "future_window"},
                  [&](RemoteWriteConfig& c, std::string_view k, const YAML::Node& x) {
                    if (k == "name") {
                      if (auto n = r.nonempty_string(x, "remote_write name")) c.name = *n;
                    } else if (k == "queue_capacity" || k == "max_samples_per_send") {
                      if (auto n = r.count(x, k, 1))
                        (k == "queue_capacity" ? c.queue_capacity : c.max_samples_per_send) = *n;
                    } else if (k == "batch_send_deadline") {
                      if (auto d = r.positive_duration(x, k)) c.batch_send_deadline = *d;
                    } else if (auto d = r.duration(x, k)) {
                      c.future_window = *d;
                    }
                  });
              if (!w) return;
              if (w->name.empty()) w->name = w->url;
              if (w->max_samples_per_send > w->queue_capacity)
                r.error(item, "remote_write target: max_samples_per_send is greater than queue_capacity");
              else if (!names.insert(w->name).second)
                r.error(item, fmt::format("remote_write target: name \"{}\" is used twice", w->name));
              else
                config.remote_write.push_back(std::move(*w));
            });
          } else if (key == "alertmanagers") {
            r.items(v, "alertmanagers", "Alertmanagers", [&](const YAML::Node& item) {
              auto a = read_endpoint<AlertmanagerConfig>(
                  r, item, "alertmanager", {},
                  [](AlertmanagerConfig&, std::string_view, const YAML::Node&) {});
              if (a) config.alertmanagers.push_back(std::move(*a));
            });
          } else if (key == "external_labels") {
            if (auto l = r.labels(v, "external_labels")) config.external_labels = std::move(*l);
          } else if (key == "resend_delay") {
            if (auto d = r.positive_duration(v, key)) config.resend_delay = *d;
          } else if (auto n = r.count(v, key, 1)) {
            config.notification_queue_capacity = *n;
          }
        });
    if (root->IsMap()) r.required(*root, has_sources, "sources", "backends file");
  } catch (const YAML::Exception& e) {
    const bool known = !e.mark.is_null();
    errors.push_back(Error{e.what(), file, known ? e.mark.line + 1 : 0, known ? e.mark.column + 1 : 0});
  }
  if (!errors.empty()) return std::unexpected(sorted(std::move(errors)));
  return config;
}

std::expected<BackendsConfig, std::vector<Error>> load_backends(const std::string& path) {
  auto text = read_file(path, "backends");
  if (!text) return std::unexpected(std::vector<Error>{text.error()});
  return parse_backends(*text, path);
}

}  // namespace promcast::rules
