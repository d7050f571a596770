// Netlist-level tests against analytic answers: each circuit goes through the parser, the
// elaborator and the engine exactly as a user's netlist does.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <boost/math/special_functions/lambert_w.hpp>
#include <cmath>

#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

using namespace picospice;

namespace {

std::vector<Plot> simulate(const std::string& text) {
  auto circuit = elaborate_text(text, "test.cir");
  return run_analyses(*circuit);
}

double op_value(const Plot& plot, const std::string& name) {
  const Signal* s = plot.find(name);
  REQUIRE(s != nullptr);
  return s->values.at(0);
}

// Linear interpolation of a signal at time t.
double at(const Plot& plot, const std::string& name, double t) {
  const auto& time = plot.signals[0].values;
  const Signal* s = plot.find(name);
  REQUIRE(s != nullptr);
  auto it = std::lower_bound(time.begin(), time.end(), t);
  if (it == time.begin()) return s->values.front();
  if (it == time.end()) return s->values.back();
  const std::size_t k = it - time.begin();
  const double w = (t - time[k - 1]) / (time[k] - time[k - 1]);
  return s->values[k - 1] + w * (s->values[k] - s->values[k - 1]);
}

}  // namespace

TEST_CASE("analytic: resistive divider and branch current sign", "[analytic]") {
  auto plots = simulate(R"(divider
V1 in 0 DC 1.8
R1 in mid 10k
R2 mid 0 20k
.op
.end
)");
  REQUIRE(plots.size() == 1);
  CHECK(op_value(plots[0], "v(mid)") == Approx(1.2).epsilon(1e-9));
  // ngspice convention: i(v1) is the current into the + terminal, so a source delivering power
  // reads negative.
  CHECK(op_value(plots[0], "i(v1)") == Approx(-1.8 / 30e3).epsilon(1e-9));
}

TEST_CASE("analytic: picoamp current into a teraohm", "[analytic]") {
  auto plots = simulate(R"(picoamp
I1 0 n 100p
R1 n 0 1T
R2 n m 1T
R3 m 0 1T
.op
)");
  // 100 pA into 1T || 2T = 666.67 G -> 66.667 V; m is half of it.
  CHECK(op_value(plots[0], "v(n)") == Approx(100e-12 * (2.0 / 3.0) * 1e12).epsilon(1e-6));
  CHECK(op_value(plots[0], "v(m)") == Approx(op_value(plots[0], "v(n)") / 2).epsilon(1e-6));
}

TEST_CASE("analytic: the four controlled sources", "[analytic]") {
  auto plots = simulate(R"(controlled sources
V1 a 0 0.5
R1 a 0 1k
E1 e 0 a 0 3
RE e 0 1k
G1 0 g a 0 2m
RG g 0 1k
Vsense a s 0
Rs s 0 500
F1 0 f vsense 4
RF f 0 1k
H1 h 0 vsense 2k
RH h 0 1k
.op
)");
  const Plot& p = plots[0];
  CHECK(op_value(p, "v(e)") == Approx(1.5).epsilon(1e-9));
  CHECK(op_value(p, "v(g)") == Approx(2e-3 * 0.5 * 1e3).epsilon(1e-9));  // 1 V
  const double i_sense = 0.5 / 500;                                       // into vsense's + pin
  CHECK(op_value(p, "i(vsense)") == Approx(i_sense).epsilon(1e-9));
  CHECK(op_value(p, "v(f)") == Approx(4 * i_sense * 1e3).epsilon(1e-9));
  CHECK(op_value(p, "v(h)") == Approx(2e3 * i_sense).epsilon(1e-9));
}

TEST_CASE("analytic: diode and resistor against the Lambert-W solution", "[analytic]") {
  const double is = 1e-14, n = 1.0, r = 1e3, vs = 2.0;
  auto plots = simulate(R"(diode
V1 in 0 2
R1 in d 1k
D1 d 0 dmod
.model dmod d is=1e-14 n=1
.op
)");
  const double vt = physics::thermal_voltage(300.15) * n;
  // (vs - vd)/r = is (exp(vd/vt) - 1): with a = vs + is r, vd = a - vt W(is r/vt exp(a/vt)).
  // The exponent is huge, so use W's asymptotic form through logs: W(e^y) with y = ln(is r/vt) + a/vt.
  const double a = vs + is * r;
  const double y = std::log(is * r / vt) + a / vt;
  double w = y - std::log(y);  // Newton on w + ln w = y
  for (int k = 0; k < 50; ++k) w -= (w + std::log(w) - y) / (1 + 1 / w);
  const double vd = a - vt * w;
  CHECK(op_value(plots[0], "v(d)") == Approx(vd).epsilon(1e-6));
  // Cross-check the same formula with Boost's Lambert W in a range where it does not overflow.
  const double vd_small = 0.3, is_big = 1e-6;
  const double a2 = vd_small + is_big * r;
  const double vd2 = a2 - vt * boost::math::lambert_w0(is_big * r / vt * std::exp(a2 / vt));
  auto plots2 = simulate(R"(diode small
V1 in 0 0.3
R1 in d 1k
D1 d 0 dmod
.model dmod d is=1e-6 n=1
.op
)");
  CHECK(op_value(plots2[0], "v(d)") == Approx(vd2).epsilon(1e-6));
}

