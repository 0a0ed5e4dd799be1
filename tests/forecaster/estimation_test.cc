// The generic minimizers against problems with known minima (no model involved).
#include "forecaster/estimation.h"

#include <gtest/gtest.h>

#include <cmath>

namespace promcast::forecaster {
namespace {

// Rosenbrock's banana: minimum 0 at (1, 1) at the end of a narrow curved valley, the kind of ridge
// where finite-difference L-BFGS can stall and the SARIMAX fit falls back to the simplex.
double rosenbrock(const Eigen::VectorXd& x) {
  return 100.0 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1.0 - x[0], 2);
}

TEST(NelderMead, FindsRosenbrocksMinimum) {
  Eigen::VectorXd x0(2);
  x0 << -1.2, 1.0;
  MinimizeOptions options;
  options.tolerance = 1e-14;
  const MinimizeResult r = nelder_mead(rosenbrock, x0, options, 20000);
  EXPECT_TRUE(r.converged) << r.message;
  EXPECT_NEAR(r.x[0], 1.0, 1e-3);
  EXPECT_NEAR(r.x[1], 1.0, 2e-3);
  EXPECT_LT(r.value, 1e-6);
}

TEST(NelderMead, StopsAtTheEvaluationLimitWithTheBestPoint) {
  Eigen::VectorXd x0(2);
  x0 << -1.2, 1.0;
  const MinimizeResult r = nelder_mead(rosenbrock, x0, MinimizeOptions{}, 30);
  EXPECT_FALSE(r.converged);
  EXPECT_LE(r.evaluations, 34);  // the last step may evaluate up to k + 2 points
  EXPECT_LT(r.value, rosenbrock(x0));
}

TEST(NelderMead, TreatsNonFiniteValuesAsOutsideTheDomain) {
  // Minimum at 0.5 of (x - 0.5)^2 on x > 0; NaN outside.
  const Objective f = [](const Eigen::VectorXd& x) {
    return x[0] > 0.0 ? (x[0] - 0.5) * (x[0] - 0.5) : std::nan("");
  };
  Eigen::VectorXd x0(1);
  x0 << 3.0;
  MinimizeOptions options;
  options.tolerance = 1e-14;
  const MinimizeResult r = nelder_mead(f, x0, options, 2000);
  EXPECT_NEAR(r.x[0], 0.5, 1e-4);
}

TEST(Minimize, QuadraticConverges) {
  const Objective f = [](const Eigen::VectorXd& x) {
    return (x[0] - 3.0) * (x[0] - 3.0) + 2.0 * x[1] * x[1];
  };
  const MinimizeResult r = minimize(f, Eigen::VectorXd::Zero(2), MinimizeOptions{});
  EXPECT_TRUE(r.converged) << r.message;
  EXPECT_NEAR(r.x[0], 3.0, 1e-4);
  EXPECT_NEAR(r.x[1], 0.0, 1e-4);
}

TEST(Minimize, AbandonStopsAtTheFirstAcceptedStepItRejects) {
  // Rosenbrock from (-1.2, 1) takes dozens of iterations; stop once x[0] has passed 0.
  MinimizeOptions options;
  int asked = 0;
  options.abandon = [&](const Eigen::VectorXd& x) {
    ++asked;
    return x[0] > 0.0;
  };
  Eigen::VectorXd x0(2);
  x0 << -1.2, 1.0;
  const MinimizeResult r = minimize(rosenbrock, x0, options);
  EXPECT_TRUE(r.abandoned);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.message, "abandoned");
  EXPECT_GT(asked, 1);
  EXPECT_GT(r.x[0], 0.0);  // the point it stopped at (the best so far: accepted steps only go down)
  EXPECT_LT(r.x[0], 0.999);
  const MinimizeResult full = minimize(rosenbrock, x0, MinimizeOptions{});
  EXPECT_FALSE(full.abandoned);
  EXPECT_NEAR(full.x[0], 1.0, 1e-3);
  EXPECT_LT(r.evaluations, full.evaluations);
}

TEST(ForwardGradient, MatchesTheAnalyticGradientToItsStep) {
  // Rosenbrock's gradient at a point off the valley, where the terms differ by orders of magnitude.
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const double a = x[0], b = x[1];
  const double d0 = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a);
  const double d1 = 200.0 * (b - a * a);
  const Eigen::VectorXd g = forward_gradient(rosenbrock, x, rosenbrock(x));
  // Truncation h f''/2 with h = 1.5e-8 |x| and f'' ~ 1,300 here: ~1e-5; rounding ~ eps f / h ~ 1e-7.
  EXPECT_NEAR(g[0], d0, 1e-4 * std::abs(d0));
  EXPECT_NEAR(g[1], d1, 1e-4 * std::abs(d1));
  const Eigen::VectorXd central = numerical_gradient(rosenbrock, x);
  EXPECT_NEAR(g[0], central[0], 1e-4 * std::abs(d0));
}

TEST(Minimize, ForwardDifferencesReachTheMinimumWithFewerEvaluations) {
  Eigen::VectorXd x0(2);
  x0 << -1.2, 1.0;
  MinimizeOptions forward;
  forward.forward_differences = true;
  const MinimizeResult f = minimize(rosenbrock, x0, forward);
  const MinimizeResult c = minimize(rosenbrock, x0, MinimizeOptions{});
  EXPECT_NEAR(f.x[0], 1.0, 1e-3);
  EXPECT_NEAR(f.x[1], 1.0, 2e-3);
  EXPECT_LT(f.value, 1e-6);
  // Per iteration the gradient costs k evaluations instead of 2k (k = 2 here).
  EXPECT_LT(static_cast<double>(f.evaluations) / f.iterations,
            static_cast<double>(c.evaluations) / c.iterations);
}

}  // namespace
}  // namespace promcast::forecaster
