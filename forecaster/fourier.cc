#include "forecaster/fourier.h"

#include <charconv>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace promcast::forecaster {

namespace {
// Error has more fields than a message; name it once instead of aggregate-initializing everywhere.
Error fail(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}
}  // namespace

std::expected<std::vector<FourierTerm>, Error> parse_fourier_terms(std::string_view text) {
  std::vector<FourierTerm> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos)
      return std::unexpected(fail(fmt::format("Fourier term '{}' is not PERIOD:K", item)));
    FourierTerm term;
    const std::string_view period = item.substr(0, colon), k = item.substr(colon + 1);
    const auto r1 = std::from_chars(period.data(), period.data() + period.size(), term.period);
    const auto r2 = std::from_chars(k.data(), k.data() + k.size(), term.harmonics);
    if (r1.ec != std::errc() || r1.ptr != period.data() + period.size() || r2.ec != std::errc() ||
        r2.ptr != k.data() + k.size())
      return std::unexpected(fail(fmt::format("Fourier term '{}' is not PERIOD:K", item)));
    if (!(term.period > 2.0) || term.harmonics < 1 || 2.0 * term.harmonics > term.period)
      return std::unexpected(
          fail(fmt::format("Fourier term '{}': need period > 2 and 1 <= K <= period/2", item)));
    out.push_back(term);
  }
  if (out.empty()) return std::unexpected(fail("empty Fourier specification"));
  return out;
}

Eigen::MatrixXd fourier_matrix(std::span<const FourierTerm> terms, Eigen::Index start, Eigen::Index count) {
  Eigen::Index cols = 0;
  for (const auto& t : terms) cols += 2 * t.harmonics;
  Eigen::MatrixXd out(count, cols);
  Eigen::Index c = 0;
  for (const auto& term : terms) {
    for (int j = 1; j <= term.harmonics; ++j, c += 2) {
      for (Eigen::Index i = 0; i < count; ++i) {
        const double angle = 2.0 * std::numbers::pi * j * static_cast<double>(start + i) / term.period;
        out(i, c) = std::sin(angle);
        out(i, c + 1) = std::cos(angle);
      }
    }
  }
  return out;
}

std::vector<std::string> fourier_names(std::span<const FourierTerm> terms) {
  std::vector<std::string> out;
  for (const auto& term : terms)
    for (int j = 1; j <= term.harmonics; ++j) {
      out.push_back(fmt::format("sin{}_{}", j, term.period));
      out.push_back(fmt::format("cos{}_{}", j, term.period));
    }
  return out;
}

bool prefer_fourier(int period, Eigen::Index n) { return period > kMaxStateSeasonalPeriod || n < 3 * period; }

}  // namespace promcast::forecaster
