// Simulator options: the `.options` card and command-line overrides travel in this struct.
// Defaults fit picoamp circuits (docs/design.md, 'Tolerances for picoamps'): classic SPICE uses
// abstol 1e-12 A, which is as large as the signals picospice is built for.
#pragma once
#include <cstdint>
#include <string>

namespace picospice {

enum class IntegrationMethod { BackwardEuler, Trapezoidal, Gear2 };

// `.options trannoise=1 noisefmax=F [noisetstep=T] [noiseseed=N] [noisescale=K]
//  [noiseinterp=linear|hold] [noiseflicker=0|1]` (engine/noise/transient_noise.hpp).
struct TransientNoiseOptions {
  bool enabled = false;        // trannoise
  double fmax = 0.0;           // Hz, noisefmax: the grid step is 1/(2 fmax) ...
  double tstep = 0.0;          // s, noisetstep: ... unless this is given (> 0)
  std::uint64_t seed = 1;      // noiseseed
  double scale = 1.0;          // noisescale: multiplies the amplitude (standard deviation)
  bool hold = false;           // noiseinterp=hold: samples held; default linear interpolation
  bool flicker = false;        // noiseflicker
  // The noise grid step NT, 0 when neither noisefmax nor noisetstep is set.
  double grid_step() const { return tstep > 0 ? tstep : (fmax > 0 ? 0.5 / fmax : 0.0); }
};

struct SimOptions {
  double reltol = 1e-3;     // relative tolerance on updates, residuals and charges
  double abstol = 1e-15;    // A: absolute current (KCL residual) tolerance
  double vntol = 1e-7;      // V: absolute voltage update tolerance
  double chgtol = 1e-18;    // C: absolute charge tolerance for truncation error (abstol * 1 ms)
  double gmin = 1e-18;      // S: minimum conductance devices keep across junctions/channels
  double trtol = 7.0;       // truncation error overestimate factor, as in SPICE
  IntegrationMethod method = IntegrationMethod::Trapezoidal;
  int maxord = 2;           // 1 forces backward Euler
  // Newton iterations per DC operating point attempt (ngspice's default; it was 200, which
  // spent 100 more on lowered layers whose plain Newton never converges before gmin stepping).
  int itl1 = 100;
  // Newton iterations per stage of gmin and source stepping (ngspice's itl2, the same default): a
  // stage near a fold of the homotopy path fails fast and is retried with a smaller step.
  int itl2 = 50;
  int itl4 = 10;            // Newton iterations per transient time point (ngspice's default;
                            // a harder point fails fast and is retried with a shorter step)
  double temp = 27.0;       // C: circuit temperature
  double tnom = 27.0;       // C: default model reference temperature
  // The operating point's first attempt, plain Newton from the guess (ngspice's `noopiter` skips it;
  // `picospice lower` writes it, with nogmin, for lowered networks: engine/analyses/operating_point).
  bool plain_newton_first = true;
  bool gmin_stepping = true;    // nogmin, or ngspice's gminsteps=0, turns it off
  bool source_stepping = true;  // nosrcstep, or ngspice's srcsteps=0
  bool pseudo_transient = true;  // the operating point's last resort (engine/analyses/operating_point)
  // Device bypass (`.options bypass=0` turns it off): a nonlinear device whose terminal voltages
  // moved by less than bypass_fraction * UT since it was last evaluated reuses that evaluation,
  // linearized (i + g dv, q + C dv). The remainder is second order, below bypass_fraction^2 / 2
  // of the device's current in weak inversion (where I ~ exp(v / (n UT))): with 1e-2 (260 uV at
  // 27 C) 5e-5, a twentieth of reltol. ngspice bypasses on reltol * |v| + vntol, ~500 uV on a
  // 0.5 V node. 1e-3 until 2026-12-06: at 1e-2 the 64-unit lowered layer runs 1.14x and the 2x64
  // network 1.10x faster, their outputs at 90% of every frame as close to the runs without bypass
  // as before or closer (4.9e-12 against 9.8e-12 A on 64 units; README, 'Benchmarks').
  // DC solves (operating points, DC sweeps: no capacitance) bypass at a tenth of it, 1e-3: next
  // to the fold of a hysteretic cell the DC solution's sensitivity to a current error has no
  // bound (at 1e-2 the schmitt9 loop's down sweep put the point just past the switch 50% off
  // ngspice's, the curve moved by 1e-14 A along a near-vertical edge; at 1e-3 it agrees).
  bool bypass = true;
  // Factorization reuse (off with bypass): a Newton matrix whose every entry is within this
  // fraction of the last factored one's keeps that factorization. The iteration is then a chord
  // step, which converges linearly instead of quadratically but to the same solution: convergence
  // is still judged on the residual at the evaluated point (engine/newton.cpp), and an iteration
  // that does not at least halve its update refactors exactly.
  double factor_reuse = 0.5;
  // ... only for circuits whose factorization costs at least this many flops (~10 us), and at
  // least 20 per nonlinear device instance: below, a chord step's extra Newton iterations (each a
  // device evaluation) cost more than it saves (a chord step skipped ~1/3 of the refactorizations
  // and added ~10% iterations on a 64-unit layer, where a refactorization cost 1.15e6 flops and an
  // iteration's 7352 transistor evaluations the time of ~1e6; a 256-unit layer split into blocks
  // factors in 1.25e4 flops against 86396 transistors, where chord steps only add iterations).
  double factor_reuse_min_flops = 1e4;
  double factor_reuse_min_flops_per_device = 20;
  // Feed-forward split (off with bypass; `.options ffsplit=0`): a transient's Newton matrix leaves
  // out the charge-only entries (a MOSFET gate's row) that alone would join feed-forward stages
  // into one block, so each stage is factored on its own (engine/sparsity_pattern.hpp).
  bool feed_forward_split = true;
  // Latency (transient only, off with bypass; `.options latency=0`): a device whose bypassed
  // linearization stays the same over several evaluations is loaded through sums the System keeps
  // (devices/device.hpp, LatentSums) instead of stamping it again at every evaluation.
  bool latency = true;
  // Newton give-up (transient only, off with bypass; `.options newtongiveup=N`, 0 turns it off):
  // from the Nth Newton iteration of a time step on, an update still more than 100 tolerances off
  // that did not at least halve since the iteration before ends the attempt, and the step is
  // retried shorter at once instead of after itl4 iterations (engine/newton.cpp). A step longer
  // than a switching cell's regeneration time leaves the iterates wandering at the cell's nodes
  // until itl4; on the 64-unit lowered layer 159 of its 164 Newton rejections end this way, 5%
  // fewer Newton iterations in all (README, 'Benchmarks').
  int newton_give_up_after = 5;
  // Threads for the device evaluation of large circuits (0: all cores). Monte Carlo workers set 1:
  // they already run one sample per core. Results do not depend on it (engine/system.cpp).
  int threads = 0;
  double bypass_fraction = 1e-2;
  double max_gmin = 1e-2;   // S: first value of the gmin homotopy (it ends at 0)
  TransientNoiseOptions noise;  // transient device noise (engine/noise/)
};

// Physical constants (CODATA 2018 exact SI values).
namespace physics {
constexpr double boltzmann = 1.380649e-23;      // J/K
constexpr double charge = 1.602176634e-19;      // C
constexpr double zero_celsius = 273.15;         // K
inline double thermal_voltage(double kelvin) { return boltzmann * kelvin / charge; }
}  // namespace physics

}  // namespace picospice
