// `--area auto`: device area per BMRU unit from how much a mismatch error of that unit would cost
// the network's decisions.
//
// Mismatch is drawn once per chip: a unit's devices move its switching points (and the copies that
// make its candidate) by an error that stays with it over the whole input. What that error costs
// is not how close its closest frame comes to a threshold (a first-layer unit may hover at its
// threshold on many frames whose flips the later layers absorb) but whether the sequence's
// decision changes. So for every unit and every sequence whose nominal decision is not borderline,
// the software model is run with one error of that unit at a time, s of its sigmas (the same s at
// every frame, as one chip's offset), upward and downward, and the smallest s that changes the
// decision is that sequence's decision margin. A unit has two errors whose devices it owns: its
// switching (its candidate against its thresholds: the input mirror outputs, the bias, the cell's
// copy and the threshold reference) and its output level (alpha through its gain reference, read by
// every later layer). At area factor a each error is N(0, 1/a) in those sigmas (Pelgrom), so the
// unit loses a decision with probability sum Q(margin sqrt(a)) over both errors and directions, Q
// the upper normal tail; its expected loss is the mean over the sequences, and the network's is
// about the sum over units (independent, rare events). The allocation minimizes that sum within the
// gate-area budget, and what is left raises every unit to a common level (state agreement gains
// from matching too). The shared devices (mirror diodes, layer outputs) are not the units' to size.
//
// The sigma at area 1 (an approximation, not a simulation): every copy of a current (a weight's
// mirror output w_q x_j, a bias, the threshold's reference, the cell's copy of its candidate, a
// cell's output alpha through its gain reference) carries an independent relative error
// sqrt(2) * sigma_device (a copy compares two devices), sigma_device the larger of the NMOS and PMOS
// unit spreads (unit_devices.hpp), and a unit's copies add in quadrature. It leaves out the cells'
// other offsets, channel-length modulation and any correlation, every device is taken at area 1,
// and moving the switching error by the same number of sigmas at every frame treats it as fully
// correlated over frames (the threshold's share is; the input copies' share varies with the
// inputs). The predicted loss is a ranking of the units more than a forecast of `agree --mc`.
// unit_margins (the closest frame, reported beside) also propagates the inputs' errors.
#pragma once
#include <functional>
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

// Every BMRU unit of `quantized` (the network with its effective weights) over the sequences: the
// closest frame (the lowering reports it beside the decision margins). `device_spread` is one unit
// device's relative current spread at area 1.
std::vector<UnitMargin> unit_margins(const Network& quantized, const std::vector<std::vector<Vector>>& sequences,
                                     double device_spread, double target_sigmas);

struct DecisionMargin {
  int layer = 0, unit = 0;
  int sequences = 0;  // scored: those with a non-borderline nominal decision
  // Per scored sequence and error mode, the smallest error of the unit, in its sigmas at area 1,
  // that changes the decision, upward and downward (infinity when none up to
  // kLargestDecisionOffset). The modes: its switching (the candidate moved against the thresholds
  // by its own copies' sigma) and its output level (alpha through its gain reference, which the
  // later layers read).
  std::vector<double> up, down;
  double smallest() const;  // over both directions and every sequence
};
constexpr double kLargestDecisionOffset = 16;

// `progress` (may be empty) is called after each sequence with (done, total).
std::vector<DecisionMargin> decision_margins(
    const Network& quantized, const std::vector<std::vector<Vector>>& sequences, double device_spread,
    const std::function<void(std::size_t, std::size_t)>& progress = {});

// The share of the scored sequences whose decision the unit's errors change at area factor `area`,
// in expectation: the sum of Q(margin sqrt(area)) over its margins (both directions, both modes)
// over the sequences; 0 without scored sequences.
double expected_decision_loss(const DecisionMargin& margin, double area);

struct AreaAllocationOptions {
  double min_area = 1, max_area = 16;
  // A unit whose expected loss is below this is not sized further for the decisions: buying it
  // down to 1e-9 would take area another unit can use, and beyond it the model means nothing.
  double loss_floor = 1e-6;
};

// Areas for units with decision margins `margins` whose own devices have gate area `gate_area[u]`
// per unit of area factor: the areas in [min_area, max_area] that minimize the summed expected loss
// (each floored at loss_floor) with sum gate_area[u] * area[u] <= budget (a Lagrangian search over a
// fine grid of areas, so any loss curve works). Budget that is left (every unit at its floor, or
// the grid's rounding) raises every unit to a common level, the largest within the budget; when
// even the minimum exceeds the budget, every unit gets the minimum. Throws
// std::invalid_argument on mismatched sizes or min_area > max_area.
std::vector<double> allocate_unit_areas(const std::vector<DecisionMargin>& margins,
                                        const std::vector<double>& gate_area, double budget,
                                        const AreaAllocationOptions& options = {});

// `--area auto` (LoweringOptions::area_auto with no unit_area; lower_network calls it): lowers once
// at area 1 for the quantized network and the gate area of every unit's own devices, allocates the
// units' areas from their decision margins within the budget, the shared devices at the uniform
// factor the budget buys, and lowers again with them. The report gives each unit's smallest
// decision margin and closest frame, and the predicted loss against uniform area.
LoweredNetwork lower_with_area_allocation(const Network& network, const std::vector<Vector>& frames,
                                          const LoweringOptions& options);

// Throws NetworkError unless `unit_area` is empty or holds, per layer of `network`, one positive
// finite factor per BMRU unit (none for the other layers).
void check_unit_areas(const Network& network, const std::vector<std::vector<double>>& unit_area);

}  // namespace picospice::network
