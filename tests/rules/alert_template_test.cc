// The alert template subset: expansion tables (variables, pipelines, Go's number printing, Prometheus'
// humanize functions with cases from Prometheus' own tests, trim markers, comments), compile errors with
// the column they name, and the runtime error text.
#include "rules/alert_template.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace promcast::rules {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(GoFormatFloat, MatchesGoPercentV) {
  // What fmt.Sprint(float64) prints in Go: shortest digits, %e when the exponent is < -4 or >= 6.
  const std::pair<double, std::string> cases[] = {
      {42, "42"},
      {0.1, "0.1"},
      {0, "0"},
      {-2.5, "-2.5"},
      {123456, "123456"},
      {1e6, "1e+06"},
      {1234567, "1.234567e+06"},
      {1.5e7, "1.5e+07"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.0 / 3, "0.3333333333333333"},
      {1e21, "1e+21"},
      {-1e-7, "-1e-07"},
      {1e100, "1e+100"},
      {5e-324, "5e-324"},
      {kNaN, "NaN"},
      {kInf, "+Inf"},
      {-kInf, "-Inf"},
      {0.30000000000000004, "0.30000000000000004"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(go_format_float(v), want) << want;
}

struct ExpandCase {
  std::string text;
  double value;
  std::string want;
};

std::string expand(const std::string& text, double value) {
  auto t = AlertTemplate::compile(text);
  if (!t) return "COMPILE ERROR: " + t.error().message;
  const Labels labels{{"dataset_name", "orders"},
                      {"column_name", "amount"},
                      {"instance", "db-1:9100"},
                      {"number", "1234.5"},
                      {"word", "abc"}};
  const Labels external{{"cluster", "eu-1"}};
  TemplateData data;
  data.labels = &labels;
  data.external_labels = &external;
  data.value = value;
  data.expected = 1.5;
  data.lower = 0.25;
  data.upper = 2.75;
  data.score = 3.2;
  return t->expand(data);
}

TEST(AlertTemplate, Expands) {
  const ExpandCase cases[] = {
      {"plain text", 0, "plain text"},
      {"", 0, ""},
      {"{{ $value }}", 42, "42"},
      {"{{$value}}", 0.1, "0.1"},
      {"{{ $value }}", 1e6, "1e+06"},
      {"{{ $value }}", kNaN, "NaN"},
      {"Drift on {{ $labels.dataset_name }}/{{ $labels.column_name }} is {{ $value }} (expected {{ $expected "
       "}})",
       0.42, "Drift on orders/amount is 0.42 (expected 1.5)"},
      {"{{ $lower }}..{{ $upper }} score {{ $score }}", 0, "0.25..2.75 score 3.2"},
      {"{{ index $labels \"instance\" }}", 0, "db-1:9100"},
      {"{{ $labels.missing }}|{{ index $labels \"missing\" }}|", 0, "||"},
      {"{{ $externalLabels.cluster }}", 0, "eu-1"},
      {"{{ .Labels.instance }} {{ .Value }} {{ .ExternalLabels.cluster }}", 7, "db-1:9100 7 eu-1"},
      {"{{ $externalLabels }}", 0, "map[cluster:eu-1]"},
      {"{{ $value | printf \"%.2f\" }}", 3.14159, "3.14"},
      {"{{ printf \"%.2f\" $value }}", 2.0 / 3, "0.67"},
      {"{{ printf \"%s is %.1f (%5.1f|%-6.2e|%g|%G|%v)\" $labels.instance $value $value $value $value 1e7 "
       "$value }}",
       12.345, "db-1:9100 is 12.3 ( 12.3|1.23e+01|12.345|1E+07|12.345)"},
      {"{{ printf \"%q %5s|%-5s|%.2s %%\" $labels.word \"ab\" \"ab\" \"xyz\" }}", 0,
       "\"abc\"    ab|ab   |xy %"},
      {"{{ printf \"%+.1f %08.3f %f\" $value $value $value }}", -kInf, "-Inf     -Inf -Inf"},
      {"{{ printf \"%.1f\" $value }}", kNaN, "NaN"},
      {"{{ printf \"%v\" $labels }}", 0,
       "map[column_name:amount dataset_name:orders instance:db-1:9100 number:1234.5 word:abc]"},
      {"{{ printf \"%s is %s\" $labels.instance (humanize $value) }}", 1234567, "db-1:9100 is 1.235M"},
      {"{{ $labels.word | toUpper }} {{ \"MiXed\" | toLower }}", 0, "ABC mixed"},
      {"{{ \"a\\tb\\\"c\\x41\" }}{{ `raw\\n` }}", 0, "a\tb\"cAraw\\n"},
      {"{{ 1.5 }} {{ -3 }}{{-3}}", 0, "1.5 -3-3"},
      {"{{ " + std::string(32, '(') + "$value" + std::string(32, ')') + " }}", 2, "2"},
      // trim markers eat the whitespace (newlines included) on their side
      {"a  {{- $value -}}  b", 4, "a4b"},
      {"line\n  {{- $value }}\n", 4, "line4\n"},
      {"x {{- /* a comment */ -}} y{{/* another */}}!", 0, "xy!"},
      // Prometheus' humanize (template_test.go cases)
      {"{{ humanize $value }}", 0, "0"},
      {"{{ humanize $value }}", 1, "1"},
      {"{{ humanize $value }}", 123, "123"},
      {"{{ humanize $value }}", 1234, "1.234k"},
      {"{{ humanize $value }}", 12345, "12.35k"},
      {"{{ humanize $value }}", 123456, "123.5k"},
      {"{{ humanize $value }}", 1234567890, "1.235G"},
      {"{{ humanize $value }}", -1234, "-1.234k"},
      {"{{ humanize $value }}", 0.1, "100m"},
      {"{{ humanize $value }}", 0.0001, "100u"},
      {"{{ humanize $value }}", 0.12345, "123.5m"},
      {"{{ humanize $value }}", 1.2345, "1.234"},
      {"{{ humanize $value }}", 1e30, "1e+06Y"},
      {"{{ humanize $value }}", kInf, "+Inf"},
      {"{{ humanize $value }}", kNaN, "NaN"},
      {"{{ $labels.number | humanize }}", 0, "1.234k"},
      {"{{ humanizePercentage $value }}", 0.1234567, "12.35%"},
      {"{{ $value | humanizePercentage }}", 0.5, "50%"},
      // humanizeDuration: prometheus/common helpers/templates humanize_duration_test.go
      {"{{ humanizeDuration $value }}", 0, "0s"},
      {"{{ humanizeDuration $value }}", 1, "1s"},
      {"{{ humanizeDuration $value }}", 60, "1m 0s"},
      {"{{ humanizeDuration $value }}", 3600, "1h 0m 0s"},
      {"{{ humanizeDuration $value }}", 86400 + 3600, "1d 1h 0m 0s"},
      {"{{ humanizeDuration $value }}", -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), "-2d 3h 4m 5s"},
      {"{{ humanizeDuration $value }}", 899.99, "14m 59s"},
      {"{{ humanizeDuration $value }}", 0.1, "100ms"},
      {"{{ humanizeDuration $value }}", 0.0001, "100us"},
      {"{{ humanizeDuration $value }}", 0.12345, "123.5ms"},
      {"{{ humanizeDuration $value }}", 60.5, "1m 0s"},
      {"{{ humanizeDuration $value }}", 1.2345, "1.234s"},
      {"{{ humanizeDuration $value }}", 12.345, "12.35s"},
      {"{{ humanizeDuration $value }}", 1234567, "14d 6h 56m 7s"},
      {"{{ humanizeDuration $value }}", kInf, "+Inf"},
      // a label that is not a number fails at expansion, as in Prometheus
      {"value: {{ $labels.word | humanize }}", 0,
       "<error expanding template: column 26: humanize: cannot parse \"abc\" as a number>"},
      {"{{ humanizeDuration $labels.instance }}", 0,
       "<error expanding template: column 4: humanizeDuration: cannot parse \"db-1:9100\" as a number>"},
  };
  for (const auto& c : cases) EXPECT_EQ(expand(c.text, c.value), c.want) << c.text;
}

