// The ngspice dialect (issue 20): behavioral sources and their exact derivatives, .func, switches
// with hysteresis, coupled inductors, R and C parameters and model cards, RKM numbers and the
// micro sign, and the lexical forms. Analytic answers where there are any; the waveforms against
// ngspice are in tests/regression (behavioral, switch, coupled, passives).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>

#include "base/numbers.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"
#include "netlists/export_ngspice.hpp"
#include "netlists/parser/expression_compiler.hpp"
#include "tests/netlist_text.hpp"

using namespace picospice;
using Catch::Matchers::Contains;

namespace {

using test::error_of;
using test::simulate;
using test::value_of;

// Nodes a, b, c are unknowns 1, 2, 3; no parameters.
class TestCircuit final : public CircuitNames {
 public:
  ExpressionVariable node(const std::string& name) override {
    static const std::map<std::string, int> nodes{{"a", 1}, {"b", 2}, {"c", 3}};
    ExpressionVariable v;
    v.kind = ExpressionVariable::Kind::NodeVoltage;
    v.name = name;
    v.index = nodes.at(name);
    return v;
  }
  ExpressionVariable branch(const std::string& name) override {
    ExpressionVariable v;
    v.kind = ExpressionVariable::Kind::BranchCurrent;
    v.name = name;
    return v;
  }
};

class NoNames final : public ExpressionNames {
 public:
  bool parameter(std::string_view, double&) const override { return false; }
};

ExpressionProgram compile(const std::string& text) {
  TestCircuit circuit;
  return compile_expression(parse_expression(text), NoNames(), &circuit);
}

}  // namespace

// The gradient from automatic differentiation against central finite differences, at random
// points inside every function's domain (inputs in [0.2, 0.8]).
TEST_CASE("dialect: expression gradients match finite differences", "[dialect]") {
  const std::vector<std::string> expressions = {
      "v(a)*v(b) + v(a)/v(b) - v(c)",
      "exp(v(a)) + ln(v(b)) + log10(v(c)) + log(v(a)*v(b))",
      "sqrt(v(a)) + abs(v(b) - 1) + sqr(v(c)) + v(a)^2.5 + v(b)**v(c)",
      "sin(v(a)) + cos(v(b)) + tan(v(c)) + sinh(v(a)) + cosh(v(b)) + tanh(v(c))",
      "asin(v(a)) + acos(v(b)) + atan(v(c)) + arctan(v(a)) + atan2(v(b), v(c))",
      "asinh(v(a)) + acosh(1 + v(b)) + atanh(v(c))",
      "pow(v(a), v(b)) + pwr(v(a) - 0.5, 3) + pwrs(v(b) - 0.5, 1.5)",
      "min(v(a), v(b)) + max(v(b), v(c), 0.1) + limit(3*v(a), 1, 2) + uramp(v(b) - 0.5)",
      "if(v(a) > 0.5, v(b)*v(c), v(b)/v(c)) + (v(c) < 0.4 ? v(a) : 2*v(a)) + ternary_fcn(v(b) >= 0.5, v(a), -v(a))",
      "v(a, b) * v(c, a) + u2(v(a)) + nint(3.4) * v(b)",
  };
  std::mt19937 rng(20);
  std::uniform_real_distribution<double> uniform(0.2, 0.8);
  for (const auto& text : expressions) {
    const ExpressionProgram program = compile(text);
    ExpressionWorkspace workspace;
    const std::size_t n = program.variables().size();
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> x(n), gradient(n);
      for (auto& xi : x) xi = uniform(rng);
      double value = 0;
      REQUIRE(evaluate_program(program, x.data(), workspace, value, gradient.data()));
      for (std::size_t k = 0; k < n; ++k) {
        const double h = 1e-6;
        std::vector<double> up = x, down = x;
        up[k] += h;
        down[k] -= h;
        double f_up = 0, f_down = 0;
        REQUIRE(evaluate_program(program, up.data(), workspace, f_up));
        REQUIRE(evaluate_program(program, down.data(), workspace, f_down));
        const double numeric = (f_up - f_down) / (2 * h);
        INFO(text << " d/d" << program.variables()[k].name << " at trial " << trial);
        CHECK(gradient[k] == Approx(numeric).epsilon(1e-5).margin(1e-6));
      }
    }
  }
}