TEST_CASE("analytic: RC charge and discharge", "[analytic]") {
  // tau = 1 ms; the pulse rises at 0.1 ms, falls at 5.1 ms.
  auto plots = simulate(R"(rc
V1 in 0 PULSE(0 1 0.1m 1u 1u 5m 20m)
R1 in out 1k
C1 out 0 1u
.options reltol=1e-4
.tran 10u 10m
)");
  const Plot& p = plots[0];
  for (double t : {0.5e-3, 1.1e-3, 3e-3, 5e-3}) {
    const double expected = 1 - std::exp(-(t - 0.1e-3 - 0.5e-6) / 1e-3);
    CHECK(at(p, "v(out)", t) == Approx(expected).margin(2e-3));
  }
  const double v_fall = 1 - std::exp(-(5.1e-3 - 0.1e-3) / 1e-3);
  for (double t : {5.5e-3, 7e-3, 9.5e-3}) {
    const double expected = v_fall * std::exp(-(t - 5.1e-3 - 0.5e-6) / 1e-3);
    CHECK(at(p, "v(out)", t) == Approx(expected).margin(2e-3));
  }
}

TEST_CASE("analytic: RLC ringing frequency and damping", "[analytic]") {
  // Series RLC released from v(c) = 1 V: underdamped with alpha = R/2L, w0 = 1/sqrt(LC).
  const double r = 20, l = 1e-3, c = 1e-6;
  auto plots = simulate(R"(rlc
C1 a 0 1u
L1 a b 1m
R1 b 0 20
.ic v(a)=1
.options reltol=1e-5
.tran 1u 2m uic
)");
  const Plot& p = plots[0];
  const double alpha = r / (2 * l), w0 = 1 / std::sqrt(l * c);
  const double wd = std::sqrt(w0 * w0 - alpha * alpha);
  // v_c(t) = e^{-alpha t} (cos wd t + alpha/wd sin wd t)
  for (double t : {0.1e-3, 0.37e-3, 0.8e-3, 1.5e-3}) {
    const double expected = std::exp(-alpha * t) * (std::cos(wd * t) + alpha / wd * std::sin(wd * t));
    CHECK(at(p, "v(a)", t) == Approx(expected).margin(5e-3));
  }
  // Zero crossings are half a damped period apart.
  const auto& time = p.signals[0].values;
  const auto& v = p.find("v(a)")->values;
  std::vector<double> crossings;
  for (std::size_t k = 1; k < v.size(); ++k)
    if ((v[k - 1] > 0) != (v[k] > 0))
      crossings.push_back(time[k - 1] + (time[k] - time[k - 1]) * v[k - 1] / (v[k - 1] - v[k]));
  REQUIRE(crossings.size() >= 4);
  CHECK(crossings[3] - crossings[1] == Approx(2 * M_PI / wd).epsilon(2e-3));
}

namespace {
// Global error at t = 1 ms of an RC discharge integrated with fixed steps of size h.
double rc_error(const std::string& method, double h) {
  const std::string text = fmt::format(R"(rc order
R1 a 0 1k
C1 a 0 1u
.ic v(a)=1
.options method={} trtol=1e12 reltol=1e-9
.tran {} 1m 0 {} uic
)", method, h, h);
  auto plots = simulate(text);
  const auto& v = plots[0].find("v(a)")->values;
  return std::fabs(v.back() - std::exp(-1.0));
}
}  // namespace

TEST_CASE("analytic: integrator order from the error ratio when the step halves", "[analytic]") {
  // Truncation control is switched off (trtol huge) so the steps are tmax.
  const double be = rc_error("euler", 20e-6) / rc_error("euler", 10e-6);
  const double trap = rc_error("trap", 20e-6) / rc_error("trap", 10e-6);
  const double gear = rc_error("gear", 20e-6) / rc_error("gear", 10e-6);
  CHECK(be == Approx(2.0).epsilon(0.1));
  CHECK(trap == Approx(4.0).epsilon(0.1));
  CHECK(gear == Approx(4.0).epsilon(0.15));
}

