#include "engine/analyses/transient.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/analyses/point_limits.hpp"
#include "engine/integrator.hpp"
#include "engine/newton.hpp"
#include "engine/noise/transient_noise.hpp"

namespace picospice {
namespace {

// The corners the transient lands on, one at a time: every device's next corner, tstart and
// tstop. Corners closer than a tiny fraction of the run are one corner (they would force useless
// tiny steps). Asking one at a time keeps a long pulse train or a fine noise grid out of memory.
class Breakpoints {
 public:
  Breakpoints(const Circuit& circuit, const TranSpec& spec)
      : circuit_(circuit), tstop_(spec.tstop), tstart_(spec.tstart), resolution_(spec.tstop * 1e-12) {
    current_ = next_after(resolution_);
  }
  bool done() const { return current_ > tstop_; }
  double current() const { return current_; }
  // The corner after the current one (+infinity past tstop).
  double following() const { return next_after(current_ + resolution_); }
  void advance() { current_ = following(); }

 private:
  double next_after(double after) const {
    double next = after < tstop_ ? tstop_ : std::numeric_limits<double>::infinity();
    if (tstart_ > after) next = std::min(next, tstart_);
    for (const auto& group : circuit_.groups) next = std::min(next, group->next_breakpoint(after));
    return next <= tstop_ * (1 + 1e-12) ? std::min(next, tstop_ * (1 + 1e-12)) : std::numeric_limits<double>::infinity();
  }
  const Circuit& circuit_;
  double tstop_, tstart_, resolution_;
  double current_;
};

// The transient lands on every source corner and noise grid time: a TRNOISE step of 1e-15 s over
// a microsecond is 10^9 steps, hours of work for a result nobody can store. Refused up front: the
// grid's count is known, and the corners' density is estimated from the first ten thousand.
void check_landing_points(const Breakpoints& breakpoints, const TransientNoise& noise, const TranSpec& spec) {
  if (noise.grid_step() > 0 && spec.tstop / noise.grid_step() > kMaxTranPoints)
    throw SimulationError(fmt::format(".tran: the transient-noise grid step of {:g} s makes {:g} points up to {:g} s; "
                                      "picospice's limit is {:g} (raise noisetstep or lower noisefmax)",
                                      noise.grid_step(), spec.tstop / noise.grid_step(), spec.tstop, kMaxTranPoints));
  constexpr int kProbe = 10000;
  Breakpoints probe = breakpoints;
  int corners = 0;
  while (!probe.done() && corners < kProbe) {
    probe.advance();
    ++corners;
  }
  if (probe.done() || !(probe.current() > 0)) return;
  const double estimate = kProbe * spec.tstop / probe.current();
  if (estimate > kMaxTranPoints)
    throw SimulationError(fmt::format(".tran: the sources' corners (a TRNOISE or TRRANDOM step, a PULSE or PWL) come "
                                      "every {:g} s on average, about {:g} points up to {:g} s; picospice's limit is {:g}",
                                      probe.current() / kProbe, estimate, spec.tstop, kMaxTranPoints));
}

// Adds the noise injection group to the circuit for the life of a transient and removes it after,
// also when the transient throws.
class NoiseInjectionScope {
 public:
  NoiseInjectionScope(Circuit& circuit, const TransientNoise& noise) : circuit_(circuit) {
    if (!noise.active()) return;
    circuit.groups.push_back(std::make_unique<NoiseInjectionGroup>(noise));
    added_ = circuit.groups.back().get();
  }
  ~NoiseInjectionScope() {
    if (added_ && !circuit_.groups.empty() && circuit_.groups.back().get() == added_) circuit_.groups.pop_back();
  }
  NoiseInjectionScope(const NoiseInjectionScope&) = delete;
  NoiseInjectionScope& operator=(const NoiseInjectionScope&) = delete;