TEST_CASE("dialect: function values", "[dialect]") {
  auto value = [](const std::string& text) {
    const ExpressionProgram program = compile(text);
    return evaluate_constant_or_throw(program);
  };
  CHECK(value("pwr(-2, 3)") == Approx(-8));
  CHECK(value("pwrs(-4, 0.5)") == Approx(-2));
  CHECK(value("(-2)^3") == Approx(8));  // ngspice: |x|^y
  CHECK(value("nint(2.5)") == 2);
  CHECK(value("nint(3.5)") == 4);
  CHECK(value("nint(-1.6)") == -2);
  CHECK(value("sqr(3)") == 9);
  CHECK(value("limit(5, 0, 2)") == 2);
  CHECK(value("limit(-5, 0, 2)") == 0);
  CHECK(value("if(1 > 2, 10, 20)") == 20);
  CHECK(value("ternary_fcn(1, 10, 20)") == 10);
  CHECK(value("asinh(sinh(0.7))") == Approx(0.7));
  CHECK(value("acosh(cosh(0.7))") == Approx(0.7));
  CHECK(value("atanh(tanh(0.7))") == Approx(0.7));
  CHECK(value("arctan(1)") == Approx(std::atan(1.0)));
}

TEST_CASE("dialect: a B source solves with its exact Jacobian", "[dialect]") {
  // A behavioral diode fed by 1 V through 1k: i = Is (exp(v/Vt) - 1), Newton converges.
  auto plots = simulate(R"(bdiode
V1 in 0 1
R1 in d 1k
B1 d 0 I={1e-12*(exp(v(d)/0.025) - 1)}
.op
.end
)");
  const double vd = value_of(plots[0], "v(d)");
  const double id = (1 - vd) / 1e3;
  CHECK(id == Approx(1e-12 * (std::exp(vd / 0.025) - 1)).epsilon(1e-6));
  CHECK(vd > 0.3);
  CHECK(vd < 0.6);
}

TEST_CASE("dialect: B V= and i(), E VALUE=, G TABLE and nested .func in a subcircuit", "[dialect]") {
  auto plots = simulate(R"(behavioral
.func sq(x) {x*x}
.func sqplus(x, y) {sq(x) + y}
V1 in 0 0.5
Vs in mid 0
R1 mid 0 1k
B1 o1 0 V={sqplus(v(in), 1) + 1k*i(vs)}
E1 o2 0 VALUE={2*v(in)}
G1 0 o3 TABLE {v(in)} = (0, 0) (1, 2m) (2, 2m)
R3 o3 0 1k
X1 in o4 sub
.subckt sub a b
.param k=3
.func scale(z) {k*sq(z)}
B2 b 0 V={scale(v(a))}
.ends
.op
.end
)");
  CHECK(value_of(plots[0], "v(o1)") == Approx(0.25 + 1 + 0.5).epsilon(1e-9));
  CHECK(value_of(plots[0], "v(o2)") == Approx(1.0).epsilon(1e-9));
  CHECK(value_of(plots[0], "v(o3)") == Approx(1.0).epsilon(1e-9));  // 1 mA into 1k
  CHECK(value_of(plots[0], "v(o4)") == Approx(0.75).epsilon(1e-9));
}

TEST_CASE("dialect: a B source's domain fault is named when Newton fails", "[dialect]") {
  const std::string message = error_of(R"(fault
V1 a 0 -1
B1 b 0 V={sqrt(v(a))}
R1 b 0 1k
.op
.end
)");
  CHECK_THAT(message, Contains("b1"));
  CHECK_THAT(message, Contains("sqrt"));
}

TEST_CASE("dialect: .func errors say where", "[dialect]") {
  CHECK_THAT(error_of("t\n.func f(x) {x}\n.func f(y) {y}\nR1 a 0 1k\n.op\n.end\n"), Contains("already defined"));
  CHECK_THAT(error_of("t\nV1 a 0 1\nR1 a 0 {g(2)}\n.op\n.end\n"), Contains("unknown function 'g'"));
}

TEST_CASE("dialect: switch hysteresis over a .dc sweep up and down", "[dialect]") {
  // On above 0.7 V, off below 0.3 V; between, the state of the previous sweep point.
  auto plots = simulate(R"(hysteresis
Vc c 0 0
Vdd vdd 0 1
S1 vdd out c 0 smod
R1 out 0 1k
.model smod sw vt=0.5 vh=0.2 ron=1 roff=1e9
.dc vc 0 1 0.1 updown
.end
)");
  const Plot& p = plots[0];
  const Signal* vc = p.find("v(c)");
  REQUIRE(vc != nullptr);
  std::vector<double> sweep;
  for (std::size_t k = 0; k < p.signals[0].values.size(); ++k) sweep.push_back(p.signals[0].values[k]);
  bool going_down = false;
  int checked = 0;
  for (std::size_t k = 0; k < sweep.size(); ++k) {
    if (k > 0 && sweep[k] < sweep[k - 1]) going_down = true;
    const double c = sweep[k], out = value_of(p, "v(out)", k);
    const bool on = out > 0.5;
    if (c > 0.71) CHECK(on);
    else if (c < 0.29) CHECK_FALSE(on);
    else if (c > 0.31 && c < 0.69) { CHECK(on == going_down); ++checked; }  // not at a threshold itself
  }
  CHECK(checked == 6);  // 0.4, 0.5, 0.6 both ways
}

