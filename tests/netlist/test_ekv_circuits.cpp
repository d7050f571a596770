// EKV circuits at picoamp currents, checked against the simple-case equations solved
// independently here (a scalar bisection, not the simulator's Newton or its model code).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

using namespace picospice;

namespace {

// The constant-N case of docs/design.md, 'The EKV model', written out again on purpose.
struct SimpleEkv {
  double vto = 0.45, kp = 300e-6, n = 1.35, w = 1e-6, l = 1e-6;
  double ut = physics::thermal_voltage(300.15);
  static double F(double v) {
    const double s = v > 0 ? v / 2 + std::log1p(std::exp(-v / 2)) : std::log1p(std::exp(v / 2));
    return s * s;
  }
  double id(double vg, double vs, double vd) const {
    const double ispec = 2 * n * kp * (w / l) * ut * ut;
    const double vp = (vg - vto) / n;
    return ispec * (F((vp - vs) / ut) - F((vp - vd) / ut));
  }
};

double bisect(const std::function<double(double)>& g, double lo, double hi) {
  double glo = g(lo);
  for (int k = 0; k < 200; ++k) {
    const double mid = 0.5 * (lo + hi);
    const double gm = g(mid);
    if ((gm > 0) == (glo > 0)) { lo = mid; glo = gm; } else { hi = mid; }
  }
  return 0.5 * (lo + hi);
}

double op_value(const Plot& plot, const std::string& name) {
  const Signal* s = plot.find(name);
  REQUIRE(s != nullptr);
  return s->values.at(0);
}

const char* kSimpleModel =
    ".model nch nmos level=ekv vto=0.45 kp=300u n=1.35 gamma=0 lambda=0 cox=0\n";

}  // namespace

TEST_CASE("ekv circuits: 100 pA mirror of ratio 3 matches the independently solved equations",
          "[ekv-circuit]") {
  const std::string text = std::string("mirror\n") + kSimpleModel + R"(
Iin 0 g 100p
M1 g g 0 0 nch W=1u L=1u
M2 d g 0 0 nch W=3u L=1u
Vd d 0 0.9
.op
)";
  auto circuit = elaborate_text(text, "mirror.cir");
  auto plots = run_analyses(*circuit);
  SimpleEkv m1, m2;
  m2.w = 3e-6;
  const double vg = bisect([&](double v) { return m1.id(v, 0, v) - 100e-12; }, 0.0, 1.0);
  const double expected = m2.id(vg, 0, 0.9);
  // i(vd) is the current into the source's + terminal, i.e. out of the mirror's drain: negative.
  const double simulated = -op_value(plots[0], "i(vd)");
  CHECK(op_value(plots[0], "v(g)") == Approx(vg).epsilon(1e-6));
  CHECK(simulated == Approx(expected).epsilon(1e-6));
  // The diode's reverse term is not zero, so the ratio is near, not exactly, 3.
  CHECK(simulated == Approx(300e-12).epsilon(5e-3));
  CHECK(std::fabs(simulated - 300e-12) > 1e-16);
}

TEST_CASE("ekv circuits: a node reached only through cut-off transistors is solved", "[ekv-circuit]") {
  // Two NMOS in series from 1.8 V to ground, both gates at 0 V: the middle node is set by the
  // balance of two sub-femtoamp leakages (plus the documented 1e-18 S device gmin).
  const std::string text = std::string("cut-off stack\n") + kSimpleModel + R"(
Vdd vdd 0 1.8
M1 vdd 0 x 0 nch W=4u L=1u
M2 x 0 0 0 nch W=1u L=1u
.options gmin=0
.op
)";
  auto circuit = elaborate_text(text, "stack.cir");
  auto plots = run_analyses(*circuit);
  SimpleEkv top, bottom;
  top.w = 4e-6;  // analytically x = UT ln 5 = 41.6 mV
  const double x = bisect([&](double v) { return top.id(0, v, 1.8) - bottom.id(0, 0, v); }, 0.0, 1.8);
  CHECK(op_value(plots[0], "v(x)") == Approx(x).epsilon(1e-4));
  CHECK(x > 0.01);  // not trivially at a rail
}

