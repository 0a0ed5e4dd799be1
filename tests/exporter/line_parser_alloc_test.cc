// The parser must not allocate per line once its scratch buffers have grown: this binary replaces the
// global operator new to count allocations made while a warmed-up parser works.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "exporter/line_parser.h"

// GCC sees malloc/free through the inlined replacements below and reports a new/delete mismatch that
// is not one: both sides of every pair are replaced together.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace promcast::exporter {
namespace {

TEST(LineParserAllocations, NoneInSteadyState) {
  const std::vector<std::string> packets = {
      "drift_metrics.mushroom.v1.cap-diameter.wasserstein:42|g",
      "a:1|c\nb:2|g\nc:300|ms|@0.5\n",
      "foo:100|c|@0.1|#tag1:bar,#tag2:baz,z:1,a:2",
      "foo,tag1=bar,tag2=baz:100|c",
      "foo#09digits=0,tag.with.dots=1:100|c",
      "foo.[tag1=bar,tag2=baz]test:100|c",
      "foo_timing:0.5:120:3000:10:20000:0.01|ms|#tag1:bar,tag2:baz|c:abc|T1656581400",
      "foo:1_000|g\nfoo:0x1p-2|g\nfoo:1e-400|g\nfoo:+Inf|g",
      "bad\n:1|c\nfoo:1\nfoo:1:2|c\nfoo:x|c\nfoo:1|c|q\nfoo:1|s\n\xff:1|c",
  };
  LineParser parser;
  double sum = 0;
  auto sink = [&](const Event& e) { sum += e.value + static_cast<double>(e.tags.size()); };
  for (const std::string& p : packets) parser.parse_packet(p, sink);  // warm-up: buffers grow here

  g_allocations = 0;
  g_counting = true;
  for (int round = 0; round < 100; ++round) {
    for (const std::string& p : packets) parser.parse_packet(p, sink);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_GT(parser.stats().events[0] + parser.stats().events[1] + parser.stats().events[2], 1000u);
  EXPECT_NE(sum, 0);
}

TEST(LineParserAllocations, CounterWorks) {
  // Guards the test above against a counting hook that never fires.
  g_allocations = 0;
  g_counting = true;
  auto* p = new std::string(100, 'x');
  g_counting = false;
  delete p;
  EXPECT_GE(g_allocations.load(), 1);
}

}  // namespace
}  // namespace promcast::exporter
