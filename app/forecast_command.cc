// Placeholder until the forecast subcommand lands; replaced by its owner.
#include <cstdio>

#include "app/commands.h"

namespace promcast::app {
int run_forecast(int /*argc*/, char** /*argv*/) {
  std::fputs("promcast: the forecast subcommand is not part of this build yet\n", stderr);
  return 2;
}
}  // namespace promcast::app
