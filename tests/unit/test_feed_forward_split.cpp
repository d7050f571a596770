// The feed-forward split (engine/sparsity_pattern.hpp, System::solve_step): a transient's Newton
// matrix leaves out the charge-only entries that would join feed-forward blocks, and brings them
// back by refinement, so a run gives the answer of the full matrix.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/simulator.hpp"
#include "engine/sparsity_pattern.hpp"
#include "engine/system.hpp"
#include "netlists/elaborate.hpp"
#include "tests/netlist_text.hpp"

using namespace picospice;

namespace {

// A weak-inversion NMOS mirror: a pulsed input current into diode m0 (gate line g), copied by
// `outputs` transistors into nodes o1..oN, each loaded by a diode-connected PMOS to vdd. The
// outputs' gate-drain capacitance is the only path from the o nodes back to g.
std::string mirror(int outputs, const std::string& options) {
  std::string text = "mirror\nVdd vdd 0 1.8\nIin vdd g PULSE(100p 1n 1m 10u 10u 2m 5m)\nm0 g g 0 0 nch w=1u l=1u\n";
  for (int k = 1; k <= outputs; ++k) {
    const std::string o = "o" + std::to_string(k);
    text += "m" + std::to_string(k) + " " + o + " g 0 0 nch w=" + std::to_string(k) + "u l=1u\n";
    text += "mp" + std::to_string(k) + " " + o + " " + o + " vdd vdd pch w=2u l=1u\n";
  }
  return text +
         ".model nch nmos level=ekv vto=0.45 kp=300u n=1.35 lambda=0.05 cgdo=2e-10\n"
         ".model pch pmos level=ekv vto=-0.45 kp=70u n=1.35 lambda=0.05 cgdo=2e-10\n" +
         options + ".tran 20u 6m\n.end\n";
}

// A chain of CMOS inverters in strong inversion: each gain stage's gate-drain (Miller)
// capacitance is left out too, but there the refinement does not contract.
std::string inverter_chain(int stages, const std::string& options) {
  return test::inverter_chain(stages, options + ".tran 1n 120n\n.end\n");
}

double value_at(const Plot& plot, const std::string& name, double t) {
  const Signal* s = plot.find(name);
  REQUIRE(s);
  const auto& time = plot.signals[0].values;
  const auto it = std::lower_bound(time.begin(), time.end(), t);
  if (it == time.begin()) return s->values.front();
  if (it == time.end()) return s->values.back();
  const std::size_t k = static_cast<std::size_t>(it - time.begin());
  const double f = (t - time[k - 1]) / (time[k] - time[k - 1]);
  return s->values[k - 1] + f * (s->values[k] - s->values[k - 1]);
}

struct Run {
  Plot plot;
  AnalysisStatistics stats;
};

Run transient(const std::string& netlist) {
  auto circuit = elaborate_text(netlist);
  std::vector<AnalysisStatistics> stats;
  RunSettings settings;
  settings.statistics = &stats;
  auto plots = run_analyses(*circuit, settings);
  REQUIRE(plots.size() == 1);
  return {std::move(plots[0]), stats[0]};
}

}  // namespace

TEST_CASE("feed-forward split: weak entries against the block order are left out, the others kept", "[split]") {
  // 1 -> 2 -> 3 <-> 4: row 2 depends on column 1, row 3 on 2, rows 3 and 4 on each other.
  PatternBuilder builder(4);
  for (Index i = 1; i <= 4; ++i) builder.add(i, i);
  builder.add(2, 1);
  builder.add(3, 2);
  builder.add(3, 4);
  builder.add(4, 3);
  builder.add_weak(1, 2);  // back from 2 to 1: would join 1 and 2 into one block
  builder.add_weak(1, 4);  // back from the 3-4 block to 1
  builder.add_weak(3, 1);  // along the order: kept
  builder.add_weak(4, 3);  // also declared strong: an ordinary entry
  builder.add_weak(0, 2);  // ground: the dummy slot, as with slot()

  SparsityPattern split(builder, true);
  CHECK(split.left_out() == 2);
  CHECK(split.nnz() == 4 + 4 + 1);
  CHECK(split.values_size() == split.nnz() + 1 + 2);
  const int back = split.slot(1, 2), back_far = split.slot(1, 4);
  CHECK(back > split.dummy_slot());
  CHECK(back_far > split.dummy_slot());
  CHECK(back != back_far);
  CHECK(back < split.values_size());
  CHECK(back_far < split.values_size());
  CHECK(split.slot(3, 1) < split.nnz());
  CHECK(split.slot(4, 3) < split.nnz());
  CHECK(split.slot(0, 2) == split.dummy_slot());

  SparsityPattern whole(builder);
  CHECK(whole.left_out() == 0);
  CHECK(whole.nnz() == split.nnz() + 2);
  CHECK(whole.slot(1, 2) < whole.nnz());
  CHECK(whole.values_size() == whole.nnz() + 1);
}

