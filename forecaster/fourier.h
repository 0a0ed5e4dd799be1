#pragma once
// Fourier terms as exogenous regressors (dynamic harmonic regression): for a period p and K
// harmonics, columns sin(2 pi j t / p), cos(2 pi j t / p) for j = 1..K, t counting from 0 at the
// first observation. Lets a seasonal cycle of any length (288 five-minute points per day, 2016 per
// week, non-integer periods) be modelled by 2K coefficients instead of s seasonal states.
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "common/error.h"

namespace promcast::forecaster {

struct FourierTerm {
  double period = 0.0;
  int harmonics = 0;
};

/// Parses "PERIOD:K[,PERIOD:K...]", e.g. "288:3,2016:2". Requires period > 2 and 1 <= 2K <= period.
std::expected<std::vector<FourierTerm>, Error> parse_fourier_terms(std::string_view text);

/// Rows t = start .. start+count-1, two columns per harmonic in the order of fourier_names().
Eigen::MatrixXd fourier_matrix(std::span<const FourierTerm> terms, Eigen::Index start, Eigen::Index count);

/// "sin1_288", "cos1_288", "sin2_288", ... (the fixture generator's names).
std::vector<std::string> fourier_names(std::span<const FourierTerm> terms);

/// Whether a seasonal period is too long for seasonal ARIMA on n points, so that Fourier terms
/// should model it instead: s > kMaxStateSeasonalPeriod, or fewer than three full cycles.
bool prefer_fourier(int period, Eigen::Index n);
inline constexpr int kMaxStateSeasonalPeriod = 350;

}  // namespace promcast::forecaster
