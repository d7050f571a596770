// Latency (devices/device.hpp, LatentSums; engine/system.cpp): bypassed devices whose
// linearization stays the same load through sums the System keeps, instead of stamping at every
// evaluation. The loads must be those of the devices' own linearizations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/simulator.hpp"
#include "engine/system.hpp"
#include "netlists/elaborate.hpp"
#include "tests/netlist_text.hpp"
#include "tests/transient_point.hpp"

using namespace picospice;
using picospice::test::transient_point;

namespace {

struct Loads {
  std::vector<double> f, f_abs, q, jac;
};

Loads loads_of(System& system) { return {system.f(), system.f_abs(), system.q(), system.jacobian()}; }

// |a - b| <= relative * max(|a|, |b|) + absolute, element by element (index 0, ground, skipped).
void check_close(const std::vector<double>& a, const std::vector<double>& b, double relative, double absolute,
                 const char* what) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 1; i < a.size(); ++i) {
    INFO(what << "[" << i << "]: " << a[i] << " against " << b[i]);
    CHECK(std::fabs(a[i] - b[i]) <= relative * std::max(std::fabs(a[i]), std::fabs(b[i])) + absolute);
  }
}

// Evaluates both Systems at x and checks that the one with latency sums loads what the one that
// stamps every device does.
void evaluate_both(System& latent, System& stamped, const std::vector<double>& x, const EvalPoint& point) {
  latent.evaluate(x.data(), point);
  stamped.evaluate(x.data(), point);
  Loads a = loads_of(latent), b = loads_of(stamped);
  // The split System keeps its left-out entries after the dummy slot: compare by (row, column).
  const SparsityPattern& pattern = latent.pattern();
  std::vector<double> jac_a(b.jac.size(), 0.0);
  jac_a[stamped.pattern().dummy_slot()] = b.jac[stamped.pattern().dummy_slot()];  // ground's: not compared
  for (int slot = 0; slot < pattern.values_size(); ++slot) {
    if (slot == pattern.dummy_slot()) continue;
    const auto [row, column] = pattern.entry_of(slot);
    jac_a[stamped.pattern().find(row, column)] = a.jac[slot];
  }
  a.jac = jac_a;
  // f and q: the same linearizations summed in another order.
  check_close(a.f, b.f, 1e-9, 1e-21, "f");
  check_close(a.q, b.q, 1e-9, 1e-27, "q");
  // The Newton matrix, left-out entries included.
  check_close(a.jac, b.jac, 1e-9, 1e-20, "jac");
  // f_abs takes |i| at each latent device's own bias: within the bypass tolerance's share.
  check_close(a.f_abs, b.f_abs, 2e-2, 1e-21, "f_abs");
}

}  // namespace

TEST_CASE("latency: the sums load what stamping each bypassed device would, as devices go in and out",
          "[latency]") {
  const std::string chain = test::inverter_chain(12, ".end\n");
  auto with = elaborate_text(chain, "with.cir");
  auto without = elaborate_text(chain, "without.cir");
  without->options.latency = false;
  System latent(*with, PathNeeded::Dc, System::Entries::FeedForwardSplit), stamped(*without);
  REQUIRE(latent.size() == stamped.size());
  // The sums find each slot's row and column through entry_of, the inverse of find, left-out
  // entries (after the dummy slot) included.
  const SparsityPattern& pattern = latent.pattern();
  REQUIRE(pattern.left_out() > 0);
  for (int slot = 0; slot < pattern.values_size(); ++slot) {
    if (slot == pattern.dummy_slot()) continue;
    const auto [row, column] = pattern.entry_of(slot);
    REQUIRE(pattern.find(row, column) == slot);
  }
  const int n = latent.size();
  // A bias point with every inverter somewhere on its transfer curve.
  std::vector<double> x(n + 1, 0.0);
  for (Index i = 1; i <= n; ++i) x[i] = 0.05 + 0.9 * std::fmod(0.37 * i, 1.0);

  // Evaluations at points that move by less than the bypass tolerance (26 uV), then one node by
  // 10 mV (its devices leave the sums and are evaluated anew), then back within tolerance.
  const double small = 2e-6;
  for (int step = 0; step < 8; ++step) {
    INFO("evaluation " << step);
    for (Index i = 1; i <= n; ++i) x[i] += (i % 2 ? small : -small);
    if (step == 4) x[n / 2] += 0.01;
    const EvalPoint point = transient_point(1e-9 * step);
    evaluate_both(latent, stamped, x, point);
  }
  const SolverStatistics s = latent.statistics();
  CHECK(s.latent_instances > 0);            // loads went through the sums ...
  CHECK(s.evaluated_instances == stamped.statistics().evaluated_instances);  // ... and the same devices were evaluated
  CHECK(stamped.statistics().latent_instances == 0);
}

