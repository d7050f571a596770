// Elaboration: netlist text and files -> Circuit (nodes, instances, parameters, subcircuits,
// includes, directives) and the errors users see, with their exact line and column.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "devices/device_registry.hpp"
#include "devices/resistor.hpp"
#include "netlists/elaborate.hpp"
#include "netlists/parser/parser.hpp"

using namespace picospice;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

NetlistError elaboration_error(const std::string& text, const ParamOverrides& overrides = {}) {
  try {
    elaborate_text(text, "<netlist>", overrides);
  } catch (const NetlistError& e) {
    return e;
  }
  FAIL("no error for netlist:\n" << text);
  throw std::logic_error("unreachable");
}

// Checks an error's line, column and that its message contains `message`.
void check_error(const std::string& text, int line, int column, const std::string& message) {
  INFO(text);
  const NetlistError e = elaboration_error(text);
  INFO(e.what());
  CHECK(e.location.line == line);
  CHECK(e.location.column == column);
  CHECK_THAT(e.what(), Contains(message));
}

const ResistorGroup& resistors(const Circuit& circuit) {
  auto* group = dynamic_cast<const ResistorGroup*>(circuit.find_group("resistor"));
  REQUIRE(group != nullptr);
  return *group;
}

bool has_unknown(const Circuit& circuit, const std::string& name) {
  for (const auto& u : circuit.unknowns)
    if (u.name == name) return true;
  return false;
}

// A fresh directory under the system temp dir, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device random;
    path = fs::temp_directory_path() / ("picospice_parser_" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path write(const std::string& relative, const std::string& text) const {
    const fs::path file = path / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file;
  }
};

}  // namespace

TEST_CASE("parser: a flat RC netlist", "[parser]") {
  auto c = elaborate_text("RC test\nR1 in out 1k\nC1 out 0 10p\n.op\n");
  CHECK(c->title == "RC test");
  CHECK(c->source_file == "<netlist>");
  REQUIRE(c->unknowns.size() == 3);
  CHECK(c->unknowns[1].name == "in");
  CHECK(c->unknowns[2].name == "out");
  CHECK(c->unknowns[2].kind == UnknownKind::Voltage);
  CHECK(c->groups.size() == 2);
  CHECK(resistors(*c).conductance(0) == Approx(1e-3));
  REQUIRE(c->instances_at.size() == 3);
  CHECK(c->instances_at[2] == std::vector<std::string>{"r1", "c1"});
  CHECK(c->instances_at[0] == std::vector<std::string>{"c1"});
  REQUIRE(c->analyses.size() == 1);
  CHECK(std::holds_alternative<OpSpec>(c->analyses[0]));
  CHECK(c->reelaborate);
}

TEST_CASE("parser: names are case-insensitive and gnd is ground", "[parser]") {
  auto c = elaborate_text("t\nR1 IN Out 1K\nc1 OUT GND 1P\nR2 in gnd 2K\n");
  CHECK(c->find_node("in") == 1);
  CHECK(c->find_node("out") == 2);
  CHECK(c->unknowns.size() == 3);
  CHECK(resistors(*c).conductance(0) == Approx(1e-3));
  CHECK(c->instances_at[0] == std::vector<std::string>{"c1", "r2"});
}

TEST_CASE("parser: parameters, expressions and argument forms", "[parser]") {
  auto c = elaborate_text(
      "t\n"
      ".param rval=2k\n"
      ".param rdouble={rval*2} rtriple = rval * 3\n"
      "R1 a 0 {rdouble}\n"
      "R2 a 0 rval\n"
      "R3 a 0 r='rval/2'\n"
      "R4 a 0 r=rval*2\n"
      "R5 a 0 r = max(1k, rtriple)\n"
      "R6 a 0 r=(1k+1k) m=2\n"
      "C1 a 0 c={1p*2} m=2\n");
  const auto& r = resistors(*c);
  CHECK(r.conductance(0) == Approx(1 / 4e3));
  CHECK(r.conductance(1) == Approx(1 / 2e3));
  CHECK(r.conductance(2) == Approx(1 / 1e3));
  CHECK(r.conductance(3) == Approx(1 / 4e3));
  CHECK(r.conductance(4) == Approx(1 / 6e3));
  CHECK(r.conductance(5) == Approx(2 / 2e3));
}

