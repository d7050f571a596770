// `--area auto`: device area per BMRU unit from how close its decisions come to a threshold.
//
// A unit's state flips wrongly under mismatch when the error of its candidate against the
// threshold that decides (beta2 while it is low, beta1 while it is high) exceeds the distance
// between them. Pelgrom's law makes that error's sigma fall as 1/sqrt(area), so a unit whose
// closest non-borderline decision is m sigmas (at area 1) from its threshold holds `target`
// sigmas at area (target / m)^2; a unit never within `target` sigmas needs nothing beyond the
// minimum. The allocation gives unit u clamp(lambda * min(need_u, maximum), minimum, maximum)
// (the cap: a unit that would need more than the maximum counts as needing the maximum, so that a
// hopeless margin does not take the whole budget from units it can help), with lambda the largest
// that keeps the units' gate area within the budget: monotone in the margin, never above the
// budget. Only the units' own devices are allocated; the shared ones (mirror diodes, layer outputs,
// readout) get the uniform factor the budget buys, so at the default budget they are as at area 4.
//
// The sigma of a unit-frame at area 1 (an approximation, not a simulation): every current that
// meets at the summing node (each weight's copy |w_q x_j|, the bias, the threshold's reference)
// carries an independent relative error sqrt(2) * sigma_device (a copy compares two devices),
// sigma_device the larger of the NMOS and PMOS unit spreads (unit_devices.hpp); they add in
// quadrature. It leaves out the cells' own offsets beyond the reference and any correlation.
#pragma once
#include <limits>
#include <vector>

#include "codesign/lowering.hpp"
#include "codesign/network.hpp"

namespace picospice::network {

struct UnitMargin {
  int layer = 0, unit = 0;
  // The smallest distance of a non-borderline candidate from the threshold that decides it, in
  // sigmas at area 1 (infinity when the unit has no non-borderline frame).
  double smallest_sigmas = std::numeric_limits<double>::infinity();
  int near_frames = 0;  // non-borderline unit-frames within the target
  int frames = 0;
};

struct AreaAllocationOptions {
  double target_sigmas = 4;  // the margin each decision should hold
  double min_area = 1, max_area = 16;
};

// Every BMRU unit of `quantized` (the network with its effective weights) over the sequences.
// `device_spread` is one unit device's relative current spread at area 1.
std::vector<UnitMargin> unit_margins(const Network& quantized, const std::vector<std::vector<Vector>>& sequences,
                                     double device_spread, double target_sigmas);

// The area at which a unit's closest decision holds the target: (target / smallest)^2; 0 when no
// decision comes within the target.
double needed_area(const UnitMargin& margin, double target_sigmas);

// Areas for units with needs `need` whose own devices have gate area `gate_area[u]` per unit of
// area factor: clamp(lambda * min(need[u], max_area), min_area, max_area), sum gate_area[u] * area[u] <= budget
// (when even the minimum exceeds the budget, every unit gets the minimum). Throws
// std::invalid_argument on mismatched sizes or min_area > max_area.
std::vector<double> allocate_unit_areas(const std::vector<double>& need, const std::vector<double>& gate_area,
                                        double budget, const AreaAllocationOptions& options = {});

// `--area auto` (LoweringOptions::area_auto with no unit_area; lower_network calls it): lowers once
// at area 1 for the quantized network and the gate area of every unit's own devices, allocates the
// units' areas from their margins (target 4 sigmas at area 1) within the budget, the shared
// devices at the uniform factor the budget buys, and lowers again with them.
LoweredNetwork lower_with_area_allocation(const Network& network, const std::vector<Vector>& frames,
                                          const LoweringOptions& options);

// Throws NetworkError unless `unit_area` is empty or holds, per layer of `network`, one positive
// finite factor per BMRU unit (none for the other layers).
void check_unit_areas(const Network& network, const std::vector<std::vector<double>>& unit_area);

}  // namespace picospice::network
