#pragma once
// A server-rendered SVG chart of one series (rules::SeriesChart): the status pages draw one per series
// and `promcast backtest --html` uses the same code for its report. Pure: no HTTP, no I/O, no clock, no
// JavaScript; the result is a self-contained <svg> element to paste into any HTML page (or save as a
// .svg file after prepending an XML declaration).
//
// What it draws, back to front:
//   - the plot area with horizontal grid lines, value-axis tick labels (with the unit when given) and
//     time-axis tick labels in UTC (HH:MM, with the date at midnight or when ticks are days apart);
//   - the model's in-sample band (lower..upper, class "band") and its expected line (class "expected",
//     dashed), where they are finite;
//   - the forecast band (class "forecast-band") and forecast mean (class "forecast"), starting at
//     chart.start + values.size() * step and joined to the last observed point, so the cone visibly
//     extends to the right of the "now" line;
//   - the observed history (class "history"), broken at NaN values (gaps are not bridged);
//   - anomalies as red circles (class "anomaly", one per index in chart.anomalies);
//   - a vertical "now" line (class "now") and a legend naming each drawn element with the band's level.
//
// For tests and for a browser's DOM, the root <svg> carries data-now-x (x of the now line) and the
// forecast path carries data-x-max (its rightmost x) in the same user units as the viewBox; a chart
// without a forecast has no "forecast" path. Every text from the chart (title, unit, labels) is
// HTML-escaped. An empty chart (no finite value anywhere) renders a plot area saying "no data".
#include <cstdint>
#include <optional>
#include <string>

#include "rules/rule_evaluator.h"

namespace promcast::web {

struct ChartOptions {
  int width = 960;      ///< SVG width in CSS pixels (also the viewBox width)
  int height = 300;     ///< SVG height in CSS pixels
  std::string title{};  ///< drawn above the plot; empty = none
  std::string unit{};   ///< appended to value-axis labels, e.g. "msg/s"; empty = none
  /// Where the "now" line goes (ms since the epoch). Default: the time of the last observed point
  /// (chart.start + (values.size() - 1) * step).
  std::optional<rules::TimestampMs> now{};
};

/// The chart as one <svg> element (UTF-8, no trailing newline).
std::string render_chart_svg(const rules::SeriesChart& chart, const ChartOptions& options = {});

/// Formats a value-axis number compactly: 1250 -> "1.25k", 0.004 -> "0.004", 3e9 -> "3G". Exposed for
/// pages that print values next to charts.
std::string format_compact(double value);

/// A UTC time as "YYYY-MM-DD HH:MM:SS" (0 or less: "never").
std::string format_utc(rules::TimestampMs ms);

}  // namespace promcast::web
