#include "forecaster/isolation_forest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace promcast::forecaster {

double iforest_average_path(double n) {
  if (n <= 1.0) return 0.0;
  if (n == 2.0) return 1.0;
  constexpr double kEulerGamma = 0.5772156649015329;
  return 2.0 * (std::log(n - 1.0) + kEulerGamma) - 2.0 * (n - 1.0) / n;
}

std::expected<IsolationForest, Error> IsolationForest::fit(const Eigen::MatrixXd& data,
                                                           const IsolationForestOptions& o) {
  const auto rows = static_cast<std::size_t>(data.rows());
  const auto cols = static_cast<int>(data.cols());
  if (rows < 2 || cols < 1) return detector_error("iforest: needs at least 2 rows and 1 feature");
  if (o.trees < 1) return detector_error("iforest: needs at least one tree");
  if (!data.allFinite()) return detector_error("iforest: the training rows hold NaN or infinite values");
  if (!(o.contamination >= 0.0 && o.contamination < 0.5))
    return detector_error("iforest: contamination must be in [0, 0.5)");
  IsolationForest f;
  const std::size_t psi = std::min(std::max<std::size_t>(o.subsample, 2), rows);
  f.c_psi_ = iforest_average_path(static_cast<double>(psi));
  const int height_limit = static_cast<int>(std::ceil(std::log2(static_cast<double>(psi))));
  std::mt19937_64 rng(o.seed);
  std::vector<std::size_t> all(rows);
  std::iota(all.begin(), all.end(), 0);
  std::vector<std::size_t> sample(psi);

  struct Task {
    int node;
    std::size_t begin, end;
    int depth;
  };
  std::vector<Task> stack;
  for (int t = 0; t < o.trees; ++t) {
    // subsample without replacement (partial Fisher-Yates)
    for (std::size_t i = 0; i < psi; ++i) {
      std::uniform_int_distribution<std::size_t> pick(i, rows - 1);
      std::swap(all[i], all[pick(rng)]);
      sample[i] = all[i];
    }
    f.roots_.push_back(static_cast<int>(f.nodes_.size()));
    f.nodes_.emplace_back();
    stack.push_back({f.roots_.back(), 0, psi, 0});
    while (!stack.empty()) {
      const Task task = stack.back();
      stack.pop_back();
      const std::size_t size = task.end - task.begin;
      auto make_leaf = [&] {
        Node& n = f.nodes_[task.node];
        n.feature = -1;
        n.value = task.depth + iforest_average_path(static_cast<double>(size));
      };
      if (size <= 1 || task.depth >= height_limit) {
        make_leaf();
        continue;
      }
      // pick a feature with a spread; a node whose points are all equal is a leaf
      int feature = -1;
      double lo = 0.0;
      double hi = 0.0;
      std::uniform_int_distribution<int> pick_feature(0, cols - 1);
      for (int attempt = 0; attempt < cols * 2 && feature < 0; ++attempt) {
        const int c = attempt < cols ? pick_feature(rng) : attempt - cols;
        lo = hi = data(static_cast<Eigen::Index>(sample[task.begin]), c);
        for (std::size_t i = task.begin + 1; i < task.end; ++i) {
          const double v = data(static_cast<Eigen::Index>(sample[i]), c);
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
        if (hi > lo) feature = c;
      }
      if (feature < 0) {
        make_leaf();
        continue;
      }
      std::uniform_real_distribution<double> pick_split(lo, hi);
      const double split = pick_split(rng);
      const auto mid =
          std::partition(sample.begin() + static_cast<std::ptrdiff_t>(task.begin),
                         sample.begin() + static_cast<std::ptrdiff_t>(task.end),
                         [&](std::size_t r) { return data(static_cast<Eigen::Index>(r), feature) < split; });
      const auto m = static_cast<std::size_t>(mid - sample.begin());
      const int left = static_cast<int>(f.nodes_.size());
      f.nodes_.emplace_back();
      f.nodes_.emplace_back();
      Node& n = f.nodes_[task.node];
      n.feature = feature;
      n.value = split;
      n.left = left;
      stack.push_back({left, task.begin, m, task.depth + 1});
      stack.push_back({left + 1, m, task.end, task.depth + 1});
    }
  }
  if (o.contamination > 0.0) {
    std::vector<double> s = f.score_rows(data);
    const auto k =
        static_cast<std::size_t>(std::floor((1.0 - o.contamination) * static_cast<double>(rows - 1)));
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k), s.end());
    f.threshold_ = s[k];
  }
  return f;
}

