#include "web/selector.h"

#include <re2/re2.h>

#include <cctype>

namespace promcast::web {

std::expected<LabelMatcher, std::string> LabelMatcher::make(MatchType type, std::string name,
                                                            std::string value) {
  LabelMatcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::Regex || type == MatchType::NotRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(true);  // Prometheus compiles with (?s)
    auto re = std::make_shared<const RE2>("^(?:" + m.value_ + ")$", options);
    if (!re->ok()) return std::unexpected("invalid regular expression \"" + m.value_ + "\": " + re->error());
    m.regex_ = std::move(re);
  }
  return m;
}

bool LabelMatcher::matches(std::string_view value) const {
  switch (type_) {
    case MatchType::Equal:
      return value == value_;
    case MatchType::NotEqual:
      return value != value_;
    case MatchType::Regex:
      return RE2::FullMatch(value, *regex_);
    case MatchType::NotRegex:
      return !RE2::FullMatch(value, *regex_);
  }
  return false;
}

bool LabelMatcher::matches(const rules::Labels& labels) const {
  return matches(rules::label_value(labels, name_));
}

bool matches_all(const Matchers& matchers, const rules::Labels& labels) {
  for (const auto& m : matchers)
    if (!m.matches(labels)) return false;
  return true;
}

namespace {

constexpr std::string_view kOnlySelectors =
    "promcast serves only series selectors with label matchers, e.g. name{label=\"value\"}";

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::expected<Matchers, std::string> parse() {
    Matchers out;
    skip_space();
    if (pos_ < text_.size() && name_start(text_[pos_])) {
      const std::string name = read_name();
      auto m = LabelMatcher::make(MatchType::Equal, "__name__", name);
      out.push_back(std::move(*m));
      skip_space();
    }
    if (pos_ < text_.size() && text_[pos_] == '{') {
      ++pos_;
      skip_space();
      while (pos_ < text_.size() && text_[pos_] != '}') {
        if (!name_start(text_[pos_])) return fail("expected a label name");
        std::string name = read_name();
        skip_space();
        MatchType type;
        if (consume("=~"))
          type = MatchType::Regex;
        else if (consume("!~"))
          type = MatchType::NotRegex;
        else if (consume("!="))
          type = MatchType::NotEqual;
        else if (consume("="))
          type = MatchType::Equal;
        else
          return fail("expected one of =, !=, =~, !~ after label " + name);
        skip_space();
        auto value = read_string();
        if (!value) return std::unexpected(value.error());
        auto m = LabelMatcher::make(type, std::move(name), std::move(*value));
        if (!m) return std::unexpected(m.error());
        out.push_back(std::move(*m));
        skip_space();
        if (consume(",")) {
          skip_space();
          continue;
        }
        if (pos_ < text_.size() && text_[pos_] != '}') return fail("expected , or }");
      }
      if (!consume("}")) return fail("unclosed {");
      skip_space();
    }
    if (pos_ != text_.size() || out.empty()) return fail(std::string(kOnlySelectors));
    bool selective = false;
    for (const auto& m : out)
      if (!m.matches(std::string_view())) selective = true;
    if (!selective) return std::unexpected("vector selector must contain at least one non-empty matcher");
    return out;
  }

 private:
  std::unexpected<std::string> fail(const std::string& what) const {
    return std::unexpected("parse error at char " + std::to_string(pos_ + 1) + ": " + what +
                           (what.starts_with("promcast") ? "" : " (" + std::string(kOnlySelectors) + ")"));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool consume(std::string_view token) {
    if (text_.substr(pos_).starts_with(token)) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  std::string read_name() {
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(begin, pos_ - begin));
  }
  std::expected<std::string, std::string> read_string() {
    if (pos_ >= text_.size()) return fail("expected a quoted label value");
    const char quote = text_[pos_];
    if (quote != '"' && quote != '\'' && quote != '`') return fail("expected a quoted label value");
    ++pos_;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && quote != '`' && pos_ < text_.size()) {
        const char e = text_[pos_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case '\\':
          case '"':
          case '\'':
            c = e;
            break;
          default:
            return fail(std::string("unknown escape sequence \\") + e);
        }
      }
      out += c;
    }
    if (pos_ >= text_.size()) return fail("unterminated quoted string");
    ++pos_;
    return out;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::expected<Matchers, std::string> parse_selector(std::string_view text) { return Parser(text).parse(); }

std::vector<rules::Series> select_series(const std::vector<rules::Series>& all, const Matchers& matchers,
                                         rules::TimestampMs start_ms, rules::TimestampMs end_ms) {
  std::vector<rules::Series> out;
  for (const auto& s : all) {
    if (!matches_all(matchers, s.labels)) continue;
    rules::Series picked;
    for (std::size_t i = 0; i < s.timestamps.size() && i < s.values.size(); ++i)
      if (s.timestamps[i] >= start_ms && s.timestamps[i] <= end_ms) {
        picked.timestamps.push_back(s.timestamps[i]);
        picked.values.push_back(s.values[i]);
      }
    if (picked.timestamps.empty()) continue;
    picked.labels = s.labels;
    out.push_back(std::move(picked));
  }
  return out;
}

}  // namespace promcast::web
