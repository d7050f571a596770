// The operating point's homotopy chain: plain Newton, gmin stepping, source stepping, and
// pseudo-transient continuation as the last resort; a singular matrix fails one attempt, not the
// operating point (engine/analyses/operating_point.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "devices/device_registry.hpp"
#include "engine/analyses/operating_point.hpp"
#include "engine/simulator.hpp"
#include "netlists/cell_library.hpp"
#include "netlists/elaborate.hpp"

namespace picospice {
namespace {

// `Zname a b k=K`: a cubic conductor, i = K (v_a - v_b)^3. Its conductance 3 K v^2 is exactly zero
// at v = 0, so plain Newton from an all-zero guess meets a singular matrix.
class CubicConductorGroup final : public DeviceGroup {
 public:
  std::string_view type_name() const override { return "test_cubic"; }
  std::size_t size() const override { return a_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<CubicConductorGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder&) override {
    a_.push_back(card.nodes[0]);
    b_.push_back(card.nodes[1]);
    k_.push_back(card.args.at(0).value);
    names_.push_back(card.name);
    slots_.emplace_back();
  }
  void bind_slots(SlotBinder& binder) override {
    for (std::size_t i = 0; i < size(); ++i) slots_[i].bind(binder, a_[i], b_[i]);
  }
  void evaluate(EvalRequest& r) override {
    for (std::size_t i = 0; i < size(); ++i) {
      const double v = r.x[a_[i]] - r.x[b_[i]];
      r.add_current(a_[i], b_[i], k_[i] * v * v * v);
      slots_[i].add(r.jac, 3 * k_[i] * v * v);
    }
  }
  void list_dc_connections(std::vector<DcConnection>& out) const override {
    for (std::size_t i = 0; i < size(); ++i) out.push_back({names_[i], a_[i], b_[i], DcConnection::Kind::Conducts});
  }

 private:
  std::vector<std::string> names_;
  std::vector<Index> a_, b_;
  std::vector<double> k_;
  std::vector<PairSlots> slots_;
};

// Letter Z (a MESFET in SPICE, which picospice does not have); this registration lives only in the
// test binary.
const DeviceRegistration kRegistered{{'z', 2, false, {}, "test_cubic", make_group<CubicConductorGroup>}};

std::string cell_bench(const std::string& options) {
  return "schmitt9 op\n.include \"" + cells::cell_library_path() +
         "\"\nVdd vdd 0 1.8\nXbias vdd 0 bthresh bwidth bgain schmitt9_bias ith=350p iw=200p ig=500p\n"
         "Xcell in out vdd 0 bthresh bwidth bgain schmitt9\nIin 0 in 250p\nVsense out 0 0.5\n" + options + "\n.end\n";
}

}  // namespace

TEST_CASE("operating point: a singular matrix in plain Newton goes on to gmin stepping", "[op]") {
  auto circuit = elaborate_text("cubic\nI1 0 a 1m\nZ1 a 0 k=1e-3\n.end\n", "cubic.cir");
  System system(*circuit);
  std::vector<double> x(circuit->size() + 1, 0.0);
  const OperatingPointReport report = solve_operating_point(system, x, {});
  CHECK(report.used_gmin_stepping);
  CHECK(x[circuit->find_node("a")] == Approx(1.0).epsilon(1e-6));  // 1e-3 v^3 = 1 mA
}

TEST_CASE("operating point: with every homotopy off, a singular matrix is reported by node", "[op]") {
  auto circuit = elaborate_text("cubic\nI1 0 a 1m\nZ1 a 0 k=1e-3\n.options nogmin nosrcstep\n.end\n", "cubic.cir");
  circuit->options.pseudo_transient = false;
  System system(*circuit);
  std::vector<double> x(circuit->size() + 1, 0.0);
  CHECK_THROWS_WITH(solve_operating_point(system, x, {}),
                    Catch::Contains("singular") && Catch::Contains("node 'a'"));
}

TEST_CASE("operating point: with every method turned off, the error says so", "[op]") {
  auto circuit = elaborate_text("t\nV1 a 0 1\nR1 a 0 1k\n.options noopiter nogmin nopseudotran nosrcstep\n.end\n", "off.cir");
  System system(*circuit);
  std::vector<double> x(circuit->size() + 1, 0.0);
  CHECK_THROWS_WITH(solve_operating_point(system, x, {}), Catch::Contains("every way to an operating point is turned off"));
}

TEST_CASE("operating point: pseudo-transient continuation finds what Newton's budget cannot", "[op]") {
  // The cell needs 18 plain Newton iterations from zero; with 10 allowed and the other homotopies
  // off, only the pseudo-transient reaches it.
  auto full = elaborate_text(cell_bench(""), "cell.cir");
  auto limited = elaborate_text(cell_bench(".options nogmin nosrcstep itl1=10"), "cell.cir");
  System full_system(*full), limited_system(*limited);
  std::vector<double> x_full(full->size() + 1, 0.0), x_limited(limited->size() + 1, 0.0);
  const OperatingPointReport plain = solve_operating_point(full_system, x_full, {});
  REQUIRE_FALSE(plain.used_gmin_stepping);
  const OperatingPointReport pseudo = solve_operating_point(limited_system, x_limited, {});
  CHECK(pseudo.used_pseudo_transient);
  // The cell's input, 250 pA, sits inside its hysteresis band, so it has two stable states (and an
  // unstable one between them, where plain Newton from zero happens to land: x mid-rail). Powering
  // up, the pseudo-transient settles in a stable one: x at a rail, out low.
  const Index node_x = limited->find_node("xcell.x");
  CHECK(x_limited[node_x] > 1.5);
  CHECK(std::fabs(x_limited[limited->find_output("i(vsense)")]) < 1e-12);
  // Deterministic: the same answer again, bit for bit.
  System again_system(*limited);
  std::vector<double> again(limited->size() + 1, 0.0);
  solve_operating_point(again_system, again, {});
  CHECK(again == x_limited);

  // `.options noopiter` (ngspice's) skips plain Newton: with gmin stepping off as well, the
  // pseudo-transient is the first attempt and lands on the same state without the 10 iterations
  // spent above, to within Newton's tolerance: not bit for bit, because the failed attempt leaves
  // state behind that changes the rounding (with bypass off as well, so most likely the pivot order
  // KLU's refactorizations keep from the last full factorization), and with it the pseudo-
  // transient's iteration count (151 against 164). `picospice lower` writes both for lowered
  // networks.
  auto straight = elaborate_text(cell_bench(".options noopiter nogmin nosrcstep"), "cell.cir");
  System straight_system(*straight);
  std::vector<double> x_straight(straight->size() + 1, 0.0);
  const OperatingPointReport direct = solve_operating_point(straight_system, x_straight, {});
  CHECK(direct.used_pseudo_transient);
  for (std::size_t i = 1; i < x_straight.size(); ++i) CHECK(x_straight[i] == Approx(x_limited[i]).margin(1e-6));
  CHECK(x_straight[node_x] > 1.5);
  CHECK(direct.newton_iterations < pseudo.newton_iterations - 10 + 5);

  // Without the pseudo-transient the same budget fails.
  limited->options.pseudo_transient = false;
  System no_pseudo(*limited);
  std::vector<double> x(limited->size() + 1, 0.0);
  CHECK_THROWS_AS(solve_operating_point(no_pseudo, x, {}), SimulationError);
}

}  // namespace picospice
