// libFuzzer target: the first line of the input is an alert template; the rest supplies the numbers and
// label values it is expanded with. A template that compiles must expand without crashing for any data;
// a compile error must name a column. Go's float printing must read back as the same number.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "rules/alert_template.h"

using namespace promcast::rules;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

double take_double(std::string_view& bytes) {
  double v = 0;
  if (bytes.size() >= sizeof v) {
    std::memcpy(&v, bytes.data(), sizeof v);
    bytes.remove_prefix(sizeof v);
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string_view text = input.substr(0, split);
  std::string_view rest = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);

  TemplateData td;
  td.value = take_double(rest);
  td.expected = take_double(rest);
  td.lower = take_double(rest);
  td.upper = take_double(rest);
  td.score = take_double(rest);
  // Label values from the remaining bytes (numbers, words, empty), so humanize's string path runs too.
  const Labels labels{{"a", std::string(rest.substr(0, rest.size() / 2))},
                      {"b", std::string(rest.substr(rest.size() / 2))},
                      {"n", "1234.5"}};
  const Labels external{{"cluster", "x"}};
  td.labels = &labels;
  td.external_labels = &external;

  auto t = AlertTemplate::compile(text);
  if (!t) {
    check(t.error().message.starts_with("template "));
    check(t.error().message.find("column ") != std::string::npos);
  } else {
    check(t->source() == text);
    (void)t->expand(td);
    (void)t->expand(TemplateData{});  // no label sets at all
  }

  for (double v : {td.value, td.expected, td.lower}) {
    const std::string s = go_format_float(v);
    if (std::isfinite(v)) {
      check(std::strtod(s.c_str(), nullptr) == v);
    } else {
      check(s == "NaN" || s == "+Inf" || s == "-Inf");
    }
  }
  return 0;
}
