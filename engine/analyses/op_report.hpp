// The per-device operating-point report of an `.op` plot: each device type's own table (for the
// EKV MOSFET: id, vgs, vds, vp, gm, gms, gds, inversion coefficient, region, saturation; see
// DeviceGroup::operating_point_table). The plot holds every unknown by its output name, so the
// solution vector is rebuilt from it.
#pragma once
#include <string>
#include <vector>

#include "engine/circuit.hpp"
#include "engine/plot.hpp"

namespace picospice {

// One table per device type that reports anything, in the circuit's group order. When the plot
// lacks a node voltage (a `.save` left it out), no table can be computed: the result is empty and
// `missing_voltage` (if given) names the first voltage missing; the simulation's own results stand.
std::vector<OperatingPointTable> device_operating_points(const Circuit& circuit, const Plot& op_plot,
                                                         std::string* missing_voltage = nullptr);

}  // namespace picospice