TEST_CASE("parser: parameter chains are evaluated in order", "[parser]") {
  auto c = elaborate_text("t\n.param a=1k\n.param b={a*2}\n.param c='b+a'\nR1 x 0 {c}\n");
  CHECK(resistors(*c).conductance(0) == Approx(1 / 3e3));
  // A name used before its definition says so.
  const NetlistError e = elaboration_error("t\n.param a={b*2} b=1\nR1 x 0 {a}\n");
  CHECK(e.location.line == 2);
  CHECK(e.location.column == 11);
  CHECK_THAT(e.what(), Contains("unknown parameter 'b'"));
  CHECK_THAT(e.what(), Contains("defined later, at <netlist>:2:16"));
}

TEST_CASE("parser: subcircuit default and overridden parameters", "[parser]") {
  auto c = elaborate_text(
      "t\n"
      ".param base=2k\n"
      ".subckt div in out params: r=1k r2={r*2}\n"
      "R1 in out {r}\n"
      "R2 out 0 {r2}\n"
      ".ends div\n"
      ".SUBCKT div2 in out r=7k\n"
      ".param local={r/7}\n"
      "R1 in out {local}\n"
      ".ENDS\n"
      "X1 a b div\n"
      "X2 a c DIV r=3k\n"
      "X3 a d div r={base*2} r2=5k\n"
      "X4 a e div2\n");
  const auto& r = resistors(*c);
  REQUIRE(r.size() == 7);
  CHECK(r.conductance(0) == Approx(1 / 1e3));
  CHECK(r.conductance(1) == Approx(1 / 2e3));
  CHECK(r.conductance(2) == Approx(1 / 3e3));
  CHECK(r.conductance(3) == Approx(1 / 6e3));
  CHECK(r.conductance(4) == Approx(1 / 4e3));
  CHECK(r.conductance(5) == Approx(1 / 5e3));
  CHECK(r.conductance(6) == Approx(1 / 1e3));
  CHECK(c->instances_at[c->find_node("b")] == std::vector<std::string>{"x1.r1", "x1.r2"});
  CHECK(c->unknowns.size() == 6);  // 0 a b c d e: subcircuit pins are the caller's nodes
  // `.param` inside a subcircuit is local to it.
  CHECK(elaboration_error(
            "t\n.subckt s a\n.param hidden=1k\nR1 a 0 {hidden}\n.ends\nX1 n s\nR2 n 0 {hidden}\n")
            .location.line == 7);
}

TEST_CASE("parser: nested subcircuits get hierarchical names", "[parser]") {
  auto c = elaborate_text(
      "t\n"
      ".subckt inner p\n"
      "R1 p n 1k\n"
      "R2 n 0 1k\n"
      ".ends\n"
      ".subckt outer q\n"
      ".param rl=5k\n"
      "X2 q inner\n"
      "R3 q m {rl}\n"
      "C1 m 0 1p\n"
      ".ends\n"
      "X1 top outer\n"
      ".ic v(x1.x2.n)=0.5\n");
  CHECK(has_unknown(*c, "top"));
  CHECK(has_unknown(*c, "x1.x2.n"));
  CHECK(has_unknown(*c, "x1.m"));
  CHECK_FALSE(has_unknown(*c, "x1.q"));
  const Index n = c->find_node("x1.x2.n");
  REQUIRE(n > 0);
  CHECK(c->instances_at[n] == std::vector<std::string>{"x1.x2.r1", "x1.x2.r2"});
  CHECK(c->instances_at[c->find_node("x1.m")] == std::vector<std::string>{"x1.r3", "x1.c1"});
  CHECK(resistors(*c).conductance(2) == Approx(1 / 5e3));
  REQUIRE(c->initial_conditions.size() == 1);
  CHECK(c->initial_conditions[0].node == n);
}

