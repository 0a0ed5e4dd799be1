// libFuzzer target for the model snapshot decoder (--storage.path reads whatever is on disk: a file cut
// short by a crash, another version's, a disk error's). Each input is tried twice: as a whole file, and as
// a payload behind a header with its true length and checksum, so the fuzzer reaches the JSON reader
// instead of stopping at the checksum. A decoded snapshot must encode and decode to the same models.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/crc.hpp>
#include <fmt/format.h>

#include "rules/model_snapshot.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void round_trip(std::string_view bytes) {
  const auto decoded = promcast::rules::decode_model_snapshot(bytes, "fuzz.snapshot");
  if (!decoded) {
    check(!decoded.error().message.empty());
    return;
  }
  const auto again =
      promcast::rules::decode_model_snapshot(promcast::rules::encode_model_snapshot(*decoded), "again");
  check(again.has_value());
  check(again->size() == decoded->size());
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    check((*again)[i].fingerprint == (*decoded)[i].fingerprint);
    check((*again)[i].models.size() == (*decoded)[i].models.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  round_trip(bytes);
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  const std::string file = fmt::format("promcast-model-snapshot {} {} {:08x}\n",
                                       promcast::rules::kModelSnapshotVersion, bytes.size(), crc.checksum()) +
                           std::string(bytes);
  round_trip(file);
  return 0;
}
