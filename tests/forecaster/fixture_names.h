#pragma once
// Names (file stems, sorted) of the JSON fixtures in one folder, for parameterised tests over every fixture.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace promcast::forecaster::test_support {

inline std::vector<std::string> json_fixture_names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace promcast::forecaster::test_support
