// What `picospice run` checks and tells before and after simulating: unknown options, duplicate
// measures, a netlist with nothing to run, CSV split over files, and measures on a nested .dc.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/analyses/measure.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"
#include "tests/run_command.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;

std::string write_netlist(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "picospice_run_checks";
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

std::string output_in(const std::string& name) {
  return (fs::temp_directory_path() / "picospice_run_checks" / name).string();
}

}  // namespace

TEST_CASE("run warns about an unknown option with the closest known one and its place", "[run]") {
  const std::string netlist =
      write_netlist("options.cir", "x\nV1 a 0 1\nR1 a 0 1k\n.options reltoll=1e-4 klu\n.op\n.end\n");
  const auto outcome = testing::run_picospice("run -q " + netlist + " -o " + output_in("options.raw"));
  REQUIRE_SUCCEEDS(outcome);
  CHECK_THAT(outcome.output, Catch::Contains("options.cir:4:10: warning: unknown option 'reltoll'") &&
                                 Catch::Contains("did you mean 'reltol'?") &&
                                 Catch::Contains("'.options klu' has no effect"));
}

TEST_CASE("run: an .op whose .save leaves out node voltages still writes its results", "[run]") {
  // The device table is rebuilt from the saved plot; without every node voltage it cannot be,
  // which used to end the run with an error after simulating, before the raw file was finished.
  const std::string netlist = write_netlist(
      "op_save.cir", "x\nV1 d 0 1\nR1 d a 10k\nM1 a a 0 0 nch W=1u L=1u\n.model nch nmos level=ekv\n"
                     ".save i(V1)\n.op\n.end\n");
  const std::string raw = output_in("op_save.raw");
  fs::remove(raw);
  const auto outcome = testing::run_picospice("run " + netlist + " -o " + raw);
  REQUIRE_SUCCEEDS(outcome);
  CHECK_THAT(outcome.output, Catch::Contains("i(v1)") && Catch::Contains("device table left out: .save does not keep v("));
  CHECK(fs::exists(raw));
  CHECK(fs::file_size(raw) > 0);
}

TEST_CASE("run refuses option values that would give a wrong answer or undefined behaviour", "[run]") {
  const std::string big = write_netlist("itl1.cir", "x\nV1 a 0 1\nR1 a 0 1k\n.options itl1=1e10\n.op\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + big + " -o " + output_in("itl1.raw")),
                     "itl1.cir:4:15: error: option 'itl1' must be at most 1000000");
  const std::string loose = write_netlist("reltol.cir", "x\nV1 a 0 1\nR1 a 0 1k\n.options reltol=10\n.op\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + loose + " -o " + output_in("reltol.raw")),
                     "option 'reltol' must be at most 0.1");
}

TEST_CASE("run refuses two measures of one name before simulating", "[run]") {
  const std::string netlist = write_netlist(
      "duplicate.cir",
      "x\nV1 a 0 PULSE(0 1 1m 1m 1m 1m 4m)\nR1 a 0 1k\n.tran 10u 5m\n"
      ".measure tran t1 when v(a)=0.5\n.measure tran t1 when v(a)=0.7\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist + " -o " + output_in("duplicate.raw")),
                     "duplicate.cir:6:1: error: a second .measure named 't1' (the first is at");
  CHECK_FALSE(fs::exists(output_in("duplicate.raw")));
}

TEST_CASE("run: no analysis in the netlist or its .control block is an error, not an empty success", "[run]") {
  const std::string netlist =
      write_netlist("nothing.cir", "x\nV1 a 0 1\nR1 a 0 1k\n.control\necho hello\n.endc\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist + " -o " + output_in("nothing.raw")),
                     "nothing.cir:4:1: error: nothing to simulate");
  CHECK_FALSE(fs::exists(output_in("nothing.raw")));
  // .noise and .tf are dot-analyses too: with a .control block beside them they run after it
  // (they were taken for "nothing to simulate").
  const std::string noise = write_netlist(
      "noise_and_control.cir",
      "x\nV1 a 0 dc 0 ac 1\nR1 a b 1k\nR2 b 0 1k\n.noise v(b) V1 dec 2 1 10\n.tf v(b) V1\n.control\necho hello\n.endc\n.end\n");
  const auto outcome = testing::run_picospice("run -q " + noise + " -o " + output_in("noise_and_control.raw"));
  REQUIRE_SUCCEEDS(outcome);
  CHECK(fs::exists(output_in("noise_and_control.raw")));
  // An analysis in an .if branch not taken: the error says so, at that line, with or without a
  // .control block beside it (which the message once blamed). Taken, the same netlist runs.
  for (const std::string control : {"", ".control\necho hello\n.endc\n"}) {
    const std::string body = "V1 a 0 1\nR1 a 0 1k\n.if (a == 1)\n.op\n.endif\n" + control + ".end\n";
    const std::string untaken = write_netlist("untaken.cir", "x\n.param a=0\n" + body);
    CHECK_REFUSED_WITH(testing::run_picospice("run -q " + untaken + " -o " + output_in("untaken.raw")),
                       "untaken.cir:6:1: error: nothing to simulate: every analysis line ('.op' here the first) is in "
                       "an .if branch that was not taken");
    const std::string taken = write_netlist("taken.cir", "x\n.param a=1\n" + body);
    REQUIRE_SUCCEEDS(testing::run_picospice("run -q " + taken + " -o " + output_in("taken.raw")));
  }
}

