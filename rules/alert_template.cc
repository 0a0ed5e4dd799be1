// A small compiler for the alert template subset: a lexer over the action text, a recursive-descent
// parser to pipelines of commands, a static type check (every value's type is known at compile time),
// and an evaluator. Number formatting follows Go's fmt and Prometheus' humanize functions, because SREs
// compare the text with what Prometheus sends for the same template.
#include "rules/alert_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace promcast::rules {

// ---------------------------------------------------------------------------------------------------------
// Number formatting as Go does it.

std::string go_format_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 64> buf{};
  // Shortest round-trip digits in scientific form give the decimal exponent Go's %v decides on.
  auto sci = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  const std::string scientific(buf.data(), sci.ptr);
  const auto e = scientific.find('e');
  const int exponent = std::atoi(scientific.c_str() + e + 1);
  if (exponent < -4 || exponent >= 6)
    return scientific;  // to_chars writes at least two exponent digits, as Go
  auto fixed = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed);
  return {buf.data(), fixed.ptr};
}

namespace {

// Go's %.4g (C's, for finite values: same digits, same exponent rule), with Go's spelling of NaN and Inf.
std::string go_g4(double v) {
  if (std::isnan(v) || std::isinf(v)) return go_format_float(v);
  std::array<char, 64> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%.4g", v);
  return {buf.data(), static_cast<std::size_t>(std::max(n, 0))};
}

// Prometheus' humanize: SI prefixes, 4 significant digits.
std::string humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return go_g4(v);
  static constexpr std::array<const char*, 8> kBig{"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static constexpr std::array<const char*, 8> kSmall{"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : kBig) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : kSmall) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return go_g4(v) + prefix;
}

std::string humanize_percentage(double v) { return go_g4(v * 100) + "%"; }

// Prometheus' humanizeDuration (prometheus/common helpers/templates): seconds to "1d 2h 3m 4s".
std::string humanize_duration(double v) {
  if (std::isnan(v) || std::isinf(v)) return go_g4(v);
  if (v == 0) return go_g4(v) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    // Go converts out-of-range floats to int64 differently per platform; clamp instead.
    const auto whole = v >= 9.2e18 ? INT64_MAX : static_cast<std::int64_t>(v);
    const std::int64_t seconds = whole % 60, minutes = (whole / 60) % 60, hours = (whole / 3600) % 24,
                       days = whole / 86400;
    if (days != 0) return fmt::format("{}{}d {}h {}m {}s", sign, days, hours, minutes, seconds);
    if (hours != 0) return fmt::format("{}{}h {}m {}s", sign, hours, minutes, seconds);
    if (minutes != 0) return fmt::format("{}{}m {}s", sign, minutes, seconds);
    return sign + go_g4(v) + "s";
  }
  static constexpr std::array<const char*, 8> kSmall{"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return go_g4(v) + prefix + "s";
}

// Go's strconv.ParseFloat, as Prometheus' humanize functions use on strings (strtod accepts the same
// spellings: decimal, hex, inf, infinity, nan, any case).
std::optional<double> parse_go_float(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Go's strconv.Quote for the ASCII range; other bytes pass through (label values are UTF-8).
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (u < 0x20 || u == 0x7f)
          out += fmt::format("\\x{:02x}", u);
        else
          out += c;
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------------------------------------
// The program.

enum class Type : std::uint8_t { kNumber, kString, kMap };

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kNumber:
      return "float64";
    case Type::kString:
      return "string";
    case Type::kMap:
      return "map[string]string";
  }
  return "";
}

enum class Var : std::uint8_t { kLabels, kExternalLabels, kValue, kExpected, kLower, kUpper, kScore };

struct VarName {
  std::string_view dollar;  // $labels
  std::string_view dot;     // .Labels (Prometheus' template data), empty when none
  Var var;
  Type type;
};

constexpr std::array<VarName, 7> kVars{
    {{"$labels", ".Labels", Var::kLabels, Type::kMap},
     {"$externalLabels", ".ExternalLabels", Var::kExternalLabels, Type::kMap},
     {"$value", ".Value", Var::kValue, Type::kNumber},
     {"$expected", "", Var::kExpected, Type::kNumber},
     {"$lower", "", Var::kLower, Type::kNumber},
     {"$upper", "", Var::kUpper, Type::kNumber},
     {"$score", "", Var::kScore, Type::kNumber}}};