double IsolationForest::score(std::span<const double> row) const {
  double total = 0.0;
  for (int root : roots_) {
    const Node* n = &nodes_[static_cast<std::size_t>(root)];
    while (n->feature >= 0)
      n = &nodes_[static_cast<std::size_t>(n->left +
                                           (row[static_cast<std::size_t>(n->feature)] < n->value ? 0 : 1))];
    total += n->value;
  }
  const double mean_depth = total / static_cast<double>(roots_.size());
  return std::exp2(-mean_depth / c_psi_);
}

std::vector<double> IsolationForest::score_rows(const Eigen::MatrixXd& data) const {
  const auto rows = static_cast<std::size_t>(data.rows());
  std::vector<double> depth(rows, 0.0);
  // row-major copy so that one point's features are adjacent
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m = data;
  const auto cols = static_cast<std::size_t>(m.cols());
  const double* base = m.data();
  for (int root : roots_) {
    const Node* tree = nodes_.data();
    for (std::size_t r = 0; r < rows; ++r) {
      const double* row = base + r * cols;
      const Node* n = &tree[root];
      while (n->feature >= 0) n = &tree[n->left + (row[n->feature] < n->value ? 0 : 1)];
      depth[r] += n->value;
    }
  }
  const double trees = static_cast<double>(roots_.size());
  for (double& d : depth) d = std::exp2(-(d / trees) / c_psi_);
  return depth;
}

Judgement IsolationForest::judge(std::span<const double> row) const { return judge_score(score(row)); }

Judgement IsolationForest::judge_score(double s) const {
  Judgement j;
  j.judged = true;
  j.score = s / threshold_;
  j.anomaly = j.score > 1.0;
  return j;
}

bool iforest_feature_row(std::span<const double> x, std::size_t t, const IforestFeatures& f,
                         std::vector<double>& row) {
  row.clear();
  if (!std::isfinite(x[t])) return false;
  row.push_back(x[t]);
  for (int k = 1; k <= f.seasonal_peers; ++k) {
    const std::size_t lag = static_cast<std::size_t>(k) * static_cast<std::size_t>(f.period);
    if (t < lag || !std::isfinite(x[t - lag])) return false;
    row.push_back(x[t - lag]);
  }
  if (f.difference) {
    if (t < 1 || !std::isfinite(x[t - 1])) return false;
    row.push_back(x[t] - x[t - 1]);
  }
  return true;
}

std::expected<Detection, Error> iforest_detect(std::span<const double> x, const IsolationForestOptions& o,
                                               const IforestFeatures& features) {
  if (features.seasonal_peers > 0 && features.period < 1)
    return detector_error("iforest: seasonal peers need a period");
  std::vector<std::size_t> usable;
  std::vector<double> row;
  for (std::size_t t = 0; t < x.size(); ++t)
    if (iforest_feature_row(x, t, features, row)) usable.push_back(t);
  const std::size_t width =
      1 + static_cast<std::size_t>(features.seasonal_peers) + (features.difference ? 1 : 0);
  if (usable.size() < 2)
    return detector_error(
        fmt::format("iforest: only {} points have all {} features (seasonal peers need {} "
                    "full periods of history)",
                    usable.size(), width, features.seasonal_peers));
  Eigen::MatrixXd data(static_cast<Eigen::Index>(usable.size()), static_cast<Eigen::Index>(width));
  for (std::size_t r = 0; r < usable.size(); ++r) {
    iforest_feature_row(x, usable[r], features, row);
    for (std::size_t c = 0; c < width; ++c)
      data(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = row[c];
  }
  auto forest = IsolationForest::fit(data, o);
  if (!forest) return std::unexpected(forest.error());
  Detection d;
  d.points.resize(x.size());
  const std::vector<double> s = forest->score_rows(data);
  for (std::size_t r = 0; r < usable.size(); ++r) d.points[usable[r]] = forest->judge_score(s[r]);
  return d;
}

}  // namespace promcast::forecaster
