// The numeric system of one circuit: frozen sparsity pattern, KLU factorization, and the vectors
// devices load into. Built once per topology; analyses reuse it for every Newton iteration.
//
//   System sys(circuit);                  // checks topology, binds slots, klu_analyze
//   sys.evaluate(x, point);               // f, f_abs, q and J at x
//   sys.factor(); sys.solve(rhs);         // J^-1 rhs, in place
//
// Vectors are indexed by unknown (0 = ground dummy), so they have size() + 1 elements.
#pragma once
#include <memory>
#include <vector>

#include "base/thread_team.hpp"
#include "engine/circuit.hpp"
#include "engine/gmres.hpp"
#include "engine/klu_solver.hpp"
#include "engine/latency_sums.hpp"
#include "engine/solver_statistics.hpp"
#include "engine/sparsity_pattern.hpp"
#include "engine/topology_check.hpp"

namespace picospice {

// Where and how to evaluate the devices; see EvalRequest for each field's meaning.
struct EvalPoint {
  double time = 0.0;
  bool transient = false;  // independent sources take their time-domain value (at t = 0 too)
  double source_scale = 1.0;
  double reactive_scale = 0.0;
  bool want_reactive = false;
  bool limit = true;
  bool cold_start = false;
  bool small_signal = false;  // the linearization for .ac/.noise/.tf (EvalRequest::small_signal)
};

class System {
 public:
  // `need`: what the topology check asks of every node (engine/topology_check.hpp); a transient
  // with `uic` solves no operating point and passes PathNeeded::TransientOnly.
  // `entries`: a transient's Newton iteration may leave out charge-only couplings that alone would
  // join feed-forward blocks (engine/sparsity_pattern.hpp; `.options ffsplit=0`, or bypass=0, keeps
  // them); the small-signal analyses, which factor G + jwC from the same slots, need them all.
  enum class Entries { All, FeedForwardSplit };
  explicit System(Circuit& circuit, PathNeeded need = PathNeeded::Dc, Entries entries = Entries::All);
  int size() const { return circuit_.size(); }
  Circuit& circuit() { return circuit_; }
  const Circuit& circuit() const { return circuit_; }
  const SparsityPattern& pattern() const { return *pattern_; }
  bool is_linear() const { return linear_; }
  bool is_node(Index unknown) const { return is_node_[unknown] != 0; }

  // Loads all devices at x. Returns the number of limited junctions.
  int evaluate(const double* x, const EvalPoint& point);
  const std::vector<double>& f() const { return f_; }
  const std::vector<double>& f_abs() const { return f_abs_; }
  const std::vector<double>& q() const { return q_; }
  std::vector<double>& jacobian() { return jac_; }
  // Add g to a node's diagonal entry of J (gmin-stepping homotopy, .ic forcing). Only node
  // diagonals are declared for certain (engine/sparsity_pattern.hpp).
  void add_to_diagonal(Index unknown, double g) { jac_[pattern_->diagonal_slots()[unknown - 1]] += g; }

  bool factor(double reuse_tolerance = 0.0);
  // The pattern leaves out charge-only entries (Entries::FeedForwardSplit found some): factor()
  // and solve() then use a matrix without them, unless solve_step() found it needs them. The full
  // matrix's solver is built on first use.
  bool leaves_out_entries() const { return pattern_->left_out() > 0; }
  // Starts a Newton solve, with the split matrix.
  void begin_newton_solve() { use_full_ = false; }
  // A Newton step: solve J dx = rhs in place after factor(), with every entry of J. The split
  // matrix's factors are refined until a sweep (a product with the left-out entries and one
  // solve) changes no unknown by more than 1% of max(|dx_i|, scale_i), so Newton converges as
  // with the full matrix. Where the sweeps do not contract (a mirror's gate line at short steps;
  // a Miller capacitance across a gain stage, where an inverter chain's sweeps fail at ~70% of its
  // iterations), GMRES solves the same system (krylov_solve); where that does not converge
  // either, the full matrix is factored instead, for the rest of this Newton solve. Returns false
  // if it is singular.
  // `scale`: each unknown's update tolerance; `row_tolerance`: each row's residual tolerance.
  bool solve_step(std::vector<double>& rhs, const std::vector<double>& scale, const std::vector<double>& row_tolerance);
  // How many factor() calls kept a factorization for a nearly unchanged matrix (a chord step).
  long near_reused_factorizations() const {
    return klu_->near_reused_count() + (full_klu_ ? full_klu_->near_reused_count() : 0);
  }
  // True once a factorization has cost at least SimOptions::factor_reuse_min_flops.
  bool factorization_is_costly();
  // Forgets the numeric factorization: the next factor() starts from scratch, as in a new System
  // (which it otherwise reuses: pivots of the last full factorization, or the factors themselves
  // when the matrix is unchanged). A run is then independent of what this System solved before.
  void forget_factorization() {
    krylov_tries_ = {};
    klu_->forget_factorization();
    if (full_klu_) full_klu_->forget_factorization();
  }
  // Solve J y = rhs in place; rhs is indexed by unknown (rhs[0] is ignored and left 0).
  void solve(std::vector<double>& rhs);
  // The real solver, whose symbolic analysis the complex one of the small-signal analyses shares.
  KluSolver& klu() { return *klu_; }
  // The unknown (1-based) KLU reported as singular.
  Index singular_unknown() const { return active_klu().singular_column() + 1; }
  // "node 'x' (connected to m1, m2)" or "branch current of 'v1'", for messages.
  std::string describe(Index unknown) const;

