// The .control subset (netlists/control/control_executor.hpp): commands run in order, their
// printout, files and alterations, and the warnings and errors a script gets, both through the
// executor and through `picospice run`. Expected values are those ngspice 39 prints for the same
// blocks (run by hand; the regression case control_alter_loop.cir holds a stored reference).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/output/raw_reader.hpp"
#include "netlists/control/control_executor.hpp"
#include "tests/run_command.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;
using Catch::Contains;

struct ScriptRun {
  std::vector<std::string> printed, warnings;
  ControlOutcome outcome;
  std::string text() const {
    std::string all;
    for (const auto& line : printed) all += line + "\n";
    return all;
  }
};

ScriptRun run_script(const std::string& netlist_text, const std::string& file = "c.cir") {
  ScriptRun run;
  auto netlist = std::make_shared<const Netlist>(parse_netlist_text(netlist_text, file));
  ControlSettings settings;
  settings.print = [&](const std::string& line) { run.printed.push_back(line); };
  settings.warn = [&](const std::string& line) { run.warnings.push_back(line); };
  run.outcome = ControlExecutor(netlist, settings).run();
  return run;
}

fs::path scratch(const std::string& name) { return testing::scratch_directory("picospice_control") / name; }

std::string write_netlist(const std::string& name, const std::string& text) {
  const fs::path path = scratch(name);
  std::ofstream(path) << text;
  return path.string();
}

const char* kDivider = "divider\n.param rv=1k\nV1 1 0 1\nR1 1 2 {rv}\nR2 2 0 1k\n";

}  // namespace

TEST_CASE("control: op, print, let, echo with $variables and $&vectors", "[control]") {
  const auto run = run_script(std::string(kDivider) +
                              ".control\nop\nprint v(2) i(v1)\nlet x = v(2) * 4 - 1\nset word = half\n"
                              "echo v(2) is the $word \"of\" $&v(1) and x is {$&x}\nprint x\n.endc\n.end\n");
  CHECK(run.warnings.empty());
  CHECK(run.outcome.analyses_run == 1);
  CHECK(run.text() == "v(2) = 5.000000e-01\ni(v1) = -5.00000e-04\nv(2) is the half of 1 and x is 1\nx = 1.000000e+00\n");
}

TEST_CASE("control: alter applies at once and lasts until reset; alterparam waits for reset", "[control]") {
  // The same sequence in ngspice 39 prints 0.5, 0.75, 0.75, 0.25, 0.4.
  const auto run = run_script(std::string(kDivider) +
                              ".control\nop\nprint v(2)\nalter r2 3k\nop\nprint v(2)\nalterparam rv=3k\nop\nprint v(2)\n"
                              "reset\nop\nprint v(2)\nalter r2 resistance = 2k\nop\nprint v(2)\n.endc\n.end\n");
  CHECK(run.warnings.empty());
  CHECK(run.text() == "v(2) = 5.000000e-01\nv(2) = 7.500000e-01\nv(2) = 7.500000e-01\nv(2) = 2.500000e-01\n"
                      "v(2) = 4.000000e-01\n");
}

TEST_CASE("control: foreach and repeat loops, meas and the netlist's .measure after each analysis", "[control]") {
  const auto run = run_script(
      "rc\nV1 in 0 PULSE(0 1 1u 10n 10n 100u 200u)\nR1 in out 1k\nC1 out 0 1n\n"
      ".measure tran tnet when v(out)=0.5\n"
      ".control\nforeach r 1k 2k\n  alter r1 $r\n  tran 20n 8u\n  meas tran t63 when v(out)=0.632\n"
      "  let tau = t63 - 1.005u\n  echo $r $&tau\nend\nrepeat 2\n  echo again\nend\n.endc\n.end\n");
  CHECK(run.warnings.empty());
  CHECK(run.outcome.analyses_run == 2);
  REQUIRE(run.printed.size() == 8);
  CHECK_THAT(run.printed[0], Contains("tnet"));
  CHECK_THAT(run.printed[1], Contains("t63"));
  // The time constant is R C (1 us, 2 us) to the accuracy of the time steps.
  double tau1 = 0, tau2 = 0;
  std::istringstream(run.printed[2].substr(3)) >> tau1;
  std::istringstream(run.printed[5].substr(3)) >> tau2;
  CHECK_THAT(run.printed[2], Contains("1k "));
  CHECK(tau1 == Approx(1e-6).epsilon(0.01));
  CHECK(tau2 == Approx(2e-6).epsilon(0.01));
  CHECK(run.printed[6] == "again");
  CHECK(run.printed[7] == "again");
}

