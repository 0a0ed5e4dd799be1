#include <cmath>

#include <gtest/gtest.h>

#include "forecaster/fourier.h"

namespace promcast::forecaster {
namespace {

TEST(Fourier, ParsesAndRejects) {
  const auto terms = parse_fourier_terms("288:3,2016:2");
  ASSERT_TRUE(terms.has_value());
  ASSERT_EQ(terms->size(), 2u);
  EXPECT_EQ((*terms)[1].period, 2016.0);
  EXPECT_EQ((*terms)[1].harmonics, 2);
  EXPECT_FALSE(parse_fourier_terms("288").has_value());
  EXPECT_FALSE(parse_fourier_terms("12:7").has_value());  // K > period / 2
  EXPECT_FALSE(parse_fourier_terms("x:1").has_value());
  EXPECT_TRUE(parse_fourier_terms("365.25:4").has_value());
}

TEST(Fourier, ColumnsAndNamesAgree) {
  const std::vector<FourierTerm> terms = {{12.0, 2}};
  const Eigen::MatrixXd m = fourier_matrix(terms, 3, 2);
  ASSERT_EQ(m.cols(), 4);
  EXPECT_NEAR(m(0, 0), std::sin(2 * M_PI * 3 / 12.0), 1e-15);
  EXPECT_NEAR(m(1, 3), std::cos(2 * M_PI * 2 * 4 / 12.0), 1e-15);
  const std::vector<std::string> names = {"sin1_12", "cos1_12", "sin2_12", "cos2_12"};
  EXPECT_EQ(fourier_names(terms), names);
  // Continuing after the sample equals one long matrix.
  const Eigen::MatrixXd whole = fourier_matrix(terms, 0, 10), tail = fourier_matrix(terms, 7, 3);
  EXPECT_LE((whole.bottomRows(3) - tail).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(Fourier, PreferredForLongSeasons) {
  EXPECT_TRUE(prefer_fourier(2016, 8064));
  EXPECT_FALSE(prefer_fourier(288, 4032));
  EXPECT_TRUE(prefer_fourier(288, 600));  // fewer than three cycles
  EXPECT_FALSE(prefer_fourier(12, 144));
}

}  // namespace
}  // namespace promcast::forecaster