TEST_CASE("parser: definitions nested in a subcircuit are local to it", "[parser]") {
  const std::string text =
      "t\n"
      ".subckt outer q\n"
      ".subckt inner p\n"
      "R1 p 0 1k\n"
      ".ends inner\n"
      "X2 q inner\n"
      ".ends outer\n"
      "X1 a outer\n";
  auto c = elaborate_text(text);
  CHECK(resistors(*c).size() == 1);
  CHECK(c->instances_at[c->find_node("a")] == std::vector<std::string>{"x1.x2.r1"});
  check_error(text + "X9 b inner\n", 9, 6, "unknown subcircuit 'inner'");
}

TEST_CASE("parser: .global nodes stay unprefixed", "[parser]") {
  auto c = elaborate_text(
      "t\n.global vdd\n.subckt cell a\nR1 a vdd 1k\nR2 a gnd 1k\n.ends\nX1 n cell\nR3 vdd 0 1k\n");
  CHECK(c->find_node("vdd") > 0);
  CHECK(c->find_node("x1.vdd") == -1);
  CHECK(c->instances_at[c->find_node("vdd")] == std::vector<std::string>{"x1.r1", "r3"});
  CHECK(c->instances_at[0] == std::vector<std::string>{"x1.r2", "r3"});
}

TEST_CASE("parser: .include and .lib resolve paths relative to the including file", "[parser]") {
  TempDir dir;
  const fs::path main = dir.write("main.cir",
                                  "main\n"
                                  ".include \"sub/params.inc\"\n"
                                  ".lib 'lib/corners.lib' tt\n"
                                  "R1 a 0 {rinc}\n"
                                  "R2 a 0 {rcorner}\n"
                                  "R3 a 0 {rmore}\n");
  dir.write("sub/params.inc", ".param rinc=3k\n.include ../more.inc\n");
  dir.write("more.inc", "* more\n.param rmore=7k\n.end\n.param rmore=8k\n");
  dir.write("lib/corners.lib",
            "* corners\n.lib ff\n.param rcorner=1k\n.endl\n.lib tt\n.param rcorner=2k\n.endl tt\n");
  auto c = elaborate_file(main.string());
  CHECK(c->source_file == main.string());
  const auto& r = resistors(*c);
  CHECK(r.conductance(0) == Approx(1 / 3e3));
  CHECK(r.conductance(1) == Approx(1 / 2e3));
  CHECK(r.conductance(2) == Approx(1 / 7e3));  // `.end` ends the included file only

  // Errors inside an included file name that file.
  dir.write("bad.inc", "R9 a 0 1.2.3\n");
  const fs::path uses_bad = dir.write("uses_bad.cir", "t\n.include bad.inc\n");
  try {
    elaborate_file(uses_bad.string());
    FAIL("no error");
  } catch (const NetlistError& e) {
    CHECK(fs::path(e.location.file).filename() == "bad.inc");
    CHECK(e.location.line == 1);
    CHECK(e.location.column == 8);
  }
  // A missing section is an error at the section name.
  const fs::path no_section = dir.write("no_section.cir", "t\n.lib lib/corners.lib ss\n");
  try {
    elaborate_file(no_section.string());
    FAIL("no error");
  } catch (const NetlistError& e) {
    CHECK(e.location.line == 2);
    CHECK(e.location.column == 22);
    CHECK_THAT(e.what(), Contains("no section 'ss'"));
  }
}

TEST_CASE("parser: include loops and missing include files", "[parser]") {
  TempDir dir;
  const fs::path loop = dir.write("loop.cir", "loop\n.include a.inc\n");
  dir.write("a.inc", "R1 x 0 1k\n.include \"b.inc\"\n");
  dir.write("b.inc", "* b\n.include a.inc\n");
  try {
    elaborate_file(loop.string());
    FAIL("no error");
  } catch (const NetlistError& e) {
    CHECK(fs::path(e.location.file).filename() == "b.inc");
    CHECK(e.location.line == 2);
    CHECK(e.location.column == 10);
    CHECK_THAT(e.what(), Contains("include loop: "));
    CHECK_THAT(e.what(), Contains("a.inc -> "));
    CHECK_THAT(e.what(), Contains("b.inc -> "));
  }

  const std::string text = "t\nR1 a 0 1k\n.include missing.inc\n";
  try {
    elaborate_text(text, (dir.path / "x.cir").string());
    FAIL("no error");
  } catch (const NetlistError& e) {
    CHECK(e.location.line == 3);
    CHECK(e.location.column == 10);
    CHECK_THAT(e.what(), Contains("cannot open include file 'missing.inc'"));
  }
  CHECK_THROWS_AS(elaborate_file((dir.path / "nope.cir").string()), NetlistError);
}

