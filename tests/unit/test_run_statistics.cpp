// `picospice run --stats`: the counts the engine reports must add up. Every Newton iteration
// factors the matrix exactly once (refactor, full factorization, or the kept factorization of an
// unchanged matrix), every accepted transient step is a plot point, and a circuit that needs
// homotopy says so.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

using namespace picospice;

namespace {
std::vector<AnalysisStatistics> statistics_of(const std::string& netlist) {
  auto circuit = elaborate_text(netlist);
  circuit->options.factor_reuse_min_flops = 0;  // chord steps even in this small circuit
  circuit->options.factor_reuse_min_flops_per_device = 0;
  std::vector<AnalysisStatistics> stats;
  RunSettings settings;
  settings.statistics = &stats;
  const auto plots = run_analyses(*circuit, settings);
  REQUIRE(stats.size() == plots.size());
  for (std::size_t i = 0; i < plots.size(); ++i) CHECK(stats[i].points == static_cast<long>(plots[i].points()));
  return stats;
}
}  // namespace

TEST_CASE("run statistics: every Newton iteration factors once; steps are points", "[stats]") {
  const auto stats = statistics_of(
      "diode rc\n"
      "V1 in 0 PULSE(0 1 1u 1u 1u 20u 50u)\n"
      "R1 in a 1k\nD1 a b dmod\nC1 b 0 10n\nR2 b 0 10k\n"
      ".model dmod d is=1e-14\n"
      ".op\n.dc V1 0 1 0.05\n.tran 1u 100u\n.end\n");
  REQUIRE(stats.size() == 3);
  CHECK(stats[0].analysis == "op");
  CHECK(stats[1].analysis == "dc");
  CHECK(stats[2].analysis == "tran");
  CHECK(stats[1].points == 21);
  for (const auto& s : stats) {
    INFO(s.analysis);
    const SolverStatistics& v = s.solver;
    CHECK(s.newton_iterations > 0);
    CHECK(v.refactors + v.full_factors + v.reused_factors + v.near_reused_factors == s.newton_iterations);
    CHECK(v.full_factors >= 1);
    CHECK(v.solves == s.newton_iterations);
    CHECK(v.evaluations >= s.newton_iterations);
    CHECK(v.matrix_nonzeros > 0);
    CHECK(v.lu_nonzeros >= v.matrix_nonzeros / 2);  // L and U share the diagonal count once each
    CHECK(v.refactor_flops > 0);
    CHECK(v.evaluate_seconds + v.factor_seconds + v.solve_seconds <= s.seconds * 1.01 + 1e-4);
  }
  const AnalysisStatistics& tran = stats[2];
  CHECK(tran.accepted_steps + 1 == tran.points);  // the initial point is not a step
  CHECK(tran.newton_iterations >= tran.accepted_steps);
  // The initial operating point's share is told apart (iterations per time point leave it out):
  // the same solve as the .op's, from the same start.
  CHECK(tran.operating_point_iterations == stats[0].newton_iterations);
  CHECK(tran.newton_iterations - tran.operating_point_iterations >= tran.accepted_steps);
  CHECK_FALSE(tran.gmin_stepping);
  // Chord steps (a kept factorization of a nearly unchanged matrix) only in the transient.
  CHECK(stats[0].solver.near_reused_factors == 0);
  CHECK(stats[1].solver.near_reused_factors == 0);
  CHECK(tran.solver.near_reused_factors > 0);
}

TEST_CASE("run statistics: factorization reuse is off with bypass off, and moves no waveform", "[stats]") {
  const std::string netlist = "diode rc\nV1 in 0 PULSE(0 1 1u 1u 1u 20u 50u)\nR1 in a 1k\nD1 a b dmod\nC1 b 0 10n\n"
                              "R2 b 0 10k\n.model dmod d is=1e-14\n.tran 1u 100u\n";
  auto reusing = elaborate_text(netlist + ".end\n");
  auto exact = elaborate_text(netlist + ".options bypass=0\n.end\n");
  reusing->options.factor_reuse_min_flops = exact->options.factor_reuse_min_flops = 0;
  reusing->options.factor_reuse_min_flops_per_device = exact->options.factor_reuse_min_flops_per_device = 0;
  std::vector<AnalysisStatistics> reuse_stats, exact_stats;
  RunSettings settings;
  settings.statistics = &reuse_stats;
  const auto a = run_analyses(*reusing, settings);
  settings.statistics = &exact_stats;
  const auto b = run_analyses(*exact, settings);
  REQUIRE(exact_stats.size() == 1);
  CHECK(exact_stats[0].solver.near_reused_factors == 0);
  CHECK(reuse_stats[0].solver.near_reused_factors > 0);
  // The capacitor voltage at the end of each pulse, within the transient's own accuracy (reltol).
  const Signal* time_a = a[0].find("time");
  const Signal* vb_a = a[0].find("v(b)");
  const Signal* time_b = b[0].find("time");
  const Signal* vb_b = b[0].find("v(b)");
  REQUIRE((time_a && vb_a && time_b && vb_b));
  auto at = [](const Signal& t, const Signal& y, double when) {
    for (std::size_t k = 1; k < t.values.size(); ++k)
      if (t.values[k] >= when) {
        const double f = (when - t.values[k - 1]) / (t.values[k] - t.values[k - 1]);
        return y.values[k - 1] + f * (y.values[k] - y.values[k - 1]);
      }
    return y.values.back();
  };
  for (double when : {22e-6, 50e-6, 72e-6, 100e-6}) {
    INFO("t = " << when);
    const double reference = at(*time_b, *vb_b, when);
    CHECK(std::fabs(at(*time_a, *vb_a, when) - reference) <= 1e-3 * std::fabs(reference) + 1e-6);
  }
}

TEST_CASE("run statistics: an operating point that needs gmin stepping reports it", "[stats]") {
  // A diode forward-biased from 5 V needs 5 Newton iterations from zero; with itl1=4 plain Newton
  // runs out and gmin stepping (each stage starting from the last) finishes the job.
  const std::string netlist = "diode\nV1 in 0 5\nR1 in a 100\nD1 a 0 dmod\n.model dmod d is=1e-14\n.op\n";
  const auto plain = statistics_of(netlist + ".end\n");
  const auto stepped = statistics_of(netlist + ".options itl1=4\n.end\n");
  REQUIRE(plain.size() == 1);
  REQUIRE(stepped.size() == 1);
  CHECK_FALSE(plain[0].gmin_stepping);
  CHECK(stepped[0].gmin_stepping);
  CHECK_FALSE(stepped[0].source_stepping);
  CHECK(stepped[0].newton_iterations > plain[0].newton_iterations);
  CHECK(stepped[0].solver.refactors + stepped[0].solver.full_factors + stepped[0].solver.reused_factors +
            stepped[0].solver.near_reused_factors ==
        stepped[0].newton_iterations);
}
