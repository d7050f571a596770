// ngspice's `.if` / `.elseif` / `.else` / `.endif` (netlists/conditional_blocks.hpp; ngspice
// manual, "Circuit Description", ".if Condition-Controlled Netlist"). The values are those
// ngspice 39 gives for the same netlists (run by hand with `ngspice -b`): the branch chosen by a
// .param, also one defined after the block; nesting; per-instance choice inside a subcircuit;
// alterparam choosing again. Then the errors, each at its file:line:column.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/simulator.hpp"
#include "netlists/control/control_executor.hpp"
#include "netlists/elaborate.hpp"
#include "netlists/export_ngspice.hpp"
#include "tests/netlist_text.hpp"
#include "tests/run_command.hpp"

using namespace picospice;
using Catch::Matchers::Contains;

namespace {

using test::error_of;
using test::simulate;
using test::value_of;

// The operating-point voltage of `node`.
double op_voltage(const std::string& text, const std::string& node, const ParamOverrides& overrides = {}) {
  const auto plots = simulate(text, overrides);
  REQUIRE(plots.size() == 1);
  return value_of(plots[0], "v(" + node + ")");
}

// 1 V over 1k and the chosen R2: v(2) = R2 / (1k + R2).
double divider(double r2) { return r2 / (1e3 + r2); }

// Three branches; `sel` is given by the test.
const char* kThreeWay = R"(three-way
.param sel=1
V1 1 0 1
R1 1 2 1k
.if (sel == 1)
R2 2 0 1k
.elseif (sel == 2)
R2 2 0 3k
.elseif (sel >= 3 && sel < 10)
R2 2 0 9k
.else
R2 2 0 99k
.endif
.op
.end
)";

}  // namespace

TEST_CASE("conditional blocks: .if, .elseif and .else chosen by a .param", "[dialect]") {
  CHECK(op_voltage(kThreeWay, "2") == Approx(divider(1e3)));
  CHECK(op_voltage(kThreeWay, "2", {{"sel", 2}}) == Approx(divider(3e3)));
  CHECK(op_voltage(kThreeWay, "2", {{"sel", 3}}) == Approx(divider(9e3)));
  CHECK(op_voltage(kThreeWay, "2", {{"sel", 5}}) == Approx(divider(9e3)));
  CHECK(op_voltage(kThreeWay, "2", {{"sel", 10}}) == Approx(divider(99e3)));
  CHECK(op_voltage(kThreeWay, "2", {{"sel", -1}}) == Approx(divider(99e3)));
}

TEST_CASE("conditional blocks: without .else no branch may be taken; any non-zero value is true", "[dialect]") {
  const std::string text = "t\n.param on=0\nV1 1 0 1\nR1 1 2 1k\nR2 2 0 1k\n.if (on)\nR3 2 0 1k\n.endif\n.op\n.end\n";
  CHECK(op_voltage(text, "2") == Approx(0.5));
  CHECK(op_voltage(text, "2", {{"on", 1}}) == Approx(1.0 / 3));
  CHECK(op_voltage(text, "2", {{"on", -0.5}}) == Approx(1.0 / 3));
  // Logical operators and `!` (the manual's example: `.if (ok && ok2)`), spelled in upper case.
  const std::string logic =
      "t\n.param ok=0 ok2=1\nV1 1 0 1\nR1 1 2 1k\n.IF (ok && ok2 || !(ok2 != 1) && ok == 1)\nR2 2 0 1k\n.ELSE\n"
      "R2 2 0 3k\n.ENDIF\n.op\n.end\n";
  CHECK(op_voltage(logic, "2") == Approx(divider(3e3)));
  CHECK(op_voltage(logic, "2", {{"ok", 1}}) == Approx(divider(1e3)));
}

TEST_CASE("conditional blocks: a condition sees a .param defined after the block, as in ngspice", "[dialect]") {
  // ngspice 39: i(v1) = -0.5 for this netlist (a = 5 chooses 2 ohm).
  const std::string text = "t\nV1 1 0 1\n.if (a > 1)\nR1 1 0 2\n.else\nR1 1 0 4\n.endif\n.param a=5\n.op\n.end\n";
  const auto plots = simulate(text);
  CHECK(value_of(plots[0], "i(v1)") == Approx(-0.5));
}

