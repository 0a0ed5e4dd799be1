// libFuzzer target for parse_query_response: any bytes as a /api/v1/query_range or /api/v1/query
// answer. Besides "no crash, no sanitizer report" it checks what the rule engine relies on: sorted
// unique labels, series sorted by labels and unique, timestamps strictly increasing, one value per
// timestamp, and a message on every error.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/query_client.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto series = promcast::rules::parse_query_response(body);
  if (!series) {
    check(!series.error().message.empty());
    return 0;
  }
  for (std::size_t i = 0; i < series->size(); ++i) {
    const auto& one = (*series)[i];
    check(one.timestamps.size() == one.values.size());
    check(std::ranges::adjacent_find(one.timestamps, std::ranges::greater_equal{}) == one.timestamps.end());
    check(std::ranges::adjacent_find(one.labels, [](const auto& a, const auto& b) {
            return a.first >= b.first;
          }) == one.labels.end());
    if (i > 0) check((*series)[i - 1].labels < one.labels);
  }
  return 0;
}
