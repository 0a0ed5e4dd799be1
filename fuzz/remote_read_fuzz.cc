// libFuzzer target for promcast's remote read endpoint (POST /api/v1/read: bytes from the network). Each
// input is tried as the body itself and, snappy-compressed by the target, as the protobuf inside, so the
// fuzzer explores ReadRequest decoding and the matchers (regexes included) instead of stopping at snappy.
// A decoded request is then answered against a few series, as the endpoint would.
#include <snappy.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "web/remote_read.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

const std::vector<promcast::rules::Series>& some_series() {
  static const auto* all = [] {
    auto* out = new std::vector<promcast::rules::Series>;
    for (int i = 0; i < 3; ++i) {
      promcast::rules::Series s;
      s.labels = {{"__name__", "ingest:yhat_path"}, {"topic", "t" + std::to_string(i)}};
      for (int k = 0; k < 10; ++k) {
        s.timestamps.push_back(1'700'000'000'000 + k * 300'000);
        s.values.push_back(i + k * 0.5);
      }
      out->push_back(std::move(s));
    }
    return out;
  }();
  return *all;
}

void try_body(std::string_view body) {
  const auto queries = promcast::web::decode_read_request(body);
  if (!queries) {
    check(!queries.error().empty());
    return;
  }
  const auto results = promcast::web::answer_read(*queries, some_series());
  check(results.size() == queries->size());
  (void)promcast::web::encode_read_response(results);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try_body(bytes);
  std::string compressed;
  snappy::Compress(bytes.data(), bytes.size(), &compressed);
  try_body(compressed);
  return 0;
}
