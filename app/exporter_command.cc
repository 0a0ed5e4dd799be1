// Placeholder until the exporter subcommand lands; replaced by its owner.
#include <cstdio>

#include "app/commands.h"

namespace promcast::app {
int run_exporter(int /*argc*/, char** /*argv*/) {
  std::fputs("promcast: the exporter subcommand is not part of this build yet\n", stderr);
  return 2;
}
}  // namespace promcast::app
