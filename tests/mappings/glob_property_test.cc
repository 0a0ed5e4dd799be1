// Randomised checks of the glob state machine against simple oracles, over many seeds:
// - ordering on: the result is the first glob in file order that matches token by token
//   (for globs of equal length without repeats, where statsd_exporter's prefix and repeat
//   quirks cannot arise), with that glob's captures;
// - ordering off: shuffling the file never changes any result.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "mappings/mapper.h"

namespace promcast::mappings {
namespace {

constexpr int kTokens = 3;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

std::vector<std::string> random_globs(std::mt19937& rng, size_t count) {
  const char* first[] = {"ga", "gb", "gc", "*"};
  const char* rest[] = {"a", "b", "c", "*"};
  std::uniform_int_distribution<int> pick(0, 3);
  std::set<std::string> seen;
  std::vector<std::string> globs;
  while (globs.size() < count) {
    std::string glob = first[pick(rng)];
    for (int t = 1; t < kTokens; ++t) glob += std::string(".") + rest[pick(rng)];
    if (seen.insert(glob).second) globs.push_back(glob);
  }
  return globs;
}

std::unique_ptr<Mapper> build(const std::vector<std::string>& globs, bool disable_ordering) {
  std::string yaml = disable_ordering ? "defaults:\n  glob_disable_ordering: true\n" : "";
  yaml += "mappings:\n";
  for (const std::string& g : globs) {
    // The name identifies the glob; labels expose every capture position.
    std::string name = "m_";
    for (char c : g) name += c == '*' ? 'S' : c == '.' ? '_' : c;
    yaml += "- match: \"" + g + "\"\n  name: " + name +
            "\n  labels:\n    c1: \"$1\"\n    c2: \"$2\"\n    c3: \"$3\"\n";
  }
  auto parsed = MappingConfig::parse(yaml, "property.yml");
  if (!parsed) {
    ADD_FAILURE() << parsed.error()[0].to_string();
    return std::make_unique<Mapper>(std::make_shared<const MappingConfig>());
  }
  return std::make_unique<Mapper>(std::make_shared<const MappingConfig>(std::move(*parsed)));
}

std::vector<std::string> all_names() {
  std::vector<std::string> names;
  const char* first[] = {"ga", "gb", "gc", "gd"};
  const char* rest[] = {"a", "b", "c", "d"};
  for (const char* x : first) {
    for (const char* y : rest) {
      for (const char* z : rest) names.push_back(std::string(x) + "." + y + "." + z);
    }
  }
  return names;
}

TEST(GlobProperty, OrderingOnMatchesFirstMatchingGlobInFileOrder) {
  int matched = 0;
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    const auto globs = random_globs(rng, 1 + seed % 8);
    auto mapper = build(globs, false);
    for (const std::string& name : all_names()) {
      const auto tokens = split(name);
      const std::string* want = nullptr;
      std::vector<std::string> captures;
      for (const std::string& g : globs) {
        const auto pattern = split(g);
        bool ok = true;
        std::vector<std::string> caps;
        for (int t = 0; t < kTokens && ok; ++t) {
          if (pattern[t] == "*") {
            caps.push_back(tokens[t]);
          } else {
            ok = pattern[t] == tokens[t];
          }
        }
        if (ok) {
          want = &g;
          captures = caps;
          break;
        }
      }
      MapResult r = mapper->map(name, MetricType::Counter);
      ASSERT_EQ(r.matched(), want != nullptr) << "seed " << seed << " name " << name;
      if (!want) continue;
      ++matched;
      ASSERT_EQ(r.mapping->match, *want) << "seed " << seed << " name " << name;
      captures.resize(3);
      ASSERT_EQ(r.labels[0].second, captures[0]) << "seed " << seed << " name " << name;
      ASSERT_EQ(r.labels[1].second, captures[1]);
      ASSERT_EQ(r.labels[2].second, captures[2]);
    }
  }
  EXPECT_GT(matched, 1000);
}

TEST(GlobProperty, OrderingOffIgnoresFileOrder) {
  int matched = 0;
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    auto globs = random_globs(rng, 2 + seed % 8);
    auto reference = build(globs, true);
    for (int shuffle = 0; shuffle < 3; ++shuffle) {
      std::shuffle(globs.begin(), globs.end(), rng);
      auto shuffled = build(globs, true);
      for (const std::string& name : all_names()) {
        MapResult a = reference->map(name, MetricType::Gauge);
        MapResult b = shuffled->map(name, MetricType::Gauge);
        ASSERT_EQ(a.matched(), b.matched()) << "seed " << seed << " name " << name;
        ASSERT_EQ(a.name, b.name) << "seed " << seed << " name " << name;
        ASSERT_EQ(a.labels, b.labels) << "seed " << seed << " name " << name;
        matched += a.matched() ? 1 : 0;
      }
    }
  }
  EXPECT_GT(matched, 1000);
}

}  // namespace
}  // namespace promcast::mappings
