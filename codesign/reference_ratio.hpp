// Ratioed bias references (cells.lib: schmitt9_bias kt/kw/kg, isource/isink k): a reference diode
// carries its current / k at the same gate area and its copy k times that, so the reference draws
// 1/k of the supply current (LoweringOptions::reference_ratio_limit). The price is time: a line
// disturbed by the frame blanking recovers through the reference's own, smaller current.
#pragma once
#include <utility>

namespace picospice::network {

// The smallest current a ratioed bias reference may carry (A): a reference line's time constant
// C*N*UT/I, with C the gate capacitance of the reference diode and the cell's copy (2 x 8 um^2 x
// area at 8.5 fF/um^2), fits 6 times into `window` (s), the time from the last blanking release
// to the settling deadline (kSettleDeadline): a line that the blanking disturbed is back within
// ~1% of its current (one time constant of 1/t tail, then five of exponential decay) by then.
double reference_floor(double window, double area);

// The ratio k for a bias current: floor(current / reference_floor), between 1 and the limit.
int reference_ratio(double current, double window, double area, int limit);

// The ratios (kt, kw) of a blanked cell's I_thresh and I_width references, each first as
// reference_ratio() gives it, then kt lowered so that after a blanking release the I_thresh line
// never recovers more slowly than the I_width line, in the cell's currents.
//
// Why. The cell's down-switching point is beta1 = I_thresh - I_width. The blanking raised both
// (by T and by W > T); after its release each line's excess decays as its reference diode charges
// the line's gate capacitance C back: d(dI)/dt = -(I + dI) dI / (k C N UT) in the cell's current
// (the copy multiplies the line's excess by k, so a line of ratio k recovers as if its capacitance
// were k times larger). With kt > kw the I_thresh excess outlives the I_width excess and beta1
// rises above its value for milliseconds: random network seed 2029 at area 4 (kt 30, kw 7) reset
// a held-high cell 0.14 units inside its band on two frames, and the layer after it followed
// (95.4% agreement); with kt = kw that cell's comparator node stayed within 43 mV of its rail
// (0.81 V before). The I_thresh excess stays below the I_width excess at all times when its
// decay rate is the larger for every excess (comparison of the two solutions, which start ordered,
// T < W): kt Ct <= kw Cw and ith / (kt Ct) >= iw / (kw Cw). The lines' capacitances are the
// diode's and the cell's copy (equal on both lines) plus the blanking output (the I_width one is
// the wider, W > T), so Ct <= Cw, and kt <= kw min(1, ith / iw) suffices. It costs the I_thresh
// reference its share of the ratio's saving: (ith / kt - ith / kt_before) more supply current.
std::pair<int, int> blanked_reference_ratios(double ith, double iw, double window, double area, int limit);

// The blanking width W (model units) a cell needs so that the blanking's *onset* never moves beta1
// up either: at least `width` (frame_blanking.hpp's W), and at least T (ith / iw) (kw / kt).
//
// Why. When I_b turns on, each line's excess E grows from 0 towards its target (T or W) at
// dE/dt = (I + E)(target - E) / (k C N UT) in the cell's current: from a small start the line
// with the larger reference current per k moves first. Random network seed 3011 (area 1, kt = kw
// = 32, ith 403 pA, iw 159 pA, T 1.85, W 2.25 units): the I_thresh excess led, beta1 rose through
// a held-high cell's candidate 0.05 units above beta1 at the onset, and the cell held the wrong
// state through the frame (99.08%); with W = 4.8 units the same cell's node stayed at 62 mV. With
// Ct <= Cw the I_width excess stays ahead for every E in [0, T] when iw W / kw >= ith T / kt (the
// difference of the two rates is that at E = 0 plus a term in E that is >= 0 for W >= T, ith >=
// iw; for ith < iw the condition W >= T already holds it). It costs the cell (W' - W) units more in
// its width branch while blanked.
double onset_ordered_width(double threshold, double width, double ith, double iw, int kt, int kw);

}  // namespace picospice::network
