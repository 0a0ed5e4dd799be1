#include "exporter/exposition.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include "exporter/metric_store_internal.h"

namespace promcast::exporter {

using detail::Family;
using detail::Series;

void append_go_float(std::string& out, double v) {
  // expfmt's writeFloat special cases, then strconv.FormatFloat(v, 'g', -1, 64).
  if (v == 0) {  // also -0
    out += '0';
    return;
  }
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[40];
  if (std::fabs(v) < 1e6 && v == std::trunc(v)) {  // integers below 1e6 print as integers in 'g'
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest round-trip digits, then Go's 'g' layout: %e when exponent < -4 or >= 6 (precision -1 always
  // uses 6 here), else %f with exactly the shortest digits.
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const char* p = buf;
  const char* end = r.ptr;
  const bool negative = *p == '-';
  if (negative) ++p;
  char digits[24];
  size_t nd = 0;
  while (p < end && *p != 'e') {
    if (*p != '.') digits[nd++] = *p;
    ++p;
  }
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exp);
  if (negative) out += '-';
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits + 1, nd - 1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    char eb[8];
    auto er = std::to_chars(eb, eb + sizeof eb, a);
    out.append(eb, er.ptr);
    return;
  }
  const int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-dp), '0');
    out.append(digits, nd);
  } else if (static_cast<size_t>(dp) >= nd) {
    out.append(digits, nd);
    out.append(static_cast<size_t>(dp) - nd, '0');
  } else {
    out.append(digits, static_cast<size_t>(dp));
    out += '.';
    out.append(digits + dp, nd - static_cast<size_t>(dp));
  }
}

static void append_escaped(std::string& out, std::string_view value, bool quote) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '\n' && !(quote && c == '"')) continue;
    out.append(value.data() + start, i - start);
    out += '\\';
    out += c == '\n' ? 'n' : c;
    start = i + 1;
  }
  out.append(value.data() + start, value.size() - start);
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, true);
}

namespace {

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// `{a="x",b="y"` for a series (no closing brace), or empty when it has no labels.
void label_block(std::string& out, const Series& s) {
  const auto& names = s.vector->label_names;
  for (size_t i = 0; i < s.label_count; ++i) {
    out += i == 0 ? '{' : ',';
    out += names[i];
    out += "=\"";
    append_escaped(out, s.label_value(i), true);
    out += '"';
  }
}

// One sample line: name+suffix, the series labels plus an optional extra label (le/quantile).
void sample_line(std::string& out, std::string_view name, std::string_view suffix, std::string_view labels,
                 std::string_view extra_name, double extra_value, bool has_extra) {
  out += name;
  out += suffix;
  if (has_extra) {
    if (labels.empty()) {
      out += '{';
    } else {
      out += labels;
      out += ',';
    }
    out += extra_name;
    out += "=\"";
    append_go_float(out, extra_value);
    out += "\"}";
  } else if (!labels.empty()) {
    out += labels;
    out += '}';
  }
  out += ' ';
}

struct Scratch {
  std::string labels;
  std::vector<uint64_t> counts;
  std::vector<double> quantiles;
};

// Sort record: the first 32 bytes of the series' label values, encoded so that comparing the bytes gives
// client_golang's order (each value's NUL bytes become 00 01, each value ends with 00 00), held inline so
// most comparisons of a large sort never touch the series themselves (which sit far apart in memory).
constexpr size_t kPrefixWords = 4;  // 32 bytes: enough to tell apart typical 4-label series

struct SortKey {
  uint64_t prefix[kPrefixWords];
  uint32_t label_count;
  Series* series;
};

SortKey sort_key(Series* s) {
  unsigned char bytes[kPrefixWords * 8] = {};
  size_t n = 0;
  for (size_t i = 0; i < s->label_count && n < sizeof bytes; ++i) {
    for (char c : s->label_value(i)) {
      if (n == sizeof bytes) break;
      bytes[n++] = static_cast<unsigned char>(c);
      if (c == '\0' && n < sizeof bytes) bytes[n++] = 1;
    }
    if (n < sizeof bytes) bytes[n++] = 0;
    if (n < sizeof bytes) bytes[n++] = 0;
  }
  SortKey key{{}, s->label_count, s};
  for (size_t i = 0; i < sizeof bytes; ++i) key.prefix[i / 8] = (key.prefix[i / 8] << 8) | bytes[i];
  return key;
}

bool key_less(const SortKey& a, const SortKey& b) {
  if (a.label_count != b.label_count) return a.label_count < b.label_count;
  for (size_t i = 0; i < kPrefixWords; ++i)
    if (a.prefix[i] != b.prefix[i]) return a.prefix[i] < b.prefix[i];
  return detail::series_less(a.series, b.series);
}

void sort_series(std::vector<Series*>& v) {
  if (v.size() < 64) {
    std::sort(v.begin(), v.end(), detail::series_less);
    return;
  }
  std::vector<SortKey> keys;
  keys.reserve(v.size());
  for (Series* s : v) keys.push_back(sort_key(s));
  std::sort(keys.begin(), keys.end(), key_less);
  for (size_t i = 0; i < v.size(); ++i) v[i] = keys[i].series;
}

// Moves series created since the last exposition into the family's sorted order. Only one exposition runs
// per store at a time and expire() is excluded by gc_mutex, so `sorted` is ours here and can be read
// afterwards unlocked; the members lock is held only to take `pending`, so writers creating series in this
// family (which hold a shard lock) never wait for the sort.
void merge_pending(Family& f, std::vector<Series*>& fresh) {
  fresh.clear();
  {
    std::lock_guard lock(f.members_mutex);
    fresh.swap(f.pending);
  }
  if (fresh.empty()) return;
  sort_series(fresh);
  if (f.sorted.empty()) {
    f.sorted.swap(fresh);
    return;
  }
  if (fresh.size() * 16 > f.sorted.size()) {
    const auto middle = static_cast<std::ptrdiff_t>(f.sorted.size());
    f.sorted.insert(f.sorted.end(), fresh.begin(), fresh.end());
    std::inplace_merge(f.sorted.begin(), f.sorted.begin() + middle, f.sorted.end(), detail::series_less);
    return;
  }
  // A few new series among many: binary-search each one's place instead of comparing every old series.
  std::vector<Series*> merged;
  merged.reserve(f.sorted.size() + fresh.size());
  auto from = f.sorted.begin();
  for (Series* s : fresh) {
    const auto at = std::upper_bound(from, f.sorted.end(), s, detail::series_less);
    merged.insert(merged.end(), from, at);
    merged.push_back(s);
    from = at;
  }
  merged.insert(merged.end(), from, f.sorted.end());
  f.sorted.swap(merged);
}

void write_family(const detail::StoreImpl& impl, const Family& f, std::string& out, int64_t now_ns,
                  Scratch& scratch) {
  out += "# HELP ";
  out += f.name;
  out += ' ';
  append_escaped(out, f.help, false);
  out += "\n# TYPE ";
  out += f.name;
  out += ' ';
  out += kind_name(f.kind);
  out += '\n';
  for (Series* s : f.sorted) {
    switch (f.kind) {
      case MetricKind::Counter:
      case MetricKind::Gauge: {
        out += f.name;
        if (s->label_count != 0) {
          label_block(out, *s);
          out += '}';
        }
        out += ' ';
        append_go_float(out, std::atomic_ref<double>(s->value).load(std::memory_order_relaxed));
        out += '\n';
        break;
      }
      case MetricKind::Histogram: {
        double sum;
        uint64_t count;
        {
          std::lock_guard lock(impl.shard_for(s->hash).mutex);
          scratch.counts.assign(s->histogram->counts.begin(), s->histogram->counts.end());
          sum = s->histogram->sum;
          count = s->histogram->count;
        }
        scratch.labels.clear();
        label_block(scratch.labels, *s);
        const auto& bounds = s->vector->bounds;
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= bounds.size(); ++i) {
          cumulative += scratch.counts[i];
          const double le = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
          sample_line(out, f.name, "_bucket", scratch.labels, "le", le, true);
          append_uint(out, i < bounds.size() ? cumulative : count);
          out += '\n';
        }
        sample_line(out, f.name, "_sum", scratch.labels, {}, 0, false);
        append_go_float(out, sum);
        out += '\n';
        sample_line(out, f.name, "_count", scratch.labels, {}, 0, false);
        append_uint(out, count);
        out += '\n';
        break;
      }
      case MetricKind::Summary: {
        std::pair<uint64_t, double> totals;
        {
          std::lock_guard lock(impl.shard_for(s->hash).mutex);
          totals = s->summary->collect(now_ns, scratch.quantiles);
        }
        scratch.labels.clear();
        label_block(scratch.labels, *s);
        const auto& targets = s->vector->summary.targets;
        for (size_t i = 0; i < scratch.quantiles.size(); ++i) {
          sample_line(out, f.name, "", scratch.labels, "quantile", targets[i].quantile, true);
          append_go_float(out, scratch.quantiles[i]);
          out += '\n';
        }
        sample_line(out, f.name, "_sum", scratch.labels, {}, 0, false);
        append_go_float(out, totals.second);
        out += '\n';
        sample_line(out, f.name, "_count", scratch.labels, {}, 0, false);
        append_uint(out, totals.first);
        out += '\n';
        break;
      }
    }
  }
}

