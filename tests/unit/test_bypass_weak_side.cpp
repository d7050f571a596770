// Device bypass on the weak side of a saturated channel (devices/ekv/ekv_mosfet_load.cpp,
// weak_side_scale): the drain of a saturated MOSFET may move further than the bypass tolerance
// before the device is evaluated anew, because the current and charges depend on it only through
// the small reverse component; the linearized load must stay as close to a fresh evaluation as the
// plain tolerance keeps it on the other terminals.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "base/options.hpp"
#include "engine/system.hpp"
#include "netlists/elaborate.hpp"
#include "tests/transient_point.hpp"

using namespace picospice;
using picospice::test::transient_point;

namespace {

const double kUT = physics::thermal_voltage(300.15);  // at 27 C, V
const double kTolerance = 1e-2 * kUT;                 // the default bypasstol (1e-2 UT), V

struct Bench {
  std::unique_ptr<Circuit> bypassing, fresh;
  std::unique_ptr<System> with, without;
  std::vector<double> x;
  Index d = 0, g = 0;
  double t = 0;
  Bench(const std::string& device, double vdd, double vg, double vd) {
    // The resistors only give every node the DC path the topology check asks for (1e15 ohm:
    // femtoamps beside the device's nanoamps, the same in both systems).
    std::string text = "one transistor\n" + device + "\nRg g 0 1e15\nRd d 0 1e15\n";
    if (device.find("vdd") != std::string::npos) text += "Rvdd vdd 0 1e15\n";
    text += ".model nch nmos level=ekv vto=0.45 kp=300u n=1.35 lambda=0.01\n"
                             ".model pch pmos level=ekv vto=-0.45 kp=70u n=1.35 lambda=0.01\n.end\n";
    bypassing = elaborate_text(text, "with.cir");
    fresh = elaborate_text(text, "without.cir");
    fresh->options.bypass = false;
    with = std::make_unique<System>(*bypassing);
    without = std::make_unique<System>(*fresh);
    x.assign(with->size() + 1, 0.0);
    d = bypassing->find_node("d");
    g = bypassing->find_node("g");
    const Index supply = bypassing->find_node("vdd");
    if (supply > 0) x[supply] = vdd;
    x[g] = vg;
    x[d] = vd;
  }
  // Evaluates both at x; returns whether the bypassing one evaluated the device anew.
  bool evaluate() {
    t += 1e-9;
    const long before = with->statistics().evaluated_instances;
    with->evaluate(x.data(), transient_point(t));
    without->evaluate(x.data(), transient_point(t));
    return with->statistics().evaluated_instances > before;
  }
  // The bypassed load's drain current against a fresh evaluation's, relative.
  double drain_current_error() const {
    const double a = with->f()[d], b = without->f()[d];
    return std::fabs(a - b) / std::fabs(b);
  }
  double drain_charge_error() const {
    const double a = with->q()[d], b = without->q()[d];
    return std::fabs(a - b) / std::max(std::fabs(b), 1e-30);
  }
};

}  // namespace

TEST_CASE("bypass: a saturated channel's drain may move further than its gate, within the same error", "[latency]") {
  SECTION("NMOS in weak inversion, saturated (VDS 0.5 V)") {
    Bench b("M1 d g 0 0 nch w=1u l=4u", 0, 0.35, 0.5);
    REQUIRE(b.evaluate());
    REQUIRE(!b.evaluate());  // unchanged: bypassed
    b.x[b.d] += 0.05 * kUT;  // 1.3 mV on the drain: 5 tolerances
    CHECK(!b.evaluate());
    // 0.5 (1e-2)^2 = 5e-5 of the current: the bound a source move of the plain tolerance allows.
    CHECK(b.drain_current_error() < 5e-5);
    CHECK(b.drain_charge_error() < 5e-5);
    b.x[b.g] += 2 * kTolerance;  // the gate keeps the plain tolerance
    CHECK(b.evaluate());
  }
  SECTION("PMOS in moderate inversion, saturated") {
    Bench b("M1 d g vdd vdd pch w=2u l=4u", 1.8, 1.2, 1.0);
    REQUIRE(b.evaluate());
    b.evaluate();
    b.x[b.d] -= 0.05 * kUT;
    CHECK(!b.evaluate());
    CHECK(b.drain_current_error() < 5e-5);
    CHECK(b.drain_charge_error() < 5e-5);
  }
  SECTION("not in triode: VDS below UT, the drain is as strong as the source") {
    Bench b("M1 d g 0 0 nch w=1u l=4u", 0, 0.35, 0.01);
    REQUIRE(b.evaluate());
    b.evaluate();
    b.x[b.d] += 5 * kTolerance;
    CHECK(b.evaluate());
  }
  SECTION("never beyond 0.1 UT, however deep the saturation") {
    Bench b("M1 d g 0 0 nch w=1u l=4u", 0, 0.35, 1.5);
    REQUIRE(b.evaluate());
    b.evaluate();
    b.x[b.d] += 0.099 * kUT;
    CHECK(!b.evaluate());
    b.x[b.d] += 0.002 * kUT;  // 0.101 UT from where it was evaluated
    CHECK(b.evaluate());
  }
  SECTION("and never beyond 100 tolerances at a tighter tolerance") {
    Bench b("M1 d g 0 0 nch w=1u l=4u", 0, 0.35, 1.5);
    b.bypassing->options.bypass_fraction = 1e-4;
    b.with = std::make_unique<System>(*b.bypassing);
    REQUIRE(b.evaluate());
    b.evaluate();
    b.x[b.d] += 99e-4 * kUT;
    CHECK(!b.evaluate());
    b.x[b.d] += 2e-4 * kUT;  // 101 tolerances
    CHECK(b.evaluate());
  }
}
