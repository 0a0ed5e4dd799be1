#include "mappings/glob_fsm.h"

#include <algorithm>
#include <map>

namespace promcast::mappings::detail {
namespace {

std::vector<std::string_view> split_tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

// The glob `pattern` (a `*` token matches any token) matches `text` with as many tokens.
bool glob_matches_same_length(const std::vector<std::string_view>& pattern,
                              const std::vector<std::string_view>& text) {
  if (pattern.size() != text.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != "*" && pattern[i] != text[i]) return false;
  }
  return true;
}

}  // namespace

GlobMatcher::GlobMatcher(const std::vector<MetricMapping>& mappings, bool ordering_disabled)
    : ordering_disabled_(ordering_disabled) {
  // While building, transitions live in ordered maps; they are flattened at the end.
  std::vector<std::map<std::string, uint32_t, std::less<>>> edges(3);
  states_.resize(3);
  capture_counts_.assign(mappings.size(), 0);
  std::vector<std::string_view> globs;
  int added = 0;
  for (size_t index = 0; index < mappings.size(); ++index) {
    const MetricMapping& mapping = mappings[index];
    if (mapping.match_type != MatchType::Glob) continue;
    active_ = true;
    globs.push_back(mapping.match);
    const std::vector<std::string_view> fields = split_tokens(mapping.match);
    max_depth_ = std::max(max_depth_, fields.size());
    std::vector<uint32_t> roots;
    if (mapping.match_metric_type) {
      roots.push_back(static_cast<uint32_t>(*mapping.match_metric_type));
    } else {
      roots = {0, 1, 2};
    }
    size_t captures = 0;
    std::vector<uint32_t> finals;
    for (uint32_t root : roots) {
      captures = 0;
      uint32_t current = root;
      for (size_t i = 0; i < fields.size(); ++i) {
        const int remaining = static_cast<int>(fields.size() - i - 1);
        const std::string_view field = fields[i];
        uint32_t next = 0;
        auto found = edges[current].find(field);
        if (found == edges[current].end()) {
          next = static_cast<uint32_t>(states_.size());
          states_.emplace_back();
          edges.emplace_back();
          states_[next].min_remaining = remaining;
          states_[next].max_remaining = remaining;
          // As statsd_exporter does, a result is attached only to a state this glob
          // creates: a glob that is a prefix of an earlier, longer glob never matches.
          if (i + 1 == fields.size()) states_[next].result = static_cast<int32_t>(index);
          edges[current].emplace(std::string(field), next);
        } else {
          next = found->second;
          states_[next].max_remaining = std::max(states_[next].max_remaining, remaining);
          states_[next].min_remaining = std::min(states_[next].min_remaining, remaining);
        }
        if (field == "*") ++captures;
        current = next;
      }
      finals.push_back(current);
    }
    // The priority is overwritten even on a state another glob created (same quirk).
    for (uint32_t state : finals) states_[state].priority = added;
    ++added;
    capture_counts_[index] = captures;
  }
  for (size_t s = 0; s < states_.size(); ++s) {
    for (auto& [token, next] : edges[s]) {
      if (token == "*") {
        states_[s].star = static_cast<int32_t>(next);
      } else {
        states_[s].edges.emplace_back(token, next);
      }
    }
  }
  backtracking_needed_ = needs_backtracking(globs, ordering_disabled);
}

int32_t GlobMatcher::literal(const State& state, std::string_view token) const {
  // A name token that is literally "*" takes the `*` transition without capturing, as the
  // Go map lookup does.
  if (token == "*") return state.star;
  const auto& edges = state.edges;
  if (edges.size() <= 8) {
    for (const auto& [text, next] : edges) {
      if (text == token) return static_cast<int32_t>(next);
    }
    return -1;
  }
  auto it = std::lower_bound(edges.begin(), edges.end(), token, [](const auto& edge, std::string_view t) {
    return std::string_view(edge.first) < t;
  });
  if (it != edges.end() && it->first == token) return static_cast<int32_t>(it->second);
  return -1;
}

