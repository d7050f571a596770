// Lowering: a BMRU network plus an input sequence -> a hierarchical netlist of cell-library
// primitives (netlists/cells/cells.lib) that `picospice run` and `export-ngspice` both read.
//
// The mapping (docs/design.md, 'The circuit'):
//   signal        every non-negative signal (an input, a cell output h, a layer output y) is a
//                 current flowing INTO the NMOS diode(s) at its node; those diodes are the input
//                 transistors of the mirrors that copy it onward, and so also its ReLU diode.
//   weight w      a mirror output of width |w_q| * unit width at L = 4 um, |w| quantized to
//                 multiples of 1/grid (a weight that quantizes to 0 is omitted). w < 0: an NMOS
//                 output of the signal's own diode, sinking from the destination. w > 0: a PMOS
//                 output sourcing into the destination, from a PMOS diode that a ratio-1 NMOS
//                 output of the signal feeds (node SIGNAL_p). Outputs go in groups of 4/2/1 through
//                 nmirror4/2/nmirror (pmirror4/2/pmirror); when a signal needs k such groups their
//                 diodes sit in parallel, each 1/k of the unit width, so the ratio stays |w_q|.
//   bias b        isource (b > 0) or isink (b < 0) of |b| * unit_current into the summing node.
//   bmru unit     summing node l{L}_c{u} -> 0 V ammeter vcand_l{L}_u{u} -> schmitt9 `in` (its M1 is
//                 the unit's ReLU diode) ; schmitt9 `out` -> 0 V ammeter vout_l{L}_u{u} -> node
//                 l{L}_h{u}. One schmitt9_bias per unit: ith = beta2, iw = delta, ig = alpha
//                 (times unit_current; pre-distorted with a calibration).
//   layer output  node l{L}_y{j} (linear, bmru). With skip, the W_p sum is l{L}_p{j} and y_j sums
//                 ratio-1 copies of p_j and of the layer input.
//   readout       node z{k} held at `readout_voltage` by a source vlogit_{k}: i(vlogit_{k}) (the
//                 current into its + terminal) is the logit times unit_current.
//   supplies      vdd_l{L} feeds the mirrors and biases of layer L (those implementing its
//                 formula, including the copies of its input); vdd_l{L}_cells feeds its schmitt9
//                 cells and their bias references. Input sources draw no supply power (they stand
//                 for the front end and sit between ground and the input node).
//                 With LoweringOptions::power_breakdown every block has a supply source of its own
//                 instead (vdd_<block>_<kind>: each cell's core and references, each bias, each
//                 signal's sourcing mirrors, each layer's blanking reference), and each cell's
//                 blanking outputs return through a 0 V ammeter vbsrc_l{L}_u{u}, so the power of
//                 every block is measured, not estimated (PowerBlock).
//   blanking      per BMRU layer a clocked reference I_b (iblank_l{L} into diode mblank_l{L}) and
//                 per cell a schmitt9_blank that widens its band by I_b from just before each frame
//                 to the layer's release: the cells decide once per frame, on settled candidates
//                 (frame_blanking.hpp); a clock line blank_src_l{L} (vblank_src_l{L}) lifts the
//                 outputs' sources after the release so they carry nothing until the next frame.
//                 Counted in the transistors (2 per cell, 1 per layer).
//   references    every bias reference (the cells' schmitt9_bias diodes, each isource/isink) is
//                 ratioed: it carries I/k at the same gate area and its copy k times that
//                 (LoweringOptions::reference_ratio_limit), the cells' blanking outputs scaled
//                 alike; it cuts the references' supply current k-fold.
//   device area   LoweringOptions::area = K multiplies every W and L (mirrors, biases, ReLU diodes,
//                 the cells through schmitt9's `area` parameter, the preset switches) by sqrt(K).
//   state         v(xcell_l{L}_u{u}.x) is the cell's inverted state (low = 1); the agreement
//                 reads the state from i(vout_...) > alpha/2 instead.
//   initial state early in frame 0 a switch per cell (mset_l{L}_u{u}, PMOS, for s0 = 1;
//                 mreset_l{L}_u{u}, NMOS, for s0 = 0) forces its summing node high or to ground,
//                 then lets go (layer by layer: 5%, 30%, 55% of the frame); gates driven by
//                 vpreset_set_l{L} / vpreset_reset_l{L}. Counted in the transistors (one per unit).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "codesign/calibration.hpp"
#include "codesign/network.hpp"
#include "codesign/reference_ratio.hpp"
#include "codesign/unit_devices.hpp"

