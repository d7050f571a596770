// Runs one circuit's analyses again and again, on one System, while only parameter values change
// between runs (Monte Carlo draws, temperatures, noise seeds): the sparsity pattern, the slot
// binding and KLU's symbolic analysis are made once instead of for every run. `mc` (SampleRunner)
// and `agree --mc` keep one per worker thread.
//
//   auto circuit = clone_circuit(nominal);
//   ReusedSystemRunner runner(*circuit);
//   for (...) { change parameter values of *circuit; plots = runner.run(); }
//
// The .op and .tran analyses share the System; a .dc sweep builds its own (run_dc_sweep).
//
// What a run takes over from the previous one beyond the structure is a choice (NumericReuse):
// the last numeric factorization, whose pivots the next refactor reuses (cheapest), or nothing,
// so that every analysis starts with a full factorization exactly as run_analyses does and its
// result is bit for bit the same whatever the worker ran before.
#pragma once
#include <memory>
#include <vector>

#include "engine/circuit.hpp"
#include "engine/plot.hpp"
#include "engine/system.hpp"

namespace picospice {

enum class NumericReuse {
  across_runs,  // keep the numeric factorization from run to run and analysis to analysis (mc)
  none,         // forget it before every analysis: results as from run_analyses (agree --mc)
};

class ReusedSystemRunner {
 public:
  // `circuit` must outlive the runner, and its topology must not change.
  explicit ReusedSystemRunner(Circuit& circuit, NumericReuse numeric = NumericReuse::across_runs)
      : circuit_(circuit), numeric_(numeric) {}
  // Every analysis of the circuit, in netlist order, one Plot each (as run_analyses gives them).
  std::vector<Plot> run();

 private:
  System& system();

  Circuit& circuit_;
  NumericReuse numeric_;
  std::unique_ptr<System> system_;  // built on first use
};

}  // namespace picospice