// ngspice's gminsteps/srcsteps: 1 (its default) is its dynamic stepping, which is what picospice
// does, so netlists that spell out the default get no warning; a count above 1 asks for Spice3's
// fixed steps, which picospice does not have, and says so.
TEST_CASE("elaborate: gminsteps and srcsteps warn only for fixed step counts", "[elaborate]") {
  auto warnings_of = [](const std::string& text) {
    std::vector<std::string> warnings;
    const WarningSink sink = [&](const std::string& line) { warnings.push_back(line); };
    auto netlist = std::make_shared<const Netlist>(parse_netlist_text(text, "s.cir", sink));
    const auto circuit = elaborate_netlist(netlist, ElaborationEdits{}, sink);
    return std::make_pair(warnings, circuit->options.gmin_stepping && circuit->options.source_stepping);
  };
  const auto [quiet, quiet_on] = warnings_of("t\n.options gminsteps=1 srcsteps=1\nR1 a 0 1k\n");
  CHECK(quiet.empty());
  CHECK(quiet_on);
  const auto [fixed, fixed_on] = warnings_of("t\n.options gminsteps=10\nR1 a 0 1k\n");
  REQUIRE(fixed.size() == 1);
  CHECK_THAT(fixed[0], Contains("s.cir:2:10: warning: '.options gminsteps=10': picospice steps adaptively"));
  CHECK(fixed_on);
}

TEST_CASE("parser: .end stops reading", "[parser]") {
  auto c = elaborate_text("t\nR1 a 0 1k\n.end\nthis is ( not a netlist\n");
  CHECK(resistors(*c).size() == 1);
}

TEST_CASE("parser: unsupported directives warn; .control blocks are kept as script lines", "[parser]") {
  std::vector<std::string> warnings;
  const Netlist netlist = parse_netlist_text(
      "t\n.print tran v(a)\n.control\nrun\n.endc\nR1 a 0 1k\n.four 1k v(a)\n.tran 1n 10n\n", "w.cir",
      [&](const std::string& line) { warnings.push_back(line); });
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Contains("w.cir:2:1: warning: ignoring '.print'"));
  CHECK_THAT(warnings[1], Contains("w.cir:7:1: warning: ignoring '.four'"));
  REQUIRE(netlist.control_blocks.size() == 1);
  CHECK(netlist.control_blocks[0].location.line == 3);
  REQUIRE(netlist.control_blocks[0].lines.size() == 1);
  CHECK(netlist.control_blocks[0].lines[0].text == "run");
  CHECK(netlist.control_blocks[0].lines[0].location.line == 4);
  CHECK(netlist.top.elements.size() == 1);
  CHECK(netlist.top.directives.size() == 1);
}

