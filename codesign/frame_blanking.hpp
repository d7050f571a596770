// Frame blanking of the BMRU cells: each layer's cells decide once per frame, on settled inputs.
//
// Why. The software model is discrete-time: layer L's frame-t candidate is computed from layer
// L-1's *final* frame-t outputs. The circuit is continuous-time, and between two frames a
// candidate passes through values that are neither the old nor the new one: a weight's sinking
// path (one NMOS mirror) acts tens of microseconds before its sourcing path (NMOS copy, then a
// PMOS mirror whose diode slews from the rail), a ReLU node rising from zero slews while one cut
// to zero collapses at once, and upstream cells switch 0.2-2.3 ms apart. A dip of ~50 us below
// beta1 is enough to reset a cell that the software holds (measured on random network seed 11:
// l1_u2's candidate steps 0.39 -> 1.10 inside its band [0.30, 1.15] but dips to 0 for ~50 us on
// the way, 70-100 us after a layer-0 cell switches). Path delays cannot be equalized by stage
// count (from an NMOS-diode signal a sink is always an odd and a source an even number of
// stages), and a low-pass filter long enough for the ms-scale orderings would not settle in a
// frame. So the cells are blanked instead.
//
// How. Per BMRU layer one reference current I_b = one model unit (a clocked bias DAC; like the
// cells' own bias sources an ideal PWL source) flows into an NMOS diode, blank_l<L>; each cell
// gets a `schmitt9_blank` (cells.lib): two NMOS outputs of that diode sinking T from its
// I_thresh reference line and W from its I_width line (T, W in units: output widths T and W
// times the diode's). While I_b flows the cell's thresholds are
//   beta2' = beta2 + T,   beta1' = (I_thresh + T) - (I_width + W) = beta1 - (W - T),
// and the cell holds its state while its net input stays inside [beta1', beta2']. I_b turns on
// 5% of a frame before each frame boundary (after the agreement's 90% sample; widening the band
// never flips a cell) and ramps off over 2% of the frame at the layer's release time: 10% of the
// frame for the first BMRU layer, 30% later for each next one (the previous layer's cells have
// switched by then: 0.2-2.3 ms). As I_b falls the band shrinks back monotonically to
// [beta1, beta2] and the cell takes the state the software gives the settled candidate. Frame 0
// is not blanked: the staggered preset (lowering.cpp) already gives it the same order.
//
// T and W per unit, from the software's signals: in the transition into frame t each input x_j
// of the layer is taken to move monotonically between x_j(t-1) and x_j(t) (an approximation:
// a layer output y_j can itself overshoot while the cells feeding it switch), so the net input
// W_c x + b_c stays inside [low, high] with
//   high = sum_j max(W,0) max(x_j) + max(b,0) - sum_j max(-W,0) min(x_j) - max(-b,0)
//   low  = sum_j max(W,0) min(x_j) + max(b,0) - sum_j max(-W,0) max(x_j) - max(-b,0).
// (No ReLU on `low`: while a cell is high its I_width current flows into the summing node, so a
// net sink pulls the comparison below zero.) Over all transitions, with kMargin:
//   T = max(kMargin * max high - beta2, kMinimumUnits)             (a low cell stays low)
//   W = T + kMargin * (beta1 + max(0, -min low)) + kMinimumUnits   (a high cell stays high)
// With more than two BMRU layers the releases are compressed to fit before 65% of the frame,
// which leaves the last layer less than 2.3 ms of settling when frames are 10 ms.
//
// Late upstream switches. A cell's switching time grows as its overdrive shrinks and its area
// grows: its comparator node must swing a charge ~kSwitchCharge * area with the overdrive current
// (measured: random network seed 1017 at area 4, a layer-0 cell 31.6 pA above beta2 switched
// 4.55 ms after its release, 1.44e-13 C; the characterization's 100 pA step settles in 0.43 ms at
// area 1, 4.3e-14 C). Switching after the next layer's release, it stepped that layer's inputs
// while its cells were free, and the step's transient (sinks act before sources) dipped a held
// candidate from 0.78 to 0.18 units below beta1 = 0.54: that cell reset and held the wrong state
// for 18 frames (94.9% agreement). So per frame, each later layer's release waits until the
// previous layer's slowest switch of that frame (predicted from the software's overdrives, with
// kSwitchMargin) has happened, up to kBlankLastRelease; frames without a slow switch keep the
// base release. A switch slower than that cap is still possible (small overdrive at large area):
// then the cap decides.
//
// Freeze. A borderline cell (its candidate within the borderline margin of beta1 or beta2,
// inference.hpp) can switch at any time: its overdrive, and with it the switching speed, can be as
// small as mismatch and quantization make it. Measured on random network seed 3001 at area 4: a
// layer-0 cell 0.015 units above beta2 switched 7.7 ms into its frame, after the next layer's
// release at the 65% cap; the step's transient dipped a held layer-1 candidate from 0.455 to
// 0.279 units, below its beta1 of 0.342, for ~1.5 ms (the sinking path acts, the sourcing path's
// PMOS diode slews from the rail), and that cell lost its held state for the rest of the sequence
// (96.9% agreement). So in a frame where a layer has a borderline cell and a BMRU layer follows,
// its I_b comes back on kFreezeLead before the next layer's release (in frame 0, that layer's
// preset release) and stays on through the next frame's transition: widening the band never
// flips a cell, so a borderline cell that has not switched by then keeps its state (a decision
// the borderline rule leaves to the circuit), and nothing upstream moves while the next layer
// decides. Frames without a borderline cell are not frozen, so non-borderline slow switches still
// complete as before, and the extra blanking power is spent only in those frames. The borderline
// test uses the software candidates of the network the plan is given, not the circuit's.
//
// Release. Once I_b is off the layer's blanking clock line blank_src_l<L> (the outputs' sources)
// lifts from 0 V to kBlankSourceLift, which cuts the outputs off by exp(-0.6 V/UT) ~ 1e-10
// whatever charge is left on the gate line (cells.lib, schmitt9_blank). Before, the gate line
// discharged only through the diode's subthreshold current, and the outputs kept a tail of
// ~0.04-0.06 pA per unit of the layer's blanking widths at the 90% sample (more at larger area),
// enough to shift beta2 up and beta1 down by hundreds of pA on a wide layer. The clock line is an
// ideal PWL voltage source, like the preset gate lines (a logic-level clock: low sinks the
// blanking currents, high carries none). The line falls back to 0 V an edge before I_b returns.
//
// Cost: two transistors per cell and one per layer; while blanked a cell draws W more in its
// width branch and T more in its threshold branch when high, and its references T/kt + W/kw
// more (ratioed references, lowering.hpp), for 15% (first layer) to 45% (second) of each frame
// (to 67% in the frames released late).
#pragma once
#include <string>
#include <vector>

