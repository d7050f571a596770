// `--area auto`: device area per BMRU unit from how close its decisions come to a threshold.
//
// A unit's state flips wrongly under mismatch when the error of its candidate against the
// threshold that decides (beta2 while it is low, beta1 while it is high) exceeds the distance
// between them. Pelgrom's law makes that error's sigma fall as 1/sqrt(area), so a unit whose
// closest non-borderline decision is m sigmas (at area 1) from its threshold holds `target`
// sigmas at area (target / m)^2; a unit never within `target` sigmas needs nothing beyond the
// minimum. The allocation water-fills: unit u gets clamp(min(need_u, level), minimum, maximum),
// the level the largest whose total stays within the budget. A unit close to its target gets all it
// needs before a unit far below it (which no affordable area would bring to the target) takes the
// rest; the areas are monotone in the margin and never above the budget. Budget left when every
// need is met stays unspent. Only the units' own devices are allocated; the shared ones (mirror
// diodes, layer outputs, readout) get the uniform factor the budget buys (area 4 at the default).
//
// The sigma of a unit-frame at area 1 (an approximation, not a simulation): every copy of a
// current (a weight's mirror output w_q x_j, a bias, the threshold's reference, the cell's copy of
// its candidate, a cell's output alpha through its gain reference) carries an independent relative
// error sqrt(2) * sigma_device (a copy compares two devices), sigma_device the larger of the NMOS
// and PMOS unit spreads (unit_devices.hpp); the errors add in quadrature and travel with the
// signals, so a later layer's candidate carries its inputs' errors times its weights as well as its
// own copies'. The front end's inputs are exact. It leaves out the cells' other offsets, channel-
// length modulation and any correlation, and every device is taken at area 1.
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
// area factor: clamp(min(need[u], level), min_area, max_area) with the largest level that keeps
// sum gate_area[u] * area[u] <= budget (when even the minimum exceeds it, every unit gets the
// minimum). Throws std::invalid_argument on mismatched sizes or min_area > max_area.
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
