#pragma once
// Seasonal periods found from the data, for `--period auto`: which cycles (in points) a series
// repeats, with a significance test, preferring the calendar periods (1 h, 1 d, 1 w) its step
// allows.
//
//   1. Candidates: the calendar periods step allows (integer numbers of points, at least
//      min_cycles cycles in the data), then the highest local maxima of the sample ACF.
//   2. Test, per candidate P, on the last floor(n / P) P points (whole cycles, so a periodic signal
//      puts its power exactly on the Fourier frequencies j / P): each harmonic's periodogram
//      ordinate over the local background (median of the neighbouring ordinates / ln 2) is Exp(1)
//      under "no cycle at P" for any smooth spectrum (trend, AR noise); sums over the first
//      1, 2, 4, 8 harmonics are Gamma(H, 1). The background is a log-linear fit to >= 30
//      neighbouring ordinates, raised by 1.5 standard errors of its fitted level (few bins otherwise
//      make red noise look periodic). The smallest p-value times the number of sums tried is
//      compared with alpha / (number of candidates of its kind): calendar candidates pay for the
//      few of them, ACF candidates for every lag that could have been one (the preference).
//   3. Candidates are tested from the shortest: a multiple of an accepted period is tested only on
//      the harmonics the shorter one does not explain (a daily cycle alone does not make a weekly
//      one), and the sample ACF at the period must be positive.
// Missing values (NaN) inside the series are linearly interpolated; a linear trend is removed.
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace promcast::forecaster {

struct PeriodSearchOptions {
  /// Seconds between points; 0 when unknown (no calendar candidates, ACF candidates only).
  double step_seconds = 0.0;
  double alpha = 0.01;  ///< family-wise significance level per kind of candidate
  int min_cycles = 2;   ///< a period needs this many whole cycles in the data
  int max_period = 0;   ///< longest period considered (0: n / min_cycles)
  int min_period = 3;   ///< shorter cycles are not seasonal periods (2 is the alternating sign)
};

struct DetectedPeriod {
  int period = 0;         ///< in points
  double p_value = 1.0;   ///< after the multiplicity corrections above
  double power = 0.0;     ///< share of the (detrended) variance at the tested harmonics
  bool calendar = false;  ///< 1 h, 1 d or 1 w at the given step
};

/// The significant periods, strongest (largest power share) first; empty when none is.
/// Errors: fewer than 2 min_period finite points, a negative step.
std::expected<std::vector<DetectedPeriod>, Error> find_periods(std::span<const double> y,
                                                               const PeriodSearchOptions& options = {});

/// A period given as a duration ("1d", "12h", "30m", "1w", "90s") in points of `step_seconds`:
/// an error when the text is not a duration, the step is unknown (<= 0) or the duration is not a
/// whole number of steps. Plain integers are not durations (the caller treats them as points).
std::expected<int, Error> duration_in_steps(std::string_view text, double step_seconds);

}  // namespace promcast::forecaster
