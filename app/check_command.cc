// `promcast check mappings FILE...`: validates mapping files without starting anything.
#include <cstdio>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "mappings/config.h"

namespace promcast::app {

int run_check(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[0]) != "mappings") {
    std::fputs("usage: promcast check mappings FILE...\n", stderr);
    return 2;
  }
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string path = argv[i];
    auto parsed = mappings::MappingConfig::load_file(path);
    if (!parsed) {
      ++failed;
      for (const auto& e : parsed.error()) std::printf("%s\n", e.to_string().c_str());
      continue;
    }
    // Deprecations do not fail the check (statsd_exporter 0.27-0.29 accept them) but are named.
    for (const auto& w : parsed->warnings) std::printf("warning: %s\n", w.to_string().c_str());
    std::printf("%s: ok (%zu mappings)\n", path.c_str(), parsed->mappings.size());
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace promcast::app
