#pragma once
// Median absolute deviation from c of an already sorted sequence, in O(log n): the deviations |x - c|
// form two increasing runs on either side of c (c - x going left, x - c going right), and the k-th
// smallest of two sorted runs is found by binary search. Shared by ESD (per removal step) and the
// rolling robust z-score (per window), where re-sorting the deviations each time would cost O(n log n).
#include <algorithm>
#include <cstddef>
#include <limits>

namespace promcast::forecaster::detail {

/// Unscaled median of |value(i) - c| for i in [0, n), where value(i) is non-decreasing in i.
template <class Value>
double median_abs_deviation_sorted(Value value, std::size_t n, double c) {
  std::size_t s = 0;  // becomes the first index with value(i) >= c
  for (std::size_t hi = n; s < hi;) {
    const std::size_t mid = s + (hi - s) / 2;
    if (value(mid) < c)
      s = mid + 1;
    else
      hi = mid;
  }
  const std::size_t nl = s;
  const std::size_t nr = n - s;
  auto left = [&](std::size_t t) { return c - value(s - 1 - t); };
  auto right = [&](std::size_t t) { return value(s + t) - c; };
  auto kth = [&](std::size_t k) {  // 0-based rank in the merged runs
    std::size_t from = k + 1 > nr ? k + 1 - nr : 0;
    std::size_t to = std::min(k + 1, nl);
    while (from < to) {
      const std::size_t i = (from + to) / 2;
      const std::size_t j = k + 1 - i;
      if (i < nl && j > 0 && right(j - 1) > left(i))
        from = i + 1;
      else
        to = i;
    }
    const std::size_t j = k + 1 - from;
    const double lv = from > 0 ? left(from - 1) : -std::numeric_limits<double>::infinity();
    const double rv = j > 0 ? right(j - 1) : -std::numeric_limits<double>::infinity();
    return std::max(lv, rv);
  };
  return n % 2 == 1 ? kth(n / 2) : (kth(n / 2 - 1) + kth(n / 2)) / 2.0;
}

}  // namespace promcast::forecaster::detail
