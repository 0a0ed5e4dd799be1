#pragma once
// Reading numbers out of the JSON fixtures that statsmodels/scipy/R scripts write: integers and
// floats alike, JSON null as NaN (how the scripts store missing values).
#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace promcast::forecaster::test_support {

/// One number; null is NaN.
inline double json_number(simdjson::dom::element e) {
  if (e.is_null()) return std::numeric_limits<double>::quiet_NaN();
  double d = 0;
  if (e.get(d) == simdjson::SUCCESS) return d;
  int64_t i = 0;
  if (e.get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return static_cast<double>(uint64_t(e));
}

/// An array of numbers; nulls are NaN.
inline std::vector<double> json_doubles(simdjson::dom::element e) {
  std::vector<double> out;
  for (simdjson::dom::element v : e.get_array()) out.push_back(json_number(v));
  return out;
}

}  // namespace promcast::forecaster::test_support
