#include "rules/model_snapshot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/json.h"

namespace promcast::rules {
namespace {

using Json = promcast::json::Json;
namespace fc = promcast::forecaster;

constexpr std::string_view kMagic = "promcast-model-snapshot";
// A snapshot of 1,000 series is well under a megabyte; anything near this is not ours.
constexpr std::size_t kMaxPayload = std::size_t{1} << 30;

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

Json terms_json(const std::vector<fc::FourierTerm>& terms) {
  Json out = Json::array();
  for (const auto& t : terms) out.push_back({{"period", t.period}, {"harmonics", t.harmonics}});
  return out;
}

Json model_json(const SeriesModelSnapshot& m) {
  const auto& o = m.spec.order;
  Json params = Json::array();
  for (double p : m.params) params.push_back(promcast::json::number_or_null(p));
  // the hash as text: JSON numbers above 2^53 do not survive every reader
  return {{"series", fmt::format("{:016x}", m.series_hash)},
          {"order", {o.p, o.d, o.q, o.P, o.D, o.Q, o.s}},
          {"trend", std::string(fc::to_string(m.spec.trend))},
          {"exog", m.spec.exog_names},
          {"params", params},
          {"user_terms", terms_json(m.user_terms)},
          {"auto_terms", terms_json(m.auto_terms)},
          {"origin_ms", m.origin_ms},
          {"fitted_at", m.fitted_at},
          {"aicc", promcast::json::number_or_null(m.aicc)},
          {"description", m.description}};
}

double read_number(const Json& v) {
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
  return v.get<double>();  // throws json::type_error on anything else: caught by the caller
}

// An integer field, checked: nlohmann's get<int> of 1e300 or of 2^40 would convert out of range (undefined
// for a double; found by model_snapshot_fuzz), so a damaged file must fail here with the field's name.
template <typename Int>
Int read_integer(const Json& v, std::string_view field) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) return static_cast<Int>(u);
    } else {
      const auto i = v.get<std::int64_t>();
      if (i >= static_cast<std::int64_t>(std::numeric_limits<Int>::min()) &&
          i <= static_cast<std::int64_t>(std::numeric_limits<Int>::max()))
        return static_cast<Int>(i);
    }
  }
  throw std::invalid_argument(fmt::format("{} is not an integer in range: {}", field, v.dump()));
}

std::vector<fc::FourierTerm> terms_from(const Json& v) {
  std::vector<fc::FourierTerm> out;
  for (const auto& t : v)
    out.push_back({t.at("period").get<double>(), read_integer<int>(t.at("harmonics"), "harmonics")});
  return out;
}