// The node watch (devices/ekv/ekv_mosfet.hpp, NodeWatch) looks at a device in the sums only when
// one of its nodes left the window its members share. A node that creeps by less than the
// tolerance per evaluation must still be caught once its drift since a device's evaluation passes
// the tolerance, and a parameter changed between two evaluations (nothing moved) must take the
// device out of the sums all the same.
TEST_CASE("latency: the node watch catches a slow drift and a parameter change that moves no node", "[latency]") {
  const std::string chain = test::inverter_chain(12, ".end\n");
  auto with = elaborate_text(chain, "with.cir");
  auto without = elaborate_text(chain, "without.cir");
  without->options.latency = false;
  System latent(*with, PathNeeded::Dc, System::Entries::FeedForwardSplit), stamped(*without);
  const int n = latent.size();
  std::vector<double> x(n + 1, 0.0);
  for (Index i = 1; i <= n; ++i) x[i] = 0.05 + 0.9 * std::fmod(0.37 * i, 1.0);
  const Index creeping = n / 2;
  const double tolerance = with->options.bypass_fraction * 0.0259;  // UT near 300 K
  int step = 0;
  auto evaluate = [&] {
    INFO("evaluation " << step);
    evaluate_both(latent, stamped, x, transient_point(1e-9 * step));
    ++step;
  };
  for (int k = 0; k < 4; ++k) evaluate();  // every device bypassed twice: in the sums
  const long evaluated_before = latent.statistics().evaluated_instances;
  // A third of the tolerance per evaluation: no single move leaves a window's width.
  for (int k = 0; k < 12; ++k) {
    x[creeping] += tolerance / 3;
    evaluate();
  }
  const long evaluated_by_drift = latent.statistics().evaluated_instances - evaluated_before;
  CHECK(evaluated_by_drift > 0);  // the devices at the creeping node were evaluated again ...
  CHECK(latent.statistics().evaluated_instances == stamped.statistics().evaluated_instances);  // ... as without sums
  // Most devices in the sums were not even checked; those at the creeping node were.
  CHECK(latent.statistics().latent_unvisited > 0);
  CHECK(latent.statistics().latent_unvisited < latent.statistics().latent_instances);

  for (int k = 0; k < 3; ++k) evaluate();  // back in the sums
  const long evaluated_before_change = latent.statistics().evaluated_instances;
  for (Circuit* circuit : {with.get(), without.get()})
    for (auto& group : circuit->groups) group->set_instance_param("mn3", "dvto", 0.02);
  evaluate();
  CHECK(latent.statistics().evaluated_instances > evaluated_before_change);
  CHECK(latent.statistics().evaluated_instances == stamped.statistics().evaluated_instances);
}

TEST_CASE("latency: a transient with it equals one without, on a switching chain and a weak-inversion mirror bank",
          "[latency]") {
  auto run = [](const std::string& text, bool latency, long* latent_loads) {
    auto circuit = elaborate_text(text);
    circuit->options.latency = latency;
    std::vector<AnalysisStatistics> stats;
    RunSettings settings;
    settings.statistics = &stats;
    auto plots = run_analyses(*circuit, settings);
    *latent_loads = stats.back().solver.latent_instances;
    return plots.back();
  };
  std::string bank = "mirror bank\nVdd vdd 0 1.8\n";
  for (int m = 0; m < 30; ++m) {
    const std::string k = std::to_string(m);
    // A pulsed input current into a diode-connected NMOS, mirrored twice into a PMOS load with a
    // capacitor: picoamps to a nanoamp, time constants of microseconds to milliseconds.
    bank += "Iin" + k + " vdd in" + k + " PULSE(10p " + std::to_string(100 + 30 * m) + "p " + std::to_string(m) +
            "u 1u 1u 50u 200u)\n";
    bank += "MD" + k + " in" + k + " in" + k + " 0 0 nch w=1u l=4u\n";
    bank += "MO" + k + " out" + k + " in" + k + " 0 0 nch w=2u l=4u\n";
    bank += "MP" + k + " out" + k + " out" + k + " vdd vdd pch w=2u l=4u\n";
    bank += "MQ" + k + " o2" + k + " out" + k + " vdd vdd pch w=2u l=4u\n";
    bank += "MR" + k + " o2" + k + " o2" + k + " 0 0 nch w=1u l=4u\n";
    bank += "C" + k + " out" + k + " 0 10f\n";
  }
  bank +=
      ".model nch nmos level=ekv vto=0.45 kp=300u n=1.35 lambda=0.05\n"
      ".model pch pmos level=ekv vto=-0.45 kp=70u n=1.35 lambda=0.05\n"
      ".tran 1u 400u\n.end\n";
  const std::string chain = test::inverter_chain(40, ".tran 1n 200n\n.end\n");
  for (const std::string* text : {static_cast<const std::string*>(&bank), &chain}) {
    long with_loads = 0, without_loads = 0;
    const Plot with = run(*text, true, &with_loads);
    const Plot without = run(*text, false, &without_loads);
    CHECK(with_loads > 0);
    CHECK(without_loads == 0);
    // Same steps, within a few (the tolerance scale f_abs differs slightly), and the same waveforms.
    const auto& t_with = with.signals.front().values;
    const auto& t_without = without.signals.front().values;
    CHECK(std::abs(static_cast<long>(t_with.size()) - static_cast<long>(t_without.size())) <=
          static_cast<long>(t_without.size()) / 50 + 2);
    for (const Signal& s : without.signals) {
      if (s.name.rfind("v(", 0) != 0) continue;
      const Signal* other = with.find(s.name);
      REQUIRE(other != nullptr);
      double worst = 0;
      for (std::size_t k = 0; k < t_without.size(); ++k) {
        // The latency run's value at this time, linearly interpolated.
        const double t = t_without[k];
        const auto it = std::lower_bound(t_with.begin(), t_with.end(), t);
        const std::size_t j = std::min<std::size_t>(it - t_with.begin(), t_with.size() - 1);
        double v = other->values[j];
        if (j > 0 && t_with[j] != t) {
          const double w = (t - t_with[j - 1]) / (t_with[j] - t_with[j - 1]);
          v = other->values[j - 1] + w * (other->values[j] - other->values[j - 1]);
        }
        // On an edge the two runs' different time points differ by up to one step's change.
        const double step_change = std::max(k > 0 ? std::fabs(s.values[k] - s.values[k - 1]) : 0.0,
                                            k + 1 < t_without.size() ? std::fabs(s.values[k + 1] - s.values[k]) : 0.0);
        worst = std::max(worst, std::fabs(v - s.values[k]) - step_change);
      }
      INFO(s.name);
      CHECK(worst < 2e-3);  // V, of 1-1.8 V swings
    }
  }
}

