#pragma once
// Fitted models kept on disk (--storage.path) so that a restart resumes evaluation without re-estimating
// every series: the evaluator re-reads each series' window from its source and rebuilds the filter at the
// stored parameters (Sarimax::from_params), which costs one filter pass instead of a search.
//
// File format, version 1: one header line
//   promcast-model-snapshot 1 <payload bytes> <crc32 of the payload, 8 hex digits>\n
// followed by the payload, a JSON document {"rules": [{"fingerprint", "models": [...]}]}. Doubles are
// written with round-trip precision; NaN is null.
//
// Invariants:
// - write_model_snapshot replaces the file atomically (temporary file in the same directory, fsync,
//   rename, fsync of the directory): a reader sees the old file or the new one, never a mix.
// - read_model_snapshot accepts only a file whose version, length and checksum all match and whose
//   payload has every field; anything else is an Error naming the file and what was wrong, so the caller
//   logs it and refits. It never throws.
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "common/error.h"
#include "forecaster/fourier.h"
#include "forecaster/sarimax.h"
#include "rules/series.h"

namespace promcast::rules {

inline constexpr int kModelSnapshotVersion = 1;

/// One fitted series of a forecast rule.
struct SeriesModelSnapshot {
  std::uint64_t series_hash = 0;  ///< labels_hash of the series
  forecaster::SarimaxSpec spec;
  std::vector<double> params;                       ///< statsmodels order, sigma2 last
  std::vector<forecaster::FourierTerm> user_terms;  ///< the rule's fixed harmonics
  std::vector<forecaster::FourierTerm> auto_terms;  ///< harmonics the search chose
  TimestampMs origin_ms = 0;                        ///< grid time of regressor row 0 (the Fourier phase)
  TimestampMs fitted_at = 0;
  double aicc = 0;
  std::string description;
};

/// The models of one rule, identified by its fingerprint (a changed rule gets none back).
struct RuleModelSnapshot {
  std::string fingerprint;
  std::vector<SeriesModelSnapshot> models;
};

std::expected<void, Error> write_model_snapshot(const std::string& path,
                                                const std::vector<RuleModelSnapshot>& rules);
std::expected<std::vector<RuleModelSnapshot>, Error> read_model_snapshot(const std::string& path);

/// The encoding and decoding without files (tests, fuzzing).
std::string encode_model_snapshot(const std::vector<RuleModelSnapshot>& rules);
std::expected<std::vector<RuleModelSnapshot>, Error> decode_model_snapshot(std::string_view bytes,
                                                                           const std::string& source);

}  // namespace promcast::rules