TEST_CASE("dialect: a switch's transient switching time is resolved", "[dialect]") {
  // The control ramps 0 -> 1 V over 1 ms: the switch turns on at 0.7 ms (vt + vh).
  auto plots = simulate(R"(switch time
Vc c 0 PWL(0 0 1m 1)
Vdd vdd 0 1
S1 vdd out c 0 smod
R1 out 0 1k
.model smod sw vt=0.5 vh=0.2 ron=1 roff=1e9
.tran 10u 1m
.end
)");
  const Plot& p = plots[0];
  const auto& time = p.signals[0].values;
  double on_at = -1;
  for (std::size_t k = 0; k < time.size(); ++k)
    if (value_of(p, "v(out)", k) > 0.5) { on_at = time[k]; break; }
  CHECK(on_at == Approx(0.7e-3).margin(1.5e-6));  // within 1e-3 tstop, plus one step past it
}

TEST_CASE("dialect: a coupled transformer's turns ratio", "[dialect]") {
  // L2 = L1/4: turns ratio 2:1, k close to 1 and a light load: v(s) = v(p)/2 (dot at n+).
  auto plots = simulate(R"(transformer
Vp in 0 SIN(0 1 10k)
Rp in p 0.1
L1 p 0 10m
L2 s 0 2.5m
K1 L1 L2 0.99999
R2 s 0 1meg
.tran 1u 200u
.end
)");
  const Plot& p = plots[0];
  double peak_p = 0, peak_s = 0;
  for (std::size_t k = 0; k < p.signals[0].values.size(); ++k) {
    peak_p = std::max(peak_p, std::fabs(value_of(p, "v(p)", k)));
    peak_s = std::max(peak_s, std::fabs(value_of(p, "v(s)", k)));
  }
  CHECK(peak_s / peak_p == Approx(0.5).epsilon(1e-3));
}

TEST_CASE("dialect: coupling errors", "[dialect]") {
  CHECK_THAT(error_of("t\nV1 a 0 1\nL1 a 0 1m\nK1 L1 L9 0.5\n.op\n.end\n"), Contains("unknown inductor 'l9'"));
  CHECK_THAT(error_of("t\nV1 a 0 1\nL1 a 0 1m\nL2 b 0 1m\nR2 b 0 1\nK1 L1 L2 1.5\n.op\n.end\n"), Contains("[-1, 1]"));
  // Three windings with k = -0.9 pairwise: no physical transformer.
  CHECK_THAT(error_of("t\nV1 a 0 1\nL1 a 0 1m\nL2 b 0 1m\nL3 c 0 1m\nR2 b 0 1\nR3 c 0 1\n"
                      "K1 L1 L2 -0.9\nK2 L1 L3 -0.9\nK3 L2 L3 -0.9\n.tran 1u 10u\n.end\n"),
             Contains("positive semi-definite"));
}

TEST_CASE("dialect: R and C with m=, temperature coefficients and model cards", "[dialect]") {
  // R(T) = R (1 + tc1 dT + tc2 dT^2) / m; at temp = 127 C, dT = 100.
  auto plots = simulate(R"(passives
I1 0 a 1m
R1 a 0 1k tc1=1e-3 tc2=1e-5 temp=127 m=2
I2 0 b 1m
R2 b 0 1k rmod dtemp=10
.model rmod r (tc1=2e-3
+ tnom=17
+ )
.op
.end
)");
  CHECK(value_of(plots[0], "v(a)") == Approx(1e-3 * 1e3 * (1 + 0.1 + 0.1) / 2).epsilon(1e-9));
  // dT = 27 + 10 - 17 = 20
  CHECK(value_of(plots[0], "v(b)") == Approx(1e-3 * 1e3 * (1 + 0.04)).epsilon(1e-9));
}

TEST_CASE("dialect: a model resistor's geometry loses 2 narrow and 2 short, as in ngspice 39", "[dialect]") {
  auto plots = simulate("t\nI1 0 a 1m\nR1 a 0 rm l=11u w=4u\n.model rm r rsh=1k narrow=1u short=0.5u\n.op\n.end\n");
  CHECK(value_of(plots[0], "v(a)") == Approx(1e-3 * 1e3 * 10.0 / 2.0).epsilon(1e-12));  // 5 kohm, as ngspice 39
  CHECK_THAT(error_of("t\nV1 a 0 1\nR1 a 0 rm l=11u w=2u\n.model rm r rsh=1k narrow=1u\n.op\n.end\n"),
             Contains("test.cir:3:") && Contains("w - 2 narrow) must be positive"));
}