int GlobMatcher::match(std::string_view name, MetricType type, Captures& out) const {
  if (!active_) return -1;
  // A name with more tokens than the longest glob cannot end on a result state.
  const size_t count = static_cast<size_t>(std::count(name.begin(), name.end(), '.')) + 1;
  if (count > max_depth_) return -1;
  boost::container::small_vector<std::string_view, 16> tokens;
  {
    size_t start = 0;
    for (size_t t = 0; t + 1 < count; ++t) {
      const size_t dot = name.find('.', start);
      tokens.push_back(name.substr(start, dot - start));
      start = dot + 1;
    }
    tokens.push_back(name.substr(start));
  }
  struct Cursor {
    size_t field_index;
    size_t capture_index;
    std::string_view capture;
    int32_t state;
  };
  boost::container::small_vector<Cursor, 16> stack;
  Captures captures(count);
  out.assign(count, std::string_view());

  int32_t current = static_cast<int32_t>(type);
  int32_t state = -1;
  int32_t final_state = -1;
  size_t capture_index = 0;
  size_t i = 0;
  bool resume = false;
  const int fields_count = static_cast<int>(count);
  while (true) {
    while (true) {
      if (!resume) {
        const State& here = states_[current];
        if (here.edges.empty() && here.star < 0) break;
        const std::string_view field = tokens[i];
        const int left = fields_count - static_cast<int>(i) - 1;
        state = literal(here, field);
        if (!fits(state, left)) {
          state = here.star;
          if (!fits(state, left)) break;
          captures[capture_index++] = field;
        } else if (backtracking_needed_ && fits(here.star, left)) {
          stack.push_back(Cursor{i, capture_index, field, here.star});
        }
      }
      if (states_[state].result >= 0 && i + 1 == count) {
        if (ordering_disabled_) {
          std::copy(captures.begin(), captures.end(), out.begin());
          return states_[state].result;
        }
        if (final_state < 0 || states_[final_state].priority > states_[state].priority) {
          final_state = state;
          std::copy(captures.begin(), captures.end(), out.begin());
        }
        break;
      }
      if (++i >= count) break;
      resume = false;
      current = state;
    }
    if (stack.empty()) break;
    const Cursor cursor = stack.back();
    stack.pop_back();
    state = cursor.state;
    current = state;
    i = cursor.field_index;
    capture_index = cursor.capture_index + 1;
    captures[capture_index - 1] = cursor.capture;
    resume = true;
  }
  return final_state < 0 ? -1 : states_[final_state].result;
}

bool needs_backtracking(const std::vector<std::string_view>& globs, bool ordering_disabled) {
  // Transitions in Go are an unordered map, so with ordering on every path is explored.
  if (!ordering_disabled) return true;
  std::map<size_t, std::vector<size_t>> by_length;
  std::vector<std::vector<std::string_view>> tokens;
  tokens.reserve(globs.size());
  for (size_t i = 0; i < globs.size(); ++i) {
    tokens.push_back(split_tokens(globs[i]));
    by_length[tokens.back().size()].push_back(i);
  }
  for (const auto& [length, rules] : by_length) {
    if (rules.size() == 1) continue;
    for (size_t r1 : rules) {
      const std::string_view rule = globs[r1];
      if (rule.find('*') == std::string_view::npos) continue;
      bool needed = false;
      // Is there another rule sharing the text before one of this rule's `*`s (so a
      // literal transition competes with the `*` there)?
      for (size_t pos = 0; pos < rule.size(); ++pos) {
        if (rule[pos] != '*') continue;
        const std::string_view prefix = rule.substr(0, pos);
        for (size_t r2 : rules) {
          if (r2 != r1 && globs[r2].starts_with(prefix)) {
            needed = true;
            break;
          }
        }
      }
      // Not needed when this rule covers another one or another one covers it.
      for (size_t r2 : rules) {
        if (r2 != r1 && glob_matches_same_length(tokens[r1], tokens[r2])) needed = false;
      }
      for (size_t r2 : rules) {
        if (r2 != r1 && glob_matches_same_length(tokens[r2], tokens[r1])) needed = false;
      }
      if (needed) return true;
    }
  }
  return false;
}

}  // namespace promcast::mappings::detail
