// The exporter logs a mapping file's deprecation warnings (mappings/ only returns them): one warning line
// per use of `timer_type`, naming the file and line.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "exporter/exporter_app.h"
#include "exporter/pipeline.h"

namespace promcast::exporter {
namespace {

TEST(MappingWarnings, TimerTypeIsLoggedWithFileAndLine) {
  const auto path =
      std::filesystem::temp_directory_path() / ("promcast-timer-type-" + std::to_string(::getpid()) + ".yml");
  std::ofstream(path) << "mappings:\n- match: a.*\n  name: a\n  timer_type: histogram\n";
  auto loaded = MappingState::load_file(path.string());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ((*loaded)->config->mappings.at(0).observer_type, mappings::ObserverType::Histogram);

  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)));
  log_mapping_warnings(**loaded);
  spdlog::set_default_logger(previous);
  std::filesystem::remove(path);

  const std::string log = captured.str();
  EXPECT_NE(log.find("warning"), std::string::npos) << log;
  EXPECT_NE(log.find(path.string() + ":4:15: timer_type is deprecated"), std::string::npos) << log;
}

}  // namespace
}  // namespace promcast::exporter
