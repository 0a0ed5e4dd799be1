// Placeholder until the check subcommand lands; replaced by its owner.
#include <cstdio>

#include "app/commands.h"

namespace promcast::app {
int run_check(int /*argc*/, char** /*argv*/) {
  std::fputs("promcast: the check subcommand is not part of this build yet\n", stderr);
  return 2;
}
}  // namespace promcast::app