TEST_CASE("control: if and else choose on a vector expression, nested in a loop", "[control]") {
  const auto run = run_script(std::string(kDivider) +
                              ".control\nop\nforeach limit 0.4 0.6\n  if v(2) > $limit\n    echo above $limit\n"
                              "  else\n    echo below $limit\n    if 1\n      echo nested\n    end\n  end\nend\n.endc\n.end\n");
  CHECK(run.warnings.empty());
  CHECK(run.text() == "above 0.4\nbelow 0.6\nnested\n");
  // ngspice's word operators and <>.
  const auto words = run_script(std::string(kDivider) +
                                ".control\nop\nif v(2) gt 0.4 and not (v(1) <> 1)\necho yes\nelse\necho no\nend\n"
                                "if v(2) lt 0.4 or v(2) ne 0.5\necho wrong\nend\n.endc\n.end\n");
  CHECK(words.warnings.empty());
  CHECK(words.text() == "yes\n");
}

TEST_CASE("control: wrdata writes ngspice's columns and write a raw file of chosen vectors", "[control]") {
  const fs::path data = scratch("sweep.data"), raw = scratch("sweep.raw");
  fs::remove(data);
  fs::remove(raw);
  const auto run = run_script(std::string(kDivider) + ".control\ndc v1 0 2 1\nlet twice = 2 * v(2)\nset wr_vecnames\n"
                              "wrdata " + data.string() + " v(2) twice\nwrite " + raw.string() + " v(2) twice\n.endc\n.end\n");
  CHECK(run.warnings.empty());
  std::ifstream in(data);
  std::string header, first, second;
  std::getline(in, header);
  std::getline(in, first);
  std::getline(in, second);
  CHECK_THAT(header, Contains("v-sweep") && Contains("v(2)") && Contains("twice"));
  CHECK(first == " 0.00000000e+00  0.00000000e+00  0.00000000e+00  0.00000000e+00 ");
  CHECK(second == " 1.00000000e+00  5.00000000e-01  1.00000000e+00  1.00000000e+00 ");
  const auto plots = read_raw(raw);
  REQUIRE(plots.size() == 1);
  REQUIRE(plots[0].signals.size() == 3);
  CHECK(plots[0].signals[1].name == "v(2)");
  CHECK(plots[0].signals[2].name == "twice");
  CHECK(plots[0].signals[2].values == std::vector<double>{0.0, 1.0, 2.0});
}

TEST_CASE("control: noise and tf make ngspice's plots; setplot chooses one; v[i] indexes a vector", "[control]") {
  // Divider of two 1k resistors with 1 uF at the output: R_eq = 500 ohm, pole at 318 Hz.
  const auto run = run_script(
      "rc\nV1 1 0 dc 1 ac 1\nR1 1 2 1k\nR2 2 0 1k\nC1 2 0 1u\n.control\n"
      "noise v(2) v1 dec 10 1 100k\nprint onoise_total\ntf v(2) v1\nprint all\n"
      "setplot noise1\nprint onoise_spectrum[0] length(frequency[2,4])\nsetplot tf9\nprint frequency[60]\n"
      "setplot\n.endc\n.end\n");
  REQUIRE(run.warnings.size() == 2);
  CHECK_THAT(run.warnings[0], Contains("c.cir:13:1: warning: 'setplot': no plot 'tf9' (the plots are noise1, noise2, tf1)"));
  CHECK_THAT(run.warnings[1], Contains("c.cir:14:1: warning: 'print': index 60 is not one of the vector's 51 elements"));
  CHECK(run.outcome.analyses_run == 2);
  REQUIRE(run.printed.size() == 10);
  const double kT = 1.380649e-23 * 300.15;
  // Over 1 Hz-100 kHz the RC output noise is kT/C less about 0.4% outside the band.
  const double total = std::stod(run.printed[0].substr(run.printed[0].find('=') + 1));
  CHECK_THAT(run.printed[0], Contains("onoise_total = "));
  CHECK(total == Approx(std::sqrt(kT / 1e-6)).epsilon(0.006));
  CHECK(total < std::sqrt(kT / 1e-6));
  // ngspice 39 prints the tf vectors by these names.
  CHECK(run.printed[1] == "transfer_function = 5.000000e-01");
  CHECK(run.printed[2] == "v1#input_impedance = 2.000000e+03");
  CHECK(run.printed[3] == "output_impedance_at_v(2) = 5.000000e+02");
  // At 1 Hz, far below the pole: sqrt(4kT R_eq).
  CHECK_THAT(run.printed[4], Contains("onoise_spectrum[0] = "));
  const double low = std::stod(run.printed[4].substr(run.printed[4].find('=') + 1));
  CHECK(low == Approx(std::sqrt(4 * kT * 500)).epsilon(1e-3));
  CHECK(run.printed[5] == "length(frequency[2,4]) = 3.000000e+00");
  CHECK(run.printed[6] == "List of plots available:");
  // Newest first, as ngspice lists them; the current one marked.
  CHECK_THAT(run.printed[7], !Contains("Current") && Contains("tf1"));
  CHECK_THAT(run.printed[9], Contains("Current") && Contains("noise1"));
}

