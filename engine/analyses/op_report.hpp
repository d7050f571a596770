// The per-MOSFET operating-point report (id, vgs, vds, vp, gm, gms, gds, inversion coefficient,
// region, saturation) from an `.op` plot: the plot holds every unknown by its output name, so the
// solution vector x is rebuilt from it and handed to EkvMosfetGroup::op_report.
#pragma once
#include <vector>

#include "devices/ekv/ekv_mosfet.hpp"
#include "engine/circuit.hpp"
#include "engine/plot.hpp"

namespace picospice {

// Empty when the circuit has no EKV MOSFETs. Throws SimulationError if the plot lacks an unknown
// the MOSFETs need (e.g. a `.save` left it out).
std::vector<EkvOpRow> mosfet_operating_point(const Circuit& circuit, const Plot& op_plot);

}  // namespace picospice
