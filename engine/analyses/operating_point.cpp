#include "engine/analyses/operating_point.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/newton.hpp"

namespace picospice {
namespace {

NewtonProblem make_problem(const System& system, const OperatingPointSettings& settings) {
  NewtonProblem p;
  p.point.time = settings.time;
  p.point.transient = settings.transient;
  p.point.cold_start = settings.cold_start;
  p.max_iterations = system.circuit().options.itl1;
  p.forced = settings.forced;
  return p;
}

// A gmin stage that converged within this many Newton iterations was easy: the next step may be
// larger again.
constexpr int kEasyStageIterations = 10;

void reset_devices(System& system) {
  for (auto& group : system.circuit().groups) group->reset_state();
}

// The state of the homotopy chain: what the last attempt left, for the final message.
struct Attempts {
  OperatingPointReport report;
  NewtonOutcome last;
  bool any_singular = false;

  bool converged(const NewtonOutcome& outcome) {
    report.newton_iterations += outcome.iterations;
    last = outcome;
    any_singular = any_singular || outcome.singular;
    return outcome.converged;
  }
};

// gmin stepping: a conductance from every node to ground, from opt.max_gmin down to exactly
// zero, each stage starting from the previous stage's solution. A singular matrix in a stage is a
// failed stage like any other.
bool gmin_stepping(System& system, std::vector<double>& x, NewtonProblem problem, const OperatingPointSettings& settings,
                   Attempts& attempts) {
  const SimOptions& opt = system.circuit().options;
  std::vector<double> good;
  double g = opt.max_gmin, factor = 10.0, good_g = -1;
  problem.point.cold_start = settings.cold_start;
  problem.max_iterations = opt.itl2;
  for (int stage = 0; stage < 200; ++stage) {
    problem.gshunt = g;
    const bool ok = attempts.converged(newton_solve(system, x, problem));
    problem.point.cold_start = false;
    if (ok) {
      if (g == 0.0) return true;
      good = x;
      good_g = g;
      // An easy stage (few iterations) lets the step grow back towards a decade. Without this
      // the factor only ever shrank: after one hard stage the homotopy crawled down at the
      // smallest factor (1.04 per stage on the 2 x 64 unit lowered network), ran out of its 200
      // stages near g = 5e-13, never reached g = 0 and left the circuit to source stepping.
      if (attempts.last.iterations <= kEasyStageIterations) factor = std::fmin(10.0, factor * factor);
      g = g / factor;
      if (g < 1e-21) g = 0.0;  // the last stage has no leak at all
    } else {
      if (good_g < 0) return false;  // not even the largest shunt converged
      x = good;
      factor = std::sqrt(factor);
      // Three failures without an easy stage between them (10 -> 3.2 -> 1.8 -> 1.3) mean a fold of
      // the homotopy path: smaller steps do not cross it, and the pseudo-transient after this does.
      // Giving up only below 1.05 (six failures) spent 250-650 more Newton iterations on lowered
      // layers of 16 to 2x64 units, whose bistable cells fold the gmin path, before the
      // pseudo-transient found the same point.
      if (factor < 1.5) return false;
      g = good_g / factor;
    }
  }
  return false;
}

// Source stepping: every independent source ramped from 0 to its full value.
bool source_stepping(System& system, std::vector<double>& x, NewtonProblem problem, Attempts& attempts) {
  x.assign(x.size(), 0.0);
  problem.gshunt = 0.0;
  problem.max_iterations = system.circuit().options.itl2;
  double scale = 0.0, step = 0.1;
  problem.point.source_scale = 0.0;
  problem.point.cold_start = true;
  if (!attempts.converged(newton_solve(system, x, problem))) return false;
  problem.point.cold_start = false;
  std::vector<double> good = x;
  while (scale < 1.0 && step > 1e-4) {
    const double next = std::fmin(1.0, scale + step);
    problem.point.source_scale = next;
    if (attempts.converged(newton_solve(system, x, problem))) {
      good = x;
      scale = next;
      step = std::fmin(step * 2.0, 0.5);
    } else {
      x = good;
      step /= 4.0;
    }
  }
  return scale >= 1.0;
}

// Pseudo-transient continuation: the operating point as the steady state of a transient that
// starts from all nodes at 0 V with the sources at full value, as a circuit powering up would
// reach it (the idea of Xyce's and ngspice's "optran"). Backward Euler on the circuit's own
// charges plus a pseudo capacitance from every node to ground, with a pseudo time step that grows
// while Newton converges easily and shrinks when it does not. It ends with a plain Newton solve
// (no pseudo capacitance, no charges) from the state it reached, so the answer is an exact DC
// solution, never one with a leak. It is deterministic, so a circuit with several valid states
// (a bistable chain) always lands in the same one.
bool pseudo_transient(System& system, std::vector<double>& x, NewtonProblem problem, const OperatingPointSettings& settings,
                      Attempts& attempts) {
  const int n = system.size();
  // Per node: small against the charges of any real circuit node, large enough that a node held
  // only by 1e15-ohm shunts settles (tau = 1 ms) within the pseudo time the steps reach.
  constexpr double kPseudoCapacitance = 1e-18;  // F
  constexpr double kFirstStep = 1e-12, kLastStep = 1e6;  // s of pseudo time
  constexpr int kMaxSteps = 2000;
  x.assign(x.size(), 0.0);
  reset_devices(system);
  std::vector<double> previous = x, history(n + 1, 0.0), q_previous(n + 1, 0.0);
  problem.point.want_reactive = true;
  problem.point.source_scale = 1.0;
  problem.point.cold_start = true;
  // A pseudo step Newton has not solved in 20 iterations is retried 8 times shorter: the steps
  // that succeed on lowered layers take at most 18, the ones that failed used all of the 50 this
  // was before (30 iterations saved on a 64-unit layer, 60 on a 4-unit one).
  problem.max_iterations = std::min(problem.max_iterations, 20);
  problem.shunt_reference = previous.data();
  problem.history = history.data();
  // The charges at the start.
  EvalPoint start = problem.point;
  start.limit = false;
  system.evaluate(x.data(), start);
  q_previous = system.q();

  double dt = kFirstStep;
  for (int step = 0; step < kMaxSteps; ++step) {
    problem.point.reactive_scale = 1.0 / dt;
    problem.gshunt = kPseudoCapacitance / dt;
    problem.shunt_reference = previous.data();
    for (Index i = 0; i <= n; ++i) history[i] = -q_previous[i] / dt;
    const bool ok = attempts.converged(newton_solve(system, x, problem));
    problem.point.cold_start = false;
    if (!ok) {
      x = previous;
      dt /= 8.0;
      if (dt < kFirstStep * 1e-3) return false;
      continue;
    }
    // Accepted: evaluate the charges of the new state for the next step's history.
    EvalPoint charges = problem.point;
    charges.limit = false;
    system.evaluate(x.data(), charges);
    q_previous = system.q();
    previous = x;
    if (dt >= kLastStep) break;
    dt *= attempts.last.iterations <= 4 ? 4.0 : attempts.last.iterations <= 10 ? 2.0 : 1.2;
  }
  // The DC solution from the reached state.
  NewtonProblem plain = make_problem(system, settings);
  plain.point.cold_start = false;
  return attempts.converged(newton_solve(system, x, plain));
}

}  // namespace

OperatingPointReport solve_operating_point(System& system, std::vector<double>& x,
                                           const OperatingPointSettings& settings) {
  const SimOptions& opt = system.circuit().options;
  Attempts attempts;
  const std::vector<double> start = x;

  // 1. Plain Newton from the guess. A singular matrix here (a node that only cut-off devices
  //    reach, with tiny conductances) is a failed attempt: the homotopies below add conductance.
  //    `.options noopiter` skips it (as in ngspice), for circuits known to need a homotopy.
  NewtonProblem problem = make_problem(system, settings);
  if (opt.plain_newton_first && attempts.converged(newton_solve(system, x, problem))) return attempts.report;

  // 2. gmin stepping.
  if (opt.gmin_stepping) {
    attempts.report.used_gmin_stepping = true;
    x = start;
    reset_devices(system);
    if (gmin_stepping(system, x, problem, settings, attempts)) return attempts.report;
  }

  // 3. Pseudo-transient continuation. Before source stepping, because it costs less where both
  //    work: on a 64-unit lowered layer (64 bistable cells) the source ramp crosses one cell's
  //    fold after another, each a run of failed stages (1800 Newton iterations, 3.4 s), where
  //    the power-up transient settled in 519 (0.9 s).
  if (opt.pseudo_transient) {
    attempts.report.used_pseudo_transient = true;
    if (pseudo_transient(system, x, problem, settings, attempts)) return attempts.report;
  }

  // 4. Source stepping, the last resort.
  if (opt.source_stepping) {
    attempts.report.used_source_stepping = true;
    reset_devices(system);
    if (source_stepping(system, x, problem, attempts)) return attempts.report;
  }

  if (!opt.plain_newton_first && !opt.gmin_stepping && !opt.pseudo_transient && !opt.source_stepping)
    throw SimulationError(fmt::format(
        "{}: every way to an operating point is turned off (.options noopiter, nogmin, nopseudotran and nosrcstep); "
        "leave at least one on",
        settings.context));
  const NewtonOutcome& last = attempts.last;
  const std::string faults = system.describe_faults();
  const std::string fault_note = faults.empty() ? "" : ". In the last evaluation: " + faults;
  if (last.singular)
    throw SimulationError(fmt::format(
        "{}: no convergence after Newton, gmin stepping, pseudo-transient continuation and source stepping; "
        "the last attempt's matrix was singular at {}. Check that node for a path to ground or a source loop{}",
        settings.context, system.describe(last.worst), fault_note));
  throw SimulationError(fmt::format(
      "{}: no convergence after Newton, gmin stepping, pseudo-transient continuation and source stepping; worst: {} "
      "(update {:.3g}x its tolerance). Try .nodeset on that node or check the circuit{}",
      settings.context, system.describe(last.worst), last.worst_ratio, fault_note));
}

}  // namespace picospice
