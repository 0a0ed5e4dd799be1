#pragma once
// A file under GoogleTest's temporary directory, for commands that read their input from a path.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace promcast::app::test_support {

/// Writes text to TempDir()/name and returns the path.
inline std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace promcast::app::test_support
