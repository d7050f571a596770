#include "engine/analyses/operating_point.hpp"

#include <fmt/format.h>

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

}  // namespace

OperatingPointReport solve_operating_point(System& system, std::vector<double>& x,
                                           const OperatingPointSettings& settings) {
  const SimOptions& opt = system.circuit().options;
  OperatingPointReport report;
  const std::vector<double> start = x;
  NewtonOutcome last;

  // 1. Plain Newton from the guess.
  NewtonProblem problem = make_problem(system, settings);
  last = newton_solve(system, x, problem);
  report.newton_iterations += last.iterations;
  if (last.converged) return report;
  if (last.singular)
    throw SimulationError(fmt::format("{}: singular matrix at {}", settings.context,
                                      system.describe(last.worst)));

  // 2. gmin stepping: each stage starts from the previous stage's solution.
  if (opt.gmin_stepping) {
    report.used_gmin_stepping = true;
    x = start;
    reset_devices(system);
    std::vector<double> good;
    double g = opt.max_gmin, factor = 10.0, good_g = -1;
    problem.point.cold_start = settings.cold_start;
    for (int stage = 0; stage < 200; ++stage) {
      problem.gshunt = g;
      last = newton_solve(system, x, problem);
      report.newton_iterations += last.iterations;
      problem.point.cold_start = false;
      if (last.converged) {
        if (g == 0.0) return report;
        good = x;
        good_g = g;
        // An easy stage (few iterations) lets the step grow back towards a decade. Without this
        // the factor only ever shrank: after one hard stage the homotopy crawled down at the
        // smallest factor (1.04 per stage on the 2 x 64 unit lowered network), ran out of its 200
        // stages near g = 5e-13, never reached g = 0 and left the circuit to source stepping.
        if (last.iterations <= kEasyStageIterations) factor = std::fmin(10.0, factor * factor);
        g = g / factor;
        if (g < 1e-21) g = 0.0;  // the last stage has no leak at all
      } else {
        if (good_g < 0) break;   // not even the largest shunt converged
        x = good;
        factor = std::sqrt(factor);
        if (factor < 1.001) break;
        g = good_g / factor;
      }
    }
  }

  // 3. Source stepping: ramp every independent source from 0.
  if (opt.source_stepping) {
    report.used_source_stepping = true;
    x.assign(x.size(), 0.0);
    reset_devices(system);
    problem.gshunt = 0.0;
    double scale = 0.0, step = 0.1;
    std::vector<double> good = x;
    problem.point.source_scale = 0.0;
    problem.point.cold_start = true;
    last = newton_solve(system, x, problem);
    report.newton_iterations += last.iterations;
    problem.point.cold_start = false;
    if (last.converged) {
      good = x;
      while (scale < 1.0 && step > 1e-7) {
        const double next = std::fmin(1.0, scale + step);
        problem.point.source_scale = next;
        last = newton_solve(system, x, problem);
        report.newton_iterations += last.iterations;
        if (last.converged) {
          good = x;
          scale = next;
          step = std::fmin(step * 2.0, 0.5);
        } else {
          x = good;
          step /= 4.0;
        }
      }
      if (scale >= 1.0) return report;
    }
  }

  throw SimulationError(fmt::format(
      "{}: no convergence after Newton, gmin stepping and source stepping; worst: {} "
      "(update {:.3g}x its tolerance). Try .nodeset on that node or check the circuit",
      settings.context, system.describe(last.worst), last.worst_ratio));
}

}  // namespace picospice
