// What an analysis may change, and what a transient starts from (README "Analyses and their
// semantics"): a .dc sweep sets a source, the temperature or a parameter only for its own points;
// every later analysis sees the netlist's values, as in ngspice. The transient's initial point
// has every source at its transient value at t = 0.
#include <catch2/catch.hpp>

#include <string>

#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

namespace picospice {
namespace {

// A diode (temperature-dependent), a divider with a parameter, and a source.
const std::string kCircuit = R"(sweep isolation
.param rl=2k
V1 in 0 DC 1 PULSE(0.2 1 1m 1u 1u 1m 2m)
R1 in mid 1k
R2 mid 0 {rl}
D1 mid 0 dmod
.model dmod d is=1e-14 n=1
)";

double op_value(const std::string& text, const std::string& signal) {
  auto circuit = elaborate_text(text, "semantics.cir");
  const auto plots = run_analyses(*circuit);
  REQUIRE(!plots.empty());
  const Plot& last = plots.back();
  REQUIRE(last.analysis == "op");
  return last.find(signal)->values.at(0);
}

}  // namespace

TEST_CASE("an .op after a .dc of a source, of the temperature or of a parameter equals the .op alone",
          "[semantics]") {
  const double alone_in = op_value(kCircuit + ".op\n.end\n", "v(in)");
  const double alone_mid = op_value(kCircuit + ".op\n.end\n", "v(mid)");
  CHECK(alone_in == Approx(1.0));

  SECTION("source") {
    const std::string text = kCircuit + ".dc v1 0 5 1\n.op\n.end\n";
    CHECK(op_value(text, "v(in)") == alone_in);
    CHECK(op_value(text, "v(mid)") == alone_mid);
  }
  SECTION("temperature") {
    const std::string text = kCircuit + ".dc temp -40 125 5\n.op\n.end\n";
    CHECK(op_value(text, "v(mid)") == alone_mid);
  }
  SECTION("parameter") {
    const std::string text = kCircuit + ".dc param rl 1k 10k 1k\n.op\n.end\n";
    CHECK(op_value(text, "v(mid)") == alone_mid);
  }
  SECTION("two sweeps, nested") {
    const std::string text = kCircuit + ".dc v1 0 2 0.5 temp 0 100 50\n.op\n.end\n";
    CHECK(op_value(text, "v(in)") == alone_in);
    CHECK(op_value(text, "v(mid)") == alone_mid);
  }
}

TEST_CASE("a transient after a .dc starts from the netlist's sources, not the sweep's last value", "[semantics]") {
  auto circuit = elaborate_text(kCircuit + ".dc v1 0 5 1\n.tran 10u 0.5m\n.end\n", "semantics.cir");
  const auto plots = run_analyses(*circuit);
  REQUIRE(plots.size() == 2);
  // Before the pulse's delay the source sits at its transient value 0.2 V.
  CHECK(plots[1].find("v(in)")->values.front() == Approx(0.2));
  CHECK(plots[1].find("v(in)")->values.back() == Approx(0.2));
}

TEST_CASE("the transient's initial point takes each source at its transient value at t = 0", "[semantics]") {
  // DC 5 is the operating point's value; PULSE(0 1 ...) starts at 0 V.
  auto circuit = elaborate_text(
      "t0 sources\nV1 a 0 DC 5 PULSE(0 1 1m 1u 1u 1m 2m)\nR1 a b 1k\nC1 b 0 1n\n"
      "I1 0 c DC 1m SIN(2m 1m 1k 0 0 90)\nR2 c 0 1k\n.op\n.tran 10u 0.5m\n.end\n",
      "t0.cir");
  const auto plots = run_analyses(*circuit);
  REQUIRE(plots.size() == 2);
  CHECK(plots[0].find("v(a)")->values[0] == Approx(5.0));
  CHECK(plots[0].find("v(c)")->values[0] == Approx(1.0));
  const Plot& tran = plots[1];
  CHECK(tran.find("v(a)")->values[0] == Approx(0.0).margin(1e-12));
  CHECK(tran.find("v(b)")->values[0] == Approx(0.0).margin(1e-12));  // the capacitor starts uncharged
  // SIN(2m 1m 1k 0 0 90) at t = 0: 2m + 1m sin(90 degrees) = 3 mA into 1 kohm.
  CHECK(tran.find("v(c)")->values[0] == Approx(3.0));
}

}  // namespace picospice