int64_t to_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

void write_text_exposition(std::span<const MetricStore* const> stores, std::string& out,
                           std::chrono::steady_clock::time_point now) {
  struct Entry {
    const Family* family;
    size_t store;
  };
  std::vector<std::unique_lock<std::mutex>> exposition_locks;
  std::vector<std::shared_lock<std::shared_mutex>> gc_locks;
  std::vector<Entry> entries;
  std::vector<Series*> fresh;
  size_t series = 0;
  for (size_t i = 0; i < stores.size(); ++i) {
    // A store listed twice would lock itself; its families are written once anyway.
    if (std::find(stores.begin(), stores.begin() + static_cast<std::ptrdiff_t>(i), stores[i]) !=
        stores.begin() + static_cast<std::ptrdiff_t>(i)) {
      continue;
    }
    const detail::StoreImpl& impl = stores[i]->impl();
    exposition_locks.emplace_back(impl.exposition_mutex);
    gc_locks.emplace_back(impl.gc_mutex);
    for (Family* f : impl.families_snapshot()) {
      merge_pending(*f, fresh);
      series += f->sorted.size();
      if (!f->sorted.empty()) entries.push_back({f, i});
    }
  }
  // Families of one store are already in name order; merging several keeps the first store's family.
  if (stores.size() > 1) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.family->name < b.family->name; });
    entries.erase(
        std::unique(entries.begin(), entries.end(),
                    [](const Entry& a, const Entry& b) { return a.family->name == b.family->name; }),
        entries.end());
  }
  out.reserve(out.size() + series * 96);
  Scratch scratch;
  const int64_t now_ns = to_ns(now);
  for (const Entry& e : entries) write_family(stores[e.store]->impl(), *e.family, out, now_ns, scratch);
}

void write_text_exposition(const MetricStore& store, std::string& out,
                           std::chrono::steady_clock::time_point now) {
  const MetricStore* stores[] = {&store};
  write_text_exposition(stores, out, now);
}

std::string gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  // The buffer is deflateBound() large, so Z_FINISH completes in one call.
  if (rc != Z_STREAM_END) return {};
  return out;
}

}  // namespace promcast::exporter
