#pragma once
// The one JSON writer for every command and API: nlohmann-json with objects that keep their keys in
// insertion order, serialized by dump() below so that escaping is the same everywhere.
//
// Strings: `"` and `\` are escaped, control characters become \b \f \n \r \t or \u00XX, other UTF-8 is
// written as is. A string that is not valid UTF-8 (a CSV cell, a user's flag) never makes dump() throw:
// each invalid byte becomes U+FFFD. Numbers: integers as integers, doubles in their shortest round-trip
// form (2.0 prints as 2.0); NaN and infinities, which JSON lacks, become null.
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace promcast::json {

/// A JSON value whose objects list their keys in the order they were set.
using Json = nlohmann::ordered_json;

/// Serializes `value`, compact for indent < 0, else pretty-printed with `indent` spaces per level.
inline std::string dump(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

/// `v`, or null when it is NaN or infinite (said explicitly, rather than relying on dump()).
inline Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

}  // namespace promcast::json
