#pragma once
// Reading the JSON fixtures that statsmodels/scipy/R scripts write: a missing or unparsable file is an
// error naming it (simdjson alone says only "Error reading the file."); numbers are integers and floats
// alike, JSON null as NaN (how the scripts store missing values).
#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace promcast::forecaster::test_support {

/// The fixture at `path`, parsed by `parser` (which owns the returned element); throws naming the file.
inline simdjson::dom::element load_fixture(simdjson::dom::parser& parser, const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error("cannot open test fixture " + path);
  simdjson::dom::element doc;
  if (const auto code = parser.load(path).get(doc); code != simdjson::SUCCESS)
    throw std::runtime_error("test fixture " + path + ": " + simdjson::error_message(code));
  return doc;
}

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
