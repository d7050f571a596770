// A deep copy of a flat Circuit, so each Monte Carlo worker thread owns its device groups (their
// parameter values and limiting state) while parse and elaboration happen only once.
#pragma once
#include <memory>

#include "engine/circuit.hpp"

namespace picospice {

// Copies everything; device groups through DeviceGroup::clone. The `reelaborate` callback is
// shared (it rebuilds from the netlist and holds no per-run state).
std::unique_ptr<Circuit> clone_circuit(const Circuit& circuit);

}  // namespace picospice
