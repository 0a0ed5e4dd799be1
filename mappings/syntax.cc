#include "mappings/syntax.h"

#include <cstddef>

namespace promcast::mappings::detail {
namespace {

bool is_alpha_(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_alpha_(c) || is_digit(c); }

// `$` `{`? digits+ `}`? at `pos`; returns the end or npos.
size_t template_reference_end(std::string_view s, size_t pos) {
  if (pos >= s.size() || s[pos] != '$') return std::string_view::npos;
  size_t i = pos + 1;
  if (i < s.size() && s[i] == '{') ++i;
  const size_t digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits) return std::string_view::npos;
  if (i < s.size() && s[i] == '}') ++i;
  return i;
}

}  // namespace

bool is_valid_glob(std::string_view match) {
  if (match.empty()) return false;
  bool first = true;
  size_t start = 0;
  while (true) {
    size_t end = match.find('.', start);
    const std::string_view segment =
        match.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment != "*") {
      if (segment.empty()) return false;
      if (!(first ? is_alpha_(segment[0]) : is_word(segment[0]))) return false;
      // Then (-?[a-zA-Z0-9_])*: a dash only between word characters, never two in a row.
      for (size_t i = 1; i < segment.size(); ++i) {
        if (segment[i] == '-' && i + 1 < segment.size() && is_word(segment[i + 1])) {
          ++i;
        } else if (!is_word(segment[i])) {
          return false;
        }
      }
    }
    if (end == std::string_view::npos) return true;
    first = false;
    start = end + 1;
  }
}

bool is_valid_name_template(std::string_view name) {
  if (name.empty()) return false;
  size_t i = 0;
  bool first = true;
  while (i < name.size()) {
    if (name[i] == '$') {
      const size_t end = template_reference_end(name, i);
      if (end == std::string_view::npos) return false;
      i = end;
    } else if (first ? is_alpha_(name[i]) : is_word(name[i])) {
      ++i;
    } else {
      return false;
    }
    first = false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) {
  if (name.size() < 2 || !is_alpha_(name[0])) return false;
  for (size_t i = 1; i < name.size(); ++i) {
    if (!is_word(name[i])) return false;
  }
  return true;
}

std::string go_regex_for_re2(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 4);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {  // an escape: copy it whole
      out.push_back(c);
      out.push_back(pattern[++i]);
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out.push_back(pattern[++i]);
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out.push_back(pattern[++i]);  // literal ] first
      continue;
    }
    if (c == '(' && pattern.substr(i, 3) == "(?<" && i + 3 < pattern.size() && pattern[i + 3] != '=' &&
        pattern[i + 3] != '!') {
      out.append("(?P<");
      i += 2;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace promcast::mappings::detail
