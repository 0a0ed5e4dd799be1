# Everything comes from Debian packages (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)            # Asio, Beast (header-only)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(prometheus-cpp REQUIRED)      # self-metrics registry and its text serializer
find_package(Eigen3 REQUIRED NO_MODULE)
find_package(simdjson REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
find_path(LBFGSPP_INCLUDE_DIR LBFGS.h REQUIRED)
add_library(lbfgspp INTERFACE)
target_include_directories(lbfgspp SYSTEM INTERFACE ${LBFGSPP_INCLUDE_DIR})
target_link_libraries(lbfgspp INTERFACE Eigen3::Eigen)
if(PROMCAST_TESTS)
  find_package(GTest REQUIRED)
endif()
if(PROMCAST_BENCH)
  find_package(benchmark REQUIRED)
endif()
find_package(OpenSSL REQUIRED)              # TLS for outgoing clients through Beast's ssl_stream
find_package(Snappy REQUIRED)               # remote write / remote read block compression
find_package(Protobuf REQUIRED)             # remote write / remote read messages
find_package(nlohmann_json 3.10 REQUIRED)   # the one JSON writer (commands, Alertmanager, APIs)
find_package(CLI11 REQUIRED)                # argument parsing of the newer subcommands
