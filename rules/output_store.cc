#include "rules/output_store.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace promcast::rules {

void OutputStore::replace(const std::string& rule_key, std::vector<OutputSample> samples) {
  std::lock_guard lock(mutex_);
  by_rule_[rule_key] = std::move(samples);
}

void OutputStore::erase(const std::string& rule_key) {
  std::lock_guard lock(mutex_);
  by_rule_.erase(rule_key);
}

void OutputStore::retain(const std::vector<std::string>& rule_keys) {
  const std::set<std::string> keep(rule_keys.begin(), rule_keys.end());
  std::lock_guard lock(mutex_);
  std::erase_if(by_rule_, [&](const auto& entry) { return !keep.contains(entry.first); });
}

std::vector<OutputSample> OutputStore::samples(const std::string& rule_key) const {
  std::lock_guard lock(mutex_);
  auto it = by_rule_.find(rule_key);
  return it == by_rule_.end() ? std::vector<OutputSample>{} : it->second;
}

std::size_t OutputStore::size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [key, samples] : by_rule_) n += samples.size();
  return n;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // client_golang writes strconv.AppendFloat(v, 'g', -1, 64): the shortest digits that round-trip, in
  // exponent form when the decimal exponent is < -4 or >= 6 (Go's rule for the shortest precision).
  char buf[40];
  auto sci = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string scientific(buf, sci.ptr);
  const auto e = scientific.find('e');
  const int exp = std::stoi(scientific.substr(e + 1));
  if (exp < -4 || exp >= 6) return scientific;  // C++ already writes e+06 / e-07 like Go
  auto fixed = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

namespace {

// {a="b",c="d"} with the text format's escaping of label values.
void append_exposition_labels(const Labels& labels, std::string& out) {
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    for (char c : value) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '"')
        out += "\\\"";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += '"';
  }
  out += '}';
}

}  // namespace

void OutputStore::write_text(std::string& out) const {
  std::lock_guard lock(mutex_);
  std::vector<const OutputSample*> all;
  for (const auto& [key, samples] : by_rule_)
    for (const auto& s : samples) all.push_back(&s);
  std::sort(all.begin(), all.end(), [](const OutputSample* a, const OutputSample* b) {
    return a->name != b->name ? a->name < b->name : a->labels < b->labels;
  });
  const std::string* family = nullptr;
  for (const OutputSample* s : all) {
    if (family == nullptr || *family != s->name) {
      out += "# TYPE ";
      out += s->name;
      out += " gauge\n";
      family = &s->name;
    }
    out += s->name;
    if (!s->labels.empty()) append_exposition_labels(s->labels, out);
    out += ' ';
    out += format_sample_value(s->value);
    out += '\n';
  }
}

}  // namespace promcast::rules
