#include "mappings/template.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace promcast::mappings::detail {
namespace {

bool is_glob_reference_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

// Go's unicode.IsLetter/IsDigit on the name part of a regexp.Expand reference. Non-ASCII
// bytes count as letters: exact for letters, which is what such names contain in practice.
bool is_go_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

Template Template::glob(std::string_view expr, size_t capture_count) {
  Template t;
  t.parts_.emplace_back();
  size_t i = 0;
  while (i < expr.size()) {
    if (expr[i] != '$') {
      t.parts_.back().literal.push_back(expr[i++]);
      continue;
    }
    // Mirrors the regex \$\{?([a-zA-Z0-9_\$]+)\}? with leftmost-first semantics.
    size_t j = i + 1;
    if (j < expr.size() && expr[j] == '{') ++j;
    size_t run_end = j;
    while (run_end < expr.size() && is_glob_reference_char(expr[run_end])) ++run_end;
    if (run_end == j) {  // `${` with nothing usable after it, or a lone `$`
      t.parts_.back().literal.push_back(expr[i++]);
      continue;
    }
    const std::string_view group = expr.substr(j, run_end - j);
    size_t end = run_end;
    if (end < expr.size() && expr[end] == '}') ++end;
    // strconv.Atoi: all digits, no overflow.
    int64_t index = 0;
    auto [ptr, ec] = std::from_chars(group.data(), group.data() + group.size(), index);
    const bool numeric = ec == std::errc() && ptr == group.data() + group.size() && group[0] != '-';
    if (numeric && index >= 1 && static_cast<uint64_t>(index) <= capture_count) {
      t.parts_.back().capture = static_cast<int>(index - 1);
      t.max_capture_ = std::max(t.max_capture_, static_cast<int>(index - 1));
      t.parts_.emplace_back();
    }
    i = end;
  }
  return t;
}

Template Template::regex(std::string_view expr, const RE2& regex) {
  Template t;
  t.parts_.emplace_back();
  const int groups = regex.NumberOfCapturingGroups();
  const auto& named = regex.NamedCapturingGroups();
  size_t i = 0;
  while (i < expr.size()) {
    const size_t dollar = expr.find('$', i);
    if (dollar == std::string_view::npos) {
      t.parts_.back().literal.append(expr.substr(i));
      break;
    }
    t.parts_.back().literal.append(expr.substr(i, dollar - i));
    i = dollar + 1;
    if (i < expr.size() && expr[i] == '$') {  // `$$` is a literal `$`
      t.parts_.back().literal.push_back('$');
      ++i;
      continue;
    }
    // extract(): optional brace, a non-empty name, the closing brace if opened.
    size_t j = i;
    const bool brace = j < expr.size() && expr[j] == '{';
    if (brace) ++j;
    const size_t name_start = j;
    while (j < expr.size() && is_go_name_char(expr[j])) ++j;
    bool ok = j > name_start;
    if (ok && brace) {
      if (j < expr.size() && expr[j] == '}') {
        ++j;
      } else {
        ok = false;
      }
    }
    if (!ok) {  // malformed: the `$` is kept as text
      t.parts_.back().literal.push_back('$');
      continue;
    }
    const std::string_view name = expr.substr(name_start, (brace ? j - 1 : j) - name_start);
    i = j;
    // Number: digits only, below 1e8 as Go checks, no leading zero.
    int number = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || number >= 100'000'000) {
        number = -1;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') number = -1;
    int capture = -1;
    if (number >= 0) {
      if (number <= groups) capture = number;
    } else if (auto it = named.find(std::string(name)); it != named.end()) {
      capture = it->second;
    }
    if (capture >= 0) {
      t.parts_.back().capture = capture;
      t.max_capture_ = std::max(t.max_capture_, capture);
      t.parts_.emplace_back();
    }
  }
  return t;
}

void Template::expand(std::span<const std::string_view> captures, std::string& out) const {
  out.clear();
  for (const Part& part : parts_) {
    out.append(part.literal);
    if (part.capture >= 0 && static_cast<size_t>(part.capture) < captures.size()) {
      out.append(captures[static_cast<size_t>(part.capture)]);
    }
  }
}

}  // namespace promcast::mappings::detail