TEST_CASE("ekv circuits: picoamp mirror chain converges from a cold start", "[ekv-circuit]") {
  // NMOS and PMOS mirrors cascaded at 10 pA, no .nodeset: a cold start at 0 V everywhere.
  auto circuit = elaborate_text(R"(mirror chain
.model nch nmos level=ekv vto=0.45 kp=300u n=1.35 gamma=0 cox=0
.model pch pmos level=ekv vto=-0.45 kp=70u n=1.35 gamma=0 cox=0
Vdd vdd 0 1.8
Iin 0 a 10p
M1 a a 0 0 nch W=1u L=1u
M2 b a 0 0 nch W=2u L=1u
M3 b b vdd vdd pch W=1u L=1u
M4 c b vdd vdd pch W=1u L=1u
M5 c c 0 0 nch W=1u L=1u
* Default reltol (1e-3) allows ~1e-4 relative current error; tighten it to compare at 1e-6.
.options reltol=1e-7
.op
)", "chain.cir");
  auto plots = run_analyses(*circuit);
  // Independent solution, stage by stage (each current depends only on upstream voltages up to
  // the tiny reverse terms of saturated devices, which the bisections include).
  SimpleEkv n1, n2, p3;
  n2.w = 2e-6;
  p3.kp = 70e-6;  // PMOS as the mirror image: voltages measured down from vdd
  const double va = bisect([&](double v) { return n1.id(v, 0, v) - 10e-12; }, 0.0, 1.0);
  double vb = 0;
  for (int k = 0; k < 3; ++k) {  // M2 depends on vb only through its reverse term
    const double i2 = n2.id(va, 0, vb > 0 ? vb : 1.8);
    vb = 1.8 - bisect([&](double v) { return p3.id(v, 0, v) - i2; }, 0.0, 1.0);
  }
  double vc = 0;
  for (int k = 0; k < 3; ++k) {
    const double i4 = p3.id(1.8 - vb, 0, 1.8 - (vc > 0 ? vc : 0.1));
    vc = bisect([&](double v) { return n1.id(v, 0, v) - i4; }, 0.0, 1.0);
  }
  CHECK(op_value(plots[0], "v(a)") == Approx(va).epsilon(1e-6));
  CHECK(op_value(plots[0], "v(b)") == Approx(vb).epsilon(1e-6));
  CHECK(op_value(plots[0], "v(c)") == Approx(vc).epsilon(1e-5));
  // At 10 pA the diode's reverse term is several percent: the chain gives more than 20 pA.
  CHECK(n1.id(vc, 0, vc) > 20.5e-12);
}

TEST_CASE("ekv circuits: .ic picks the state of a latch at the operating point", "[ekv-circuit]") {
  // Without uic, `.ic` holds the node while the operating point is solved, then releases it:
  // the transient must start, and stay, in the chosen state of the bistable pair.
  for (const char* initial : {"0", "1.8"}) {
    const std::string text = std::string("latch\n") +
        ".model nch nmos level=ekv vto=0.45 kp=300u n=1.35 gamma=0 cox=0\n"
        ".model pch pmos level=ekv vto=-0.45 kp=70u n=1.35 gamma=0 cox=0\n"
        "Vdd vdd 0 1.8\n"
        "Mp1 q qb vdd vdd pch W=1u L=1u\nMn1 q qb 0 0 nch W=1u L=1u\n"
        "Mp2 qb q vdd vdd pch W=1u L=1u\nMn2 qb q 0 0 nch W=1u L=1u\n"
        "Cq q 0 10f\nCqb qb 0 10f\n"
        ".ic v(q)=" + initial + "\n.tran 1n 100n\n";
    auto circuit = elaborate_text(text, "latch.cir");
    auto plots = run_analyses(*circuit);
    const auto& q = plots[0].find("v(q)")->values;
    const double expected = std::stod(initial);
    CHECK(q.front() == Approx(expected).margin(1e-3));
    CHECK(q.back() == Approx(expected).margin(1e-3));
  }
}