TEST_CASE("conditional blocks: nested blocks", "[dialect]") {
  const std::string text = R"(nested
.param a=1 b=0
V1 1 0 1
R1 1 2 1k
.if (a)
.if (b)
R2 2 0 1k
.else
R2 2 0 3k
.endif
.elseif (b)
R2 2 0 9k
.else
.if (b == 0)
R2 2 0 99k
.endif
.endif
.op
.end
)";
  CHECK(op_voltage(text, "2") == Approx(divider(3e3)));  // ngspice 39: the same choice
  CHECK(op_voltage(text, "2", {{"b", 1}}) == Approx(divider(1e3)));
  CHECK(op_voltage(text, "2", {{"a", 0}, {"b", 1}}) == Approx(divider(9e3)));
  CHECK(op_voltage(text, "2", {{"a", 0}, {"b", 0}}) == Approx(divider(99e3)));
}

TEST_CASE("conditional blocks: exclusive branches may define the same instance and model names", "[dialect]") {
  // Instances, .model cards in one block and in two blocks, a directive: each read as if the
  // other branch were not there.
  const std::string text = R"(same names
.param c=1
V1 1 0 1
.if (c == 0)
.model rm r rsh=1
.endif
.if (c == 1)
.model rm r rsh=2
.endif
.if (c == 0)
R1 1 0 rm l=2 w=1
.op
.else
R1 1 0 rm l=3 w=1
.op
.endif
.end
)";
  auto plots = simulate(text);
  REQUIRE(plots.size() == 1);
  CHECK(value_of(plots[0], "i(v1)") == Approx(-1.0 / 6));  // rsh 2 * l/w 3 = 6 ohm
  plots = simulate(text, {{"c", 0}});
  REQUIRE(plots.size() == 1);
  CHECK(value_of(plots[0], "i(v1)") == Approx(-0.5));  // rsh 1 * 2 = 2 ohm

  // Both chosen, or one outside the block: a duplicate, named where it is.
  CHECK_THAT(error_of("t\nV1 1 0 1\nR1 1 0 1\n.if (1)\nR1 1 0 2\n.endif\n.op\n.end\n"),
             Contains("test.cir:5:1: error: duplicate instance name 'r1' (first defined at test.cir:3:1)"));
  CHECK_THAT(error_of("t\nV1 1 0 1\n.if (1)\n.model rm r rsh=1\n.endif\n.model rm r rsh=2\nR1 1 0 rm l=1 w=1\n.op\n.end\n"),
             Contains("test.cir:6:1: error: model 'rm' is already defined at test.cir:4:1"));
  CHECK_THAT(error_of("t\nV1 1 0 1\n.model rm r rsh=2\n.model rm r rsh=1\nR1 1 0 rm l=1 w=1\n.op\n.end\n"),
             Contains("test.cir:4:1: error: model 'rm' is already defined at test.cir:3:1"));
}

TEST_CASE("conditional blocks: inside a subcircuit, each instance chooses with its own parameters", "[dialect]") {
  // ngspice 39: i(v1) = -0.75 (x1: p=2 chooses 2 ohm, x2: p=1 chooses 4 ohm).
  const std::string text = R"(per instance
.param g=1
V1 1 0 1
X1 1 0 sub p=2
X2 1 0 sub p=1
.subckt sub a b p=1
.param q={p*10}
.if (q == 20 && g == 1)
R1 a b 2
.else
R1 a b 4
.endif
.ends
.op
.end
)";
  auto plots = simulate(text);
  CHECK(value_of(plots[0], "i(v1)") == Approx(-0.75));
  plots = simulate(text, {{"g", 0}});
  CHECK(value_of(plots[0], "i(v1)") == Approx(-0.5));
  // An unknown name is named with the instance it was evaluated for.
  CHECK_THAT(error_of("t\nV1 1 0 1\nX1 1 0 sub\n.subckt sub a b\n.if (zz)\nR1 a b 2\n.endif\nR2 a b 1\n.ends\n.op\n.end\n"),
             Contains("test.cir:5:6: error: unknown parameter 'zz' (in the condition of '.if', for instance 'x1')"));
}