TEST_CASE("control: define'd functions expand where called, nested; floor, ceil, nint", "[control]") {
  const auto run = run_script(std::string(kDivider) +
                              ".control\nop\ndefine mismatch(a, b, err) abs(a - b) > err\ndefine twice(x) 2 * x\n"
                              "define quad(x) twice(twice(x))\nif mismatch(quad(v(2)), 2, 1e-12)\necho bad\nelse\n"
                              "echo good\nend\nprint quad(v(2) + 1) floor(-2.5) ceil(2.1) nint(2.5) nint(3.5)\n"
                              "print twice(1, 2)\ndefine\nundefine twice\nprint twice(1)\n.endc\n.end\n");
  REQUIRE(run.warnings.size() == 2);
  CHECK_THAT(run.warnings[0], Contains("c.cir:17:1: warning: 'print': 'twice' takes 1 arguments, got 2"));
  CHECK_THAT(run.warnings[1], Contains("c.cir:20:1: warning: 'print': unknown function 'twice'"));
  REQUIRE(run.printed.size() == 9);
  CHECK(run.printed[0] == "good");
  CHECK(run.printed[1] == "quad(v(2) + 1) = 6.000000e+00");
  CHECK(run.printed[2] == "floor(-2.5) = -3.00000e+00");
  CHECK(run.printed[3] == "ceil(2.1) = 3.000000e+00");
  CHECK(run.printed[4] == "nint(2.5) = 2.000000e+00");  // halves to even
  CHECK(run.printed[5] == "nint(3.5) = 4.000000e+00");
  CHECK(run.printed[6] == "mismatch(a, b, err) = abs(a - b) > err");
  CHECK(run.printed[8] == "twice(x) = 2 * x");
}

TEST_CASE("control: while and dowhile loops; a let above them is updated; alter takes a vector", "[control]") {
  // As ngspice's examples/various/param_sweep: R1 stepped from a vector made before any analysis.
  const auto run = run_script(std::string(kDivider) +
                              ".control\nlet r = 1k\nwhile r le 3k\nalter r1 r\nop\nprint v(2)\n"
                              "let r = r + 1k\nend\nlet n = 0\ndowhile n lt 0\nlet n = n + 1\nend\nprint n\n"
                              ".endc\n.end\n");
  CHECK(run.warnings.empty());
  CHECK(run.text() == "v(2) = 5.000000e-01\nv(2) = 3.333333e-01\nv(2) = 2.500000e-01\nn = 1.000000e+00\n");
  CHECK(run.outcome.analyses_run == 3);
  CHECK_THROWS_WITH(run_script(std::string(kDivider) + ".control\nlet k = 0\nwhile 1\nlet k = k + 1\nend\n.endc\n.end\n"),
                    Contains("c.cir:8:1: error: 'while' ran 100000 times; picospice stops endless loops"));
}

TEST_CASE("control: a quoted vector name; echo drops the quotes", "[control]") {
  const auto run = run_script(std::string(kDivider) +
                              ".control\ndc temp 0 20 10\nlet t = \"temp-sweep\" * 2 + v(2)\n"
                              "echo \"t is\" $&t\n.endc\n.end\n");
  CHECK(run.warnings.empty());
  CHECK(run.text() == "t is 0.5 20.5 40.5\n");
}

TEST_CASE("control: unknown commands and bad expressions warn with their line and the script goes on", "[control]") {
  const auto run = run_script(std::string(kDivider) + ".control\nop\nplot v(2)\nprint nosuch\npz 1 0 2 0 vol pz\n"
                              "dc v1 0 1 0.5\nmeas dc m1 find v(2) at=x\nlet y = {v(2) * 2}\necho done $&y\n.endc\n.end\n");
  REQUIRE(run.warnings.size() == 4);
  CHECK_THAT(run.warnings[3], Contains("c.cir:12:1: warning: 'meas': "));
  CHECK_THAT(run.warnings[0], Contains("c.cir:8:1: warning: 'plot' is not supported in .control blocks"));
  CHECK_THAT(run.warnings[1], Contains("c.cir:9:1: warning: 'print': no vector 'nosuch'"));
  CHECK_THAT(run.warnings[2], Contains("c.cir:10:1: warning: 'pz' is not supported"));
  CHECK(run.printed.back() == "done 0 0.5 1");
  CHECK(run.outcome.analyses_requested == 3);
  CHECK(run.outcome.analyses_run == 2);
}

