// Newton-Raphson on F(x) = f(x) + a0*q(x) + history + homotopy terms = 0.
//
// Convergence needs both (DESIGN.md section 2):
//  - a small update:   |dx_i| <= reltol*max(|x_i|, |x_i + dx_i|) + (vntol for nodes, abstol for
//                      branch currents), and
//  - a small residual: |F_i| <= reltol*(sum of |contributions| to row i) + (abstol for KCL rows,
//                      vntol for branch equations),
// with no junction limited in the last iteration.
#pragma once
#include <vector>

#include "engine/system.hpp"

namespace picospice {

struct NewtonProblem {
  EvalPoint point;
  int max_iterations = 100;
  double gshunt = 0.0;               // homotopy: conductance from every node to ground
  const double* history = nullptr;   // transient: F += a0*q + history (indexed by unknown)
  const std::vector<NodeValue>* forced = nullptr;  // `.ic` at the operating point: held values
  // S, how hard `forced` nodes are held: a node held against a circuit current I sits I/1e6 V
  // (1 uV per uA) from its value, negligible for the circuits picospice is built for.
  double forcing_conductance = 1e6;
};

struct NewtonOutcome {
  bool converged = false;
  bool singular = false;
  int iterations = 0;
  Index worst = 0;          // the unknown furthest from convergence in the last iteration
  double worst_ratio = 0;   // its |update| / tolerance
};

NewtonOutcome newton_solve(System& system, std::vector<double>& x, const NewtonProblem& problem);

}  // namespace picospice
