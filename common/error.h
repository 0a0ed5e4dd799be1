#pragma once
// The error value every module returns through std::expected: what went wrong and, for
// configuration and input files, where (file, line, column; 0 when unknown).
#include <string>

#include <fmt/format.h>

namespace promcast {

struct Error {
  std::string message;
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown

  /// "file:line:column: message", leaving out the parts that are unknown.
  [[nodiscard]] std::string to_string() const {
    if (file.empty()) return message;
    if (line == 0) return fmt::format("{}: {}", file, message);
    if (column == 0) return fmt::format("{}:{}: {}", file, line, message);
    return fmt::format("{}:{}:{}: {}", file, line, column, message);
  }
};

}  // namespace promcast