TEST_CASE("bypass: .options bypasstol sets the tolerance, in units of UT, and refuses more than 0.05", "[latency]") {
  auto reused = [](const std::string& option) {
    auto circuit = elaborate_text(test::inverter_chain(12, option + ".tran 1n 100n\n.end\n"));
    std::vector<AnalysisStatistics> stats;
    RunSettings settings;
    settings.statistics = &stats;
    run_analyses(*circuit, settings);
    const SolverStatistics& s = stats.back().solver;
    return static_cast<double>(s.bypassed_instances) / static_cast<double>(s.bypassed_instances + s.evaluated_instances);
  };
  const double by_default = reused("");
  CHECK(reused(".options bypasstol=1e-2\n") == by_default);  // the default
  CHECK(reused(".options bypasstol=1e-3\n") < by_default);
  CHECK(reused(".options bypasstol=3e-2\n") > by_default);
  CHECK(reused(".options bypasstol=0\n") == 0.0);
  CHECK_THROWS_WITH(elaborate_text(test::inverter_chain(2, ".options bypasstol=0.1\n.tran 1n 10n\n.end\n")),
                    Catch::Contains("option 'bypasstol' must be at most 0.05"));
}

TEST_CASE("bypass: a DC sweep through a hysteretic cell's fold matches the sweep without bypass", "[latency]") {
  // The demo's loop (netlists/examples/schmitt9_loop.cir: the 9-transistor cell swept up and down
  // in 0.5 pA steps). Next to a fold the DC solution moves along a near-vertical edge for a tiny
  // current error, so DC solves bypass at a tenth of the transient tolerance: at the transient's
  // 1e-2 UT the point just past the down switch stood 50% off (4.85e-11 against 3.29e-11 A).
  auto sweep = [](bool bypass) {
    auto circuit = elaborate_file(std::string(PICOSPICE_SOURCE_DIR) + "/netlists/examples/schmitt9_loop.cir");
    circuit->options.bypass = bypass;
    RunSettings settings;
    return run_analyses(*circuit, settings);
  };
  const auto with = sweep(true), without = sweep(false);
  REQUIRE(with.size() == without.size());
  for (std::size_t p = 0; p < with.size(); ++p) {
    const Signal* a = with[p].find("i(vsense)");
    const Signal* b = without[p].find("i(vsense)");
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    REQUIRE(a->values.size() == b->values.size());
    double worst = 0;
    for (std::size_t i = 0; i < a->values.size(); ++i)
      worst = std::max(worst, std::fabs(a->values[i] - b->values[i]) / (1e-3 * std::fabs(b->values[i]) + 1e-13));
    INFO("plot " << p << ": worst |difference| / (1e-3 |I| + 0.1 pA) = " << worst);
    CHECK(worst <= 1.0);
  }
}
