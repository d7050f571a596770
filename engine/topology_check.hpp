// Checks made before the first solve, so that a bad circuit gets a message that names the
// culprit instead of a singular matrix:
//  - every node has a DC path to ground (through resistors, sources, inductors, junctions and
//    transistor channels, even cut-off ones: they keep a finite conductance). Capacitors and
//    current sources alone are no path, except for a transient that solves no operating point
//    (`.tran ... uic`), where a capacitor is (its C/h in every step's matrix);
//  - no loop made only of voltage-defining branches (V, E, H sources and inductors).
#pragma once
#include "engine/circuit.hpp"

namespace picospice {

// What the analyses of a System solve: a DC operating point (or sweep, or small-signal point), or
// only transient steps from a given state.
enum class PathNeeded { Dc, TransientOnly };

// Throws SimulationError naming the floating node (and what it touches) or the loop's members.
void check_topology(const Circuit& circuit, PathNeeded need = PathNeeded::Dc);

}  // namespace picospice
