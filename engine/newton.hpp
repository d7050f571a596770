// Newton-Raphson on F(x) = f(x) + a0*q(x) + history + homotopy terms = 0.
//
// Convergence needs both (docs/design.md, 'Tolerances for picoamps'):
//  - a small update:   |dx_i| <= reltol*max(|x_i|, |x_i + dx_i|) + (vntol for nodes, abstol for
//                      branch currents), and
//  - a small residual: |F_i| <= reltol*(sum of |contributions| to row i) + (abstol for KCL rows,
//                      vntol for branch equations),
// with no junction limited in the last iteration.
//
// Both are tested at the same evaluated point x_k: its residual F(x_k), and the Newton update
// dx_k = -J(x_k)^-1 F(x_k) solved from the Jacobian that same evaluation loaded. So the evaluation
// that shows convergence is also the last one: no extra device evaluation only to look at the
// residual (a factor-and-solve is far cheaper than an EKV evaluation; callgrind showed ~3.3
// evaluations per transient step before, when the update of x_{k-1} and the residual at x_k were
// required). x_k + dx_k is returned in every analysis (as SPICE does); f and q are those of x_k,
// an error of C * dx_k in the stored charges, within tolerance.
#pragma once
#include <vector>

#include "engine/system.hpp"

namespace picospice {

struct NewtonProblem {
  EvalPoint point;
  int max_iterations = 100;
  double gshunt = 0.0;               // homotopy: conductance from every node to ground ...
  const double* shunt_reference = nullptr;  // ... pulling towards these values instead of 0 (indexed by unknown)
  const double* history = nullptr;   // transient: F += a0*q + history (indexed by unknown)
  const std::vector<NodeValue>* forced = nullptr;  // `.ic` at the operating point: held values
  // S, how hard `forced` nodes are held: a node held against a circuit current I sits I/1e6 V
  // (1 uV per uA) from its value, negligible for the circuits picospice is built for.
  double forcing_conductance = 1e6;
  // Transient time points may keep the factorization of a nearly unchanged matrix (a chord step,
  // SimOptions::factor_reuse). Operating points and sweeps always factor: their answers are
  // compared to 1e-6 and better, where a chord step's linear convergence would show.
  bool allow_chord = false;
  // Transient steps: from this iteration on (0: never), an update still more than
  // kWanderingUpdate tolerances away that did not at least halve since the previous iteration
  // ends the solve as not converged, without the rest of max_iterations (see newton.cpp).
  int give_up_after = 0;
};

struct NewtonOutcome {
  bool converged = false;
  bool singular = false;    // the Newton matrix was singular (a failed attempt, not an answer)
  int iterations = 0;
  Index worst = 0;          // the unknown furthest from convergence in the last iteration
  double worst_ratio = 0;   // its |update| / tolerance
  bool gave_up = false;     // ended by NewtonProblem::give_up_after, not by max_iterations
};

NewtonOutcome newton_solve(System& system, std::vector<double>& x, const NewtonProblem& problem);

}  // namespace picospice
