#pragma once
// Runs a subcommand's entry point in-process with stdout and stderr captured, for the command tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace promcast::app::test_support {

struct CommandOutput {
  int rc = 0;
  std::string out, err;
};

/// `args` is argv without the program name, as the subcommand table passes it.
inline CommandOutput run_captured(int (*command)(int, char**), std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CommandOutput r;
  r.rc = command(static_cast<int>(argv.size()), argv.data());
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

}  // namespace promcast::app::test_support
