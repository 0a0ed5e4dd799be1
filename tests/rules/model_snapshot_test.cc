// Model snapshots (--storage.path): a written file reads back exactly; every way a file can be wrong
// (missing, another version, truncated, flipped byte, not ours, a field missing) is an Error naming the
// file, never a crash or a half-read model; writing replaces the old file whole.
#include "rules/model_snapshot.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/crc.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

namespace promcast::rules {
namespace {

namespace fc = promcast::forecaster;

SeriesModelSnapshot sample_model(std::uint64_t hash) {
  SeriesModelSnapshot m;
  m.series_hash = hash;
  m.spec.order = {1, 1, 1, 0, 1, 1, 24};
  m.spec.trend = fc::Trend::kNone;
  m.spec.exog_names = {"sin(2pi*1*t/288)", "cos(2pi*1*t/288)"};
  m.params = {0.1, -0.3333333333333333, 1e-300, -0.7, 2.5};  // exog x2, ar.L1, ma.L1, ma.S.L24 ... sigma2
  m.params.resize(static_cast<std::size_t>(m.spec.k_params()), 0.123456789012345678);
  m.user_terms = {{288.0, 1}};
  m.auto_terms = {{2016.0, 3}};
  m.origin_ms = 1'700'000'000'000;
  m.fitted_at = 1'700'000'300'000;
  m.aicc = std::numeric_limits<double>::quiet_NaN();
  m.description = "SARIMAX(1,1,1)(0,1,1,24) \"quoted\" \xce\xbb";
  return m;
}

std::filesystem::path temp_path(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("promcast_snapshot_test_" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(ModelSnapshot, RoundTripsEveryFieldExactly) {
  const std::vector<RuleModelSnapshot> rules{{"fp-a", {sample_model(0xffffffffffffffffULL), sample_model(7)}},
                                             {"fp-b", {}}};
  const auto decoded = decode_model_snapshot(encode_model_snapshot(rules), "x");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].fingerprint, "fp-a");
  EXPECT_TRUE((*decoded)[1].models.empty());
  const auto& in = rules[0].models[0];
  const auto& out = (*decoded)[0].models[0];
  EXPECT_EQ(out.series_hash, in.series_hash);
  EXPECT_EQ(out.spec.describe(), in.spec.describe());
  ASSERT_EQ(out.params.size(), in.params.size());
  for (std::size_t i = 0; i < in.params.size(); ++i)
    EXPECT_EQ(out.params[i], in.params[i]) << i;  // bit-exact
  EXPECT_EQ(out.user_terms.size(), 1u);
  EXPECT_EQ(out.auto_terms[0].period, 2016.0);
  EXPECT_EQ(out.auto_terms[0].harmonics, 3);
  EXPECT_EQ(out.origin_ms, in.origin_ms);
  EXPECT_EQ(out.fitted_at, in.fitted_at);
  EXPECT_TRUE(std::isnan(out.aicc));
  EXPECT_EQ(out.description, in.description);
  EXPECT_EQ((*decoded)[0].models[1].series_hash, 7u);
}

TEST(ModelSnapshot, WritesAtomicallyAndReadsBack) {
  const auto path = temp_path("models.snap");
  ASSERT_TRUE(write_model_snapshot(path.string(), {{"fp", {sample_model(1)}}}));
  ASSERT_TRUE(write_model_snapshot(path.string(), {{"fp", {sample_model(2), sample_model(3)}}}));
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp")) << "no temporary file left behind";
  const auto read = read_model_snapshot(path.string());
  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  ASSERT_EQ(read->at(0).models.size(), 2u) << "the second write replaced the first";
  std::filesystem::remove_all(path.parent_path());
}

TEST(ModelSnapshot, EveryDamagedFileIsAnErrorNamingIt) {
  const std::string good = encode_model_snapshot({{"fp", {sample_model(1)}}});
  const std::size_t header = good.find('\n') + 1;
  std::string flipped = good;
  flipped[header + 20] ^= 0x01;
  std::string other_version = good;
  other_version.replace(other_version.find(" 1 "), 3, " 9 ");
  struct Case {
    const char* what;
    std::string bytes;
    const char* expect;
  };
  const std::vector<Case> cases{
      {"empty", "", "header"},
      {"not ours", "hello world\n{}", "not a promcast model snapshot"},
      {"another version", other_version, "version 9"},
      {"truncated", good.substr(0, good.size() - 10), "truncated"},
      {"appended to", good + "x", "truncated or appended"},
      {"flipped byte", flipped, "checksum"},
  };
  for (const auto& c : cases) {
    const auto r = decode_model_snapshot(c.bytes, "/data/models.snap");
    ASSERT_FALSE(r.has_value()) << c.what;
    EXPECT_EQ(r.error().file, "/data/models.snap") << c.what;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << c.what << ": " << r.error().message;
  }
  EXPECT_FALSE(read_model_snapshot("/nonexistent/models.snap").has_value());
}

TEST(ModelSnapshot, AChecksummedPayloadWithAWrongFieldIsRefusedToo) {
  // A hand-edited file with a correct checksum: parameters that do not fit the model's order.
  SeriesModelSnapshot m = sample_model(1);
  m.params.pop_back();
  const auto r = decode_model_snapshot(encode_model_snapshot({{"fp", {m}}}), "f");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("parameters"), std::string::npos) << r.error().message;
}

// Integers out of range in a checksummed payload (found by fuzz/model_snapshot_fuzz: nlohmann's get<int>
// of 1e300 converts out of range, undefined behaviour that UBSan reports): an error naming the field.
TEST(ModelSnapshot, IntegersOutOfRangeAreErrorsNamingTheField) {
  const std::string good = encode_model_snapshot({{"fp", {sample_model(1)}}});
  const std::string payload = good.substr(good.find('\n') + 1);
  struct Case {
    std::string from, to, field;
  };
  const std::vector<Case> cases{
      {"\"order\":[1,", "\"order\":[1e300,", "order"},
      {"\"order\":[1,", "\"order\":[4294967296,", "order"},
      {"\"harmonics\":1", "\"harmonics\":-1e40", "harmonics"},
      {"\"origin_ms\":1700000000000", "\"origin_ms\":1e30", "origin_ms"},
      {"\"fitted_at\":1700000300000", "\"fitted_at\":18446744073709551615", "fitted_at"},
  };
  for (const auto& c : cases) {
    std::string edited = payload;
    const auto at = edited.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from << " in " << payload;
    edited.replace(at, c.from.size(), c.to);
    boost::crc_32_type crc;
    crc.process_bytes(edited.data(), edited.size());
    const std::string file = fmt::format("promcast-model-snapshot {} {} {:08x}\n", kModelSnapshotVersion,
                                         edited.size(), crc.checksum()) +
                             edited;
    const auto r = decode_model_snapshot(file, "f");
    ASSERT_FALSE(r.has_value()) << c.to;
    EXPECT_NE(r.error().message.find(c.field), std::string::npos) << c.to << ": " << r.error().message;
  }
}

TEST(ModelSnapshot, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  const std::string good = encode_model_snapshot({{"fp", {sample_model(1)}}});
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    const auto r = decode_model_snapshot(bytes, "f");
    // only flips that left the bytes as they were can pass
    if (r.has_value()) {
      EXPECT_EQ(bytes, good);
    }
  }
}

}  // namespace
}  // namespace promcast::rules