namespace picospice::network {

struct LoweringOptions {
  int grid = 32;                    // |w| quantized to multiples of 1/grid of the unit width
  std::vector<int> layer_grids;     // one grid per layer (`--grid auto`: weight_grid.hpp); empty: `grid`
  const CellCalibration* calibration = nullptr;
  std::string cell_library;         // empty: the source tree's netlists/cells/cells.lib
  std::string title = "BMRU network";
  double vdd = 1.8;
  double readout_voltage = 0.9;     // the logit nodes: mid-rail, so both mirror kinds stay saturated
  double rise_fraction = 1e-3;      // input edge time as a fraction of the frame
  // Device-area factor K (> 0): every transistor's W and L times sqrt(K). W/L, so every current,
  // ratio and switching point, stays; gate area and intrinsic capacitance grow K-fold (slower
  // settling), Pelgrom mismatch sigma falls as 1/sqrt(K).
  double area = 1.0;
  // Per-unit device area: unit_area[L][u] (L a BMRU layer's index in network.layers, empty rows for
  // the others) is the area factor of unit u's own devices: its cell, bias references, blanking
  // outputs and preset switch, the bias source of its candidate and the mirror outputs into its
  // summing node. `area` then sizes everything shared (mirror diodes, the layer outputs' and
  // readout's mirrors and biases, blanking references). Empty: every device at `area`.
  std::vector<std::vector<double>> unit_area;
  // `--area auto` (area_allocation.hpp): unit_area is allocated from each unit's decision margins
  // over the input sequence, within a total gate area of area_budget (m^2; 0: the total at uniform
  // area 4); the shared devices get the uniform factor that budget would buy (area_budget / total
  // at area 1).
  bool area_auto = false;
  double area_budget = 0;
  // With area_auto: the input sequences whose decision margins size the units (`--area-from`), so
  // that one allocation, made from data the circuit is not tested on, serves every input; empty:
  // the lowered input sequence's own.
  std::vector<std::vector<Vector>> area_sequences;
  // With area_auto: called after each sequence's margins (done, total), for a progress bar.
  std::function<void(std::size_t done, std::size_t total)> area_progress;
  // Frame blanking of the cells (frame_blanking.hpp). Off: the cells follow their candidates
  // continuously and can be upset by the transients between frames (for experiments).
  bool frame_blanking = true;
  // A supply source per block, so that agree can say where the power goes (PowerBlock). The
  // circuit is the same; it costs one node and one branch per block in the simulation.
  bool power_breakdown = false;
  // Reference ratios (cells.lib: schmitt9_bias kt/kw/kg, isource/isink k): each bias reference
  // diode carries its current / k at the same gate area, so it draws 1/k of the supply current and
  // matches as before. k is the largest integer up to this limit that keeps the reference's own
  // current at or above reference_floor() (its line still settles before the settling deadline);
  // the limit keeps the diode's shape sane (k = 32: W/L = (0.35 um / 22.6 um) at area 1). 1 turns
  // the ratios off (every reference carries its full current, as before issue 21).
  int reference_ratio_limit = 32;
};


struct UnitProbe {
  int layer = 0, unit = 0;
  std::string candidate;  // "i(vcand_l0_u3)"
  std::string output;     // "i(vout_l0_u3)"
  double alpha = 0;       // model units
};

struct SupplyProbe {
  std::string current;  // "i(vdd_l0_cells)"; power = -vdd * current
  int layer = 0;
  bool cells = false;   // schmitt9 cells and their bias references
};

// What a block of the circuit is, for the power breakdown.
enum class PowerKind {
  cell_core,        // a schmitt9 (its I_thresh, I_width and I_gain branches) and its preset switch
  cell_references,  // its schmitt9_bias diodes: ith + iw + ig, less the blanking current below
  cell_blanking,    // what the cell's schmitt9_blank outputs pull through its references while blanked
  blanking_reference,  // a layer's clocked I_b into its blanking diode
  bias,             // an isource/isink of a bias b (reference diode + output: 2|b|)
  mirror,           // a signal's sourcing fan-out: the ratio-1 copy into the PMOS diode + the PMOS outputs
};
const char* power_kind_name(PowerKind kind);

// One block's share of the supply power, measured: power = vdd * sum_k coefficient_k * mean(i(probe_k))
// over the run. The blocks of a lowering sum to its total supply power.
struct PowerBlock {
  std::string block;  // "l0_u2" (a cell), "b_l0_c1" (a bias), "in3" (a signal's mirrors), "blank_l0"
  PowerKind kind = PowerKind::mirror;
  int layer = 0;
  std::vector<std::pair<std::string, double>> terms;  // probe ("i(vdd_l0_u2_core)") -> coefficient
};

struct QuantizedWeight {
  std::string path;  // "layers[0].W_c[2][5]"
  double wanted = 0, effective = 0;
};

struct LoweredNetwork {
  std::string netlist;
  int transistors = 0;
  int frames = 0;
  double tstop = 0;
  std::vector<UnitProbe> units;
  std::vector<std::string> logits;  // "i(vlogit_0)", ...
  std::vector<SupplyProbe> supplies;
  std::vector<PowerBlock> power_blocks;  // empty without LoweringOptions::power_breakdown
  std::vector<QuantizedWeight> weights;  // every weight, omitted ones with effective 0
  QuantizedWeight largest_error;
  int omitted_weights = 0;
  Network effective;  // the network with the quantized weights (same biases and cell parameters)
  // Gate area (sum of W*L over every transistor, m^2): per network layer (its cells, the biases and
  // mirrors implementing its formula, its blanking reference) and in total; and per BMRU unit the
  // part that is its own devices' (LoweringOptions::unit_area). Counted as the devices are written;
  // tests check it against the elaborated netlist.
  std::vector<double> gate_area_by_layer;
  double gate_area = 0;
  std::vector<std::vector<double>> unit_gate_area;
  std::vector<std::vector<double>> unit_area;  // the factor each unit's devices got (rows as LoweringOptions)
  // `--area auto`: how it allocated (area_allocation.hpp), one line per BMRU layer; empty otherwise.
  std::vector<std::string> area_report;
  // A unit whose calibrated biases fall outside the calibration's measured range, one line each.
  std::vector<std::string> warnings;
};

// Throws NetworkError for an empty sequence or a grid below 1, std::runtime_error when the cell
// library lacks a subcircuit it needs (naming it and the pins expected).
LoweredNetwork lower_network(const Network& network, const std::vector<Vector>& frames,
                             const LoweringOptions& options = {});

}  // namespace picospice::network
