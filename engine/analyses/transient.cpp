#include "engine/analyses/transient.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/integrator.hpp"
#include "engine/newton.hpp"
#include "engine/noise/transient_noise.hpp"

namespace picospice {
namespace {

std::vector<double> collect_breakpoints(const Circuit& circuit, const TranSpec& spec) {
  std::vector<double> points;
  for (const auto& group : circuit.groups) group->list_breakpoints(spec.tstop, points);
  points.push_back(spec.tstop);
  if (spec.tstart > 0) points.push_back(spec.tstart);
  std::sort(points.begin(), points.end());
  // Merge corners closer than a tiny fraction of the run: they would force useless tiny steps.
  const double resolution = spec.tstop * 1e-12;
  std::vector<double> merged;
  for (double t : points) {
    if (t <= resolution || t > spec.tstop * (1 + 1e-12)) continue;
    if (merged.empty() || t - merged.back() > resolution) merged.push_back(t);
  }
  return merged;
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

// The transient's starting point: the operating point (holding .ic nodes), or the .ic values alone
// with uic. `x` arrives holding the .nodeset guesses.
OperatingPointReport initial_solution(System& system, const TranSpec& spec, std::vector<double>& x) {
  const Circuit& circuit = system.circuit();
  OperatingPointReport initial_op;
  if (spec.uic) {
    for (const auto& ic : circuit.initial_conditions) x[ic.node] = ic.value;
  } else {
    OperatingPointSettings op;
    op.context = "transient initial operating point";
    if (!circuit.initial_conditions.empty()) op.forced = &circuit.initial_conditions;
    const OperatingPointReport report = solve_operating_point(system, x, op);
    initial_op = report;
  }
  return initial_op;
}

// Where the next step must end: the next corner (breakpoint), or the next noise grid time before
// it. A grid time within `resolution` of the corner is the corner.
struct LandingTarget {
  double time = 0;
  bool is_corner = true;  // a breakpoint: the integration restarts there
  bool is_grid = false;   // a noise grid time: the noise samples advance there
};

LandingTarget next_landing_target(double corner, const TransientNoise& noise, bool noisy,
                                  std::int64_t grid_index, double resolution) {
  LandingTarget target;
  target.time = corner;
  if (noisy) {
    const double grid_time = noise.grid_time(grid_index + 1);
    if (grid_time < corner - resolution) {
      target.time = grid_time;
      target.is_corner = false;
      target.is_grid = true;
    } else if (grid_time <= corner + resolution) {
      target.is_grid = true;
    }
  }
  return target;
}

// A transient that cannot advance fails instead of spinning: too many rejections in a row, or
// too many steps in a row forced through at the step floor hmin.
struct StallGuard {
  static constexpr int max_consecutive_rejections = 400;
  static constexpr int max_consecutive_floor_steps = 1000;
  int consecutive_rejections = 0, consecutive_floor_steps = 0;

  void check(const char* why, double t, double h, double hmin) const {
    if (consecutive_rejections <= max_consecutive_rejections &&
        consecutive_floor_steps <= max_consecutive_floor_steps)
      return;
    throw SimulationError(fmt::format(
        "transient: cannot advance at t = {:.9g} s (step {:.3g} s, floor {:.3g} s): {} "
        "({} rejected steps in a row, {} steps in a row at the floor)",
        t, h, hmin, why, consecutive_rejections, consecutive_floor_steps));
  }
};

}  // namespace

// Long on purpose: one step loop whose state (t, h, order, landing target, stall counters) every
// branch reads and updates; the parts that need none of it are the functions above.
Plot run_transient(System& system, const TranSpec& spec, const std::function<void(double)>& progress,
                   TransientStatistics* statistics) {
  Circuit& circuit = system.circuit();
  const SimOptions& opt = circuit.options;
  const int n = system.size();
  if (!(spec.tstop > 0) || !(spec.tstep > 0))
    throw SimulationError(".tran needs tstep > 0 and tstop > 0");
  // ngspice's default maximum step: min(tstep, (tstop - tstart)/50).
  double tmax = spec.tmax > 0 ? spec.tmax : std::min(spec.tstep, (spec.tstop - spec.tstart) / 50.0);
  for (auto& group : circuit.groups) group->set_transient_defaults(spec.tstep);
  // Device noise (engine/noise/transient_noise.hpp): the step never exceeds the noise grid step NT
  // and lands on every grid time k*NT without restarting the integration order.
  TransientNoise noise(circuit);
  const bool noisy = noise.active();
  const double grid_step = noise.grid_step();
  if (noisy) tmax = std::min(tmax, grid_step);
  const double hmin = 1e-11 * tmax;

  std::vector<double> x(n + 1, 0.0);
  for (const auto& ns : circuit.nodesets) x[ns.node] = ns.value;
  const OperatingPointReport initial_op = initial_solution(system, spec, x);

  const auto columns = select_outputs(circuit);
  Plot plot = make_plot(circuit, "Transient Analysis", "tran", "time", "time", columns);
  for (auto& note : noise.header_notes()) plot.notes.push_back(std::move(note));
  if (spec.tstart <= 0) append_point(plot, 0.0, columns, x);

  EvalPoint charges_at;
  charges_at.want_reactive = true;
  charges_at.limit = false;
  system.evaluate(x.data(), charges_at);
  Integrator integrator(opt.method, opt.maxord, n + 1);
  integrator.start(0.0, system.q());
  TransientStatistics stats;
  stats.op_newton_iterations = initial_op.newton_iterations;
  stats.op_gmin_stepping = initial_op.used_gmin_stepping;
  stats.op_source_stepping = initial_op.used_source_stepping;
  // The first noise samples use the densities at the initial point; from here on the injection
  // group adds the noise currents to every evaluation.
  if (noisy) noise.advance(0, x.data());
  NoiseInjectionScope injection(circuit, noise);
  std::int64_t grid_index = 0;
  const double resolution = spec.tstop * 1e-12;  // as collect_breakpoints merges corners
  const bool record_noise = statistics && statistics->record_noise;
  auto record = [&] {
    if (!record_noise) return;
    for (std::size_t s = 0; s < noise.size(); ++s) stats.noise_samples.push_back(noise.sample_high(s));
  };
  if (record_noise)
    for (std::size_t s = 0; s < noise.size(); ++s) stats.noise_samples.push_back(noise.sample_low(s));
  record();

  const auto breakpoints = collect_breakpoints(circuit, spec);
  std::size_t next_bp = 0;
  double t = 0.0;
  double h = std::min(tmax, breakpoints.empty() ? tmax : breakpoints[0]) * 1e-2;
  int order = 1;
  std::vector<double> x_prev = x, x_new(n + 1), q_new(n + 1);
  double h_prev = 0.0;
  double last_report = -1.0;
  // After a rejected step the reduced step must not be stretched back onto the landing target:
  // with the 1.5x stretch a truncation rejection with ratio in [0.74, 0.9) shrinks h to 0.67-0.81 of
  // the distance, the stretch restored the identical rejected step, and the loop never ended
  // (frequent with device noise, whose grid puts a landing target every NT).
  bool after_rejection = false;
  StallGuard stall;

  NewtonProblem problem;
  problem.max_iterations = opt.itl4;
  problem.point.want_reactive = true;

  while (t < spec.tstop * (1 - 1e-13) && next_bp < breakpoints.size()) {
    const LandingTarget landing_target =
        next_landing_target(breakpoints[next_bp], noise, noisy, grid_index, resolution);
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
    const NewtonOutcome outcome = newton_solve(system, x_new, problem);
    stats.newton_iterations += outcome.iterations;
    if (!outcome.converged) {
      ++stats.rejected_newton;
      ++stall.consecutive_rejections;
      after_rejection = true;
      h /= 8.0;
      order = 1;
      if (h < hmin)
        throw SimulationError(fmt::format(
            "transient: time step too small at t = {:.6g} s (step {:.3g} s): Newton {} at {}",
            t, h * 8.0, outcome.singular ? "hit a singular matrix" : "did not converge",
            system.describe(outcome.worst)));
      stall.check("Newton keeps failing", t, h, hmin);
      continue;
    }
    q_new = system.q();
    const double ratio = integrator.truncation_ratio(q_new, opt);
    if (ratio < 0.9 && h > hmin) {
      ++stats.rejected_truncation;
      ++stall.consecutive_rejections;
      after_rejection = true;
      h = std::max(h * std::max(0.9 * ratio, 0.1), hmin * 0.999);
      order = 1;
      stall.check("the truncation error test keeps rejecting", t, h, hmin);
      continue;
    }
    stall.consecutive_rejections = 0;
    after_rejection = false;
    // Accepted with ratio < 0.9: forced through at hmin.
    stall.consecutive_floor_steps = ratio < 0.9 ? stall.consecutive_floor_steps + 1 : 0;
    stall.check("the truncation error needs steps below the floor", t, h, hmin);

    // Accept.
    integrator.accept(t_new, q_new);
    ++stats.accepted;
    x_prev = x;
    x = x_new;
    h_prev = h;
    t = t_new;
    if (t >= spec.tstart * (1 - 1e-12)) append_point(plot, t, columns, x);

    const double grown = h * std::min(2.0, std::isfinite(ratio) ? 0.9 * ratio : 2.0);
    if (landing && landing_target.is_grid) {
      noise.advance(++grid_index, x.data());
      ++stats.noise_grid_points;
      record();
    }
    if (landing && !landing_target.is_corner) {
      // A noise grid time: the solution is smooth across it except for a kink in the injected
      // current, so the integration order and history continue.
      order = integrator.max_order();
      h = grown;
    } else if (landing) {
      // A corner: restart at order 1 from here, with a step well inside the next interval.
      ++next_bp;
      integrator.start(t, q_new);
      h_prev = 0.0;
      order = 1;
      const double gap = next_bp < breakpoints.size() ? breakpoints[next_bp] - t : tmax;
      h = std::min({grown, 0.1 * gap, tmax});
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
  return plot;
}

}  // namespace picospice
