// Integration of dq/dt in residual form: each step replaces dq/dt at t_{n+1} by
//     a0 * q(x_{n+1}) + history
// so the Newton matrix is G + a0*C and no device keeps companion-model state.
//
//   backward Euler  dq/dt = (q1 - q0)/h                               order 1
//   trapezoidal     dq/dt = 2/h (q1 - q0) - qdot0                      order 2
//   Gear-2 (BDF2)   dq/dt = a0 q1 + a1 q0 + a2 q_-1, variable step     order 2
//       rho = h/h_prev, a0 = (1+2rho)/(h(1+rho)), a1 = -(1+rho)/h, a2 = rho^2/(h(1+rho))
//
// Local truncation error is estimated on the charges from divided differences of the accepted
// history (LTE = C_k h^(k+1) q^(k+1); C = 1/2 for BE, 1/12 for trapezoidal, 2/9 for Gear-2),
// against a tolerance max(reltol*|q| + chgtol, (reltol*|dq/dt| + abstol) * h), as in SPICE.
#pragma once
#include <array>
#include <vector>

#include "base/options.hpp"

namespace picospice {

class Integrator {
 public:
  Integrator(IntegrationMethod method, int maxord, int rows);

  // The accepted solution at t0 with charges q0 and charge derivative zero (a DC point). Called
  // once, at the start of a transient; breakpoints only lower the order (prepare's `order`), the
  // history of accepted points goes on so that every later step's truncation error is tested.
  void start(double t0, const std::vector<double>& q0);
  // Coefficients for a step of size h at the given order (1, or 2 for the chosen method).
  void prepare(double h, int order);
  double a0() const { return a0_; }
  const std::vector<double>& history() const { return history_; }
  int max_order() const { return max_order_; }
  // Largest order the accepted history supports for the next step.
  int usable_order() const;

  // (tolerance / estimated error)^(1/(k+1)) minimised over rows, for the step just solved with
  // charges q1. Above 1 the step was more accurate than needed; the next step may grow by it.
  // Returns a large number when the history is too short to estimate.
  double truncation_ratio(const std::vector<double>& q1, const SimOptions& options) const;

  void accept(double t1, const std::vector<double>& q1);
  double time() const { return times_[0]; }

 private:
  IntegrationMethod method_;
  int max_order_;
  int order_ = 1;
  double h_ = 0, a0_ = 0;
  int accepted_ = 0;                             // points in the history
  std::array<double, 3> times_{};                // t_n, t_n-1, t_n-2
  std::array<std::vector<double>, 3> charges_;   // q at those times
  std::vector<double> qdot_;                     // dq/dt at t_n (trapezoidal needs it)
  std::vector<double> history_;
  double a1_ = 0, a2_ = 0;
};

}  // namespace picospice