TEST_CASE("dialect: a resistor's tce= multiplies by 1.01^(tce dT), on the instance and its model", "[dialect]") {
  auto plots = simulate(R"(tce
I1 0 a 1m
R1 a 0 1k tc1=2e-3 tce=5e-3 temp=77
I2 0 b 1m
R2 b 0 rmod temp=77
.model rmod r r=1k tc1=2e-3 tce=1
I3 0 c 1m
R3 c 0 rmod temp=77 tce=0
.op
.end
)");
  // dT = 50: the product of the polynomial and the exponential factor.
  CHECK(value_of(plots[0], "v(a)") == Approx(1.0 * (1 + 0.1) * std::pow(1.01, 0.25)).epsilon(1e-12));
  CHECK(value_of(plots[0], "v(b)") == Approx(1.0 * (1 + 0.1) * std::pow(1.01, 50)).epsilon(1e-12));
  CHECK(value_of(plots[0], "v(c)") == Approx(1.0 * (1 + 0.1)).epsilon(1e-12));
  CHECK_THAT(error_of("t\nV1 a 0 1\nC1 a 0 1p tce=1\n.op\n.end\n"), Contains("unexpected argument"));
}

TEST_CASE("dialect: min and max of one argument are the argument, as in ngspice", "[dialect]") {
  auto plots = simulate("t\n.param a={max(3)} b={min(-2)} c={max(1, 5, 2)}\nV1 x 0 {a + b + c}\nR1 x 0 1k\n.op\n.end\n");
  CHECK(value_of(plots[0], "v(x)") == Approx(6));
  CHECK_THAT(error_of("t\n.param a={max()}\nV1 x 0 a\nR1 x 0 1k\n.op\n.end\n"), Contains("test.cir:2:"));
}

TEST_CASE("dialect: RKM numbers and the micro sign", "[dialect]") {
  CHECK(parse_number("4k7") == Approx(4700));
  CHECK(parse_number("4K7") == Approx(4700));
  CHECK(parse_number("2R2") == Approx(2.2));
  CHECK(parse_number("1u5") == Approx(1.5e-6));
  CHECK(parse_number("4k7ohm") == Approx(4700));
  CHECK(parse_number("10\xc2\xb5") == Approx(10e-6));     // U+00B5
  CHECK(parse_number("10\xce\xbc" "F") == Approx(10e-6));  // U+03BC, with a unit
  CHECK(parse_number("1\xc2\xb5" "5") == Approx(1.5e-6));
  CHECK(parse_number("10meg") == Approx(1e7));
  CHECK(parse_number("1e3") == Approx(1e3));
  double v = 0;
  CHECK_FALSE(try_parse_number("4k7.5", v));
  CHECK_FALSE(try_parse_number("4x7", v));
}

TEST_CASE("dialect: an {expression} continued on a + line", "[dialect]") {
  auto plots = simulate("t\n.param a=2\nV1 x 0 {a*\n+ 3 +\n* a comment between\n+ 1}\nR1 x 0 1k\n.op\n.end\n");
  CHECK(value_of(plots[0], "v(x)") == Approx(7));
  CHECK_THAT(error_of("t\nV1 x 0 {1 +\nR1 x 0 1k\n.op\n.end\n"), Contains("unclosed '{'"));
  CHECK_THAT(error_of("t\nV1 x 0 {1 +\nR1 x 0 1k\n.op\n.end\n"), Contains("test.cir:2:8"));
}

TEST_CASE("dialect: export-ngspice keeps .func and writes RKM numbers plainly", "[dialect]") {
  const std::string path = "/tmp/picospice_test_dialect_export.cir";
  {
    std::ofstream out(path);
    out << "t\n.func f(x, y) {x*y + 1}\nV1 a 0 1\nR1 a b 4k7\nR2 b 0 2R2\nB1 c 0 V={f(v(b), 2)}\nR3 c 0 1k\n.op\n.end\n";
  }
  const std::string text = export_ngspice(path);
  CHECK_THAT(text, Contains(".func f(x, y) {(x*y + 1)}"));
  CHECK_THAT(text, Contains("R1 a b 4700"));
  CHECK_THAT(text, Contains("R2 b 0 2.2"));
  std::remove(path.c_str());
}
