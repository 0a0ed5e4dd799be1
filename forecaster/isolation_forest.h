#pragma once
// Isolation Forest (Liu, Ting and Zhou 2008): random axis-parallel splits isolate rare points in few steps;
// the anomaly score is s = 2^(-E[h(x)] / c(psi)), psi the subsample size. Seeded, so runs are repeatable.
#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "common/error.h"
#include "forecaster/detector.h"

namespace promcast::forecaster {

struct IsolationForestOptions {
  int trees = 100;
  std::size_t subsample = 256;  ///< psi; capped at the number of training rows
  /// Expected share of anomalies: the decision threshold is the (1 - contamination) quantile of the
  /// training scores. 0 = the paper's fixed threshold s = 0.5.
  double contamination = 0.01;
  std::uint64_t seed = 1;
};

/// Average path length of an unsuccessful search in a binary search tree of n points: c(n).
double iforest_average_path(double n);

class IsolationForest {
 public:
  /// Builds the forest on the rows of `data` (one point per row, one feature per column, all finite).
  static std::expected<IsolationForest, Error> fit(const Eigen::MatrixXd& data,
                                                   const IsolationForestOptions& options);

  /// The paper's score s in (0, 1]: near 1 anomalous, clearly below 0.5 normal.
  [[nodiscard]] double score(std::span<const double> row) const;
  /// Scores of every row of `data` (same columns as the training data): tree by tree, so each tree stays in
  /// cache while all rows go through it (the fast path for batches).
  [[nodiscard]] std::vector<double> score_rows(const Eigen::MatrixXd& data) const;
  /// The decision threshold on s (from contamination, or 0.5).
  [[nodiscard]] double threshold() const { return threshold_; }
  /// Judgement for one row: score = s / threshold (1.0 on the boundary), no expected value.
  [[nodiscard]] Judgement judge(std::span<const double> row) const;
  /// The same judgement from a score s already computed (e.g. by score_rows).
  [[nodiscard]] Judgement judge_score(double s) const;

 private:
  // 16 bytes: the rule engine keeps a forest per series between refits (100 trees of up to 511
  // nodes), so the node is packed: the right child always follows the left one, and a node holds
  // either a split (inner) or a path length (leaf), never both.
  struct Node {
    int feature = -1;    ///< -1 for a leaf
    int left = -1;       ///< inner nodes: the left child; the right child is left + 1
    double value = 0.0;  ///< inner nodes: the split; leaves: depth + c(size)
  };
  static_assert(sizeof(Node) == 16);
  std::vector<Node> nodes_;
  std::vector<int> roots_;
  double c_psi_ = 1.0;
  double threshold_ = 0.5;
};

struct IforestFeatures {
  /// Adds the values one, two, ... `seasonal_peers` periods earlier as features (the same time of day or
  /// week), so a point is compared with its seasonal peers and not only with the overall level.
  int seasonal_peers = 0;
  int period = 0;
  /// Adds the first difference x_t - x_{t-1} as a feature (catches jumps within the normal range).
  bool difference = false;
};

/// Builds the feature row of point t (false when any needed value is missing or before the start).
bool iforest_feature_row(std::span<const double> x, std::size_t t, const IforestFeatures& f,
                         std::vector<double>& row);

/// Batch detector over a series: fits on every point's feature row and judges every point.
std::expected<Detection, Error> iforest_detect(std::span<const double> x,
                                               const IsolationForestOptions& options,
                                               const IforestFeatures& features);

}  // namespace promcast::forecaster