TEST_CASE("parser: .options, .temp and extra options", "[parser]") {
  auto c = elaborate_text(
      "t\n"
      ".param hot=50\n"
      ".options reltol=1e-4 abstol=1p vntol=1u gmin=1e-15 method=gear trannoise=1 post itl1=500\n"
      ".option maxord=1 nogmin temp={hot}\n"
      ".opt tnom=25 chgtol={1f*2} itl4 = 40 itl2=7 noopiter\n"
      "R1 a 0 1k\n");
  const SimOptions& o = c->options;
  CHECK(o.reltol == Approx(1e-4));
  CHECK(o.abstol == Approx(1e-12));
  CHECK(o.vntol == Approx(1e-6));
  CHECK(o.gmin == Approx(1e-15));
  CHECK(o.itl1 == 500);
  CHECK(o.itl4 == 40);
  CHECK(o.itl2 == 7);
  CHECK(o.maxord == 1);
  CHECK(o.method == IntegrationMethod::BackwardEuler);  // maxord=1 means backward Euler
  CHECK_FALSE(o.gmin_stepping);
  CHECK(o.temp == Approx(50));
  CHECK(o.tnom == Approx(25));
  CHECK(o.chgtol == Approx(2e-15));
  CHECK(c->extra_options.at("trannoise") == "1");
  CHECK(c->extra_options.at("post") == "1");
  CHECK_FALSE(o.plain_newton_first);  // ngspice's noopiter: the operating point starts with a homotopy
  CHECK(elaborate_text("t\nR1 a 0 1k\n")->options.plain_newton_first);
  CHECK(elaborate_text("t\n.options noopiter=0\nR1 a 0 1k\n")->options.plain_newton_first);
  // ngspice's step counts: 0 turns a homotopy off, any other count keeps picospice's adaptive one.
  const auto counts = elaborate_text("t\n.options gminsteps=0 srcsteps=0\nR1 a 0 1k\n");
  CHECK_FALSE(counts->options.gmin_stepping);
  CHECK_FALSE(counts->options.source_stepping);
  const auto kept = elaborate_text("t\n.options gminsteps=10 srcsteps=1\nR1 a 0 1k\n");
  CHECK(kept->options.gmin_stepping);
  CHECK(kept->options.source_stepping);

  auto hot = elaborate_text("t\n.temp 85\n.options method=trap\nR1 a 0 1k\n");
  CHECK(hot->options.temp == Approx(85));
  CHECK(hot->options.method == IntegrationMethod::Trapezoidal);
  CHECK(elaborate_text("t\n.options method=euler\n")->options.method == IntegrationMethod::BackwardEuler);

  check_error("t\n.options reltol=abc\n", 2, 17, "expected a number for option 'reltol'");
  check_error("t\n.options noopiter=2\n", 2, 19, "option 'noopiter' must be 0 or 1");
  check_error("t\n.options gminsteps=-1\n", 2, 20, "option 'gminsteps' must be at least 0");
  check_error("t\n.options reltol=1.2.3\n", 2, 17, "malformed number '1.2.3'");
  check_error("t\n.options method=foo\n", 2, 17, "unknown integration method 'foo'");
  check_error("t\n.options reltol\n", 2, 10, "option 'reltol' needs a value");
  check_error("t\n.options itl1=2.5\n", 2, 15, "must be an integer");
  // The Newton give-up of transient steps: an iteration from 2 on, or 0 for off.
  CHECK(elaborate_text("t\nR1 a 0 1k\n")->options.newton_give_up_after == 5);
  CHECK(elaborate_text("t\n.options newtongiveup=0\nR1 a 0 1k\n")->options.newton_give_up_after == 0);
  CHECK(elaborate_text("t\n.options newtongiveup=8\nR1 a 0 1k\n")->options.newton_give_up_after == 8);
  check_error("t\n.options newtongiveup=1\n", 2, 23, "option 'newtongiveup' must be 0 (off) or an iteration from 2");
}

TEST_CASE("parser: .tran and several analyses in order", "[parser]") {
  auto c = elaborate_text("t\nR1 a 0 1k\n.tran 1n 100n\n.op\n.tran 1n 100n 10n 0.5n UIC\n");
  REQUIRE(c->analyses.size() == 3);
  const auto& first = std::get<TranSpec>(c->analyses[0]);
  CHECK(first.tstep == Approx(1e-9));
  CHECK(first.tstop == Approx(100e-9));
  CHECK(first.tstart == 0);
  CHECK(first.tmax == 0);
  CHECK_FALSE(first.uic);
  CHECK(std::holds_alternative<OpSpec>(c->analyses[1]));
  const auto& third = std::get<TranSpec>(c->analyses[2]);
  CHECK(third.tstart == Approx(10e-9));
  CHECK(third.tmax == Approx(0.5e-9));
  CHECK(third.uic);

  check_error("t\n.tran 0 10n\n", 2, 7, "tstep must be positive");
  check_error("t\n.tran 1n 10n 20n\n", 2, 10, "tstop must be greater than tstart");
  check_error("t\n.tran 1n 10n -1n\n", 2, 14, "tstart must not be negative");
  check_error("t\n.tran 1n\n", 2, 1, "expected '.tran tstep tstop");
}

