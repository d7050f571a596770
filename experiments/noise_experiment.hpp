// The noise-accumulation experiment (docs/requirements.md, 'The noise-accumulation experiment'): does device noise accumulate through a
// recurrence? An analog recurrent loop against the schmitt9 cell, both built from the cell library
// (netlists/cells/cells.lib) and simulated with transient device noise (`.options trannoise=1`).
// `picospice noise-experiment` runs it; tests/unit/test_noise_experiment.cpp runs small versions.
//
// Three parts, each a set of independent transient simulations ("tasks"):
//
// 1. Accumulation. Both circuits run `frames` frames (frame 10 ms, as in the lowering), once
//    noise-free and once per seed with noise. The cell gets the input sequence x_t (set at frame 0,
//    hold, reset at frame frames/2, hold); the analog loop gets the hold level x throughout, so
//    that its noise-free state stays at x and the growth of its deviation is not confounded with a
//    drifting operating point (its noise scales with its state current). Each frame's state is sampled at
//    sample_fraction of the frame; the report is the standard deviation over seeds of
//    (noisy - noise-free), frame by frame, and the trend of its variance (VarianceTrend: slope
//    against frame with a jackknife error; the analog loop over all frames, the cell over its
//    high and its low stretch separately, since its two levels carry very different noise).
//      analog loop  a current-mode leaky integrator: the state is the current I_s of a
//                   diode-connected NMOS whose gate node carries a capacitor C; an NMOS mirror copy
//                   (ratio w) turned around by a PMOS mirror feeds a*I_s back into the node, and a
//                   PMOS weight mirror adds the input (1 - a)*x_t. In steady state I_s = x; the
//                   node obeys C nUT/I_s dI_s/dt = (1-a)(x - I_s), so the state keeps the fraction
//                   r = exp(-T (1-a) I_s/(C nUT)) per frame. C is chosen so that r = a at I_s =
//                   hold level: the discrete recurrence s_t = a s_{t-1} + (1-a) x_t, in continuous
//                   time. w is calibrated by operating points so that the effective loop gain
//                   (channel-length modulation makes the mirrors ~1-3% strong) is a, within 1% of
//                   1 - a.
//      schmitt9     the cell under its nominal biases, fed x_t through the same kind of PMOS weight
//                   mirror, driving the next stage's input diode (an NMOS W=1u L=4u).
//    The state read in both: the current that a unit NMOS copy of the state's diode carries (the
//    analog loop's state diode; the next stage's input diode for the cell). The copy is a probe
//    transistor with `noise=0`, its drain held at 0.3 V through a 0 V ammeter: it reads the diode's
//    gate voltage as a current without adding noise of its own. (A probe is one more gate on its
//    node: ~10 fF, i.e. one more fan-out, negligible next to the loop's C.)
// 2. Suppression per cell boundary. The cell held in each stable state at the middle of its
//    hysteresis band (input from the weight mirror, state chosen by `.ic` on the cell's node x).
//      input noise   std of the cell's input-diode current (a noiseless probe copy of M1), around
//                    the noise-free value: the current the comparator weighs. Normalised to the
//                    threshold margin: up_switch - I_in (low state), I_in - down_switch (high),
//                    with the switching points measured by a DC loop of the same bench, in
//                    units of the delivered input current.
//      output noise  std of the next stage's input-diode current (probe copy), normalised to the
//                    level separation out_high - out_low (DC loop, middle of the band).
//    suppression = (input std / margin) / (output std / separation), per state, to be held
//    against the reference design's "at least 20-fold" (docs/design.md, 'Reference figures').
//    Raw and input-attributable: the output's noise is partly the cell's own (in the high state
//    the output transistor's shot noise, 2qI_gain into the next stage's diode, which no input
//    noise causes), so each noisy hold run has a twin with the same seed whose input weight
//    mirror is noiseless (`noise=0`; the cell's and the load's devices draw the same samples,
//    since a device's sequence depends only on its own name). The paired difference
//    (with input noise) - (without), on the input probe and on the output probe, is the part
//    caused by the input noise; the attributable suppression is formed from those two stds.
// 3. Spurious flips. The cell in its low state with the input `flip_margin` below the up switch,
//    for each noisescale in `flip_scales`, `flip_seeds` runs of `flip_time`: the time of the first
//    flip (output probe above I_gain/2) or none. The rate is the maximum-likelihood estimate for
//    exponential waiting times with censoring: flips / total time observed unflipped. A Gaussian
//    input noise of std sigma*scale crossing a margin m gives log(rate) ~ A - m^2/(2 sigma^2) /
//    scale^2 (Rice's level-crossing rate), so log(rate) is fitted linearly in 1/scale^2; the slope
//    predicted from the input noise measured at the flip input (a hold run at that level) is
//    reported beside the fitted one.
//
// Determinism: every task's noise seed is a pure function of (seed, part, seed index), so results
// do not depend on the number of jobs or the order in which tasks finish.
// Approximations: the noise grid (noise_fmax) limits the bandwidth of the injected noise; nodes
// faster than noise_fmax (the cell's output and input diodes, poles ~50-300 kHz) are seen with less
// than their full noise, which the report states beside the numbers.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codesign/characterize.hpp"

