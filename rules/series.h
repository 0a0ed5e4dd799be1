#pragma once
// A time series as read from a query API: labels plus samples in time order.
#include <cstdint>
#include <vector>

#include "rules/labels.h"

namespace promcast::rules {

/// Milliseconds since the Unix epoch, as Prometheus stores timestamps.
using TimestampMs = std::int64_t;

struct Series {
  Labels labels;
  std::vector<TimestampMs> timestamps;  ///< strictly increasing
  std::vector<double> values;           ///< same length; NaN allowed (a NaN sample, not a gap)
};

}  // namespace promcast::rules
