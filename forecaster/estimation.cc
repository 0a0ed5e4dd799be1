#include "forecaster/estimation.h"

#include <LBFGS.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <vector>

namespace promcast::forecaster {
namespace {

double step_for(double x, double scale) { return scale * std::max(1.0, std::abs(x)); }

double safe(double v) { return std::isfinite(v) ? v : std::numeric_limits<double>::infinity(); }

// LBFGSpp's backtracking line search asks for f and its gradient at every trial step, yet its
// Armijo test (the default rule, the one we use) needs only f. With central-difference gradients
// (2k evaluations each) most of the work went into gradients of rejected steps. Same trial steps and
// acceptance rule, so the same iterates; the gradient only at the accepted point. Foo provides
// value(x) and gradient(x, fx, grad), fx = value(x).
template <typename Scalar>
class ArmijoBacktracking {
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

 public:
  template <typename Foo>
  static void LineSearch(Foo& f, Scalar& fx, Vector& x, Vector& grad, Scalar& step, const Vector& drt,
                         const Vector& xp, const LBFGSpp::LBFGSParam<Scalar>& param) {
    if (step <= Scalar(0)) throw std::invalid_argument("'step' must be positive");
    const Scalar fx_init = fx;
    const Scalar dg_init = grad.dot(drt);
    if (dg_init > 0) throw std::logic_error("the moving direction increases the objective function value");
    const Scalar test_decr = param.ftol * dg_init;
    for (int iter = 0; iter < param.max_linesearch; ++iter) {
      x.noalias() = xp + step * drt;
      fx = f.value(x);
      if (fx <= fx_init + step * test_decr) {  // false for NaN: shrink
        f.gradient(x, fx, grad);
        return;
      }
      if (step < param.min_step)
        throw std::runtime_error("the line search step became smaller than the minimum value allowed");
      step *= Scalar(0.5);
    }
    throw std::runtime_error("the line search routine reached the maximum number of iterations");
  }
};

// Thrown through LBFGSpp (which has no per-iteration callback) when MinimizeOptions::abandon says so.
struct Abandoned {};

// The objective as LBFGSpp and the line search above see it, keeping the best point ever evaluated.
struct TrackedObjective {
  const Objective& f;
  MinimizeResult& result;
  const std::function<bool(const Eigen::VectorXd&)>& abandon;
  bool forward = false;

  double value(const Eigen::VectorXd& x) {
    const double v = safe(f(x));
    ++result.evaluations;
    if (v < result.value) {
      result.value = v;
      result.x = x;
    }
    return v;
  }
  void gradient(const Eigen::VectorXd& x, double fx, Eigen::VectorXd& grad) {
    if (abandon && abandon(x)) throw Abandoned{};  // gradients are taken at accepted steps only
    if (forward) {
      grad = forward_gradient(f, x, fx);
      result.evaluations += static_cast<int>(x.size());
      return;
    }
    grad = numerical_gradient(f, x);
    result.evaluations += 2 * static_cast<int>(x.size());
  }
  double operator()(const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    const double v = value(x);
    gradient(x, v, grad);
    return v;
  }
};

}  // namespace

Eigen::VectorXd forward_gradient(const Objective& f, const Eigen::VectorXd& x, double fx) {
  // sqrt(machine epsilon): the step that balances truncation and rounding error of forward differences.
  const double kScale = 1.5e-8;
  Eigen::VectorXd g(x.size());
  Eigen::VectorXd xx = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double h = step_for(x[i], kScale);
    xx[i] = x[i] + h;
    g[i] = (safe(f(xx)) - fx) / h;
    xx[i] = x[i];
    if (!std::isfinite(g[i])) g[i] = 0.0;  // on the domain's edge: no information, do not move
  }
  return g;
}

Eigen::VectorXd numerical_gradient(const Objective& f, const Eigen::VectorXd& x) {
  // cbrt(machine epsilon): the step that balances truncation and rounding error of central differences.
  const double kScale = 6e-6;
  Eigen::VectorXd g(x.size());
  Eigen::VectorXd xx = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double h = step_for(x[i], kScale);
    xx[i] = x[i] + h;
    const double fp = safe(f(xx));
    xx[i] = x[i] - h;
    const double fm = safe(f(xx));
    xx[i] = x[i];
    g[i] = (fp - fm) / (2.0 * h);
    if (!std::isfinite(g[i])) g[i] = 0.0;  // on the domain's edge: no information, do not move
  }
  return g;
}

Eigen::MatrixXd numerical_hessian(const Objective& f, const Eigen::VectorXd& x) {
  const double kScale = 1e-4;  // fourth root of epsilon, for second differences
  const Eigen::Index k = x.size();
  Eigen::MatrixXd H(k, k);
  Eigen::VectorXd xx = x;
  Eigen::VectorXd h(k);
  for (Eigen::Index i = 0; i < k; ++i) h[i] = step_for(x[i], kScale);
  const double f0 = f(x);
  for (Eigen::Index i = 0; i < k; ++i) {
    for (Eigen::Index j = i; j < k; ++j) {
      double v;
      if (i == j) {
        xx[i] = x[i] + h[i];
        const double fp = f(xx);
        xx[i] = x[i] - h[i];
        const double fm = f(xx);
        v = (fp - 2.0 * f0 + fm) / (h[i] * h[i]);
      } else {
        auto at = [&](double si, double sj) {
          xx[i] = x[i] + si * h[i];
          xx[j] = x[j] + sj * h[j];
          const double r = f(xx);
          xx[i] = x[i];
          xx[j] = x[j];
          return r;
        };
        v = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4.0 * h[i] * h[j]);
      }
      xx = x;
      H(i, j) = v;
      H(j, i) = v;
    }
  }
  return H;
}