 private:
  Circuit& circuit_;
  DeviceGroup* added_ = nullptr;
};

// `.tran ... uic`: no operating point. The state at t = 0 is what the netlist gives: .ic node
// voltages (others 0) and each device's own initial condition (C ... IC=v, L ... IC=i), as charges.
// The nodes no charge holds (those a source sets) are then made consistent by one backward-Euler
// step of a tiny h from those charges: every charge stays at its initial value to within h times
// its current, while source-driven nodes take their values, as ngspice's t = 0 point shows them.
// Returns the initial charges the integration starts from; x becomes the t = 0 point.
std::vector<double> uic_initial_state(System& system, std::vector<double>& x, double tmax) {
  const Circuit& circuit = system.circuit();
  for (const auto& ic : circuit.initial_conditions) x[ic.node] = ic.value;
  EvalPoint charges_at;
  charges_at.want_reactive = true;
  charges_at.transient = true;
  charges_at.limit = false;
  system.evaluate(x.data(), charges_at);
  std::vector<double> q0 = system.q();
  for (const auto& group : circuit.groups) group->apply_initial_conditions(x.data(), q0.data());

  const double h = 1e-9 * tmax;
  std::vector<double> history(q0.size());
  for (std::size_t i = 0; i < q0.size(); ++i) history[i] = -q0[i] / h;
  NewtonProblem problem;
  problem.max_iterations = circuit.options.itl1;
  problem.point.want_reactive = true;
  problem.point.transient = true;
  problem.point.reactive_scale = 1.0 / h;
  problem.history = history.data();
  std::vector<double> consistent = x;
  if (newton_solve(system, consistent, problem).converged) x = consistent;
  return q0;
}

// The transient's starting point into x (which arrives holding the .nodeset guesses): the
// operating point with the sources at their t = 0 transient values (holding .ic nodes), or with
// uic the given state. Returns the charges the integration starts from.
std::vector<double> initial_state(System& system, const TranSpec& spec, double tmax, std::vector<double>& x,
                                  OperatingPointReport& report) {
  const Circuit& circuit = system.circuit();
  if (spec.uic) return uic_initial_state(system, x, tmax);
  OperatingPointSettings op;
  op.context = "transient initial operating point";
  // SPICE's rule: the initial point has every source at its transient value at t = 0
  // (`V1 1 0 DC 5 PULSE(0 1 ...)` starts from 0 V, not 5 V).
  op.transient = true;
  if (!circuit.initial_conditions.empty()) op.forced = &circuit.initial_conditions;
  report = solve_operating_point(system, x, op);
  EvalPoint charges_at;
  charges_at.want_reactive = true;
  charges_at.transient = true;
  charges_at.limit = false;
  system.evaluate(x.data(), charges_at);
  return system.q();
}

// Where the next step must end: the next corner, or the next noise grid time before it. A grid
// time within `resolution` of the corner is the corner.
struct LandingTarget {
  double time = 0;
  bool is_corner = true;  // a breakpoint: the integration order restarts there
  bool is_grid = false;   // a noise grid time: the noise samples advance there
};

LandingTarget next_landing_target(double corner, const TransientNoise& noise, std::int64_t grid_index,
                                  double resolution) {
  LandingTarget target;
  target.time = corner;
  if (!noise.active()) return target;
  const double grid_time = noise.grid_time(grid_index + 1);
  if (grid_time < corner - resolution) {
    target.time = grid_time;
    target.is_corner = false;
    target.is_grid = true;
  } else if (grid_time <= corner + resolution) {
    target.is_grid = true;
  }
  return target;
}

// A transient that cannot advance fails instead of spinning: too many rejections in a row, or
// too many steps in a row forced through at the step floor hmin.
struct StallGuard {
  static constexpr int max_consecutive_rejections = 400;
  static constexpr int max_consecutive_floor_steps = 1000;
  int consecutive_rejections = 0, consecutive_floor_steps = 0, consecutive_newton_failures = 0;

