// parse_query_response: the JSON of /api/v1/query_range and /api/v1/query to Series, with simdjson's
// DOM parser. Everything a server (or a proxy in front of it) can get wrong is an Error, never a
// crash: this is the fuzzer's target.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "rules/query_client.h"

namespace promcast::rules {
namespace {

Error error_of(std::string message) {
  Error error;
  error.message = std::move(message);
  return error;
}

// The start of a body that is not the JSON we expect (an HTML error page from a proxy, say), printable.
std::string excerpt(std::string_view body) {
  constexpr std::size_t kMax = 120;
  std::string out;
  for (const char c : body.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '.';
  if (body.size() > kMax) out += "...";
  return out;
}

// Prometheus writes timestamps as seconds with up to 3 decimals (VictoriaMetrics as integers).
std::expected<TimestampMs, Error> timestamp_of(simdjson::dom::element element) {
  double seconds = 0;
  if (element.get_double().get(seconds) != simdjson::SUCCESS) {
    return std::unexpected(error_of("a sample's timestamp is not a number"));
  }
  // 9e15 ms is ~285,000 years: far inside int64 and beyond any real timestamp.
  const double ms = std::round(seconds * 1000.0);
  if (!std::isfinite(ms) || std::abs(ms) > 9e15) {
    return std::unexpected(error_of(fmt::format("a sample's timestamp is out of range: {}", seconds)));
  }
  return static_cast<TimestampMs>(ms);
}

// Values are Go's strconv.FormatFloat output as strings: "1.5", "NaN", "+Inf", "-Inf", "1e+06".
std::expected<double, Error> value_of(simdjson::dom::element element) {
  std::string_view text;
  if (element.get_string().get(text) != simdjson::SUCCESS) {
    return std::unexpected(error_of("a sample's value is not a string"));
  }
  std::string_view digits = text;
  if (digits.starts_with('+')) digits.remove_prefix(1);  // from_chars takes no '+' ("+Inf")
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // Out-of-range text is refused too: a server printing float64 values never produces it.
  if (digits.empty() || (text.starts_with('+') && (digits[0] == '-' || digits[0] == '+')) ||
      ec != std::errc{} || end != digits.data() + digits.size()) {
    return std::unexpected(error_of(fmt::format("a sample's value is not a number: \"{}\"", excerpt(text))));
  }
  return value;
}

// One [timestamp, "value"] pair appended to `series`; timestamps must increase.
std::expected<void, Error> append_sample(simdjson::dom::element pair, Series& series) {
  simdjson::dom::array items;
  if (pair.get_array().get(items) != simdjson::SUCCESS || items.size() != 2) {
    return std::unexpected(error_of("a sample is not a [timestamp, \"value\"] pair"));
  }
  auto ts = timestamp_of(items.at(0).value_unsafe());
  if (!ts) return std::unexpected(ts.error());
  auto value = value_of(items.at(1).value_unsafe());
  if (!value) return std::unexpected(value.error());
  if (!series.timestamps.empty() && *ts <= series.timestamps.back()) {
    return std::unexpected(error_of(fmt::format("timestamps of series {} do not increase at {} ms",
                                                labels_to_string(series.labels), *ts)));
  }
  series.timestamps.push_back(*ts);
  series.values.push_back(*value);
  return {};
}

std::expected<Labels, Error> labels_of(simdjson::dom::element metric) {
  simdjson::dom::object object;
  if (metric.get_object().get(object) != simdjson::SUCCESS) {
    return std::unexpected(error_of("a series' \"metric\" is not an object"));
  }
  std::vector<Label> labels;
  for (const auto field : object) {
    std::string_view value;
    if (field.value.get_string().get(value) != simdjson::SUCCESS) {
      return std::unexpected(error_of(fmt::format("label {} is not a string", excerpt(field.key))));
    }
    labels.emplace_back(std::string(field.key), std::string(value));
  }
  return make_labels(std::move(labels));
}

// One element of data.result for a matrix ("values") or vector ("value") answer. Series that carry
// only native histograms ("histograms"/"histogram") have no float samples and are left out.
std::expected<std::optional<Series>, Error> series_of(simdjson::dom::element element) {
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) {
    return std::unexpected(error_of("an element of data.result is not an object"));
  }
  Series series;
  simdjson::dom::element metric;
  if (object["metric"].get(metric) == simdjson::SUCCESS) {
    auto labels = labels_of(metric);
    if (!labels) return std::unexpected(labels.error());
    series.labels = std::move(*labels);
  }
  simdjson::dom::element samples;
  if (object["values"].get(samples) == simdjson::SUCCESS) {
    simdjson::dom::array pairs;
    if (samples.get_array().get(pairs) != simdjson::SUCCESS) {
      return std::unexpected(error_of("a series' \"values\" is not an array"));
    }
    series.timestamps.reserve(pairs.size());
    series.values.reserve(pairs.size());
    for (const auto pair : pairs) {
      if (auto ok = append_sample(pair, series); !ok) return std::unexpected(ok.error());
    }
  } else if (object["value"].get(samples) == simdjson::SUCCESS) {
    if (auto ok = append_sample(samples, series); !ok) return std::unexpected(ok.error());
  } else if (object["histograms"].error() == simdjson::SUCCESS ||
             object["histogram"].error() == simdjson::SUCCESS) {
    return std::optional<Series>();
  } else {
    return std::unexpected(error_of("a series has neither \"values\" nor \"value\""));
  }
  return std::optional<Series>(std::move(series));
}

std::expected<std::vector<Series>, Error> result_of(simdjson::dom::element data) {
  std::string_view type;
  if (data["resultType"].get_string().get(type) != simdjson::SUCCESS) {
    return std::unexpected(error_of("query response has no data.resultType"));
  }
  simdjson::dom::element result;
  if (data["result"].get(result) != simdjson::SUCCESS) {
    return std::unexpected(error_of("query response has no data.result"));
  }
  std::vector<Series> out;
  if (type == "scalar") {  // [timestamp, "value"]: one series without labels
    Series series;
    if (auto ok = append_sample(result, series); !ok) return std::unexpected(ok.error());
    out.push_back(std::move(series));
    return out;
  }
  if (type != "matrix" && type != "vector") {
    return std::unexpected(
        error_of(fmt::format("unsupported resultType \"{}\" (expected matrix or vector)", excerpt(type))));
  }
  simdjson::dom::array elements;
  if (result.get_array().get(elements) != simdjson::SUCCESS) {
    return std::unexpected(error_of("data.result is not an array"));
  }
  out.reserve(elements.size());
  for (const auto element : elements) {
    auto series = series_of(element);
    if (!series) return std::unexpected(series.error());
    if (*series) out.push_back(std::move(**series));
  }
  std::ranges::sort(out, {}, &Series::labels);
  const auto duplicate = std::ranges::adjacent_find(out, {}, &Series::labels);
  if (duplicate != out.end()) {
    return std::unexpected(
        error_of(fmt::format("series {} appears twice in one answer", labels_to_string(duplicate->labels))));
  }
  return out;
}

}  // namespace

std::expected<std::vector<Series>, Error> parse_query_response(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (const auto code = parser.parse(body.data(), body.size()).get(doc); code != simdjson::SUCCESS) {
    return std::unexpected(error_of(fmt::format("query response is not valid JSON ({}): {}",
                                                simdjson::error_message(code), excerpt(body))));
  }
  std::string_view status;
  if (doc["status"].get_string().get(status) != simdjson::SUCCESS) {
    return std::unexpected(error_of(fmt::format("query response has no \"status\": {}", excerpt(body))));
  }
  if (status == "error") {
    std::string_view type;
    std::string_view message;
    if (doc["errorType"].get_string().get(type) != simdjson::SUCCESS) type = "unknown";
    if (doc["error"].get_string().get(message) != simdjson::SUCCESS) message = "(no error message)";
    return std::unexpected(error_of(fmt::format("{}: {}", type, message)));
  }
  if (status != "success") {
    return std::unexpected(error_of(fmt::format("query response has status \"{}\"", excerpt(status))));
  }
  simdjson::dom::element data;
  if (doc["data"].get(data) != simdjson::SUCCESS) {
    return std::unexpected(error_of("query response has no \"data\""));
  }
  auto out = result_of(data);
  if (!out) out.error().message = "query response: " + out.error().message;
  return out;
}

}  // namespace promcast::rules
