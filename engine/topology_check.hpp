// Checks made before the first solve, so that a bad circuit gets a message that names the
// culprit instead of a singular matrix:
//  - every node has a DC path to ground (through resistors, sources, inductors, junctions and
//    transistor channels, even cut-off ones: they keep a finite conductance). Capacitors and
//    current sources alone are no path;
//  - no loop made only of voltage-defining branches (V, E, H sources and inductors).
#pragma once
#include "engine/circuit.hpp"

namespace picospice {

// Throws SimulationError naming the floating node (and what it touches) or the loop's members.
void check_topology(const Circuit& circuit);

}  // namespace picospice
