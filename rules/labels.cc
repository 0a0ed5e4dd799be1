#include "rules/labels.h"

#include <algorithm>

namespace promcast::rules {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;
// 0xff never occurs in UTF-8, so "a"+"bc" and "ab"+"c" hash differently.
constexpr unsigned char kSeparator = 0xff;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

std::uint64_t fnv1a_byte(std::uint64_t hash, unsigned char byte) {
  hash ^= byte;
  return hash * kFnvPrime;
}

// Const and mutable label sets alike (set_label writes through the iterator).
template <typename L>
auto by_name(L& labels, std::string_view name) {
  return std::ranges::lower_bound(labels, name, {},
                                  [](const Label& label) { return std::string_view(label.first); });
}

}  // namespace

Labels make_labels(std::vector<Label> labels) {
  // Stable, so among equal names the input order survives and the last one is the later value.
  std::ranges::stable_sort(labels, {}, &Label::first);
  Labels out;
  out.reserve(labels.size());
  for (auto& label : labels) {
    if (!out.empty() && out.back().first == label.first) {
      out.back().second = std::move(label.second);
    } else {
      out.push_back(std::move(label));
    }
  }
  return out;
}

std::uint64_t labels_hash(const Labels& labels) {
  std::uint64_t hash = kFnvOffset;
  for (const auto& [name, value] : labels) {
    hash = fnv1a_byte(fnv1a(hash, name), kSeparator);
    hash = fnv1a_byte(fnv1a(hash, value), kSeparator);
  }
  return hash;
}

std::string labels_to_string(const Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ", ";
    first = false;
    out += name;
    out += "=\"";
    for (const char c : value) {
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\n':
          out += "\\n";
          break;
        default:
          out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string_view label_value(const Labels& labels, std::string_view name) {
  const auto it = by_name(labels, name);
  if (it == labels.end() || it->first != name) return {};
  return it->second;
}

void set_label(Labels& labels, std::string name, std::string value) {
  const auto it = by_name(labels, name);
  if (it != labels.end() && it->first == name) {
    it->second = std::move(value);
  } else {
    labels.emplace(it, std::move(name), std::move(value));
  }
}

void remove_label(Labels& labels, std::string_view name) {
  const auto it = by_name(labels, name);
  if (it != labels.end() && it->first == name) labels.erase(it);
}

}  // namespace promcast::rules