  void check(const char* why, double t, double h, double hmin) const {
    if (consecutive_rejections <= max_consecutive_rejections && consecutive_floor_steps <= max_consecutive_floor_steps)
      return;
    throw SimulationError(fmt::format(
        "transient: cannot advance at t = {:.9g} s (step {:.3g} s, floor {:.3g} s): {} "
        "({} rejected steps in a row, {} steps in a row at the floor)",
        t, h, hmin, why, consecutive_rejections, consecutive_floor_steps));
  }
};

// For tests (TransientStatistics::record_noise): every noise sample in drawing order.
void record_noise_samples(const TransientNoise& noise, bool high, TransientStatistics& stats) {
  for (std::size_t s = 0; s < noise.size(); ++s) stats.noise_samples.push_back(high ? noise.sample_high(s) : noise.sample_low(s));
}

}  // namespace

Plot run_transient(System& system, const TranSpec& spec, const std::function<void(double)>& progress,
                   TransientStatistics* statistics) {
  PlotRecorder recorder;
  run_transient(system, spec, recorder, progress, statistics);
  return recorder.take_last();
}

// Long on purpose: one step loop whose state (t, h, order, the landing target, the predictor's
// last points, the stall counters) every branch reads and updates; the parts that need none of
// it are the functions above.
void run_transient(System& system, const TranSpec& spec, PlotSink& sink, const std::function<void(double)>& progress,
                   TransientStatistics* statistics) {
  Circuit& circuit = system.circuit();
  const SimOptions& opt = circuit.options;
  const int n = system.size();
  if (!(spec.tstop > 0) || !(spec.tstep > 0))
    throw SimulationError(".tran needs tstep > 0 and tstop > 0");
  // ngspice's default maximum step: min(tstep, (tstop - tstart)/50).
  double tmax = spec.tmax > 0 ? spec.tmax : std::min(spec.tstep, (spec.tstop - spec.tstart) / 50.0);
  for (auto& group : circuit.groups) group->set_transient_defaults(spec.tstep, spec.tstop);
  // Device noise (engine/noise/transient_noise.hpp): the step never exceeds the noise grid step NT
  // and lands on every grid time k*NT without restarting the integration order.
  TransientNoise noise(circuit);
  if (noise.active()) tmax = std::min(tmax, noise.grid_step());
  const double hmin = 1e-11 * tmax;

  std::vector<double> x(n + 1, 0.0);
  for (const auto& ns : circuit.nodesets) x[ns.node] = ns.value;
  OperatingPointReport initial_op;
  system.restore_initial_states();
  const std::vector<double> initial_charges = initial_state(system, spec, tmax, x, initial_op);
  system.accept_states(x.data());
  // A switching time is resolved to this (devices/switch.hpp).
  const double state_change_resolution = 1e-3 * tmax;

  const auto columns = select_outputs(circuit);
  Plot layout = make_plot(circuit, "Transient Analysis", "tran", "time", "time", columns);
  for (auto& note : noise.header_notes()) layout.notes.push_back(std::move(note));
  OutputRow row(true, columns);
  sink.begin_plot(layout);
  if (spec.tstart <= 0) sink.add_point(row(0.0, x));

  Integrator integrator(opt.method, opt.maxord, n + 1);
  integrator.start(0.0, initial_charges);
  TransientStatistics stats;
  stats.op_newton_iterations = initial_op.newton_iterations;
  stats.op_gmin_stepping = initial_op.used_gmin_stepping;
  stats.op_source_stepping = initial_op.used_source_stepping;
  stats.op_pseudo_transient = initial_op.used_pseudo_transient;
  // The first noise samples use the densities at the initial point; from here on the injection
  // group adds the noise currents to every evaluation.
  if (noise.active()) noise.advance(0, x.data());
  NoiseInjectionScope injection(circuit, noise);
  std::int64_t grid_index = 0;
  const double resolution = spec.tstop * 1e-12;  // as collect_breakpoints merges corners
  const bool record_noise = statistics && statistics->record_noise;
  if (record_noise) {
    record_noise_samples(noise, false, stats);
    record_noise_samples(noise, true, stats);
  }

  Breakpoints breakpoints(circuit, spec);
  check_landing_points(breakpoints, noise, spec);
  double t = 0.0;
  double h = std::min(tmax, breakpoints.done() ? tmax : breakpoints.current()) * 1e-2;
  int order = 1;
  std::vector<double> x_prev = x, x_new(n + 1), q_new(n + 1);
  double h_prev = 0.0;
  double last_report = -1.0;
  // After a rejected step the reduced step must not be stretched back onto the landing target:
  // with the 1.5x stretch a truncation rejection with ratio in [0.74, 0.9) shrinks h to 0.67-0.81 of
  // the distance, the stretch restored the identical rejected step, and the loop never ended
  // (frequent with device noise, whose grid puts a landing target every NT).
  bool after_rejection = false;
  bool retrying_truncation = false;  // this step was shortened by the truncation test (statistics)
  StallGuard stall;

  NewtonProblem problem;
  problem.max_iterations = opt.itl4;
  problem.point.want_reactive = true;
  problem.point.transient = true;
  problem.allow_chord = true;

  while (t < spec.tstop * (1 - 1e-13) && !breakpoints.done()) {
    const LandingTarget landing_target = next_landing_target(breakpoints.current(), noise, grid_index, resolution);
    const double target = landing_target.time;
    h = std::min(h, tmax);
    bool landing = false;
    const double stretch = after_rejection ? 1.0 : 1.5;
    if (t + stretch * h >= target || target - t <= hmin) {  // land exactly on the corner or grid time
      h = target - t;
      landing = true;
    }
    const double t_new = landing ? target : t + h;
    integrator.prepare(h, order);

    // Predictor: linear extrapolation of the last two accepted points.
    const double slope = h_prev > 0 ? h / h_prev : 0.0;
    for (Index i = 1; i <= n; ++i) x_new[i] = x[i] + slope * (x[i] - x_prev[i]);
    x_new[0] = 0.0;

    problem.point.time = t_new;
    problem.point.reactive_scale = integrator.a0();
    problem.history = integrator.history().data();
    // itl4 iterations normally (a hard point fails fast and is retried with a shorter step); after
    // three Newton failures in a row, itl1, as for an operating point: a start from a given
    // (uic) state that is far from consistent can need more iterations at any step size.
    problem.max_iterations = stall.consecutive_newton_failures >= 3 ? std::max(opt.itl4, opt.itl1) : opt.itl4;
    // A step whose Newton update is still far off and not contracting after
    // newton_give_up_after iterations is retried shorter at once instead of after itl4 (not while
    // a stall wants itl1; off with bypass). Measured on lowered networks (Newton iterations,
    // points): 64-unit layer 10006 / 2426 against 10515 / 2377, the 2x64 network 58037 / 15522
    // against 61334 / 15255; the 4- and 16-unit layers and the other benchmark rows within 1.4%
    // either way. Giving up after 4 or 6 iterations, or at 10 or 1000 tolerances, saved less on
    // the 64-unit layer.
    problem.give_up_after = opt.bypass && stall.consecutive_newton_failures < 3 ? opt.newton_give_up_after : 0;
    const NewtonOutcome outcome = newton_solve(system, x_new, problem);
    stats.newton_iterations += outcome.iterations;
    if (!outcome.converged) {
      if (outcome.gave_up) ++stats.newton_gave_up;
      retrying_truncation = false;
      ++stall.consecutive_newton_failures;
      ++stats.rejected_newton;
      ++stall.consecutive_rejections;
      after_rejection = true;
      h /= 8.0;
      order = 1;
      if (h < hmin) {
        const std::string faults = system.describe_faults();
        throw SimulationError(fmt::format(
            "transient: time step too small at t = {:.6g} s (step {:.3g} s): Newton {} at {}{}",
            t, h * 8.0, outcome.singular ? "hit a singular matrix" : "did not converge",
            system.describe(outcome.worst), faults.empty() ? "" : ". In the last evaluation: " + faults));
      }
      stall.check("Newton keeps failing", t, h, hmin);
      continue;
    }
    stall.consecutive_newton_failures = 0;
    q_new = system.q();
    const double ratio = integrator.truncation_ratio(q_new, opt);
    if (ratio < 0.9 && h > hmin) {
      ++stats.rejected_truncation;
      if (retrying_truncation) ++stats.repeated_truncation;
      retrying_truncation = true;
      ++stall.consecutive_rejections;
      after_rejection = true;
      // The order stays: the retry's error estimate then scales as h^(order+1) from the rejected
      // one, so 0.9 * ratio is the step that passes. Dropping to order 1 here (as this loop did)
      // retried with backward Euler, whose larger error often failed the shorter step again (64-unit
      // layer: 305 instead of 186 truncation rejections). A failed Newton still restarts at order 1.
      h = std::max(h * std::max(0.9 * ratio, 0.1), hmin * 0.999);
      stall.check("the truncation error test keeps rejecting", t, h, hmin);
      continue;
    }
    // A discrete state (a switch) changes inside this step: unless the change lies within the
    // step's last state_change_resolution, go back and land just past it (linear interpolation
    // of the control value; a landing short of it is accepted and the next step tries again).
    retrying_truncation = false;
    const double change = system.state_change_fraction(x.data(), x_new.data());
    if (change < 1 && h * (1 - change) > state_change_resolution && h > hmin) {
      ++stats.rejected_state_change;
      ++stall.consecutive_rejections;
      after_rejection = true;
      h = std::max(change * h + 0.5 * state_change_resolution, hmin);
      order = 1;
      stall.check("a switch's switching time cannot be resolved", t, h, hmin);
      continue;
    }
    stall.consecutive_rejections = 0;
    after_rejection = false;
    stall.consecutive_floor_steps = ratio < 0.9 ? stall.consecutive_floor_steps + 1 : 0;  // forced through at hmin
    stall.check("the truncation error needs steps below the floor", t, h, hmin);

    // Accept.
    integrator.accept(t_new, q_new);
    ++stats.accepted;
    const bool state_changed = system.accept_states(x_new.data());
    if (state_changed) ++stats.state_changes;
    x_prev = x;
    x = x_new;
    h_prev = h;
    t = t_new;
    if (t >= spec.tstart * (1 - 1e-12)) sink.add_point(row(t, x));

    const double grown = h * std::min(2.0, std::isfinite(ratio) ? 0.9 * ratio : 2.0);
    if (landing && landing_target.is_grid) {
      noise.advance(++grid_index, x.data());
      ++stats.noise_grid_points;
      if (record_noise) record_noise_samples(noise, true, stats);
    }
    if (landing && !landing_target.is_corner) {
      // A noise grid time: the solution is smooth across it except for a kink in the injected
      // current, so the integration order and history continue.
      order = integrator.max_order();
      h = grown;
    } else if (landing) {
      // A corner: restart at order 1 from here, with a step well inside the next interval. The
      // charge history goes on across the corner, so the truncation error of the steps after it is
      // tested like any other (their divided differences see the corner as a large second
      // derivative and keep the first steps short, as in ngspice). Restarting the history here
      // would accept the first two steps after every corner unchecked: an RC driven by a ramp was
      // 2% off at default tolerances, and a lowered network's cell flipped inside one 15 us step.
      breakpoints.advance();
      h_prev = 0.0;  // the predictor must not extrapolate the slope from before the corner
      order = 1;
      const double gap = !breakpoints.done() ? breakpoints.current() - t : tmax;
      h = std::min({grown, 0.1 * gap, tmax});
    } else if (state_changed) {
      // A switch changed state: the circuit jumped, so restart at order 1 without the predictor's
      // slope, like after a corner (the charge history goes on; its truncation test sees the jump).
      h_prev = 0.0;
      order = 1;
      h = std::min(grown, tmax);
    } else {
      order = integrator.max_order();
      h = grown;
    }
    if (progress && t - last_report > spec.tstop * 0.01) {
      progress(t / spec.tstop);
      last_report = t;
    }
  }
  if (progress) progress(1.0);
  if (statistics) *statistics = stats;
  sink.end_plot();
}

}  // namespace picospice
