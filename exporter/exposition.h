#pragma once
// Prometheus text exposition format 0.0.4, byte for byte as client_golang writes it: families sorted by
// name, series by label values, `# HELP` / `# TYPE` lines, Go's shortest float formatting, label escaping.
#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "exporter/metric_store.h"

namespace promcast::exporter {

/// Appends the text exposition of every non-empty family of `store` to `out`.
/// `now` is the summaries' clock (age buckets rotate on it). Thread-safe with concurrent apply().
void write_text_exposition(const MetricStore& store, std::string& out,
                           std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

/// Same, merging the families of several stores into one name-sorted output (e.g. the statsd store and a
/// store of self-metrics), as client_golang's Gatherers does. Always pass the stores in the same order. A
/// family name present in more than one store is written once, from the first store that has it.
void write_text_exposition(std::span<const MetricStore* const> stores, std::string& out,
                           std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

/// Appends `v` as expfmt writes sample values: Go's strconv.FormatFloat(v, 'g', -1, 64) ("1e+06",
/// "0.0001", "1.5e-05"), with "+Inf", "-Inf", "NaN", and "0" for negative zero.
void append_go_float(std::string& out, double v);

/// Appends `value` escaped for a label value: backslash, double quote and newline.
void append_escaped_label_value(std::string& out, std::string_view value);

/// gzip (RFC 1952) of `data`, for `Accept-Encoding: gzip`. Level 1 by default: about 4x faster than zlib's
/// default level 6 on exposition text (bench/exposition_bench.cc BM_Gzip) for a slightly larger body.
/// Returns an empty string only if zlib fails (an invalid level).
std::string gzip_compress(std::string_view data, int level = 1);

}  // namespace promcast::exporter