TEST_CASE("conditional blocks: a .dc param sweep and alterparam choose again", "[dialect]") {
  auto plots = simulate(std::string(kThreeWay).replace(std::string(kThreeWay).find(".op"), 3, ".dc param sel 1 3 1"));
  REQUIRE(plots.size() == 1);
  CHECK(value_of(plots[0], "v(2)", 0) == Approx(divider(1e3)));
  CHECK(value_of(plots[0], "v(2)", 1) == Approx(divider(3e3)));
  CHECK(value_of(plots[0], "v(2)", 2) == Approx(divider(9e3)));

  // ngspice 39 prints 0.5 and then, after alterparam and reset, 0.25 for this block.
  const std::string text =
      "t\n.param a=1\nV1 1 0 1\n.if (a == 1)\nR1 1 0 2\n.else\nR1 1 0 4\n.endif\n"
      ".control\nop\nprint i(v1)\nalterparam a=2\nreset\nop\nprint i(v1)\n.endc\n.end\n";
  auto netlist = std::make_shared<const Netlist>(parse_netlist_text(text, "c.cir"));
  std::string printed;
  ControlSettings settings;
  settings.print = [&](const std::string& line) { printed += line + "\n"; };
  settings.warn = [](const std::string&) {};
  ControlExecutor(netlist, settings).run();
  CHECK(printed == "i(v1) = -5.00000e-01\ni(v1) = -2.50000e-01\n");
}

TEST_CASE("conditional blocks: .include and .lib lines inside a branch", "[dialect]") {
  const auto dir = testing::scratch_directory("picospice_conditional_blocks");
  testing::write_scratch_file(dir, "r3k.inc", "R2 2 0 3k\n");
  testing::write_scratch_file(dir, "corners.lib", "* corners\n.lib slow\nR2 2 0 9k\n.endl\n");
  const std::string text = "t\n.param sel=1\nV1 1 0 1\nR1 1 2 1k\n.if (sel == 1)\n.include r3k.inc\n.else\n.lib corners.lib slow\n"
                           ".endif\n.op\n.end\n";
  auto run = [&](double sel) {
    auto circuit = elaborate_text(text, (dir / "main.cir").string(), {{"sel", sel}});
    return value_of(run_analyses(*circuit)[0], "v(2)");
  };
  CHECK(run(1) == Approx(divider(3e3)));
  CHECK(run(2) == Approx(divider(9e3)));
  // A block ends in the file where it starts.
  testing::write_scratch_file(dir, "open.inc", "* opens\n.if (1)\nR3 2 0 1k\n");
  try {
    elaborate_text("t\nV1 1 0 1\nR1 1 0 1k\n.include open.inc\n.endif\n.op\n.end\n", (dir / "main.cir").string());
    FAIL("no error");
  } catch (const NetlistError& e) {
    CHECK_THAT(e.what(), Contains("open.inc:2:1: error: '.if' is not closed: expected '.endif' before the end of the "
                                  "included file"));
  }
}

