// `promcast map --statsd.mapping-config FILE [--[no-]statsd.parse-*-tags] LINE...`: prints, for every event
// of every statsd line, the series it would update (name, sorted labels, type), or why it would not.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "exporter/flags.h"
#include "exporter/pipeline.h"

namespace promcast::app {

int run_map(int argc, char** argv) {
  using namespace promcast::exporter;
  // Everything starting with "--" is a flag (same parser and names as the exporter); the rest are lines.
  std::vector<std::string_view> flag_args;
  std::vector<std::string_view> lines;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--") || arg == "-h") {
      flag_args.push_back(arg);
      // Space-separated value for the one string flag users pass here.
      if (arg == "--statsd.mapping-config" && i + 1 < argc) flag_args.push_back(argv[++i]);
    } else {
      lines.push_back(arg);
    }
  }
  auto parsed = parse_exporter_flags(flag_args);
  if (!parsed) {
    std::fprintf(stderr, "promcast map: error: %s\n", parsed.error().message.c_str());
    return 1;
  }
  if (parsed->action != FlagsAction::Run || lines.empty()) {
    std::fputs("usage: promcast map --statsd.mapping-config FILE [--[no-]statsd.parse-*-tags] LINE...\n", stderr);
    return parsed->action == FlagsAction::Help ? 0 : 2;
  }
  std::shared_ptr<const MappingState> state;
  if (parsed->flags.mapping_config.empty()) {
    state = MappingState::empty();
  } else {
    auto loaded = MappingState::load_file(parsed->flags.mapping_config);
    if (!loaded) {
      for (const auto& e : loaded.error()) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      return 1;
    }
    for (const auto& w : (*loaded)->config->warnings)
      std::fprintf(stderr, "warning: %s\n", w.to_string().c_str());
    state = *loaded;
  }
  const PipelineOptions options = PipelineOptions::from_flags(parsed->flags);
  for (const std::string& out : explain_lines(*state, options.parser, lines)) std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace promcast::app