SeriesModelSnapshot model_from(const Json& v) {
  SeriesModelSnapshot m;
  const std::string hash = v.at("series").get<std::string>();
  std::size_t used = 0;
  m.series_hash = std::stoull(hash, &used, 16);
  if (used != hash.size()) throw std::invalid_argument("series hash '" + hash + "' is not hexadecimal");
  std::vector<int> order;
  for (const auto& o : v.at("order")) order.push_back(read_integer<int>(o, "order"));
  if (order.size() != 7) throw std::invalid_argument("order needs 7 numbers");
  m.spec.order = {order[0], order[1], order[2], order[3], order[4], order[5], order[6]};
  auto trend = fc::parse_trend(v.at("trend").get<std::string>());
  if (!trend) throw std::invalid_argument(trend.error().message);
  m.spec.trend = *trend;
  m.spec.exog_names = v.at("exog").get<std::vector<std::string>>();
  for (const auto& p : v.at("params")) m.params.push_back(read_number(p));
  m.user_terms = terms_from(v.at("user_terms"));
  m.auto_terms = terms_from(v.at("auto_terms"));
  m.origin_ms = read_integer<TimestampMs>(v.at("origin_ms"), "origin_ms");
  m.fitted_at = read_integer<TimestampMs>(v.at("fitted_at"), "fitted_at");
  m.aicc = read_number(v.at("aicc"));
  m.description = v.at("description").get<std::string>();
  if (auto valid = m.spec.validate(); !valid) throw std::invalid_argument(valid.error().message);
  if (static_cast<int>(m.params.size()) != m.spec.k_params())
    throw std::invalid_argument(
        fmt::format("{} parameters for a model that has {}", m.params.size(), m.spec.k_params()));
  return m;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string encode_model_snapshot(const std::vector<RuleModelSnapshot>& rules) {
  Json doc = {{"rules", Json::array()}};
  for (const auto& r : rules) {
    Json models = Json::array();
    for (const auto& m : r.models) models.push_back(model_json(m));
    doc["rules"].push_back({{"fingerprint", r.fingerprint}, {"models", std::move(models)}});
  }
  const std::string payload = promcast::json::dump(doc);
  return fmt::format("{} {} {} {:08x}\n", kMagic, kModelSnapshotVersion, payload.size(), crc32(payload)) +
         payload;
}

std::expected<std::vector<RuleModelSnapshot>, Error> decode_model_snapshot(std::string_view bytes,
                                                                           const std::string& source) {
  const auto fail = [&](std::string what) { return std::unexpected(Error{std::move(what), source, 0, 0}); };
  const std::size_t newline = bytes.find('\n');
  if (newline == std::string_view::npos || newline > 128) return fail("no snapshot header line");
  std::istringstream header{std::string(bytes.substr(0, newline))};
  std::string magic, crc_text;
  int version = 0;
  std::size_t length = 0;
  if (!(header >> magic >> version >> length >> crc_text) || magic != kMagic)
    return fail(fmt::format("not a promcast model snapshot (header '{}')", bytes.substr(0, newline)));
  if (bytes.substr(0, newline) != fmt::format("{} {} {} {}", magic, version, length, crc_text))
    return fail(fmt::format("malformed snapshot header '{}'", bytes.substr(0, newline)));
  if (version != kModelSnapshotVersion)
    return fail(
        fmt::format("snapshot version {} (this promcast reads version {})", version, kModelSnapshotVersion));
  const std::string_view payload = bytes.substr(newline + 1);
  if (length > kMaxPayload || payload.size() != length)
    return fail(fmt::format("payload is {} bytes, the header says {} (truncated or appended to)",
                            payload.size(), length));
  if (crc_text != fmt::format("{:08x}", crc32(payload))) return fail("checksum mismatch (corrupt snapshot)");
  std::vector<RuleModelSnapshot> out;
  try {
    const Json doc = Json::parse(payload);
    for (const auto& r : doc.at("rules")) {
      RuleModelSnapshot rule;
      rule.fingerprint = r.at("fingerprint").get<std::string>();
      for (const auto& m : r.at("models")) rule.models.push_back(model_from(m));
      out.push_back(std::move(rule));
    }
  } catch (const std::exception& e) {  // a checksummed file we cannot read: a bug or a hand edit
    return fail(fmt::format("malformed snapshot: {}", e.what()));
  }
  return out;
}

std::expected<void, Error> write_model_snapshot(const std::string& path,
                                                const std::vector<RuleModelSnapshot>& rules) {
  const std::string bytes = encode_model_snapshot(rules);
  const std::string tmp = path + ".tmp";
  const auto fail = [&](std::string what) { return std::unexpected(Error{std::move(what), path, 0, 0}); };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create " + tmp + ": " + errno_text());
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail("cannot write " + tmp + ": " + why);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return fail("cannot flush " + tmp + ": " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return fail("cannot rename " + tmp + ": " + why);
  }
  // the rename itself must reach the disk before we call the snapshot written
  const std::string dir = std::filesystem::path(path).parent_path().empty()
                              ? std::string(".")
                              : std::filesystem::path(path).parent_path().string();
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::expected<std::vector<RuleModelSnapshot>, Error> read_model_snapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Error{"cannot open: " + errno_text(), path, 0, 0});
  std::ostringstream contents;
  contents << in.rdbuf();
  return decode_model_snapshot(contents.str(), path);
}

}  // namespace promcast::rules