TEST_CASE("control: a loop without end, an end without a loop and a bad alter are errors at their line", "[control]") {
  CHECK_THROWS_WITH(run_script(std::string(kDivider) + ".control\nop\nforeach x 1 2\necho $x\n.endc\n.end\n"),
                    Contains("c.cir:8:1: error: 'foreach' without a matching 'end'"));
  CHECK_THROWS_WITH(run_script(std::string(kDivider) + ".control\nop\nend\n.endc\n.end\n"),
                    Contains("c.cir:8:1: error: 'end' without"));
  CHECK_THROWS_WITH(run_script(std::string(kDivider) + ".control\nalter r9 2k\nop\n.endc\n.end\n"),
                    Contains("c.cir:8:1: error: 'op': cannot alter 'r9'"));
  CHECK_THROWS_WITH(run_script(std::string(kDivider) + ".control\nalterparam nope = 2\n.endc\n.end\n"),
                    Contains("c.cir:7:1: error: 'alterparam': the netlist has no top-level '.param nope'"));
  CHECK_THROWS_WITH(run_script(std::string(kDivider) + ".control\ntran 1n\n.endc\n.end\n"),
                    Contains("c.cir:7:"));
}

TEST_CASE("control: picospice run runs the block, then the dot-analyses unless it quits", "[control][run]") {
  const std::string both = write_netlist(
      "both.cir", std::string(kDivider) + ".op\n.control\necho from the block\nop\nprint v(2)\n.endc\n.end\n");
  const auto outcome = testing::run_picospice("run " + both + " -o " + scratch("both.raw").string());
  REQUIRE_SUCCEEDS(outcome);
  // ngspice -b order: the block first, then the netlist's .op into the output file.
  CHECK(outcome.output.find("from the block") < outcome.output.find("Operating point:"));
  CHECK(fs::exists(scratch("both.raw")));

  // ngspice's circuit keeps the block's alterations: the dot-analyses after it run altered.
  const std::string altered = write_netlist(
      "altered.cir", std::string(kDivider) + ".op\n.control\nalter r1 3k\n.endc\n.end\n");
  const auto after = testing::run_picospice("run " + altered + " -o " + scratch("altered.raw").string());
  REQUIRE_SUCCEEDS(after);
  CHECK_THAT(after.output, Contains("v(2)") && Contains("0.25 V"));

  const std::string quits = write_netlist(
      "quits.cir", std::string(kDivider) + ".op\n.control\nop\nprint v(2)\nquit 3\n.endc\n.end\n");
  fs::remove(scratch("quits.raw"));
  const auto quit = testing::run_picospice("run " + quits + " -o " + scratch("quits.raw").string());
  INFO(quit.describe());
  CHECK(quit.exited);
  CHECK(quit.exit_status == 3);
  CHECK_THAT(quit.output, Contains("v(2) = 5.000000e-01"));
  CHECK_FALSE(fs::exists(scratch("quits.raw")));
}

TEST_CASE("control: picospice run fails when the block's analyses could not run", "[control][run]") {
  const std::string none = write_netlist(
      "none.cir", std::string(kDivider) + ".control\npz 1 0 2 0 vol pz\necho after\n.endc\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run " + none),
                     "none.cir:6:1: error: the .control block asked for 1 analyses and none could run");
  const std::string loop = write_netlist("loop.cir", std::string(kDivider) + ".control\nrepeat 2\nop\n.endc\n.end\n");
  CHECK_REFUSED_WITH(testing::run_picospice("run " + loop), "loop.cir:7:1: error: 'repeat' without a matching 'end'");
  const std::string unknown = write_netlist("unknown.cir", std::string(kDivider) + ".control\nop\nshow r1\n.endc\n.end\n");
  const auto warned = testing::run_picospice("run " + unknown);
  REQUIRE_SUCCEEDS(warned);
  CHECK_THAT(warned.output, Contains("unknown.cir:8:1: warning: 'show' is not supported in .control blocks"));
}

}  // namespace picospice
