#include "engine/analyses/transient.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/integrator.hpp"
#include "engine/newton.hpp"

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

}  // namespace

Plot run_transient(System& system, const TranSpec& spec, const std::function<void(double)>& progress,
                   TransientStatistics* statistics) {
  Circuit& circuit = system.circuit();
  const SimOptions& opt = circuit.options;
  const int n = system.size();
  if (!(spec.tstop > 0) || !(spec.tstep > 0))
    throw SimulationError(".tran needs tstep > 0 and tstop > 0");
  // ngspice's default maximum step: min(tstep, (tstop - tstart)/50).
  const double tmax = spec.tmax > 0 ? spec.tmax : std::min(spec.tstep, (spec.tstop - spec.tstart) / 50.0);
  const double hmin = 1e-11 * tmax;
  for (auto& group : circuit.groups) group->set_transient_defaults(spec.tstep);

  // Initial condition: the operating point (holding .ic nodes), or .ic values alone with uic.
  std::vector<double> x(n + 1, 0.0);
  for (const auto& ns : circuit.nodesets) x[ns.node] = ns.value;
  if (spec.uic) {
    for (const auto& ic : circuit.initial_conditions) x[ic.node] = ic.value;
  } else {
    OperatingPointSettings op;
    op.context = "transient initial operating point";
    if (!circuit.initial_conditions.empty()) op.forced = &circuit.initial_conditions;
    solve_operating_point(system, x, op);
  }

  const auto columns = select_outputs(circuit);
  Plot plot = make_plot(circuit, "Transient Analysis", "tran", "time", "time", columns);
  if (spec.tstart <= 0) append_point(plot, 0.0, columns, x);

  EvalPoint charges_at;
  charges_at.want_reactive = true;
  charges_at.limit = false;
  system.evaluate(x.data(), charges_at);
  Integrator integrator(opt.method, opt.maxord, n + 1);
  integrator.start(0.0, system.q());

  const auto breakpoints = collect_breakpoints(circuit, spec);
  std::size_t next_bp = 0;
  double t = 0.0;
  double h = std::min(tmax, breakpoints.empty() ? tmax : breakpoints[0]) * 1e-2;
  int order = 1;
  std::vector<double> x_prev = x, x_new(n + 1), q_new(n + 1);
  double h_prev = 0.0;
  TransientStatistics stats;
  double last_report = -1.0;

  NewtonProblem problem;
  problem.max_iterations = opt.itl4;
  problem.point.want_reactive = true;

  while (t < spec.tstop * (1 - 1e-13) && next_bp < breakpoints.size()) {
    const double bp = breakpoints[next_bp];
    h = std::min(h, tmax);
    bool landing = false;
    if (t + 1.5 * h >= bp || bp - t <= hmin) {  // land exactly on the corner
      h = bp - t;
      landing = true;
    }
    const double t_new = landing ? bp : t + h;
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
      h /= 8.0;
      order = 1;
      if (h < hmin)
        throw SimulationError(fmt::format(
            "transient: time step too small at t = {:.6g} s (step {:.3g} s): Newton {} at {}",
            t, h * 8.0, outcome.singular ? "hit a singular matrix" : "did not converge",
            system.describe(outcome.worst)));
      continue;
    }
    q_new = system.q();
    const double ratio = integrator.truncation_ratio(q_new, opt);
    if (ratio < 0.9 && h > hmin) {
      ++stats.rejected_truncation;
      h = std::max(h * std::max(0.9 * ratio, 0.1), hmin * 0.999);
      order = 1;
      continue;
    }

    // Accept.
    integrator.accept(t_new, q_new);
    ++stats.accepted;
    x_prev = x;
    x = x_new;
    h_prev = h;
    t = t_new;
    if (t >= spec.tstart * (1 - 1e-12)) append_point(plot, t, columns, x);

    const double grown = h * std::min(2.0, std::isfinite(ratio) ? 0.9 * ratio : 2.0);
    if (landing) {
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