TEST_CASE("run: a simulation that fails names the netlist with its reason", "[run]") {
  const std::string netlist = write_netlist("nodc.cir", "x\nI1 0 a 1\nC1 a 0 1n\n.tran 1n 10n\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist + " -o " + output_in("nodc.raw")),
                     "nodc.cir: error: node 'a' (connected to i1, c1) has no DC path to ground");
}

TEST_CASE("run: several analyses into CSV go to numbered files, and it says so", "[run]") {
  const std::string netlist = write_netlist("two.cir", "x\nV1 a 0 1\nR1 a 0 1k\n.op\n.dc v1 0 1 0.5\n.end\n");
  const auto outcome = testing::run_picospice("run " + netlist + " -o " + output_in("two.csv"));
  REQUIRE_SUCCEEDS(outcome);
  CHECK_THAT(outcome.output, Catch::Contains("went to 2 files"));
  CHECK(fs::exists(output_in("two.2.csv")));
}

TEST_CASE("measures on a nested .dc look within each inner sweep, not across the jump between them",
          "[measure]") {
  // v(out) = v(in)/2 + v(b) - 1 rises within every inner sweep; between inner sweeps it jumps down
  // (from 3.5 at the end of V2 = 2 to 2.0 at the start of V2 = 3), which is not a crossing.
  auto circuit = elaborate_text(
      "nested\nV1 in 0 0\nV2 b 0 1\nV3 c 0 1\nR1 in x 1k\nR2 x 0 1k\nE1 x1 0 x 0 1\nE2 out x1 b c 1\n"
      ".dc V1 0 5 0.5 V2 1 3 1\n"
      ".measure dc tfall when v(out)=3 fall=1\n.measure dc t1 when v(out)=3 cross=1\n"
      ".measure dc t2 when v(out)=3 cross=2\n.measure dc b2 find v(b) when v(out)=3 cross=2\n.end\n",
      "nested.cir");
  const auto plots = run_analyses(*circuit);
  REQUIRE(plots.size() == 1);
  CHECK(plots[0].find("v-sweep") != nullptr);
  CHECK(plots[0].find("v2-sweep") != nullptr);  // the outer sweep's own name
  CHECK(plots[0].segment_by == "v2-sweep");
  const auto results = evaluate_measures(circuit->measures, plots);
  REQUIRE(results.size() == 4);
  CHECK_FALSE(results[0].ok);  // the only fall is the jump between inner sweeps
  CHECK(results[1].value == Approx(4.0));  // V2 = 2: 4/2 + 2 - 1 = 3
  CHECK(results[2].value == Approx(2.0));  // V2 = 3: 2/2 + 3 - 1 = 3
  CHECK(results[3].value == Approx(3.0));
}

TEST_CASE("measure PARAM= reads other measures' results and .param values, in netlist order", "[measure]") {
  // v(a) = 2 V at DC through the sweep: max 2, min 0 (V1 from 0 to 2).
  auto circuit = elaborate_text(
      "param\n.param k=10\nV1 a 0 0\nR1 a 0 1k\n.dc V1 0 2 0.5\n"
      ".measure dc hi max v(a)\n.measure dc lo min v(a)\n.measure dc span param='(hi - lo) * k'\n"
      ".measure dc check param='span > 15 ? 1 : 0'\n.measure dc late param='later + 1'\n"
      ".measure dc never when v(a)=9\n.measure dc later param='never * 2'\n.measure dc nothing param='nosuch'\n.end\n",
      "param.cir");
  const auto results = evaluate_measures(circuit->measures, run_analyses(*circuit));
  REQUIRE(results.size() == 8);
  CHECK(results[2].name == "span");
  CHECK(results[2].value == Approx(20));
  CHECK(results[3].value == 1);
  CHECK_FALSE(results[4].ok);  // `later` is a PARAM measure after it
  CHECK_THAT(results[4].failure, Catch::Contains("later"));
  CHECK_FALSE(results[6].ok);
  CHECK_THAT(results[6].failure, Catch::Contains("'never' failed: v(a) never crosses 9"));
  CHECK_FALSE(results[7].ok);
  CHECK_THAT(results[7].failure, Catch::Contains("nosuch"));
  CHECK_THROWS_WITH(elaborate_text("p\nV1 a 0 1\nR1 a 0 1\n.op\n.measure dc x param='1 +* 2'\n.end\n", "p.cir"),
                    Catch::Contains("p.cir:5:1: error: measure 'x': param="));
}

}  // namespace picospice