#include "codesign/network.hpp"

namespace picospice::network {

struct UnitBlanking {
  double threshold = 0, width = 0;  // T and W, model units (times I_b = unit_current)
};

struct LayerBlanking {
  int layer = 0;            // index into Network::layers (a BMRU layer)
  double current = 0;       // I_b, amperes (one model unit)
  double release = 0;       // base release time as a fraction of the frame (I_b starts ramping off)
  std::vector<UnitBlanking> units;
  std::vector<double> frame_release;  // per frame, when later than `release` somewhere; else empty
  // Per frame, when I_b comes back on before the next layer's release ('Freeze' above), as a
  // fraction of the frame; kNoFreeze where it does not. Empty when no frame freezes.
  std::vector<double> frame_freeze;
  double release_at(int frame) const {
    return frame >= 0 && static_cast<std::size_t>(frame) < frame_release.size() ? frame_release[frame] : release;
  }
  double freeze_at(int frame) const;
  double latest_release() const;
};

inline constexpr double kNoFreeze = 1e300;
inline constexpr double kFreezeLead = 0.02;         // a freeze comes this long before the next release
inline constexpr double kBlankLead = 0.05;          // I_b on this fraction of a frame before its start
inline constexpr double kBlankFirstRelease = 0.10;  // the first BMRU layer's release
inline constexpr double kBlankStagger = 0.30;       // each next layer's delay
inline constexpr double kBlankLastRelease = 0.65;   // no release later than this
inline constexpr double kBlankRamp = 0.02;          // I_b ramps off over this fraction of a frame
inline constexpr double kBlankSourceLift = 0.6;    // V on the clock line while released
inline constexpr double kMargin = 1.25;
// Every cell must show its frame's state by this fraction of the frame (the agreement's settling
// check, agreement.hpp kSettledFraction; the lowering sizes the bias references for it).
inline constexpr double kSettleDeadline = 0.8;
inline constexpr double kMinimumUnits = 1.0 / 32;   // the weight grid's step
inline constexpr double kSwitchCharge = 4.5e-14;    // C per unit of area: a cell's switch (see above)
inline constexpr double kSwitchMargin = 1.5;        // on the predicted switching time

// The blanking of every BMRU layer of `network` for the input `frames` (software candidates from
// infer()), in layer order.
// `area` is the lowering's device-area factor (the cells' switching time grows with it).
std::vector<LayerBlanking> plan_blanking(const Network& network, const std::vector<Vector>& frames, double area = 1.0);

// The predicted time (s) a cell takes to switch after its release with `overdrive` (A) past its
// threshold, at device area `area`: kSwitchCharge * area / overdrive.
double predicted_switch_time(double overdrive, double area);

// Frame 0 is not blanked; the preset (lowering.cpp, preset_sources) holds each BMRU layer's cells
// at s0 and lets go layer after layer: the first at kPresetFirstRelease of the frame, each next
// one kPresetStagger later (at most kPresetLastBase), so that a layer's inputs have settled when it
// is released. As in the blanked frames, an upstream cell that leaves its s0 with a small
// overdrive can switch after that: measured on random network seed 3003 at area 4, a layer-0 cell
// 0.046 units above beta2 switched 2.5 ms after its release, at the moment layer 1 was released,
// and the step's transient dipped a layer-1 candidate from 0.95 to 0.58 units, below its beta1 of
// 0.73; that cell lost its s0 = 1 for the whole sequence. So a layer's release also waits for the
// previous layer's slowest predicted frame-0 switch (kSwitchMargin * predicted_switch_time after
// that layer's release), up to kBlankLastRelease.
inline constexpr double kPresetFirstRelease = 0.05;
inline constexpr double kPresetStagger = 0.25;
inline constexpr double kPresetLastBase = 0.55;
// Per BMRU layer, in layer order: when its preset lets go, as a fraction of frame 0.
std::vector<double> plan_preset_release(const Network& network, const std::vector<Vector>& frames, double area = 1.0);

// The PWL points (time, current) of a layer's I_b over `frames` frames: zero in frame 0, then
// on from (t - kBlankLead) frames to (t + release_at(t)) frames, for every frame t >= 1, and from
// (t + freeze_at(t)) to the next frame's release where a frame freezes.
std::vector<std::pair<double, double>> blanking_waveform(const LayerBlanking& blanking, double frame, int frames,
                                                         double edge);

// The PWL points (time, volts) of a layer's blanking clock line (the outputs' sources): at
// kBlankSourceLift in frame 0 and after each release, falling to 0 V an edge before I_b turns on
// and lifting again an edge after I_b has ramped to zero.
std::vector<std::pair<double, double>> blanking_source_waveform(const LayerBlanking& blanking, double frame,
                                                                int frames, double edge);

}  // namespace picospice::network
