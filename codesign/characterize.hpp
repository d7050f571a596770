// Measuring the cell library the way a designer would: the schmitt9 hysteresis loop and step
// response, and the mirrors' ratio error. `picospice characterize` and tests/netlist/test_cells.cpp
// both call this; every figure comes from a simulation of netlists/cells/cells.lib.
//
// The test bench around one schmitt9 cell (one core + one schmitt9_bias, all on one VDD source):
//
//     Vdd vdd 0 {vdd}              supply: its power is the cell's power, references included
//     Iin 0 in ...                 the input (candidate) current, from ground into `in`, so it
//                                  is not counted as supply power (it belongs to the previous layer)
//     Vsense out load 0            0 V ammeter: i(vsense) is the output current
//     Mload load load 0 0 nch      a diode-connected NMOS load, W=1u L=4u (the next layer's input)
//
// Measurements (all SI):
//   up_switch, down_switch  DC loop `.dc Iin 0 imax step updown` (each point continued from the
//                           last, so the loop shows the hysteresis); the input where the output
//                           crosses I_gain/2 rising (up sweep) and falling (down sweep), linearly
//                           interpolated. imax = 1.25*I_thresh + 100 pA.
//   out_high                output on the down sweep (high state) at input I_thresh + 100 pA
//   out_low                 the largest output on the up sweep (low state) for inputs up to
//                           min(I_thresh - I_width/2, 0.95*I_thresh): the whole low branch,
//                           the hold band included
//   power_low, power_high   supply power at the middle of the hold band, input
//                           I_thresh - I_width/2: low state on the up sweep, high state on the
//                           down sweep ("either state" at the same input)
//   settle_time             transient: input 0 until 5 ms, then I_thresh + 100 pA, then at 15 ms
//                           max(0, I_thresh - I_width - 100 pA), end 25 ms (1 us edges). The later
//                           of the two times after a step at which the output last leaves a band
//                           of +-5% of I_gain around the value it ends the segment with.
//   power_frame             average supply power over the frame 0..10 ms (one switching event,
//                           at 5 ms). frame_reference (not one of the stable JSON keys, reported
//                           beside it) is the mean of the settled powers just before 5 ms and at
//                           10 ms, i.e. what the frame would cost if switching were free.
//   peak_supply_current     the largest supply current during the transient (crowbar check)
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "netlists/cell_library.hpp"

namespace picospice::cells {

// The three bias currents of a schmitt9 cell, in amperes.
struct SchmittBias {
  double ithresh = 350e-12;  // beta2, the upper switching point
  double iwidth = 200e-12;   // delta, the hysteresis width
  double igain = 500e-12;    // alpha, the output current when high
};

// Operating conditions of a characterization.
struct CellConditions {
  double vdd = 1.8;
  double temp_celsius = 27.0;
};

struct SchmittFigures {
  SchmittBias bias;
  CellConditions conditions;
  double up_switch = 0, down_switch = 0;
  double out_high = 0, out_low = 0;
  double settle_time = 0;
  double power_low = 0, power_high = 0, power_frame = 0;
  double frame_reference = 0;       // see above
  double peak_supply_current = 0;   // A
};

// The DC hysteresis loop: input current against output current and supply power, up then down.
struct HysteresisLoop {
  std::vector<double> input, output, supply_power;
  std::size_t turn = 0;  // index of the first point of the down sweep
};

// How much to run. Tests use fewer loop points for speed; the command line uses the defaults.
struct CharacterizationSettings {
  int loop_points = 800;     // per direction
  bool transient = true;     // false: settle_time and power_frame stay 0
};

// Throws std::invalid_argument for a negative or zero current or iwidth >= ithresh.
void check_bias(const SchmittBias& bias);

// The test-bench netlists, as text (also useful to print or to run by hand).
std::string schmitt_loop_netlist(const SchmittBias& bias, const CellConditions& conditions, int points);
std::string schmitt_step_netlist(const SchmittBias& bias, const CellConditions& conditions);

HysteresisLoop run_hysteresis_loop(const SchmittBias& bias, const CellConditions& conditions, int points);
SchmittFigures characterize_schmitt(const SchmittBias& bias, const CellConditions& conditions = {},
                                    const CharacterizationSettings& settings = {});

// The ladders of the calibration's measured range: I_thresh 20 pA - 60 nA, I_width 2.5 pA - 40 nA
// (the trainer produces beta1 from 0.02 units, delta from 0.005, beta2 up to 50 units; 1 nA/unit).
inline constexpr double kCalibrationIthresh[] = {20e-12, 35e-12, 60e-12, 100e-12, 180e-12, 350e-12, 600e-12, 1e-9,
                                                 1.8e-9, 3.2e-9, 5.6e-9, 10e-9, 18e-9, 32e-9, 60e-9};
inline constexpr double kCalibrationIwidth[] = {2.5e-12, 5e-12,   10e-12,  20e-12, 40e-12, 80e-12, 160e-12, 320e-12,
                                                640e-12, 1.25e-9, 2.5e-9, 5e-9,   10e-9,  20e-9,   40e-9};

// The bias points of a sweep over the range of one bias ("ithresh", "iwidth", "igain"), or of
// the (ithresh, iwidth) "grid"; throws std::invalid_argument for another name. The other biases
// keep the nominal values, except that the ithresh sweep caps iwidth at min(50 pA, ithresh/2) and
// the iwidth sweep raises ithresh to 3 nA, so that iwidth < ithresh holds over the whole range.
std::vector<SchmittBias> sweep_points(const std::string& which, const SchmittBias& nominal);

// --- Mirrors ---------------------------------------------------------------------------------
// One mirror output of width `width` against a diode of the library's default width, at equal
// length, fed `input`; the output node is held at `output_voltage` (0.3 V for NMOS, VDD - 0.3 V
// for PMOS by default: a summing node at a diode's voltage). error = output/(ratio*input) - 1.
struct MirrorPoint {
  std::string kind;  // "nmos" (sinking) or "pmos" (sourcing)
  double width = 0, ratio = 0, input = 0, output = 0, error = 0;
};

struct MirrorSweep {
  std::vector<double> widths{0.5e-6, 1e-6, 2e-6, 4e-6, 8e-6, 15e-6};
  std::vector<double> inputs{100e-12, 300e-12, 1e-9, 3e-9};
};

std::vector<MirrorPoint> characterize_mirror(const std::string& kind, const MirrorSweep& sweep = {},
                                             const CellConditions& conditions = {});

// Progress callback for long sweeps: (label, fraction done).
using ProgressCallback = std::function<void(const std::string&, double)>;

}  // namespace picospice::cells
