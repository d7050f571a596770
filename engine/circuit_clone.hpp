// A deep copy of a flat Circuit, so each Monte Carlo worker thread owns its device groups (their
// parameter values and limiting state) while parse and elaboration happen only once.
#pragma once
#include <memory>

#include "engine/circuit.hpp"

namespace picospice {

// Copies everything; device groups through DeviceGroup::clone. The `reelaborate` callback is
// shared (it rebuilds from the netlist and holds no per-run state).
std::unique_ptr<Circuit> clone_circuit(const Circuit& circuit);

// The copy a Monte Carlo worker owns: evaluated on its own thread only (SimOptions::threads = 1),
// since the workers already keep every core busy with one sample each.
std::unique_ptr<Circuit> clone_circuit_for_worker(const Circuit& circuit);

}  // namespace picospice