namespace picospice::cells {

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

struct NoiseExperimentSettings {
  SchmittBias bias;                       // the cell's biases (default 350/200/500 pA)
  double vdd = 1.8, temp_celsius = 27.0;
  std::uint64_t seed = 1;                 // the experiment seed; each run's noiseseed derives from it
  double noise_fmax = 50e3;               // Hz: `.options noisefmax`, grid step 1/(2 fmax)
  // `.options noiseinterp`: "hold" by default, because with "linear" some runs of the cell under
  // strong noise (noisescale >= 4 near a threshold) stalled in the transient's step control.
  std::string noise_interp = "hold";

  // Accumulation.
  int frames = 100;
  double frame = 10e-3;                   // s (the lowering's frame)
  double sample_fraction = 0.9;           // where in the frame the state is read
  int seeds = 50;
  double noise_scale = 1.0;               // noisescale of the accumulation and suppression runs
  // Effective feedback gain a of the analog loop. 0.995: a time constant of 1/(1-a) = 200 frames,
  // so over 100 frames the variance is still growing nearly linearly (1 - a^(2t)); at 0.98 it
  // saturates after ~25 frames and "growth" is hard to tell from a bounded level.
  double loop_gain = 0.995;
  double set_input = 450e-12, hold_input = 250e-12, reset_input = 50e-12;  // x_t levels (A)

  // Suppression.
  int hold_seeds = 20;
  double hold_time = 20e-3, hold_settle = 2e-3, hold_sample_step = 50e-6;  // s

  // Spurious flips.
  std::vector<double> flip_scales{4, 5, 6, 7, 8, 10};
  int flip_seeds = 24;
  double flip_time = 20e-3;               // s per run
  double flip_margin = 30e-12;            // A below the up switch

  // Parts to run (tests switch some off).
  bool accumulation = true, suppression = true, flips = true;