TEST_CASE("parser: .dc over parameters and temperature", "[parser]") {
  auto c = elaborate_text(
      "t\n.param vv=1 ww=2\nR1 a 0 {vv*1k}\n.dc vv 0 1 0.1\n.dc param ww 0 2 0.5 temp -40 125 5 updown\n"
      ".dc vv 1 0 -0.1\n");
  REQUIRE(c->analyses.size() == 3);
  const auto& simple = std::get<DcSpec>(c->analyses[0]);
  REQUIRE(simple.sweeps.size() == 1);
  CHECK(simple.sweeps[0].kind == DcSweep::Kind::Param);
  CHECK(simple.sweeps[0].name == "vv");
  CHECK(simple.sweeps[0].stop == 1);
  CHECK(simple.sweeps[0].step == Approx(0.1));
  CHECK_FALSE(simple.round_trip);
  const auto& nested = std::get<DcSpec>(c->analyses[1]);
  REQUIRE(nested.sweeps.size() == 2);
  CHECK(nested.sweeps[0].kind == DcSweep::Kind::Param);
  CHECK(nested.sweeps[0].name == "ww");
  CHECK(nested.sweeps[1].kind == DcSweep::Kind::Temperature);
  CHECK(nested.sweeps[1].start == -40);
  CHECK(nested.sweeps[1].stop == 125);
  CHECK(nested.round_trip);
  CHECK(std::get<DcSpec>(c->analyses[2]).sweeps[0].step == Approx(-0.1));

  check_error("t\n.param vv=1\n.dc vv 0 1 0\n", 3, 12, "step must not be zero");
  check_error("t\n.param vv=1\n.dc vv 0 1 -0.1\n", 3, 12, "wrong sign");
  check_error("t\nR1 a 0 1k\n.dc vx 0 1 0.1\n", 3, 5, "unknown source or parameter 'vx'");
  check_error("t\nR1 a 0 1k\n.dc r1 0 1 0.1\n", 3, 5, "'r1' is none of these");
  check_error("t\n.dc param nope 0 1 0.1\n", 2, 11, "no top-level '.param nope'");
  check_error("t\n.param vv=1\n.dc vv 0 1\n", 3, 8, "expected '.dc source start stop step");
}

TEST_CASE("parser: .dc over sources and source arguments", "[parser]") {
  auto c = elaborate_text(
      "t\nV1 in 0 DC 1\nR1 in 0 1k\nI1 0 in 1u\n"
      "V2 a 0 PULSE(0 1.8 1n 1n 1n 5n 10n)\nR2 a 0 1k\n"
      "V3 b 0 pwl(0 0 1m 1 r=0)\nR3 b 0 1k\n"
      "V4 c 0 PWL(0 0 1m 1) r=0\nR4 c 0 1k\n"
      ".dc V1 0 1.8 0.1 I1 0 2u 1u\n");
  const auto& dc = std::get<DcSpec>(c->analyses.at(0));
  REQUIRE(dc.sweeps.size() == 2);
  CHECK(dc.sweeps[0].kind == DcSweep::Kind::Source);
  CHECK(dc.sweeps[0].name == "v1");
  CHECK(dc.sweeps[1].name == "i1");
  CHECK(c->find_output("i(v1)") > 0);
  check_error("t\nV1 in 0 DC 1\nR1 in 0 1k\n.dc v2 0 1 0.1\n", 4, 5, "unknown source or parameter 'v2'");
}

TEST_CASE("parser: current-controlled sources find branches defined later", "[parser]") {
  auto c = elaborate_text("t\nF1 a 0 vsense 2\nR1 a 0 1k\nVsense b 0 0\nR2 b 0 1k\n");
  CHECK(c->find_output("i(vsense)") > 0);
  const NetlistError e = elaboration_error("t\nF1 a 0 vx 2\nR1 a 0 1k\n");
  CHECK_THAT(e.what(), Contains("unknown voltage source 'vx'"));
}

TEST_CASE("parser: unknown model at the element", "[parser]") {
  check_error("t\nD1 a 0 nomodel\nR1 a 0 1k\n", 2, 8, "unknown model 'nomodel'");
  // Models inside a subcircuit are local to it.
  check_error("t\n.subckt s a\n.model dm d is=1e-14\nD1 a 0 dm\n.ends\nX1 n s\nD2 n 0 dm\n", 7, 8,
              "unknown model 'dm'");
}