enum class Func : std::uint8_t {
  kPrintf,
  kHumanize,
  kHumanizePercentage,
  kHumanizeDuration,
  kIndex,
  kToUpper,
  kToLower
};

struct FuncName {
  std::string_view name;
  Func func;
};

constexpr std::array<FuncName, 7> kFuncs{{{"printf", Func::kPrintf},
                                          {"humanize", Func::kHumanize},
                                          {"humanizePercentage", Func::kHumanizePercentage},
                                          {"humanizeDuration", Func::kHumanizeDuration},
                                          {"index", Func::kIndex},
                                          {"toUpper", Func::kToUpper},
                                          {"toLower", Func::kToLower}}};

/// One conversion of a printf format: flags, width, precision and verb (verb 0 = literal text).
struct FormatPiece {
  std::string literal;
  bool minus = false, plus = false, space = false, zero = false, sharp = false;
  int width = -1, precision = -1;
  char verb = 0;
};

struct Pipeline;

struct Operand {
  enum class Kind : std::uint8_t { kVar, kString, kNumber, kPipeline } kind = Kind::kString;
  Var var = Var::kValue;
  bool has_field = false;
  std::string text;  // the field name, or the string literal's value
  double number = 0;
  std::shared_ptr<const Pipeline> pipeline;
  Type type = Type::kString;
};

struct Command {
  std::size_t position = 0;  // offset in the source, for runtime errors
  std::optional<Func> func;
  std::string_view name;            // the function's name, for messages
  std::vector<Operand> args;        // for a function: its arguments (the piped value comes last, at run time)
  std::vector<FormatPiece> format;  // printf's parsed format
  Type type = Type::kString;
};

struct Pipeline {
  std::vector<Command> commands;
  Type type = Type::kString;
};

}  // namespace

struct AlertTemplate::Program {
  struct Piece {
    std::string text;  // when not an action
    std::optional<Pipeline> action;
  };
  std::vector<Piece> pieces;
};

namespace {

// ---------------------------------------------------------------------------------------------------------
// Lexing and parsing.

struct CompileError {
  std::size_t position;
  std::string message;
};

enum class Tok : std::uint8_t {
  kVar,
  kField,
  kDot,
  kString,
  kNumber,
  kIdent,
  kPipe,
  kLParen,
  kRParen,
  kClose,
  kEnd
};

struct Token {
  Tok kind = Tok::kEnd;
  std::size_t position = 0;
  std::string text;  // name, field (without '.'), decoded string, number text
  bool space_before = false;
  bool trim = false;  // kClose: "-}}"
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (static_cast<unsigned char>(c) >= 0x80);  // Go identifiers may be Unicode letters
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  std::expected<AlertTemplate::Program, CompileError> parse() {
    AlertTemplate::Program program;
    std::size_t text_start = 0;
    bool trim_next_text = false;
    while (true) {
      const std::size_t open = src_.find("{{", pos_);
      std::string text(
          src_.substr(text_start, open == std::string_view::npos ? src_.npos : open - text_start));
      if (trim_next_text) text.erase(0, std::min(text.size(), text.find_first_not_of(" \t\r\n")));
      if (open == std::string_view::npos) {
        if (!text.empty()) program.pieces.push_back({std::move(text), std::nullopt});
        break;
      }
      pos_ = open + 2;
      // "{{- " trims the whitespace before the action (Go requires the space: "{{-3}}" is the number -3).
      if (pos_ + 1 < src_.size() && src_[pos_] == '-' && is_space(src_[pos_ + 1])) {
        const auto last = text.find_last_not_of(" \t\r\n");
        text.erase(last == std::string::npos ? 0 : last + 1);
        pos_ += 2;
      }
      if (!text.empty()) program.pieces.push_back({std::move(text), std::nullopt});
      // Comments: {{/* ... */}}, nothing else inside the action.
      skip_space();
      if (src_.substr(pos_, 2) == "/*") {
        const std::size_t start = pos_;
        const std::size_t close = src_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) return fail(start, "unclosed comment (expected */}})");
        pos_ = close + 2;
        auto end = next();
        if (!end) return std::unexpected(end.error());
        if (end->kind != Tok::kClose)
          return fail(end->position, "comment ends without closing action (expected }})");
        trim_next_text = end->trim;
        text_start = pos_;
        continue;
      }
      auto pipe = parse_pipeline(/*in_parens=*/false);
      if (!pipe) return std::unexpected(pipe.error());
      auto close = next();
      if (!close) return std::unexpected(close.error());
      if (close->kind != Tok::kClose) return fail(close->position, unexpected(*close, "}} or |"));
      trim_next_text = close->trim;
      program.pieces.push_back({std::string(), std::move(*pipe)});
      text_start = pos_;
    }
    return program;
  }

