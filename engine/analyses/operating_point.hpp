// The DC operating point with homotopy: plain Newton first; if that fails, gmin stepping (a
// conductance from every node to ground, reduced to exactly zero), then pseudo-transient
// continuation (the steady state of a power-up transient with a pseudo capacitance on every node),
// then source stepping (all independent sources ramped from 0 to full value). A singular matrix
// fails one attempt, not the operating point. The answer is always a plain Newton solution: it
// never keeps a homotopy leak.
#pragma once
#include <string>
#include <vector>

#include "engine/system.hpp"

namespace picospice {

struct OperatingPointSettings {
  double time = 0.0;                               // sources are evaluated at this time
  bool transient = false;                          // ... at their transient value (initial point)
  bool cold_start = true;                          // x holds no previous solution
  const std::vector<NodeValue>* forced = nullptr;  // `.ic` values held during the solve
  std::string context = "operating point";         // for messages: "dc sweep at v1 = 0.3"
};

// Statistics a caller may print or test.
struct OperatingPointReport {
  int newton_iterations = 0;
  bool used_gmin_stepping = false;
  bool used_source_stepping = false;
  bool used_pseudo_transient = false;
};

// x is the initial guess on entry (size()+1 entries) and the solution on exit.
// Throws SimulationError naming the worst node and its devices when every method fails.
OperatingPointReport solve_operating_point(System& system, std::vector<double>& x,
                                           const OperatingPointSettings& settings);

}  // namespace picospice
