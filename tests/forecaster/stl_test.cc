// STL against R's stats::stl() (fixtures from scripts/fixtures/make_detector_fixtures.R).
#include "forecaster/stl.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/forecaster/fixtures/detectors/read_csv.h"

namespace promcast::forecaster {
namespace {

using testing::fixture_path;
using testing::read_csv;

// Relative-ish tolerance: the reference prints 17 significant digits, and both sides do the same operations
// in a slightly different order (R's mean() refines in long double).
void expect_close(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-6 * (1.0 + std::abs(want[i]))) << what << " at " << i;
}

TEST(Stl, MatchesRStlOnEveryFixture) {
  const auto manifest = read_csv(fixture_path("stl_manifest.csv"));
  ASSERT_GE(manifest.rows(), 5u);
  for (std::size_t c = 0; c < manifest.rows(); ++c) {
    const std::string name = manifest.text.at("name")[c];
    SCOPED_TRACE(name);
    const auto t = read_csv(fixture_path("stl_" + name + ".csv"));
    StlOptions o;
    o.period = static_cast<int>(manifest.column("period")[c]);
    const int s_window = static_cast<int>(manifest.column("s_window")[c]);
    o.periodic = s_window == 0;
    o.seasonal_window = s_window;
    o.robust = manifest.column("robust")[c] != 0.0;
    auto r = stl(t.column("y"), o);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    expect_close(r->seasonal, t.column("seasonal"), "seasonal");
    expect_close(r->trend, t.column("trend"), "trend");
    expect_close(r->remainder, t.column("remainder"), "remainder");
    expect_close(r->weights, t.column("weights"), "weights");
  }
}

TEST(Stl, RefusesTooShortSeriesAndNaN) {
  std::vector<double> y(24, 1.0);
  StlOptions o;
  o.period = 12;
  auto r = stl(y, o);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("two full periods"), std::string::npos);
  y.push_back(2.0);
  EXPECT_TRUE(stl(y, o).has_value());
  y[3] = std::nan("");
  EXPECT_FALSE(stl(y, o).has_value());
}

TEST(Stl, PeriodicSeasonalIsExactlyPeriodicAndComponentsAddUp) {
  std::vector<double> y;
  for (int i = 0; i < 100; ++i) y.push_back(std::sin(i * 0.7) + 0.01 * i + ((i * 7919) % 13) * 0.05);
  StlOptions o;
  o.period = 10;
  o.robust = true;
  auto r = stl(y, o);
  ASSERT_TRUE(r.has_value());
  for (int i = 10; i < 100; ++i) EXPECT_DOUBLE_EQ(r->seasonal[i], r->seasonal[i - 10]);
  for (int i = 0; i < 100; ++i) EXPECT_NEAR(r->seasonal[i] + r->trend[i] + r->remainder[i], y[i], 1e-12);
}

}  // namespace
}  // namespace promcast::forecaster