 private:
  static std::unexpected<CompileError> fail(std::size_t position, std::string message) {
    return std::unexpected(CompileError{position, std::move(message)});
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::kVar:
        return fmt::format("variable {}", t.text);
      case Tok::kField:
        return fmt::format("field .{}", t.text);
      case Tok::kDot:
        return "\".\"";
      case Tok::kString:
        return "a string";
      case Tok::kNumber:
        return fmt::format("number {}", t.text);
      case Tok::kIdent:
        return fmt::format("\"{}\"", t.text);
      case Tok::kPipe:
        return "\"|\"";
      case Tok::kLParen:
        return "\"(\"";
      case Tok::kRParen:
        return "\")\"";
      case Tok::kClose:
        return "\"}}\"";
      case Tok::kEnd:
        return "end of template";
    }
    return "?";
  }

  static std::string unexpected(const Token& t, std::string_view expected) {
    return fmt::format("unexpected {} (expected {})", describe(t), expected);
  }

  void skip_space() {
    while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
  }

  std::expected<Token, CompileError> peek() {
    const std::size_t saved = pos_;
    auto t = next();
    pos_ = saved;
    return t;
  }

  std::expected<Token, CompileError> next() {
    Token t;
    const std::size_t before = pos_;
    skip_space();
    t.space_before = pos_ > before;
    t.position = pos_;
    if (pos_ >= src_.size()) {
      t.kind = Tok::kEnd;
      return t;
    }
    const char c = src_[pos_];
    if (c == '}' && src_.substr(pos_, 2) == "}}") {
      t.kind = Tok::kClose;
      pos_ += 2;
      return t;
    }
    if (c == '-' && t.space_before && src_.substr(pos_, 3) == "-}}") {
      t.kind = Tok::kClose;
      t.trim = true;
      pos_ += 3;
      return t;
    }
    if (c == '|') {
      ++pos_;
      t.kind = Tok::kPipe;
      return t;
    }
    if (c == '(' || c == ')') {
      ++pos_;
      t.kind = c == '(' ? Tok::kLParen : Tok::kRParen;
      return t;
    }
    if (c == '$') {
      std::size_t end = pos_ + 1;
      while (end < src_.size() && is_alnum(src_[end])) ++end;
      t.kind = Tok::kVar;
      t.text = std::string(src_.substr(pos_, end - pos_));
      pos_ = end;
      return t;
    }
    if (c == '.' && !(pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1]))) {
      std::size_t end = pos_ + 1;
      while (end < src_.size() && is_alnum(src_[end])) ++end;
      t.kind = end == pos_ + 1 ? Tok::kDot : Tok::kField;
      t.text = std::string(src_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end;
      return t;
    }
    if (c == '"') return lex_string(t);
    if (c == '`') {
      const std::size_t close = src_.find('`', pos_ + 1);
      if (close == std::string_view::npos)
        return fail(pos_, "unterminated raw string (expected a closing `)");
      t.kind = Tok::kString;
      t.text = std::string(src_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      return t;
    }
    if (is_digit(c) || ((c == '-' || c == '+' || c == '.') && pos_ + 1 < src_.size() &&
                        (is_digit(src_[pos_ + 1]) || src_[pos_ + 1] == '.'))) {
      std::size_t end = pos_ + 1;
      while (end < src_.size() &&
             (is_alnum(src_[end]) || src_[end] == '.' ||
              ((src_[end] == '+' || src_[end] == '-') && (src_[end - 1] == 'e' || src_[end - 1] == 'E'))))
        ++end;
      t.kind = Tok::kNumber;
      t.text = std::string(src_.substr(pos_, end - pos_));
      pos_ = end;
      return t;
    }
    if (is_alnum(c)) {
      std::size_t end = pos_;
      while (end < src_.size() && is_alnum(src_[end])) ++end;
      t.kind = Tok::kIdent;
      t.text = std::string(src_.substr(pos_, end - pos_));
      pos_ = end;
      return t;
    }
    if (c == ':' || c == '=')
      return fail(pos_, "variable assignment is not supported (only the rule's variables)");
    if (c == '{' && src_.substr(pos_, 2) == "{{")
      return fail(pos_, "unexpected \"{{\" inside an action (expected }})");
    return fail(pos_, fmt::format("unexpected character '{}' in action", c));
  }

  std::expected<Token, CompileError> lex_string(Token& t) {
    const std::size_t start = pos_;
    std::string out;
    ++pos_;
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n')
        return fail(start, "unterminated string (expected a closing \")");
      const char c = src_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= src_.size()) return fail(start, "unterminated string (expected a closing \")");
      const char e = src_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case '\'':
          out += '\'';
          break;
        case 'x': {
          unsigned value = 0;
          auto r =
              std::from_chars(src_.data() + pos_, src_.data() + std::min(pos_ + 2, src_.size()), value, 16);
          if (r.ptr != src_.data() + pos_ + 2)
            return fail(pos_ - 2, "invalid escape \\x in string (expected two hex digits)");
          out += static_cast<char>(value);
          pos_ += 2;
          break;
        }
        default:
          return fail(pos_ - 2,
                      fmt::format("unknown escape \\{} in string (expected \\n, \\t, \\\\, \\\", \\x..)", e));
      }
    }
    t.kind = Tok::kString;
    t.text = std::move(out);
    return t;
  }

  // pipeline := command ('|' command)*
  std::expected<Pipeline, CompileError> parse_pipeline(bool in_parens) {
    Pipeline pipe;
    std::optional<Type> piped;
    while (true) {
      auto cmd = parse_command(piped);
      if (!cmd) return std::unexpected(cmd.error());
      piped = cmd->type;
      pipe.commands.push_back(std::move(*cmd));
      auto t = peek();
      if (!t) return std::unexpected(t.error());
      if (t->kind == Tok::kPipe) {
        (void)next();
        continue;
      }
      if (in_parens ? t->kind == Tok::kRParen : t->kind == Tok::kClose) break;
      return fail(t->position, unexpected(*t, in_parens ? "\")\" or |" : "}} or |"));
    }
    pipe.type = pipe.commands.back().type;
    return pipe;
  }

  // command := function operand* | operand
  std::expected<Command, CompileError> parse_command(std::optional<Type> piped) {
    auto first = peek();
    if (!first) return std::unexpected(first.error());
    Command cmd;
    cmd.position = first->position;
    if (first->kind == Tok::kIdent) {
      (void)next();
      static constexpr std::array<std::string_view, 9> kControl{
          "if", "else", "end", "range", "with", "define", "template", "block", "break"};
      if (std::find(kControl.begin(), kControl.end(), first->text) != kControl.end())
        return fail(first->position,
                    fmt::format("\"{}\" is not supported (alert templates here have no control structures)",
                                first->text));
      if (first->text == "true" || first->text == "false" || first->text == "nil")
        return fail(first->position, fmt::format("\"{}\" is not supported here", first->text));
      const auto f = std::find_if(kFuncs.begin(), kFuncs.end(),
                                  [&](const FuncName& n) { return n.name == first->text; });
      if (f == kFuncs.end())
        return fail(first->position,
                    fmt::format("function \"{}\" not defined (expected printf, humanize, humanizePercentage, "
                                "humanizeDuration, index, toUpper or toLower)",
                                first->text));
      cmd.func = f->func;
      cmd.name = f->name;
      while (true) {
        auto t = peek();
        if (!t) return std::unexpected(t.error());
        if (t->kind == Tok::kPipe || t->kind == Tok::kClose || t->kind == Tok::kRParen ||
            t->kind == Tok::kEnd)
          break;
        auto operand = parse_operand();
        if (!operand) return std::unexpected(operand.error());
        cmd.args.push_back(std::move(*operand));
      }
      auto checked = check_function(cmd, piped);
      if (!checked) return std::unexpected(checked.error());
      return cmd;
    }
    auto operand = parse_operand();
    if (!operand) return std::unexpected(operand.error());
    if (piped)
      return fail(first->position, fmt::format("{} is not a function: a value cannot take the piped argument",
                                               describe(*first)));
    auto t = peek();
    if (!t) return std::unexpected(t.error());
    if (t->kind != Tok::kPipe && t->kind != Tok::kClose && t->kind != Tok::kRParen && t->kind != Tok::kEnd)
      return fail(t->position,
                  fmt::format("{} is not a function: it cannot take arguments", describe(*first)));
    cmd.type = operand->type;
    cmd.args.push_back(std::move(*operand));
    return cmd;
  }

  std::expected<Operand, CompileError> parse_operand() {
    auto t = next();
    if (!t) return std::unexpected(t.error());
    Operand op;
    switch (t->kind) {
      case Tok::kString:
        op.kind = Operand::Kind::kString;
        op.text = t->text;
        op.type = Type::kString;
        return op;
      case Tok::kNumber: {
        op.kind = Operand::Kind::kNumber;
        op.type = Type::kNumber;
        auto v = parse_go_float(t->text);
        if (!v) return fail(t->position, fmt::format("bad number syntax: \"{}\"", t->text));
        op.number = *v;
        return op;
      }
      case Tok::kLParen: {
        // The parser recurses per parenthesis; a bound keeps a hostile template from exhausting the stack.
        if (++depth_ > kMaxDepth)
          return fail(t->position, fmt::format("parentheses nested more than {} deep", kMaxDepth));
        auto inner = parse_pipeline(/*in_parens=*/true);
        --depth_;
        if (!inner) return std::unexpected(inner.error());
        (void)next();  // the ")" parse_pipeline stopped at
        op.kind = Operand::Kind::kPipeline;
        op.type = inner->type;
        op.pipeline = std::make_shared<const Pipeline>(std::move(*inner));
        return field_access(op, t->position);
      }
      case Tok::kVar:
      case Tok::kField: {
        std::string name = t->kind == Tok::kVar ? t->text : "." + t->text;
        const auto v = std::find_if(kVars.begin(), kVars.end(), [&](const VarName& n) {
          return t->kind == Tok::kVar ? n.dollar == name : n.dot == name;
        });
        if (v == kVars.end()) {
          if (t->kind == Tok::kVar)
            return fail(t->position,
                        fmt::format("undefined variable \"{}\" (expected $labels, $value, $expected, $lower, "
                                    "$upper, $score or $externalLabels)",
                                    name));
          return fail(
              t->position,
              fmt::format("can't evaluate field {} (expected .Labels, .ExternalLabels or .Value)", t->text));
        }
        op.kind = Operand::Kind::kVar;
        op.var = v->var;
        op.type = v->type;
        return field_access(op, t->position);
      }
      case Tok::kDot:
        return fail(t->position, "\".\" alone is not supported (use $labels, $value, ...)");
      case Tok::kIdent:
        if (t->text == "true" || t->text == "false" || t->text == "nil")
          return fail(t->position, fmt::format("\"{}\" is not supported here", t->text));
        return fail(t->position,
                    fmt::format("function \"{}\" used as an argument (wrap it in parentheses)", t->text));
      default:
        return fail(t->position, unexpected(*t, "a variable, string, number or \"(\""));
    }
  }

  // A field directly after a map value: $labels.instance. One level only: label values are strings.
  std::expected<Operand, CompileError> field_access(Operand op, std::size_t position) {
    while (true) {
      auto t = peek();
      if (!t) return std::unexpected(t.error());
      if (t->kind != Tok::kField || t->space_before) return op;
      (void)next();
      if (op.type != Type::kMap || op.has_field || op.kind != Operand::Kind::kVar)
        return fail(t->position,
                    fmt::format("can't evaluate field {} in type {}", t->text, type_name(op.type)));
      op.has_field = true;
      op.text = t->text;
      op.type = Type::kString;
    }
    (void)position;
  }

  std::expected<void, CompileError> check_function(Command& cmd, std::optional<Type> piped) {
    std::vector<Type> types;
    for (const auto& a : cmd.args) types.push_back(a.type);
    if (piped) types.push_back(*piped);
    const std::string_view name = cmd.name;
    auto want = [&](std::size_t n) -> std::expected<void, CompileError> {
      if (types.size() != n)
        return fail(cmd.position,
                    fmt::format("wrong number of arguments for {}: want {} got {}", name, n, types.size()));
      return {};
    };
    switch (*cmd.func) {
      case Func::kHumanize:
      case Func::kHumanizePercentage:
      case Func::kHumanizeDuration: {
        if (auto ok = want(1); !ok) return ok;
        if (types[0] == Type::kMap)
          return fail(cmd.position,
                      fmt::format("{} expects a number or a string, got {}", name, type_name(types[0])));
        cmd.type = Type::kString;
        return {};
      }
      case Func::kToUpper:
      case Func::kToLower:
        if (auto ok = want(1); !ok) return ok;
        if (types[0] != Type::kString)
          return fail(cmd.position, fmt::format("{} expects a string, got {}", name, type_name(types[0])));
        cmd.type = Type::kString;
        return {};
      case Func::kIndex:
        if (auto ok = want(2); !ok) return ok;
        if (types[0] != Type::kMap || types[1] != Type::kString)
          return fail(cmd.position,
                      fmt::format("index expects a map and a string key ({{{{ index $labels \"name\" }}}}), "
                                  "got {} and {}",
                                  type_name(types[0]), type_name(types[1])));
        cmd.type = Type::kString;
        return {};
      case Func::kPrintf:
        return check_printf(cmd, types);
    }
    return {};
  }

  std::expected<void, CompileError> check_printf(Command& cmd, const std::vector<Type>& types) {
    if (cmd.args.empty() || cmd.args[0].kind != Operand::Kind::kString)
      return fail(cmd.position,
                  "printf's first argument must be a format string literal, e.g. printf \"%.2f\"");
    const std::string& f = cmd.args[0].text;
    std::vector<FormatPiece> pieces;
    std::size_t arg = 1;
    std::size_t i = 0;
    std::string literal;
    while (i < f.size()) {
      if (f[i] != '%') {
        literal += f[i++];
        continue;
      }
      if (i + 1 < f.size() && f[i + 1] == '%') {
        literal += '%';
        i += 2;
        continue;
      }
      if (!literal.empty()) pieces.push_back(FormatPiece{std::move(literal)});
      literal.clear();
      FormatPiece p;
      const std::size_t start = i++;
      for (; i < f.size(); ++i) {
        const char c = f[i];
        if (c == '-')
          p.minus = true;
        else if (c == '+')
          p.plus = true;
        else if (c == ' ')
          p.space = true;
        else if (c == '0')
          p.zero = true;
        else if (c == '#')
          p.sharp = true;
        else
          break;
      }
      auto number = [&]() {
        int n = 0;
        bool any = false;
        while (i < f.size() && is_digit(f[i]) && n < 1000) {
          n = n * 10 + (f[i++] - '0');
          any = true;
        }
        return any ? n : -1;
      };
      p.width = number();
      if (i < f.size() && f[i] == '.') {
        ++i;
        p.precision = std::max(number(), 0);
      }
      if (i < f.size() && (f[i] == '*' || f[i] == '['))
        return fail(cmd.position, fmt::format("printf format \"{}\": '{}' is not supported", f, f[i]));
      if (p.width > 999 || p.precision > 999 || (i < f.size() && is_digit(f[i])))
        return fail(cmd.position, fmt::format("printf format \"{}\": width or precision too large", f));
      if (i >= f.size())
        return fail(cmd.position,
                    fmt::format("printf format \"{}\": \"{}\" has no verb", f, f.substr(start)));
      p.verb = f[i++];
      if (arg >= types.size())
        return fail(cmd.position, fmt::format("printf format \"{}\" has more verbs than arguments ({})", f,
                                              types.size() - 1));
      const Type t = types[arg++];
      const std::string_view ok_verbs = t == Type::kNumber ? "eEfFgGv" : t == Type::kString ? "sqv" : "v";
      if (ok_verbs.find(p.verb) == std::string_view::npos)
        return fail(cmd.position,
                    fmt::format("printf format \"{}\": %{} cannot format a {} (expected {}){}", f, p.verb,
                                type_name(t),
                                t == Type::kNumber   ? "%f, %e, %g or %v"
                                : t == Type::kString ? "%s, %q or %v"
                                                     : "%v",
                                p.verb == 'd' && t == Type::kNumber ? "; for a whole number use %.0f" : ""));
      pieces.push_back(p);
    }
    if (!literal.empty()) pieces.push_back(FormatPiece{std::move(literal)});
    if (arg != types.size())
      return fail(cmd.position, fmt::format("printf format \"{}\" has {} verbs but {} arguments", f, arg - 1,
                                            types.size() - 1));
    cmd.format = std::move(pieces);
    cmd.type = Type::kString;
    return {};
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  static constexpr int kMaxDepth = 32;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------------------------
// Evaluation.

struct Value {
  Type type = Type::kString;
  double number = 0;
  std::string text;
  const Labels* map = nullptr;
};

struct RuntimeError {
  std::size_t position;
  std::string message;
};

std::string_view lookup(const Labels* labels, std::string_view name) {
  if (labels == nullptr) return {};
  for (const auto& [k, v] : *labels)
    if (k == name) return v;
  return {};
}

std::string print(const Value& v) {
  switch (v.type) {
    case Type::kNumber:
      return go_format_float(v.number);
    case Type::kString:
      return v.text;
    case Type::kMap: {
      // Go prints maps with sorted keys.
      Labels sorted = v.map != nullptr ? *v.map : Labels{};
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const Label& a, const Label& b) { return a.first < b.first; });
      std::string out = "map[";
      for (std::size_t i = 0; i < sorted.size(); ++i)
        out += fmt::format("{}{}:{}", i == 0 ? "" : " ", sorted[i].first, sorted[i].second);
      return out + "]";
    }
  }
  return {};
}