TEST_CASE("parser: an inverter cell with local models and MOSFET bulks", "[parser]") {
  auto c = elaborate_text(
      "inverter\n"
      ".param wn=1u\n"
      ".subckt inv in out vdd params: wp={2*wn}\n"
      ".model nch nmos (level=ekv vto=0.4\n"
      "+ kp=300u)\n"
      ".model pch pmos level=ekv vto=-0.4 kp=100u\n"
      "M1 out in 0 0 nch w=wn l=0.18u\n"
      "M2 out in vdd vdd pch w={wp} l=0.18u\n"
      ".ends inv\n"
      "Vdd vdd 0 1.8\n"
      "Vin a 0 0\n"
      "X1 a b vdd inv\n"
      "X2 b c vdd inv wp=3u\n"
      ".dc vin 0 1.8 0.1\n");
  CHECK(c->instances_at[c->find_node("vdd")] ==
        std::vector<std::string>{"vdd", "x1.m2", "x1.m2", "x2.m2", "x2.m2"});
  CHECK(c->instances_at[0].size() == 6);  // vdd, vin and two NMOS with source and bulk on ground
  CHECK(c->find_output("i(vdd)") > 0);
  // The models are local to the cell.
  check_error("t\n.subckt inv a\n.model nch nmos level=ekv\nM1 a a 0 0 nch w=1u l=1u\n.ends\n"
              "X1 n inv\nM2 n n 0 0 nch w=1u l=1u\n",
              7, 12, "unknown model 'nch'");
}

TEST_CASE("parser: .measure, .ic, .nodeset and .save", "[parser]") {
  auto c = elaborate_text(
      "t\nR1 in out 1k\nC1 out 0 1p\n"
      ".meas tran tdelay TRIG v(in) VAL=0.9 RISE=1 TARG v(out) VAL=0.9 FALL=1\n"
      ".measure dc vmax MAX v(out)\n"
      ".param vdd=1.8\n"
      ".meas tran half WHEN v(out)={vdd/2} RISE=LAST\n"
      ".meas tran later PARAM='half*2'\n"
      ".ic v(out)=1.2 V(in) = 0.5\n"
      ".nodeset v(out)=1\n"
      ".save v(out) i(v1) all\n");
  REQUIRE(c->measures.size() == 4);
  CHECK(c->measures[2].tokens == std::vector<std::string>{"when", "v(out)", "=", "0.9", "rise", "=", "last"});
  CHECK(c->measures[3].tokens == std::vector<std::string>{"param", "=", "{half*2}"});
  CHECK(c->measures[0].analysis == "tran");
  CHECK(c->measures[0].name == "tdelay");
  CHECK(c->measures[0].tokens == std::vector<std::string>{"trig", "v(in)", "val", "=", "0.9", "rise", "=", "1",
                                                          "targ", "v(out)", "val", "=", "0.9", "fall", "=", "1"});
  CHECK(c->measures[0].location.line == 4);
  CHECK(c->measures[1].analysis == "dc");
  CHECK(c->measures[1].tokens == std::vector<std::string>{"max", "v(out)"});
  REQUIRE(c->initial_conditions.size() == 2);
  CHECK(c->initial_conditions[0].node == c->find_node("out"));
  CHECK(c->initial_conditions[0].value == Approx(1.2));
  CHECK(c->initial_conditions[1].node == c->find_node("in"));
  CHECK(c->initial_conditions[1].value == Approx(0.5));
  REQUIRE(c->nodesets.size() == 1);
  CHECK(c->nodesets[0].value == 1);
  REQUIRE(c->saves.size() == 2);
  CHECK(c->saves[0].name == "v(out)");
  CHECK(c->saves[1].name == "i(v1)");
  CHECK(c->saves[1].where.line > 0);

  check_error("t\nR1 in 0 1k\n.ic v(nope)=1\n", 3, 7, "unknown node 'nope'");
  check_error("t\nR1 in 0 1k\n.ic in=1\n", 3, 5, "expected 'v(node)=value'");
  check_error("t\nR1 in 0 1k\n.meas op x 1\n", 3, 7, "expected 'tran', 'dc' or 'ac'");
}