  // --quick: fewer seeds and frames, for a look in about a minute.
  static NoiseExperimentSettings quick();
  // Throws std::invalid_argument naming the first bad value.
  void check() const;
  // Every value that decides the results (a resumed run must match it).
  std::string fingerprint() const;
};

// What the experiment measures once, noise-free, before the tasks: the cell's switching points in
// delivered-input units (DC loop of the hold bench) and the analog loop's calibration.
struct NoiseExperimentSetup {
  // Cell, DC loop of the bench: reference current <-> delivered input current.
  std::vector<double> loop_reference, loop_delivered, loop_output;  // up sweep then down sweep
  std::size_t loop_turn = 0;
  double up_switch = 0, down_switch = 0;  // delivered input (A)
  double out_high = 0, out_low = 0;       // output probe at mid band, high and low branch (A)
  double mid_input = 0;                   // delivered input at mid band (A)
  double mid_reference = 0;               // the reference current that delivers it
  double flip_input = 0, flip_reference = 0;
  // Analog loop.
  double loop_width_ratio = 0;            // w: feedback copy width / diode width
  double loop_gain_measured = 0;          // a_eff at the hold level, after calibration
  double loop_capacitance = 0;            // F
  double slope_factor_ut = 0;             // n*UT (V) of the library's nch card
};

enum class NoiseTaskKind { AnalogFrames, CellFrames, Hold, Flip };

struct NoiseTask {
  NoiseTaskKind kind = NoiseTaskKind::AnalogFrames;
  std::string id;                  // unique, e.g. "analog/s7", "hold/high/clean", "flip/x5/s3"
  std::optional<int> seed_index;   // empty: the noise-free run (noisescale 0)
  std::string state;               // Hold: "low", "high" or "flipin"; Flip: "low"
  double scale = 1.0;              // noisescale
  // Hold only: false for the twin run whose input weight mirror is noiseless (same noise seed as
  // the run with input noise, id "hold/<state>/cellonly/s<k>").
  bool input_noise = true;
};

// One finished task. values: AnalogFrames and CellFrames one state current per frame (A);
// Hold the input probe samples then the output probe samples (equal halves, A); Flip
// {1 if flipped else 0, time observed unflipped (s)}.
struct NoiseTaskResult {
  std::string id;
  std::vector<double> values;
};

NoiseExperimentSetup prepare_noise_experiment(const NoiseExperimentSettings& settings);
std::vector<NoiseTask> plan_noise_tasks(const NoiseExperimentSettings& settings);
// The task's bench as netlist text (runnable with `picospice run`).
std::string noise_task_netlist(const NoiseExperimentSettings& settings, const NoiseExperimentSetup& setup,
                               const NoiseTask& task);
// Runs one task; throws SimulationError/NetlistError when the simulation fails.
NoiseTaskResult run_noise_task(const NoiseExperimentSettings& settings, const NoiseExperimentSetup& setup,
                               const NoiseTask& task);

// --- Summaries ---------------------------------------------------------------------------------
// Growth of a variance over frames: least-squares slope of var(frame) over a window of frames,
// with its standard error by the jackknife over seeds (leave one seed out, recompute every
// frame's variance and the slope). The jackknife, not the regression's own error, because the
// frames of one seed are one trajectory: their deviations are correlated, not independent.
struct VarianceTrend {
  std::string series;           // "analog", "cell high", "cell low"
  int first_frame = 0, last_frame = 0;
  double slope = 0, slope_se = 0;  // A^2 per frame
  double mean_variance = 0;        // A^2, over the window
  double mean_scale = 0;           // the normalising level (A): analog state, or level separation
  // The variance's change over the window relative to its mean: slope * (frames - 1) / mean.
  double relative_change = 0, relative_change_se = 0;
  // Analog loop: what a leaky integrator of the measured gain predicts for the ratio of the
  // variance over the window's last 10 frames to its first 10, var ~ 1 - a^(2 (t + f)) (zero for
  // the cell rows), and what was measured.
  double predicted_late_early = 0, measured_late_early = 0;
};

struct AccumulationRow {
  int frame = 0;
  double input = 0;                                  // x_t (A)
  double analog_clean = 0, analog_std = 0;           // A
  double cell_clean = 0, cell_std = 0;               // A
  int cell_state_clean = 0, cell_state_mismatches = 0;  // seeds whose state differs from noise-free
  int seeds = 0;
};

struct SuppressionRow {
  std::string state;            // "low", "high"
  double input = 0;             // delivered input (A)
  double input_std = 0, margin = 0;
  double output_std = 0, separation = 0;
  double suppression = 0;       // (input_std / margin) / (output_std / separation)
  int seeds = 0;
  // From the twin runs without input noise (NaN when they are missing):
  double output_std_own = kNoValue;          // std of (cell-only output - noise-free): the cell's own
  double input_std_attributable = kNoValue;  // std of (input with - without input noise)
  double output_std_attributable = kNoValue; // std of (output with - without input noise)
  double output_std_attributable_se = kNoValue;  // jackknife over seeds
  // var(output with) - var(output without): the other way to isolate the input-caused part; it is
  // a difference of two noisy estimates, so given with its jackknife standard error.
  double output_variance_difference = kNoValue, output_variance_difference_se = kNoValue;
  double suppression_attributable = kNoValue;  // from the two attributable stds
  int twin_seeds = 0;
};

struct FlipRow {
  double scale = 0;
  int runs = 0, flips = 0;
  double exposure = 0;          // s observed unflipped, summed over runs
  double rate = 0;              // flips / exposure (1/s); 0 when none flipped
};

struct FlipFit {
  int points = 0;               // scales with at least 2 flips, used in the fit
  double slope = 0, intercept = 0, r_squared = 0;  // ln(rate) = intercept + slope / scale^2
  double predicted_slope = 0;   // -margin^2 / (2 sigma_in^2), sigma_in at the flip input, scale 1
  double flip_input_std = 0;    // that sigma_in (A)
};

struct NoiseExperimentSummary {
  std::vector<AccumulationRow> accumulation;
  std::vector<VarianceTrend> trends;  // analog over all frames; cell over its high and its low stretch
  std::vector<SuppressionRow> suppression;
  std::vector<FlipRow> flips;
  FlipFit fit;
};

// Builds the summaries from finished results (keyed by task id); parts whose tasks are missing
// stay empty. Throws std::runtime_error when a result has the wrong shape.
NoiseExperimentSummary summarize_noise_experiment(const NoiseExperimentSettings& settings,
                                                  const NoiseExperimentSetup& setup,
                                                  const std::map<std::string, NoiseTaskResult>& results);

// The input x_t of frame k.
double noise_experiment_input(const NoiseExperimentSettings& settings, int frame);

// Least squares y = intercept + slope * x, with R^2. Needs at least two distinct x.
struct LineFit {
  double slope = 0, intercept = 0, r_squared = 0;
};
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace picospice::cells
