// The per-device operating-point report of an `.op` plot: each device type's own table (for the
// EKV MOSFET: id, vgs, vds, vp, gm, gms, gds, inversion coefficient, region, saturation; see
// DeviceGroup::operating_point_table). The plot holds every unknown by its output name, so the
// solution vector is rebuilt from it.
#pragma once
#include <vector>

#include "engine/circuit.hpp"
#include "engine/plot.hpp"

namespace picospice {

// One table per device type that reports anything, in the circuit's group order. Throws
// SimulationError if the plot lacks a node voltage (e.g. a `.save` left it out) and some device
// has a table to report.
std::vector<OperatingPointTable> device_operating_points(const Circuit& circuit, const Plot& op_plot);

}  // namespace picospice