TEST_CASE("parser: netlist errors name the line and column", "[parser]") {
  check_error("t\nR1 a 0 1k\nQ1 a b c npn\n", 3, 1, "unknown element type 'q' in 'q1'");
  check_error("t\nX1 a b nosuch\n", 2, 8, "unknown subcircuit 'nosuch'");
  check_error("t\n.subckt div in out\nR1 in out 1k\n.ends\nX1 a b c div\n", 5, 1,
              "subcircuit 'div' expects 2 nodes (in out), got 3");
  check_error("t\nR1 a 0 1k\nr1 b 0 2k\n", 3, 1, "duplicate instance name 'r1' (first defined at <netlist>:2:1)");
  check_error("t\n.subckt s a\nR1 a 0 1k\nR1 a 0 1k\n.ends\nX1 n s\n", 4, 1, "duplicate instance name 'x1.r1'");
  check_error("t\nR1 a 0 1.2.3\n", 2, 8, "malformed number '1.2.3'");
  check_error("t\nR0 a 0 1k\n.subckt foo a\nR1 a 0 1k\n", 3, 1, "'.subckt foo' is not closed");
  check_error("t\nR0 a 0 1k\n.subckt foo a\nR1 a 0 1k\n.end\n", 3, 1, "expected '.ends'");
  check_error("t\nR1 a 0 1k\n.ends\n", 3, 1, "'.ends' without a matching '.subckt'");
  check_error("t\n.subckt a p\n.ends b\n", 3, 7, "expected '.ends a'");
  check_error("t\nR1 a 0 {2*wn}\n", 2, 11, "unknown parameter 'wn'");
  check_error("t\nR1 a 0 r='1k*wn'\n", 2, 14, "unknown parameter 'wn'");
  check_error("t\n.subckt s a params: w=1u l={w*k}\nR1 a 0 1k\n.ends\nX1 n s\n", 2, 31,
              "unknown parameter 'k'");
  check_error("t\nR1 a\n", 2, 1, "element 'r1' needs 2 nodes, got 1");
  check_error("t\nR1 a r=1k\n", 2, 6, "element 'r1' needs 2 nodes, got 1");
  check_error("t\n.subckt loop a\nX1 a loop\n.ends\nX1 n loop\n", 3, 6, "recursive subcircuit");
  check_error("t\n.subckt s a params: w=1\nR1 a 0 {w}\n.ends\nX1 n s q=2\n", 5, 8,
              "subcircuit 's' has no parameter 'q'");
  check_error("t\n.foo 1\n", 2, 1, "unknown directive '.foo'");
  check_error("t\n.subckt s a\n.tran 1n 1u\n.ends\n", 3, 1, "not allowed inside '.subckt s'");
  check_error("t\n.param x = 1 +\n", 2, 15, "expected a value");
  check_error("t\n.param = 1\n", 2, 8, "expected 'name=value'");
  check_error("t\nR1 a 0 1k extra\n", 2, 11, "unexpected argument 'extra' for resistor r1");
  const NetlistError e = elaboration_error("t\n.param a=1\n", {{"b", 2}});
  CHECK_THAT(e.what(), Contains("no top-level '.param b'"));
}

TEST_CASE("parser: overrides and reelaboration replace top-level parameters", "[parser]") {
  const std::string text = "t\n.param rv=1k\n.param twice={rv*2}\nR1 a 0 {rv}\nR2 a 0 {twice}\n";
  auto c = elaborate_text(text);
  CHECK(resistors(*c).conductance(0) == Approx(1e-3));
  auto changed = c->reelaborate({{"rv", 2000}});
  CHECK(resistors(*changed).conductance(0) == Approx(1 / 2e3));
  CHECK(resistors(*changed).conductance(1) == Approx(1 / 4e3));
  CHECK(changed->reelaborate);
  auto overridden = elaborate_text(text, "<netlist>", {{"RV", 4000}});
  CHECK(resistors(*overridden).conductance(0) == Approx(1 / 4e3));
}