TEST_CASE("feed-forward split: a mirror's gate-drain capacitance is left out of the transient's matrix only", "[split]") {
  auto circuit = elaborate_text(mirror(3, ""));
  const Index g = circuit->find_node("g"), o2 = circuit->find_node("o2");
  System split(*circuit, PathNeeded::Dc, System::Entries::FeedForwardSplit);
  CHECK(split.leaves_out_entries());
  CHECK(split.pattern().left_out() == 3);  // g's row against o1, o2 and o3
  CHECK(split.pattern().find(g, o2) > split.pattern().dummy_slot());
  CHECK(split.pattern().find(o2, g) < split.pattern().nnz());  // the transconductance stays

  System small_signal(*circuit);
  CHECK_FALSE(small_signal.leaves_out_entries());
  CHECK(small_signal.pattern().find(g, o2) < small_signal.pattern().nnz());

  auto off = elaborate_text(mirror(3, ".options ffsplit=0\n"));
  CHECK_FALSE(System(*off, PathNeeded::Dc, System::Entries::FeedForwardSplit).leaves_out_entries());
  auto no_bypass = elaborate_text(mirror(3, ".options bypass=0\n"));
  CHECK_FALSE(System(*no_bypass, PathNeeded::Dc, System::Entries::FeedForwardSplit).leaves_out_entries());
}

TEST_CASE("feed-forward split: a mirror's transient equals the full matrix's", "[split]") {
  const Run split = transient(mirror(4, ""));
  const Run whole = transient(mirror(4, ".options ffsplit=0\n"));
  CHECK(split.stats.solver.left_out_entries == 4);
  CHECK(split.stats.solver.refinement_sweeps > 0);  // the capacitances were brought back
  CHECK(whole.stats.solver.left_out_entries == 0);
  CHECK(whole.stats.solver.refinement_sweeps == 0);
  // The same Newton iterations (to a few): the refined step is the full matrix's.
  CHECK(std::abs(split.stats.newton_iterations - whole.stats.newton_iterations) <= 0.05 * whole.stats.newton_iterations);
  double worst = 0;
  for (double t = 0; t <= 6e-3; t += 25e-6)
    for (const char* node : {"v(g)", "v(o1)", "v(o4)"})
      worst = std::max(worst, std::fabs(value_at(split.plot, node, t) - value_at(whole.plot, node, t)));
  CHECK(worst < 1e-4);  // V; the outputs swing ~0.2 V over the pulse
  // The outputs followed the pulse: 1 nA through the PMOS diodes pulls them lower than 100 pA.
  CHECK(value_at(whole.plot, "v(o4)", 4.5e-3) - value_at(whole.plot, "v(o4)", 2e-3) > 0.05);
}

TEST_CASE("feed-forward split: gain stages whose Miller capacitance was left out are solved by GMRES, as with the "
          "full matrix",
          "[split]") {
  const Run split = transient(inverter_chain(12, ""));
  const Run whole = transient(inverter_chain(12, ".options ffsplit=0\n"));
  CHECK(split.stats.solver.left_out_entries >= 12);  // each gate against the next stage, at least
  // The sweeps diverge across a gain stage; GMRES takes those steps (the full matrix did, before).
  CHECK(split.stats.solver.krylov_solves > 100);
  CHECK(split.stats.solver.krylov_failures == 0);
  CHECK(split.stats.solver.full_matrix_factors == 0);
  CHECK(whole.stats.solver.krylov_solves == 0);
  // Each step's residual within 1% of Newton's tolerance: the Newton iterations of the full matrix
  // (a solve accurate only in the update, 1% of max(|dx|, tolerance), took 23% more).
  CHECK(std::abs(split.stats.newton_iterations - whole.stats.newton_iterations) <= 0.02 * whole.stats.newton_iterations);
  double worst = 0;
  for (double t = 0; t <= 120e-9; t += 0.5e-9)
    worst = std::max(worst, std::fabs(value_at(split.plot, "v(n12)", t) - value_at(whole.plot, "v(n12)", t)));
  CHECK(worst < 2e-3);  // V of a 1 V swing, edges a few ns long
  CHECK(value_at(whole.plot, "v(n12)", 40e-9) > 0.9);  // the pulse went through (an even stage follows it)
}