std::string pad(std::string s, const FormatPiece& p) {
  const std::size_t len = utf8_length(s);
  if (p.width < 0 || len >= static_cast<std::size_t>(p.width)) return s;
  const std::string fill(static_cast<std::size_t>(p.width) - len, ' ');
  return p.minus ? s + fill : fill + s;
}

std::string format_number(double v, const FormatPiece& p) {
  if (std::isnan(v) || std::isinf(v)) {
    std::string s = go_format_float(v);
    if (std::isnan(v) && (p.plus || p.space)) s = (p.plus ? "+" : " ") + s;
    if (std::isinf(v) && v > 0 && p.space && !p.plus) s[0] = ' ';
    return pad(std::move(s), p);
  }
  char verb = p.verb == 'F' ? 'f' : p.verb;
  if ((verb == 'v' || verb == 'g' || verb == 'G') && p.precision < 0) {
    // Go's %g without a precision is the shortest representation, like %v.
    std::string s = go_format_float(v);
    if (verb == 'G') std::replace(s.begin(), s.end(), 'e', 'E');
    if (s[0] != '-' && (p.plus || p.space)) s.insert(s.begin(), p.plus ? '+' : ' ');
    const std::size_t len = s.size();
    if (p.width > 0 && len < static_cast<std::size_t>(p.width) && p.zero && !p.minus) {
      const std::size_t sign = (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
      s.insert(sign, static_cast<std::size_t>(p.width) - len, '0');
      return s;
    }
    return pad(std::move(s), p);
  }
  if (verb == 'v') verb = 'g';
  std::string spec = "%";
  if (p.minus) spec += '-';
  if (p.plus) spec += '+';
  if (p.space) spec += ' ';
  if (p.zero) spec += '0';
  if (p.sharp) spec += '#';
  if (p.width >= 0) spec += std::to_string(p.width);
  if (p.precision >= 0) spec += "." + std::to_string(p.precision);
  spec += verb;
  std::string out(32, '\0');
  const int n = std::snprintf(out.data(), out.size(), spec.c_str(), v);
  if (n < 0) return {};
  if (static_cast<std::size_t>(n) >= out.size()) {
    out.resize(static_cast<std::size_t>(n) + 1);
    std::snprintf(out.data(), out.size(), spec.c_str(), v);
  }
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string format_string(const std::string& s, const FormatPiece& p) {
  std::string text = s;
  if (p.verb == 'q') return pad(go_quote(text), p);
  if (p.precision >= 0) {  // at most `precision` characters (runes, as Go counts)
    std::size_t runes = 0, i = 0;
    for (; i < text.size(); ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 &&
          runes++ == static_cast<std::size_t>(p.precision))
        break;
    }
    text.resize(i);
  }
  return pad(std::move(text), p);
}

class Evaluator {
 public:
  explicit Evaluator(const TemplateData& data) : data_(data) {}

  std::expected<Value, RuntimeError> run(const Pipeline& pipe) {
    std::optional<Value> piped;
    for (const auto& cmd : pipe.commands) {
      auto v = command(cmd, piped);
      if (!v) return v;
      piped = std::move(*v);
    }
    return std::move(*piped);
  }

 private:
  std::expected<Value, RuntimeError> command(const Command& cmd, std::optional<Value>& piped) {
    std::vector<Value> args;
    for (const auto& a : cmd.args) {
      auto v = operand(a);
      if (!v) return v;
      args.push_back(std::move(*v));
    }
    if (!cmd.func) return std::move(args[0]);
    if (piped) args.push_back(std::move(*piped));
    auto str = [](std::string s) { return Value{Type::kString, 0, std::move(s), nullptr}; };
    auto number = [&](const Value& v, std::string_view name) -> std::expected<double, RuntimeError> {
      if (v.type == Type::kNumber) return v.number;
      if (auto d = parse_go_float(v.text)) return *d;
      return std::unexpected(
          RuntimeError{cmd.position, fmt::format("{}: cannot parse \"{}\" as a number", name, v.text)});
    };
    switch (*cmd.func) {
      case Func::kHumanize: {
        auto d = number(args[0], "humanize");
        if (!d) return std::unexpected(d.error());
        return str(humanize(*d));
      }
      case Func::kHumanizePercentage: {
        auto d = number(args[0], "humanizePercentage");
        if (!d) return std::unexpected(d.error());
        return str(humanize_percentage(*d));
      }
      case Func::kHumanizeDuration: {
        auto d = number(args[0], "humanizeDuration");
        if (!d) return std::unexpected(d.error());
        return str(humanize_duration(*d));
      }
      case Func::kToUpper:
      case Func::kToLower: {
        std::string s = args[0].text;
        for (char& c : s)
          c = static_cast<char>(*cmd.func == Func::kToUpper ? std::toupper(static_cast<unsigned char>(c))
                                                            : std::tolower(static_cast<unsigned char>(c)));
        return str(std::move(s));
      }
      case Func::kIndex:
        return str(std::string(lookup(args[0].map, args[1].text)));
      case Func::kPrintf: {
        std::string out;
        std::size_t next = 1;
        for (const auto& p : cmd.format) {
          if (p.verb == 0) {
            out += p.literal;
            continue;
          }
          const Value& v = args[next++];
          if (v.type == Type::kNumber)
            out += format_number(v.number, p);
          else if (v.type == Type::kString)
            out += format_string(v.text, p);
          else
            out += pad(print(v), p);
        }
        return str(std::move(out));
      }
    }
    return str({});
  }

  std::expected<Value, RuntimeError> operand(const Operand& op) {
    switch (op.kind) {
      case Operand::Kind::kString:
        return Value{Type::kString, 0, op.text, nullptr};
      case Operand::Kind::kNumber:
        return Value{Type::kNumber, op.number, {}, nullptr};
      case Operand::Kind::kPipeline:
        return run(*op.pipeline);
      case Operand::Kind::kVar:
        break;
    }
    const TemplateData& d = data_;
    switch (op.var) {
      case Var::kLabels:
      case Var::kExternalLabels: {
        const Labels* map = op.var == Var::kLabels ? d.labels : d.external_labels;
        if (op.has_field) return Value{Type::kString, 0, std::string(lookup(map, op.text)), nullptr};
        return Value{Type::kMap, 0, {}, map};
      }
      case Var::kValue:
        return Value{Type::kNumber, d.value, {}, nullptr};
      case Var::kExpected:
        return Value{Type::kNumber, d.expected, {}, nullptr};
      case Var::kLower:
        return Value{Type::kNumber, d.lower, {}, nullptr};
      case Var::kUpper:
        return Value{Type::kNumber, d.upper, {}, nullptr};
      case Var::kScore:
        return Value{Type::kNumber, d.score, {}, nullptr};
    }
    return Value{};
  }

  const TemplateData& data_;
};

// "column 7" for one-line templates, "line 2, column 7" for the others (block scalars in YAML).
std::string where(std::string_view src, std::size_t position) {
  position = std::min(position, src.size());
  const std::size_t newline = src.substr(0, position).rfind('\n');
  const std::size_t column = position - (newline == std::string_view::npos ? 0 : newline + 1) + 1;
  const std::string_view body = src.substr(0, src.find_last_not_of('\n') + 1);
  if (body.find('\n') == std::string_view::npos) return fmt::format("column {}", column);
  const auto line = 1 + std::count(src.begin(), src.begin() + static_cast<std::ptrdiff_t>(position), '\n');
  return fmt::format("line {}, column {}", line, column);
}

}  // namespace

std::expected<AlertTemplate, Error> AlertTemplate::compile(std::string_view text) {
  Parser parser(text);
  auto program = parser.parse();
  if (!program)
    return std::unexpected(
        Error{fmt::format("template {}: {}", where(text, program.error().position), program.error().message),
              "", 0, 0});
  AlertTemplate t;
  t.source_ = std::string(text);
  t.program_ = std::make_shared<const Program>(std::move(*program));
  return t;
}

std::string AlertTemplate::expand(const TemplateData& data) const {
  if (!program_) return {};
  std::string out;
  Evaluator eval(data);
  for (const auto& piece : program_->pieces) {
    if (!piece.action) {
      out += piece.text;
      continue;
    }
    auto v = eval.run(*piece.action);
    if (!v)
      return fmt::format("<error expanding template: {}: {}>", where(source_, v.error().position),
                         v.error().message);
    out += print(*v);
  }
  return out;
}

}  // namespace promcast::rules