TEST(AlertTemplate, NullLabelSetsExpandAsEmpty) {
  auto t = AlertTemplate::compile("[{{ $labels.a }}{{ $externalLabels }}]");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->expand(TemplateData{}), "[map[]]");
  EXPECT_EQ(t->source(), "[{{ $labels.a }}{{ $externalLabels }}]");
  const AlertTemplate copy = *t;  // copies share the compiled program
  EXPECT_EQ(copy.expand(TemplateData{}), "[map[]]");
}

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(AlertTemplate, CompileErrorsNameTheColumn) {
  const ErrorCase cases[] = {
      {"{{ $lables.x }}",
       "template column 4: undefined variable \"$lables\" (expected $labels, $value, $expected, $lower, "
       "$upper, "
       "$score or $externalLabels)"},
      {"abc {{ $value", "template column 14: unexpected end of template (expected }} or |)"},
      {"abc {{ $value }", "template column 15: unexpected character '}' in action"},
      {"{{ if $value }}x{{ end }}",
       "template column 4: \"if\" is not supported (alert templates here have no control structures)"},
      {"{{ range $labels }}{{ end }}",
       "template column 4: \"range\" is not supported (alert templates here have no control structures)"},
      {"{{ $value | printf \"%d\" }}",
       "template column 13: printf format \"%d\": %d cannot format a float64 (expected %f, %e, %g or %v); "
       "for a "
       "whole number use %.0f"},
      {"{{ printf \"%s\" $value }}",
       "template column 4: printf format \"%s\": %s cannot format a float64 (expected %f, %e, %g or %v)"},
      {"{{ printf \"%f %f\" $value }}",
       "template column 4: printf format \"%f %f\" has more verbs than arguments (1)"},
      {"{{ printf \"%f\" $value $value }}",
       "template column 4: printf format \"%f\" has 1 verbs but 2 arguments"},
      {"{{ printf \"%*d\" 3 $value }}", "template column 4: printf format \"%*d\": '*' is not supported"},
      {"{{ printf $labels.x }}",
       "template column 4: printf's first argument must be a format string literal, e.g. printf \"%.2f\""},
      {"{{ humanize }}", "template column 4: wrong number of arguments for humanize: want 1 got 0"},
      {"{{ $value | humanize $value }}",
       "template column 13: wrong number of arguments for humanize: want 1 got 2"},
      {"{{ humanize $labels }}",
       "template column 4: humanize expects a number or a string, got map[string]string"},
      {"{{ index $labels }}", "template column 4: wrong number of arguments for index: want 2 got 1"},
      {"{{ index $value \"x\" }}",
       "template column 4: index expects a map and a string key ({{ index $labels \"name\" }}), got float64 "
       "and "
       "string"},
      {"{{ toUpper $value }}", "template column 4: toUpper expects a string, got float64"},
      {"{{ $value.x }}", "template column 10: can't evaluate field x in type float64"},
      {"{{ $labels.a.b }}", "template column 13: can't evaluate field b in type string"},
      {"{{ .Labelz.x }}",
       "template column 4: can't evaluate field Labelz (expected .Labels, .ExternalLabels or .Value)"},
      {"{{ . }}", "template column 4: \".\" alone is not supported (use $labels, $value, ...)"},
      {"{{ foo $value }}",
       "template column 4: function \"foo\" not defined (expected printf, humanize, humanizePercentage, "
       "humanizeDuration, index, toUpper or toLower)"},
      {"{{ printf \"%s\" humanize }}",
       "template column 16: function \"humanize\" used as an argument (wrap it in "
       "parentheses)"},
      {"{{ $value | $labels }}",
       "template column 13: variable $labels is not a function: a value cannot take the "
       "piped argument"},
      {"{{ $value $value }}",
       "template column 11: variable $value is not a function: it cannot take arguments"},
      {"{{ \"abc }}", "template column 4: unterminated string (expected a closing \")"},
      {"{{ \"a\\qb\" }}",
       "template column 6: unknown escape \\q in string (expected \\n, \\t, \\\\, \\\", \\x..)"},
      {"{{ `abc }}", "template column 4: unterminated raw string (expected a closing `)"},
      {"{{ $value := 1 }}",
       "template column 11: variable assignment is not supported (only the rule's variables)"},
      {"{{ (humanize $value }}", "template column 21: unexpected \"}}\" (expected \")\" or |)"},
      {"{{ 1x }}", "template column 4: bad number syntax: \"1x\""},
      {"{{ }}", "template column 4: unexpected \"}}\" (expected a variable, string, number or \"(\")"},
      {"{{ /* open", "template column 4: unclosed comment (expected */}})"},
      {"{{ /* c */ $value }}", "template column 12: comment ends without closing action (expected }})"},
      {"{{ true }}", "template column 4: \"true\" is not supported here"},
      {"{{ " + std::string(33, '(') + "1" + std::string(33, ')') + " }}",
       "template column 36: parentheses nested more than 32 deep"},
      {"first line\nsecond {{ $nope }}\n",
       "template line 2, column 11: undefined variable \"$nope\" (expected $labels, $value, $expected, "
       "$lower, "
       "$upper, $score or $externalLabels)"},
  };
  for (const auto& c : cases) {
    auto t = AlertTemplate::compile(c.text);
    ASSERT_FALSE(t.has_value()) << c.text;
    EXPECT_EQ(t.error().message, c.message) << c.text;
  }
}

}  // namespace
}  // namespace promcast::rules
