#pragma once
// Generic smooth minimization for maximum likelihood: L-BFGS (LBFGSpp) with central-difference
// gradients, and a numerical Hessian for standard errors. Knows nothing of the model or the filter.
#include <Eigen/Core>
#include <functional>
#include <string>

namespace promcast::forecaster {

/// f(x); may return +inf or NaN outside its domain (treated as +inf).
using Objective = std::function<double(const Eigen::VectorXd&)>;

struct MinimizeOptions {
  int max_iterations = 500;
  /// Stop when |f_{k-1} - f_k| <= tolerance * max(1, |f_k|).
  double tolerance = 1e-10;
  /// Stop when the gradient's infinity norm is below this.
  double gradient_tolerance = 1e-7;
  /// Asked at every accepted step (the current x); true ends the run there with `abandoned` set.
  /// For callers that can tell from the path that the optimum will be of no use to them.
  std::function<bool(const Eigen::VectorXd&)> abandon;
  /// Forward instead of central differences for the gradient: k evaluations instead of 2k, at the
  /// price of an O(sqrt(eps)) error that leaves the optimum a little less sharp. For screening fits
  /// whose result is polished (or only compared) afterwards.
  bool forward_differences = false;
};

struct MinimizeResult {
  Eigen::VectorXd x;
  double value = 0.0;
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;
  bool abandoned = false;  ///< MinimizeOptions::abandon said so
  std::string message;     ///< why it stopped when not converged
};

/// Minimizes f from x0. Never throws: line-search failures end the run at the best point seen.
MinimizeResult minimize(const Objective& f, const Eigen::VectorXd& x0, const MinimizeOptions& options);

/// Derivative-free Nelder-Mead simplex from x0 (initial simplex steps scaled to |x_i|). Slow but
/// indifferent to inaccurate gradients, so it gets along narrow ridges where L-BFGS with
/// finite-difference gradients stalls; converged when the simplex's values agree to tolerance.
MinimizeResult nelder_mead(const Objective& f, const Eigen::VectorXd& x0, const MinimizeOptions& options,
                           int max_evaluations);

/// Forward-difference gradient, fx = f(x) known, steps sqrt(eps) scaled to |x_i|.
Eigen::VectorXd forward_gradient(const Objective& f, const Eigen::VectorXd& x, double fx);

/// Central-difference gradient with steps scaled to |x_i|.
Eigen::VectorXd numerical_gradient(const Objective& f, const Eigen::VectorXd& x);

/// Central-difference Hessian (symmetrized).
Eigen::MatrixXd numerical_hessian(const Objective& f, const Eigen::VectorXd& x);

}  // namespace promcast::forecaster
