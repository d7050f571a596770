#include "engine/newton.hpp"

#include <cmath>
#include <limits>

namespace picospice {

namespace {
// NewtonProblem::give_up_after: how far (in tolerances) an update that is not contracting must
// still be for the solve to give up. A transient step longer than a switching cell's regeneration
// time makes the Newton matrix nearly singular, and the iterates then wander at the cell's nodes
// (updates of 100-2000 tolerances) until max_iterations; the step is retried shorter anyway.
constexpr double kWanderingUpdate = 100.0;
}  // namespace

NewtonOutcome newton_solve(System& system, std::vector<double>& x, const NewtonProblem& problem) {
  const SimOptions& opt = system.circuit().options;
  const int n = system.size();
  NewtonOutcome outcome;
  std::vector<double> rhs(n + 1, 0.0);
  std::vector<double> forcing(n + 1, 0.0);  // `.ic` holding currents; zero on other rows
  // Rows of held nodes. Their KCL is closed by the holding current, whatever it is (an ideal
  // source), so only their update is checked: G (x - value) cannot resolve below G * eps * |x|.
  std::vector<char> held_rows(n + 1, 0);
  EvalPoint point = problem.point;
  // Chord steps (SimOptions::factor_reuse): allowed while each one at least halves the update;
  // after one that does not, the next matrix is factored exactly.
  const double reuse_tolerance =
      problem.allow_chord && opt.bypass && !system.is_linear() && system.factorization_is_costly() ? opt.factor_reuse : 0.0;
  bool factor_exactly = false;
  double last_worst_ratio = 0;
  std::vector<double> scale(n + 1, 0.0);  // each unknown's update tolerance, for System::solve_step
  std::vector<double> row_tolerance(n + 1, 0.0);  // each row's residual tolerance, for the same
  system.begin_newton_solve();

  for (int iteration = 0; iteration < problem.max_iterations; ++iteration) {
    outcome.iterations = iteration + 1;
    // The first evaluation is at the caller's guess, which becomes each device's limiting
    // reference; limiting against state left by an earlier (perhaps failed) solve would hold the
    // iteration back for no reason.
    point.limit = problem.point.limit && iteration > 0;
    const int limited = system.evaluate(x.data(), point);
    point.cold_start = false;
    const auto& f = system.f();
    const auto& f_abs = system.f_abs();
    const auto& q = system.q();
    const double a0 = point.reactive_scale;

    // `.ic` at the operating point: each held node gets G (x - value), a current like any other
    // in its KCL row.
    if (problem.forced) {
      for (const auto& held : *problem.forced) {
        if (held.node <= 0) continue;
        forcing[held.node] = problem.forcing_conductance * (x[held.node] - held.value);
        system.add_to_diagonal(held.node, problem.forcing_conductance);
        held_rows[held.node] = 1;
      }
    }

    // Residual F into rhs (negated below), with homotopy and transient terms.
    bool residual_small = true;
    for (Index i = 1; i <= n; ++i) {
      double F = f[i] + forcing[i];
      double scale = f_abs[i] + std::fabs(forcing[i]);
      double rounding = 0;
      if (problem.history) {
        const double reactive = a0 * q[i] + problem.history[i];
        F += reactive;
        scale += std::fabs(reactive);
        // a0 q and the history nearly cancel in a large inductor's branch row at a short step
        // (0.5 H / 40 ps x 50 mA = 6e8 V each), and their difference carries that many ulps of
        // rounding: F cannot be asked to be smaller than this floor (measured: +-1.3e-7 V against a
        // 1e-7 V tolerance, Newton alternating forever after an LC tank's switch opened).
        rounding = 64 * std::numeric_limits<double>::epsilon() * (std::fabs(a0 * q[i]) + std::fabs(problem.history[i]));
      }
      if (problem.gshunt > 0 && system.is_node(i)) {
        F += problem.gshunt * (x[i] - (problem.shunt_reference ? problem.shunt_reference[i] : 0.0));
        system.add_to_diagonal(i, problem.gshunt);
      }
      const double tol = opt.reltol * scale + (system.is_node(i) ? opt.abstol : opt.vntol) + rounding;
      if (!(std::fabs(F) <= tol) && !held_rows[i]) residual_small = false;
      row_tolerance[i] = tol;
      rhs[i] = -F;
    }
    const long kept_before = system.near_reused_factorizations();
    if (system.leaves_out_entries())
      for (Index i = 1; i <= n; ++i) scale[i] = opt.reltol * std::fabs(x[i]) + (system.is_node(i) ? opt.vntol : opt.abstol);
    if (!system.factor(factor_exactly ? 0.0 : reuse_tolerance) || !system.solve_step(rhs, scale, row_tolerance)) {
      outcome.singular = true;
      outcome.worst = system.singular_unknown();
      return outcome;
    }

    bool update_small = true;
    outcome.worst_ratio = 0;
    for (Index i = 1; i <= n; ++i) {
      const double dx = rhs[i];
      const double next = x[i] + dx;
      const double tol = opt.reltol * std::fmax(std::fabs(x[i]), std::fabs(next)) +
                         (system.is_node(i) ? opt.vntol : opt.abstol);
      const double ratio = std::fabs(dx) / tol;
      if (!(ratio <= outcome.worst_ratio)) { outcome.worst_ratio = ratio; outcome.worst = i; }
      if (!(ratio <= 1.0)) update_small = false;
    }
    if (!std::isfinite(outcome.worst_ratio)) return outcome;  // NaN or overflow: give up now
    // Compared with the update before this one (last_worst_ratio is moved on below).
    const bool give_up = problem.give_up_after > 0 && iteration + 1 >= problem.give_up_after &&
                         outcome.worst_ratio > kWanderingUpdate && outcome.worst_ratio > 0.5 * last_worst_ratio;
    const bool chord = system.near_reused_factorizations() != kept_before;
    factor_exactly = chord && iteration > 0 && outcome.worst_ratio > 0.5 * last_worst_ratio;
    last_worst_ratio = outcome.worst_ratio;
    // Converged at the evaluated point: see newton.hpp. The last (quadratically smaller) update is
    // applied in every analysis, as SPICE does: f and q then belong to the previous iterate, an
    // error of C * dx in the stored charges, within the charge tolerance. Keeping the unupdated
    // iterate instead would leave a source-driven node up to reltol * |V| away from its source
    // (measured: 87 uV on a 0.5 V + 1 mV sine next to a diode), which users see as a wrong value.
    // A chord update may be up to twice the Newton update it stands for (each chord step at
    // least halves the update, or the next is exact): it has to be within half the tolerance.
    const bool converged = residual_small && update_small && limited == 0 && (!chord || outcome.worst_ratio <= 0.5);
    for (Index i = 1; i <= n; ++i) x[i] += rhs[i];
    if (converged) {
      outcome.converged = true;
      return outcome;
    }
    if (give_up) {  // never with converged: it needs an update over 100 tolerances
      outcome.gave_up = true;
      return outcome;
    }
    if (system.is_linear()) {
      // One exact solve of a linear system is the answer; evaluate once more so that f and q
      // (which the integrator and the caller read) belong to the new x.
      EvalPoint final_point = point;
      final_point.limit = false;
      system.evaluate(x.data(), final_point);
      outcome.converged = true;
      return outcome;
    }
  }
  return outcome;
}

}  // namespace picospice
