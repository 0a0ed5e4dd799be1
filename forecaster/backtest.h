#pragma once
// The numerics of a backtest (`promcast backtest`): where the rolling origins go, the accuracy
// figures of out-of-sample forecasts against what happened, the seasonal-naive baseline every
// figure is compared with, and for anomaly rules which known incidents the alerts caught.
// Pure: no I/O, no clock; times are plain numbers in whatever unit the caller uses (the command
// passes Unix seconds).
//
// Definitions (Hyndman & Koehler 2006; Hyndman & Athanasopoulos, FPP3 5.8):
//   - MASE: mean |e| / Q over every forecast, each error scaled by the Q of its own origin's
//     training window, Q = mean |y_t - y_{t-m}| over the window's pairs with both values finite
//     (forecast::accuracy's scaling for a seasonal series; m = 1 is the naive scaling). Below 1:
//     better than the in-sample seasonal-naive forecast.
//   - sMAPE: mean 200 |y - f| / (|y| + |f|), in percent (0..200), as in the M3/M4 competitions;
//     a pair with y = f = 0 counts as 0 (a perfect forecast), where R's formula gives NaN.
//   - coverage: the share of actual values inside [lower, upper] (inclusive) of a central interval.
//   Missing actual values (NaN) are skipped; a forecast whose origin's Q is 0 or NaN (a constant or
//   empty window) counts for sMAPE and coverage but not for MASE.
//   - seasonal naive (forecast::snaive): y_{T+h} = the last finite value at the same phase,
//     y_{T+h-km} for the smallest k >= ceil(h/m); interval half-width z * sigma * sqrt(floor((h-1)/m)+1)
//     with sigma^2 = mean of the squared in-sample residuals y_t - (the last finite value at t's phase
//     before t), over the residuals that are finite (forecast::lagwalk, its NA filling included).
#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"

namespace promcast::forecaster {

// ---- rolling origin ----

/// Where the cuts (forecast origins) go, on an integer grid (the command uses grid steps).
struct CutPlan {
  long long first = 0;    ///< earliest allowed origin
  long long last = 0;     ///< latest allowed origin (the longest horizon must still end in the data)
  std::size_t count = 0;  ///< with spacing 0: this many origins spread evenly from first to last
  long long spacing = 0;  ///< > 0: origins first, first + spacing, ... <= last (at most `count` if > 0)
};

/// The origins in increasing order, without duplicates. Errors: last < first ("too little data"),
/// count and spacing both 0, negative spacing.
std::expected<std::vector<long long>, Error> rolling_origins(const CutPlan& plan);

// ---- seasonal naive ----

/// Q: mean |y_t - y_{t-m}| over pairs with both finite; NaN when there is no such pair. m >= 1.
double seasonal_naive_scale(std::span<const double> y, int m);

struct NaiveForecast {
  std::vector<double> mean;                ///< h values; NaN when no finite value at that phase
  std::vector<std::vector<double>> lower;  ///< [level][step]
  std::vector<std::vector<double>> upper;
};

/// forecast::snaive(y, h, level) for levels in percent (e.g. 80, 95). m >= 1 (1 = naive).
NaiveForecast seasonal_naive(std::span<const double> y, int m, int h, std::span<const double> levels);

// ---- accuracy ----

/// Accuracy figures of one set of forecasts.
struct Accuracy {
  std::size_t n = 0;             ///< forecasts with a finite actual value
  double mase = 0;               ///< NaN when no forecast had a usable scale
  double smape = 0;              ///< percent; NaN when n = 0
  double mae = 0;                ///< NaN when n = 0
  std::vector<double> coverage;  ///< per level; NaN when n = 0
};

/// Sums for Accuracy, one per horizon (or per group of forecasts), mergeable across series and cuts.
class AccuracySum {
 public:
  explicit AccuracySum(std::size_t levels = 0) : inside_(levels, 0) {}
  /// One forecast: the actual value, the forecast mean, the interval bounds per level (as many as
  /// levels, or empty to leave coverage out) and the origin's scale Q. NaN actual: ignored.
  void add(double actual, double forecast, std::span<const double> lower, std::span<const double> upper,
           double scale);
  void merge(const AccuracySum& other);
  [[nodiscard]] Accuracy result() const;
  [[nodiscard]] std::size_t count() const { return n_; }

 private:
  std::size_t n_ = 0, scaled_n_ = 0, interval_n_ = 0;
  double abs_sum_ = 0, scaled_sum_ = 0, smape_sum_ = 0;
  std::vector<std::size_t> inside_;
};

// ---- alerts against incidents ----

/// A time window [start, end] (inclusive), e.g. one alert's firing time or one known incident.
struct Window {
  double start = 0;
  double end = 0;
};

struct IncidentMatch {
  bool caught = false;
  double first_alert = 0;  ///< start of the earliest alert overlapping the incident (when caught)
  /// incident start - first_alert: > 0 the alert came this early, < 0 it came this late.
  double lead = 0;
};

struct IncidentReport {
  std::vector<IncidentMatch> incidents;  ///< aligned with the incidents given
  std::vector<bool> alert_matched;       ///< aligned with the alerts: overlaps some incident
  std::size_t false_alerts = 0;          ///< alerts overlapping no incident
  double false_alerts_per_day = 0;       ///< false_alerts / (span / day); NaN when span <= 0
};

/// An incident is caught by every alert that overlaps it; an alert overlapping no incident is false.
/// `span` is the length of the replayed period and `day` the length of a day, in the times' unit.
IncidentReport match_incidents(std::span<const Window> alerts, std::span<const Window> incidents, double span,
                               double day);

}  // namespace promcast::forecaster
