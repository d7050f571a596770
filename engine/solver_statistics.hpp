// What the numeric core did during one analysis, for `picospice run --stats` and the benchmarks:
// how often the devices were evaluated and the matrix factored, the time each took, and how
// much the LU factors filled in. The timers cost two clock reads per call (tens of ns against
// microseconds to milliseconds of work), so they are always on.
#pragma once
#include <algorithm>
#include <string>

namespace picospice {

struct SolverStatistics {
  long evaluations = 0;        // device loads (every Newton iteration, plus charge evaluations)
  double evaluate_seconds = 0;
  // Threads that evaluate split device groups (engine/system.cpp; 1: none split, or one thread),
  // and of evaluate_seconds, how long the calling thread, its own chunks done, waited for the
  // others' (what the work left unbalanced or the machine took from the other cores).
  int threads = 1;
  double thread_wait_seconds = 0;
  long bypassed_instances = 0;   // device instances that reused their last evaluation (bypass)
  long evaluated_instances = 0;  // device instances evaluated in full (of those that can bypass)
  long latent_instances = 0;     // of the bypassed, those the latency sums loaded (nothing stamped)
  long latent_restarts = 0;      // the latency sums started over
  long latent_unvisited = 0;     // of the latent, those not even checked: their nodes had not moved
  long refactors = 0;          // numeric refactorizations with the previous pivot order
  long full_factors = 0;       // full factorizations (first, or after the pivots degraded)
  long reused_factors = 0;     // the matrix had not changed: the factorization was kept
  long near_reused_factors = 0;  // the matrix had changed little: kept too (a chord step)
  double factor_seconds = 0;
  // Feed-forward split (engine/sparsity_pattern.hpp): charge-only entries the factored matrix
  // leaves out, and how many factorizations needed the full matrix after all.
  long left_out_entries = 0;
  long full_matrix_factors = 0;
  double full_matrix_factor_seconds = 0;  // of factor_seconds, the full-matrix factorizations
  long refinement_sweeps = 0;  // solves that brought the left-out entries back (System::solve_step)
  long krylov_solves = 0;      // steps GMRES solved where the sweeps did not contract
  long krylov_failures = 0;    // ... and where it did not converge either (the full matrix then)
  long krylov_products = 0;    // GMRES's products with the left-out entries (one solve each)
  long solves = 0;
  double solve_seconds = 0;
  long matrix_nonzeros = 0;    // of the MNA Jacobian
  long lu_nonzeros = 0;        // of L + U, last factorization (fill-in = lu / matrix)
  double refactor_flops = 0;   // floating-point operations of one factorization (KLU's count)

  void add(const SolverStatistics& o) {
    evaluations += o.evaluations;
    evaluate_seconds += o.evaluate_seconds;
    threads = std::max(threads, o.threads);
    thread_wait_seconds += o.thread_wait_seconds;
    bypassed_instances += o.bypassed_instances;
    evaluated_instances += o.evaluated_instances;
    latent_instances += o.latent_instances;
    latent_restarts += o.latent_restarts;
    latent_unvisited += o.latent_unvisited;
    refactors += o.refactors;
    full_factors += o.full_factors;
    reused_factors += o.reused_factors;
    near_reused_factors += o.near_reused_factors;
    factor_seconds += o.factor_seconds;
    left_out_entries = std::max(left_out_entries, o.left_out_entries);
    full_matrix_factors += o.full_matrix_factors;
    full_matrix_factor_seconds += o.full_matrix_factor_seconds;
    refinement_sweeps += o.refinement_sweeps;
    krylov_solves += o.krylov_solves;
    krylov_failures += o.krylov_failures;
    krylov_products += o.krylov_products;
    solves += o.solves;
    solve_seconds += o.solve_seconds;
    if (o.matrix_nonzeros > matrix_nonzeros) {  // a rebuilt (parameter-swept) system: keep the largest
      matrix_nonzeros = o.matrix_nonzeros;
      lu_nonzeros = o.lu_nonzeros;
      refactor_flops = o.refactor_flops;
    }
  }
};

// One analysis of `run_analyses`, as the run command reports it.
struct AnalysisStatistics {
  std::string analysis;        // "op", "dc" or "tran"
  long points = 0;
  long newton_iterations = 0;  // all of them, the operating points' included
  long operating_point_iterations = 0;  // of those, the initial operating point's (tran)
  long accepted_steps = 0, rejected_truncation = 0, rejected_newton = 0;  // transient only
  long repeated_truncation = 0;  // truncation rejections of a step the test had just shortened
  long newton_gave_up = 0;       // Newton rejections ended early as not contracting
  bool gmin_stepping = false, source_stepping = false;  // an operating point needed homotopy
  bool pseudo_transient = false;
  double seconds = 0;
  SolverStatistics solver;
};

}  // namespace picospice