MinimizeResult nelder_mead(const Objective& f, const Eigen::VectorXd& x0, const MinimizeOptions& options,
                           int max_evaluations) {
  const Eigen::Index k = x0.size();
  MinimizeResult result;
  result.x = x0;
  result.value = safe(f(x0));
  result.evaluations = 1;
  if (k == 0) {
    result.converged = true;
    return result;
  }
  std::vector<Eigen::VectorXd> pts(static_cast<std::size_t>(k + 1), x0);
  std::vector<double> val(static_cast<std::size_t>(k + 1), result.value);
  for (Eigen::Index i = 0; i < k; ++i) {
    auto& p = pts[static_cast<std::size_t>(i + 1)];
    p[i] += 0.05 * std::max(1.0, std::abs(x0[i]));
    val[static_cast<std::size_t>(i + 1)] = safe(f(p));
    ++result.evaluations;
  }
  std::vector<std::size_t> order(pts.size());
  while (result.evaluations < max_evaluations) {
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return val[a] < val[b]; });
    const std::size_t best = order.front(), worst = order.back(), second = order[order.size() - 2];
    if (std::abs(val[worst] - val[best]) <= options.tolerance * std::max(1.0, std::abs(val[best]))) {
      result.converged = true;
      break;
    }
    Eigen::VectorXd centroid = Eigen::VectorXd::Zero(k);
    for (std::size_t i = 0; i < pts.size(); ++i)
      if (i != worst) centroid += pts[i];
    centroid /= static_cast<double>(k);
    auto eval = [&](const Eigen::VectorXd& x) {
      ++result.evaluations;
      return safe(f(x));
    };
    const Eigen::VectorXd reflected = centroid + (centroid - pts[worst]);
    const double fr = eval(reflected);
    if (fr < val[best]) {
      const Eigen::VectorXd expanded = centroid + 2.0 * (centroid - pts[worst]);
      const double fe = eval(expanded);
      if (fe < fr) {
        pts[worst] = expanded;
        val[worst] = fe;
      } else {
        pts[worst] = reflected;
        val[worst] = fr;
      }
    } else if (fr < val[second]) {
      pts[worst] = reflected;
      val[worst] = fr;
    } else {
      const bool outside = fr < val[worst];
      const Eigen::VectorXd contracted = outside ? Eigen::VectorXd(centroid + 0.5 * (reflected - centroid))
                                                 : Eigen::VectorXd(centroid + 0.5 * (pts[worst] - centroid));
      const double fc = eval(contracted);
      if (fc < std::min(fr, val[worst])) {
        pts[worst] = contracted;
        val[worst] = fc;
      } else {
        for (std::size_t i = 0; i < pts.size(); ++i) {
          if (i == best) continue;
          pts[i] = pts[best] + 0.5 * (pts[i] - pts[best]);
          val[i] = eval(pts[i]);
        }
      }
    }
  }
  const auto it = std::min_element(val.begin(), val.end());
  result.value = *it;
  result.x = pts[static_cast<std::size_t>(it - val.begin())];
  if (!result.converged) result.message = "evaluation limit reached";
  return result;
}

MinimizeResult minimize(const Objective& f, const Eigen::VectorXd& x0, const MinimizeOptions& options) {
  MinimizeResult result;
  result.x = x0;
  result.value = safe(f(x0));
  result.evaluations = 1;
  if (x0.size() == 0) {
    result.converged = true;
    return result;
  }
  // Track the best point ever evaluated: LBFGSpp throws from its line search near the optimum,
  // where a numerical gradient is no longer accurate enough to find a descent step.
  TrackedObjective fun{f, result, options.abandon, options.forward_differences};
  LBFGSpp::LBFGSParam<double> param;
  param.m = 8;
  param.epsilon = options.gradient_tolerance;
  param.epsilon_rel = 0.0;
  param.past = 1;
  param.delta = options.tolerance;
  param.max_iterations = options.max_iterations;
  param.max_linesearch = 40;
  for (int attempt = 0; attempt < 3; ++attempt) {
    LBFGSpp::LBFGSSolver<double, ArmijoBacktracking> solver(param);
    Eigen::VectorXd x = result.x;
    double fx = 0.0;
    const double before = result.value;
    try {
      const int iterations = solver.minimize(fun, x, fx);
      result.iterations += iterations;
      result.converged = iterations < options.max_iterations;
      if (!result.converged) result.message = "iteration limit reached";
      return result;
    } catch (const Abandoned&) {
      result.abandoned = true;
      result.message = "abandoned";
      return result;
    } catch (const std::exception& e) {
      result.message = e.what();
      // Restart from the best point with a fresh curvature estimate, unless nothing improved.
      if (!(result.value < before - options.tolerance * std::max(1.0, std::abs(result.value)))) {
        const Eigen::VectorXd g = numerical_gradient(f, result.x);
        result.converged = g.cwiseAbs().maxCoeff() < 1e-4;
        return result;
      }
    }
  }
  return result;
}

}  // namespace promcast::forecaster
