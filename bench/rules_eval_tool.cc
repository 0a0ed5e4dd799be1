// rules_eval: times the rule engine against a real Prometheus (scripts/bench_rules.sh backfills it):
// one forecast rule with an automatic daily-seasonal model over every `bench_ingest` series, the first
// full evaluation (every series fitted), then a steady-state evaluation one step later (one new point
// per series through the filter), and the memory the fitted series added: resident (RSS, which also
// counts what glibc's arenas keep after the fits' temporaries are freed), live heap (mallinfo2), and
// RSS again after malloc_trim(0) hands the free pages back.
//
//   rules_eval --prometheus http://127.0.0.1:9090 --end UNIX_SECONDS [--workers 2] [--history 14d]
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "rules/engine.h"

namespace {

double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double live_heap_mib() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd) / (1024.0 * 1024.0);
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string prometheus, history = "14d", metric = "bench_ingest";
  std::int64_t end = 0;
  std::size_t workers = 2;
  CLI::App cli{"Times first and steady-state rule evaluations against a real Prometheus"};
  cli.add_option("--prometheus", prometheus, "query API base URL")->required();
  cli.add_option("--end", end, "unix seconds of the last backfilled step (the steady evaluation's time)")
      ->required();
  cli.add_option("--workers", workers, "fitting threads");
  cli.add_option("--history", history, "training window");
  cli.add_option("--metric", metric, "series to forecast");
  CLI11_PARSE(cli, argc, argv);

  const std::string dir = fmt::format("/tmp/rules_eval_{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string rules = dir + "/rules.yml";
  std::ofstream(rules) << fmt::format(
      "groups:\n  - name: bench\n    interval: 5m\n    rules:\n      - forecast: bench_forecast\n"
      "        expr: {}\n        step: 5m\n        history: {}\n        refit: 1d\n        horizons: [1h, "
      "6h, 1d]\n"
      "        model: {{order: auto, seasonal: {{period: 1d, order: auto}}}}\n        intervals: [0.8, "
      "0.95]\n",
      metric, history);
  promcast::rules::EngineOptions options;
  options.rule_files = {rules};
  options.workers = workers;
  options.manual = true;
  promcast::rules::SourceConfig source;
  source.url = prometheus;
  source.client.timeout = std::chrono::minutes(5);
  options.backends.sources.push_back(source);
  auto engine = promcast::rules::RuleEngine::start(options);
  if (!engine) {
    for (const auto& e : engine.error()) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 1;
  }
  const double rss0 = resident_mib(), heap0 = live_heap_mib();
  auto timed = [&](std::int64_t at) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    (*engine)->evaluate_all(at * 1000);
    return std::pair{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                     cpu_seconds() - c0};
  };
  const auto [first_wall, first_cpu] = timed(end - 300);
  const double rss1 = resident_mib();
  const auto [steady_wall, steady_cpu] = timed(end);
  const double rss2 = resident_mib(), heap2 = live_heap_mib();
  malloc_trim(0);
  const double rss3 = resident_mib();
  const auto status = (*engine)->status();
  if (status.empty() || !status[0].last_error.empty()) {
    std::fprintf(stderr, "evaluation failed: %s\n",
                 status.empty() ? "no rule" : status[0].last_error.c_str());
    return 1;
  }
  const double series = static_cast<double>(status[0].series);
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("series: %.0f (insufficient history: %zu)\n", series, status[0].insufficient);
  std::printf("first evaluation (fit every series): %.2f s wall, %.2f s CPU, %.1f ms CPU per series\n",
              first_wall, first_cpu, 1000.0 * first_cpu / series);
  std::printf("steady evaluation (one new point each): %.3f s wall, %.3f s CPU\n", steady_wall, steady_cpu);
  std::printf("resident memory added by the fitted series: %.1f MiB, %.1f KiB per series\n", rss1 - rss0,
              1024.0 * (rss1 - rss0) / series);
  std::printf("after the steady evaluation: resident %.1f KiB, live heap %.1f KiB per series\n",
              1024.0 * (rss2 - rss0) / series, 1024.0 * (heap2 - heap0) / series);
  std::printf("after malloc_trim(0): resident %.1f KiB per series\n", 1024.0 * (rss3 - rss0) / series);
  std::printf("load average: %.2f %.2f %.2f, workers: %zu\n", load[0], load[1], load[2], workers);
  std::filesystem::remove_all(dir);
  return 0;
}