TEST_CASE("analytic: a node without a DC path is named", "[analytic]") {
  auto circuit = elaborate_text(R"(floating
V1 in 0 1
C1 in float 1p
R1 float float2 1k
.op
)", "float.cir");
  try {
    run_analyses(*circuit);
    FAIL("expected an error");
  } catch (const SimulationError& e) {
    const std::string what = e.what();
    CHECK(what.find("no DC path") != std::string::npos);
    CHECK(what.find("float") != std::string::npos);
  }
}

TEST_CASE("analytic: with uic, nodes held only by capacitors integrate; without, they are named", "[analytic]") {
  // x' = y, y' = -x written as two 1 F capacitors charged by behavioral currents: no DC path
  // anywhere, which an operating point cannot solve, but a `uic` transient needs none (each step's
  // matrix holds C/h). From x = 1, y = 0: x = cos t, y = -sin t. (ngspice runs such netlists,
  // e.g. its Roessler-attractor example, the same way.)
  const std::string body = R"(oscillator
Bx x 0 i=-v(y)
Cx x 0 1 ic=1
By y 0 i=v(x)
Cy y 0 1
.options reltol=1e-5
)";
  auto plots = simulate(body + ".tran 1m 6.3 uic\n");
  const Plot& p = plots[0];
  for (double t : {0.5, 1.5707963, 3.14159265, 5.0}) {
    CHECK(at(p, "v(x)", t) == Approx(std::cos(t)).margin(2e-3));
    CHECK(at(p, "v(y)", t) == Approx(-std::sin(t)).margin(2e-3));
  }
  // Without uic the operating point needs a DC path: the node is named.
  try {
    simulate(body + ".tran 1m 6.3\n");
    FAIL("expected an error");
  } catch (const SimulationError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("node 'x'") && Catch::Contains("no DC path"));
  }
  // With uic, a node that not even a capacitor reaches is still named.
  try {
    simulate("floating\nI1 0 a 1u\nI2 a 0 2u\nR1 b 0 1k\nC1 b 0 1p\n.tran 1u 1m uic\n");
    FAIL("expected an error");
  } catch (const SimulationError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("not even through a capacitor"));
  }
}

TEST_CASE("analytic: a loop of voltage sources is named", "[analytic]") {
  auto circuit = elaborate_text(R"(loop
V1 a 0 1
V2 a 0 2
R1 a 0 1k
.op
)", "loop.cir");
  try {
    run_analyses(*circuit);
    FAIL("expected an error");
  } catch (const SimulationError& e) {
    const std::string what = e.what();
    CHECK(what.find("loop") != std::string::npos);
    CHECK(what.find("v1") != std::string::npos);
    CHECK(what.find("v2") != std::string::npos);
  }
}

TEST_CASE("analytic: DC sweep up and down shows hysteresis", "[analytic]") {
  // A negative-resistance node (VCCS feedback stronger than the resistor) clamped by two
  // antiparallel diodes: i(v) is N-shaped, so a current sweep jumps between branches at two
  // different currents. `updown` sweeps there and back in one analysis.
  auto plots = simulate(R"(bistable
I1 0 x 0
R1 x 0 1k
G1 0 x x 0 2m
D1 x 0 dm
D2 0 x dm
.model dm d is=1e-14
.dc i1 -2m 2m 10u updown
)");
  const Plot& p = plots[0];
  const auto& sweep = p.signals[0].values;
  const auto& v = p.find("v(x)")->values;
  const std::size_t half = sweep.size() / 2;  // the turning point
  REQUIRE(sweep.size() == 2 * 401 - 1);
  // At zero input the state depends on history: low going up, high coming down.
  std::size_t up_zero = 0, down_zero = 0;
  for (std::size_t k = 0; k < sweep.size(); ++k) {
    if (std::fabs(sweep[k]) < 1e-9) (k < half ? up_zero : down_zero) = k;
  }
  CHECK(v[up_zero] < -0.3);
  CHECK(v[down_zero] > 0.3);
}

TEST_CASE("analytic: .ic without uic starts the transient from the held value", "[analytic]") {
  auto plots = simulate(R"(rc ic
V1 in 0 0
R1 in a 1k
C1 a 0 1u
.ic v(a)=1
.tran 10u 3m
)");
  const Plot& p = plots[0];
  CHECK(at(p, "v(a)", 0.0) == Approx(1.0).margin(1e-6));
  CHECK(at(p, "v(a)", 1e-3) == Approx(std::exp(-1.0)).margin(3e-3));
}