TEST_CASE("conditional blocks: errors name the file, line and column", "[dialect]") {
  const std::string head = "t\n.param a=1\nV1 1 0 1\nR1 1 0 1k\n";  // lines 1-4
  CHECK_THAT(error_of(head + ".else\nR2 1 0 1k\n.endif\n.op\n.end\n"),
             Contains("test.cir:5:1: error: '.else' without a matching '.if'"));
  CHECK_THAT(error_of(head + "R2 1 0 1k\n.endif\n.op\n.end\n"),
             Contains("test.cir:6:1: error: '.endif' without a matching '.if'"));
  CHECK_THAT(error_of(head + ".elseif (a)\n.op\n.end\n"),
             Contains("test.cir:5:1: error: '.elseif' without a matching '.if'"));
  // A missing .endif is reported at the .if it belongs to.
  CHECK_THAT(error_of(head + ".if (a)\nR2 1 0 1k\n.if (a)\nR3 1 0 1k\n.endif\n.op\n.end\n"),
             Contains("test.cir:5:1: error: '.if' is not closed: expected '.endif' before the end of the netlist"));
  CHECK_THAT(error_of(head + "X1 1 0 s\n.subckt s a b\n.if (a)\nR2 a b 1k\n.ends\n.op\n.end\n"),
             Contains("test.cir:7:1: error: '.if' is not closed: expected '.endif' before the '.ends' at test.cir:9:1"));
  CHECK_THAT(error_of(head + ".if (a)\nR2 1 0 1k\n.else\nR2 1 0 2k\n.elseif (a > 1)\nR2 1 0 3k\n.endif\n.op\n.end\n"),
             Contains("test.cir:9:1: error: '.elseif' after '.else' (the '.else' of the '.if' at test.cir:5:1 must be "
                      "its last branch)"));
  CHECK_THAT(error_of(head + ".if (a)\n.else\n.else\n.endif\n.op\n.end\n"),
             Contains("test.cir:7:1: error: '.else' after '.else'"));
  // Conditions: malformed, without parentheses, empty, an unknown parameter.
  CHECK_THAT(error_of(head + ".if (a >)\nR2 1 0 1k\n.endif\n.op\n.end\n"),
             Contains("test.cir:5:9: error: malformed condition of '.if'"));
  CHECK_THAT(error_of(head + ".if a == 1\nR2 1 0 1k\n.endif\n.op\n.end\n"),
             Contains("test.cir:5:5: error: expected '.if (condition)': the condition goes in parentheses"));
  CHECK_THAT(error_of(head + ".if ()\n.endif\n.op\n.end\n"), Contains("test.cir:5:5: error: '.if' has an empty condition"));
  CHECK_THAT(error_of(head + ".if (a)\n.elseif (a ==)\n.endif\n.op\n.end\n"),
             Contains("test.cir:6:14: error: malformed condition of '.elseif'"));
  CHECK_THAT(error_of(head + ".if (zz > 1)\nR2 1 0 1k\n.endif\n.op\n.end\n"),
             Contains("test.cir:5:6: error: unknown parameter 'zz' (in the condition of '.if')"));
  // As in ngspice, every condition is evaluated, also one whose branch cannot be taken.
  CHECK_THAT(error_of(head + ".if (a)\nR2 1 0 1k\n.elseif (a + nope)\nR2 1 0 2k\n.endif\n.op\n.end\n"),
             Contains("test.cir:7:14: error: unknown parameter 'nope' (in the condition of '.elseif')"));
  CHECK_THAT(error_of(head + ".endif junk\n.op\n.end\n"), Contains("test.cir:5:1: error: '.endif' without a matching '.if'"));
  CHECK_THAT(error_of(head + ".if (a)\n.endif junk\n.op\n.end\n"), Contains("test.cir:6:8: error: unexpected 'junk' after '.endif'"));
  // What a branch cannot hold.
  CHECK_THAT(error_of(head + ".if (a)\n.param b=2\n.endif\n.op\n.end\n"),
             Contains("test.cir:6:1: error: '.param' cannot be inside the '.if' block at test.cir:5:1"));
  CHECK_THAT(error_of(head + ".if (a)\n.subckt s p q\n.ends\n.endif\n.op\n.end\n"),
             Contains("test.cir:6:1: error: '.subckt' cannot be inside the '.if' block at test.cir:5:1"));
  CHECK_THAT(error_of(head + ".if (a)\n.func f(x) {x}\n.endif\n.op\n.end\n"),
             Contains("test.cir:6:1: error: '.func' cannot be inside the '.if' block at test.cir:5:1"));
}

TEST_CASE("conditional blocks: picospice run refuses a bad block with a message and status 1", "[dialect]") {
  const auto dir = testing::scratch_directory("picospice_conditional_blocks");
  const auto good = testing::write_scratch_file(dir, "good.cir",
                                                "t\n.param a=2\nV1 1 0 1\nR1 1 2 1k\n.if (a == 1)\nR2 2 0 1k\n.else\n"
                                                "R2 2 0 3k\n.endif\n.op\n.end\n");
  REQUIRE_SUCCEEDS(testing::run_picospice("run " + good.string() + " -o " + (dir / "good.csv").string()));
  const auto bad = testing::write_scratch_file(dir, "bad.cir", "t\nV1 1 0 1\nR1 1 0 1k\n.if (1)\nR2 1 0 1k\n.op\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run " + bad.string() + " -o " + (dir / "bad.csv").string()),
                     "bad.cir:4:1: error: '.if' is not closed");
}

TEST_CASE("conditional blocks: export-ngspice writes the blocks of elements and models", "[dialect]") {
  const auto dir = testing::scratch_directory("picospice_conditional_blocks");
  const auto path = testing::write_scratch_file(dir, "export.cir", R"(export
.param g=1
V1 1 0 1
X1 1 0 sub p=2
.subckt sub a b p=1
.if (p == 2)
R1 a b 2
.else
R1 a b 4
.endif
.ends
.if (g)
.op
.else
.tran 1u 10u
.endif
.end
)");
  const std::string text = export_ngspice(path.string());
  CHECK_THAT(text, Contains(".if (p == 2)\nR1 a b 2\n.else\nR1 a b 4\n.endif\n"));
  CHECK_THAT(text, Contains(".op\n"));
  CHECK_THAT(text, !Contains(".tran"));
}