  // Discrete device states (DeviceGroup::restore_initial_state, accept_state,
  // state_change_fraction), over every group.
  void restore_initial_states();
  bool accept_states(const double* x);
  double state_change_fraction(const double* x_old, const double* x_new) const;
  // What the groups say went wrong in their latest evaluations (DeviceGroup::describe_faults),
  // "; "-separated; empty when nothing. Failure messages append it.
  std::string describe_faults() const;

  // Counts and times since construction (engine/solver_statistics.hpp).
  SolverStatistics statistics() const;

 private:
  // A device group large enough to evaluate in chunks, and each chunk's private arrays (chunk 0
  // loads into the System's own). The chunk count follows from the group's size alone, so the
  // sums, and the results, are the same for any number of threads.
  struct SplitGroup {
    DeviceGroup* group = nullptr;
    std::vector<std::size_t> bounds;  // chunk c is instances [bounds[c], bounds[c+1])
    // What chunk c loads (DeviceGroup::list_range_entries), sorted: its arrays are cleared and
    // added only there (a 256-unit layer's chunks would otherwise clear and add 8 whole matrices).
    std::vector<std::vector<int>> slots;
    std::vector<std::vector<Index>> rows;
    std::vector<LatencySums> latent;  // chunk c's latency sums
  };
  struct ChunkArrays {
    std::vector<double> f, f_abs, q, jac;
  };
  // Each chunk's request on its own cache line: devices count into it per instance.
  struct alignas(64) ChunkRequest {
    EvalRequest r;
  };
  // latent_restart: the chunks' latency sums start over (the System's own did).
  void evaluate_split(SplitGroup& split, EvalRequest& request, bool latent_restart);
  bool krylov_solve(std::vector<double>& rhs, const std::vector<double>& row_tolerance);
  const KluSolver& active_klu() const { return use_full_ ? *full_klu_ : *klu_; }
  void plan_chunks();

  Circuit& circuit_;
  std::vector<char> is_node_;  // by unknown: a node voltage (not a branch current)
  std::unique_ptr<SparsityPattern> pattern_;
  std::unique_ptr<KluSolver> klu_;
  // Every entry, the left-out ones included (leaves_out_entries()): its pattern, solver (built on
  // first use) and values, gathered from jac_ by full_gather_.
  std::unique_ptr<SparsityPattern> full_pattern_;
  std::unique_ptr<KluSolver> full_klu_;
  std::vector<int> full_gather_;
  std::vector<double> full_values_;
  bool use_full_ = false;
  long full_matrix_factorizations_ = 0, refinement_sweeps_ = 0;
  std::vector<double> step_rhs_, correction_, product_;  // solve_step's work vectors
  Gmres gmres_;
  std::vector<double> krylov_y_, krylov_dx_;  // krylov_solve's (its weights are the row tolerances)
  long krylov_successes_ = 0, krylov_failures_ = 0, krylov_products_ = 0;
  struct KrylovTries {
    long succeeded = 0, failed = 0;  // since the last forget_factorization(), for krylov_solve's give-up rule
  } krylov_tries_;
  std::vector<double> f_, f_abs_, q_, jac_;
  double gmin_;
  bool linear_ = true;
  int costly_factorization_ = -1;  // unknown until the first factorization
  std::vector<SplitGroup> split_;
  // Latency (devices/device.hpp, LatentSums): the sums of the unsplit groups (each chunk of a
  // split group has its own: SplitGroup::latent), and whether they belong to the evaluations
  // before (any other kind of evaluation in between makes them start over).
  LatencySums latent_;
  bool latent_current_ = false;
  // Zero between evaluations: each split group's chunks add into them, the System sums them and
  // then clears what they loaded (clear_chunk_arrays, on a worker). uncleared_split_ is the group
  // whose loads may still be in them (set until the clear; left set when a chunk threw).
  void clear_chunk_arrays(const SplitGroup& split);
  std::vector<ChunkArrays> chunk_arrays_;
  const SplitGroup* uncleared_split_ = nullptr;
  std::vector<ChunkRequest> chunk_requests_;
  std::unique_ptr<ThreadTeam> team_;
  SolverStatistics stats_;
};

}  // namespace picospice
