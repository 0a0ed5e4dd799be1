// libFuzzer target for the statsd line parser: any bytes, any tag-style switches. Besides "no crash, no
// sanitizer report" it checks the invariants the rest of the exporter relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exporter/line_parser.h"

namespace {

using promcast::exporter::Event;

bool valid_label_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return !(name[0] >= '0' && name[0] <= '9');
}

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the tag-style switches, the rest is the datagram.
  const uint8_t flags = data[0];
  promcast::exporter::ParserOptions options{(flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
                                            (flags & 8) != 0};
  const std::string_view packet(reinterpret_cast<const char*>(data + 1), size - 1);
  promcast::exporter::LineParser parser(options);
  uint64_t events = 0;
  parser.parse_packet(packet, [&](const Event& e) {
    ++events;
    for (std::size_t i = 0; i < e.tags.size(); ++i) {
      check(valid_label_name(e.tags[i].name));
      check(!e.tags[i].value.empty());
      if (i > 0) check(e.tags[i - 1].name < e.tags[i].name);  // sorted and unique
    }
    check(!e.relative || e.type == promcast::exporter::EventType::Gauge);
  });
  const auto& stats = parser.stats();
  uint64_t newlines = 0;
  for (const char c : packet) newlines += c == '\n' ? 1 : 0;
  check(stats.lines == newlines + 1);
  check(stats.events[0] + stats.events[1] + stats.events[2] == events);
  check(stats.tags <= stats.samples);
  return 0;
}
