// Monte Carlo on real circuits: Pelgrom statistics of a weak-inversion mirror against the analytic
// spread, and the `picospice mc` command's promises (same bytes for any --jobs, resumable after an
// interrupt, a sample re-run alone and written as a plain netlist).
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/analyses/measure.hpp"
#include "engine/monte_carlo/monte_carlo.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"
#include "tests/run_command.hpp"

using namespace picospice;
using picospice::testing::read_text;
using picospice::testing::run_picospice;
namespace fs = std::filesystem;

namespace {

const std::string kMirror = std::string(PICOSPICE_TEST_DATA) + "/netlist/mc/nmos_mirror_mc.cir";
const std::string kSubcircuits = std::string(PICOSPICE_TEST_DATA) + "/netlist/mc/subckt_mirror_mc.cir";

fs::path scratch(const std::string& name) {
  return testing::scratch_directory("picospice_mc_test_" + std::to_string(getpid())) / name;
}

// A run stopped by --stop-after ends the way an interrupt does: it exits by itself with status 130
// and says how to resume.
void check_interrupted(const picospice::testing::ProcessOutcome& outcome) {
  INFO(outcome.describe());
  CHECK(outcome.exited);
  CHECK(outcome.exit_status == 130);
  CHECK_THAT(outcome.output, Catch::Contains("interrupted") && Catch::Contains("--resume"));
}

}  // namespace

TEST_CASE("weak-inversion NMOS mirror: output spread matches Pelgrom over 2000 samples", "[mc]") {
  MonteCarloSetup setup;
  setup.seed = 2024;
  MonteCarloStudy study(elaborate_file(kMirror), setup);
  REQUIRE(study.columns() == std::vector<std::string>{"iout"});
  std::vector<double> currents;
  SweepSettings sweep;
  sweep.runs = 2000;
  sweep.jobs = 2;
  const auto outcome = run_sweep(study, sweep, [&](const SampleResult& r) {
    REQUIRE(r.ok());
    REQUIRE(r.index == currents.size());
    currents.push_back(-*r.values[0]);
  });
  REQUIRE(!outcome.interrupted);
  REQUIRE(currents.size() == 2000);

  double sum = 0, squares = 0;
  for (double i : currents) sum += i;
  const double mean = sum / currents.size();
  for (double i : currents) squares += (i - mean) * (i - mean);
  const double relative_sigma = std::sqrt(squares / (currents.size() - 1)) / mean;

  // dI/I = dKP/KP - dVTO/(N UT) per device (weak inversion, constant N); the mirror's two devices
  // add in quadrature.
  const auto& parameters = study.plan().parameters();
  REQUIRE(parameters.size() == 4);  // dvto and dkp of both devices
  const std::string first = parameters[0].declared.instance;
  const MismatchPlan::Parameter* vt = study.plan().find(first, "dvto");
  const MismatchPlan::Parameter* kp = study.plan().find(first, "dkp");
  REQUIRE(vt);
  REQUIRE(kp);
  const double n = 1.35;  // the netlist's model card
  const double ut = physics::thermal_voltage(27 + physics::zero_celsius);
  const double single = std::sqrt(std::pow(vt->sigma / (n * ut), 2) + std::pow(kp->sigma, 2));
  const double analytic = std::sqrt(2.0) * single;
  INFO("measured relative sigma " << relative_sigma << ", analytic " << analytic);
  CHECK(mean == Approx(100e-12).epsilon(0.02));
  CHECK(relative_sigma == Approx(analytic).epsilon(0.10));
}

TEST_CASE("a worker's previous sample leaves no trace: the same sample twice gives the same values", "[mc]") {
  MonteCarloStudy study(elaborate_file(kSubcircuits), MonteCarloSetup{});
  SampleRunner runner(study);
  const SampleResult first = runner.run(17);
  runner.run(3);
  const SampleResult again = runner.run(17);
  REQUIRE(first.ok());
  CHECK(first.values == again.values);
  SampleRunner fresh(study);
  CHECK(fresh.run(17).values == first.values);
}

TEST_CASE("a uic transient with a node that has no DC path runs in Monte Carlo as it does in run", "[mc]") {
  // Node a is reached only through a current source and a capacitor: no operating point could be
  // solved, but `.tran ... uic` solves none (engine/topology_check.hpp). The reused System used to
  // check for a DC path anyway, and every sample failed.
  const char* text =
      "uic\nI1 0 a 1u\nC1 a 0 1n\nV1 d 0 1\nM1 d d 0 0 nch W=1u L=1u\n.model nch nmos level=ekv\n"
      ".ic v(a)=0\n.tran 1u 100u uic\n.measure tran va find v(a) at=50u\n.end\n";
  MonteCarloStudy study(elaborate_text(text, "uic.cir"), MonteCarloSetup{});
  SampleRunner runner(study);
  const SampleResult result = runner.run(0);
  INFO(result.status);
  REQUIRE(result.ok());
  REQUIRE(result.values.at(0));
  CHECK(*result.values[0] == Approx(1e-6 * 50e-6 / 1e-9).epsilon(1e-3));  // I t / C
  // With an operating point to solve, the missing path is still the named error.
  std::string with_op = text;
  with_op.replace(with_op.find(".tran"), 5, ".op\n.tran");
  MonteCarloStudy op_study(elaborate_text(with_op, "uic_op.cir"), MonteCarloSetup{});
  SampleRunner op_runner(op_study);
  CHECK_THAT(op_runner.run(0).status, Catch::Contains("node 'a'") && Catch::Contains("no DC path"));
}

TEST_CASE("picospice mc writes identical CSV bytes for --jobs 1 and --jobs 2", "[mc]") {
  const auto one = scratch("jobs1.csv"), two = scratch("jobs2.csv");
  REQUIRE_SUCCEEDS(run_picospice("mc " + kSubcircuits + " --runs 300 --seed 5 --jobs 1 --temps 0,27 -o " + one.string()));
  REQUIRE_SUCCEEDS(run_picospice("mc " + kSubcircuits + " --runs 300 --seed 5 --jobs 2 --temps 0,27 -o " + two.string()));
  const std::string a = read_text(one);
  CHECK(std::count(a.begin(), a.end(), '\n') == 302);
  CHECK(a == read_text(two));
  // Another seed gives other numbers.
  REQUIRE_SUCCEEDS(run_picospice("mc " + kSubcircuits + " --runs 300 --seed 6 --jobs 2 --temps 0,27 -o " + two.string()));
  CHECK(a != read_text(two));
}

TEST_CASE("an interrupted sweep resumes to exactly the uninterrupted file", "[mc]") {
  const auto full = scratch("full.csv"), part = scratch("part.csv");
  const std::string common = "mc " + kMirror + " --runs 1500 --seed 3 --jobs 2 ";
  REQUIRE_SUCCEEDS(run_picospice(common + "-o " + full.string()));

  SECTION("through the interrupt path (--stop-after), plus a row cut short") {
    check_interrupted(run_picospice(common + "-o " + part.string() + " --stop-after 611"));
    const std::string partial = read_text(part);
    CHECK(std::count(partial.begin(), partial.end(), '\n') == 2 + 611);
    { std::ofstream cut(part, std::ios::binary | std::ios::trunc); cut << partial.substr(0, partial.size() - 9); }
    REQUIRE_SUCCEEDS(run_picospice(common + "-o " + part.string() + " --resume"));
    CHECK(read_text(part) == read_text(full));
    // Resuming a complete file changes nothing.
    REQUIRE_SUCCEEDS(run_picospice(common + "-o " + part.string() + " --resume"));
    CHECK(read_text(part) == read_text(full));
  }
  SECTION("after a real SIGTERM") {
    const std::string big_common = "mc " + kMirror + " --runs 20000 --seed 3 --jobs 2 ";
    const auto big_full = scratch("big_full.csv");
    REQUIRE_SUCCEEDS(run_picospice(big_common + "-o " + big_full.string()));
    fs::remove(part);
    const pid_t child = fork();
    if (child == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execl(PICOSPICE_BINARY, PICOSPICE_BINARY, "mc", kMirror.c_str(), "--runs", "20000", "--seed", "3", "--jobs", "2",
            "-o", part.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until some rows exist, then interrupt.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && (!fs::exists(part) || fs::file_size(part) < 4000))
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) {
      WARN("the sweep finished before SIGTERM arrived; the interrupt itself was not exercised");
    } else {
      CHECK(WEXITSTATUS(status) == 130);
      CHECK(read_text(part).size() < read_text(big_full).size());
    }
    REQUIRE_SUCCEEDS(run_picospice(big_common + "-o " + part.string() + " --resume"));
    CHECK(read_text(part) == read_text(big_full));
  }
  SECTION("a file from another study is refused") {
    check_interrupted(run_picospice(common + "-o " + part.string() + " --stop-after 10"));
    const auto other_seed = run_picospice("mc " + kMirror + " --runs 1500 --seed 4 -o " + part.string() + " --resume");
    CHECK_REFUSED_WITH(other_seed, "was written by a different study");
    CHECK(other_seed.exit_status == 1);
    const auto other_avto =
        run_picospice("mc " + kMirror + " --runs 1500 --seed 3 --avto 6n -o " + part.string() + " --resume");
    CHECK_REFUSED_WITH(other_avto, "was written by a different study");
    CHECK(other_avto.exit_status == 1);
  }
}

TEST_CASE("a failed measure is a row with its reason, and the sweep goes on", "[mc]") {
  const auto netlist = scratch("never.cir"), out = scratch("never.csv");
  {
    std::ofstream n(netlist);
    n << read_text(kMirror).substr(0, read_text(kMirror).rfind(".end")) << ".meas dc never when v(d)=5\n.end\n";
  }
  REQUIRE_SUCCEEDS(run_picospice("mc " + netlist.string() + " --runs 20 -o " + out.string()));
  const std::string text = read_text(out);
  CHECK(std::count(text.begin(), text.end(), '\n') == 22);
  CHECK(text.find("sample,seed,status,iout,never\n") != std::string::npos);
  CHECK(text.find("19,1,measure never: ") != std::string::npos);
}

TEST_CASE("mc: --sample K with --write-netlist reproduces the sample as a plain netlist", "[mc]") {
  const auto written = scratch("sample7.cir");
  REQUIRE_SUCCEEDS(run_picospice("mc " + kSubcircuits + " --seed 9 --sample 7 --write-netlist " + written.string()));

  MonteCarloSetup setup;
  setup.seed = 9;
  MonteCarloStudy study(elaborate_file(kSubcircuits), setup);
  SampleRunner runner(study);
  const SampleResult sample = runner.run(7);
  REQUIRE(sample.ok());

  // The plain netlist has no Monte Carlo in it: a normal run gives the sample's values exactly.
  auto plain = elaborate_file(written.string());
  const auto results = evaluate_measures(plain->measures, run_analyses(*plain));
  REQUIRE(results.size() == 3);
  for (std::size_t k = 0; k < 3; ++k) {
    REQUIRE(results[k].ok);
    CHECK(results[k].value == *sample.values[k]);
  }
  // Every MOSFET, including those inside subcircuit instances, carries its own draw.
  std::vector<MismatchParameter> written_values;
  for (const auto& group : plain->groups) group->list_mismatch_parameters(written_values);
  const auto draws = study.plan().draw(9, 7);
  REQUIRE(written_values.size() == draws.size());
  for (const auto& p : written_values) {
    const auto it = std::find_if(draws.begin(), draws.end(), [&](const MismatchDraw& d) {
      return d.instance == p.instance && d.parameter == p.parameter;
    });
    REQUIRE(it != draws.end());
    CHECK(p.nominal == it->value);
  }
  // And it goes through export-ngspice.
  REQUIRE_SUCCEEDS(run_picospice("export-ngspice " + written.string() + " -o " + scratch("sample7.ng.cir").string()));
}

TEST_CASE("picospice mc rejects bad input with a message", "[mc]") {
  CHECK_REFUSED_WITH(run_picospice("mc " + kMirror), "--runs N is required");
  CHECK_REFUSED_WITH(run_picospice("mc " + kMirror + " --runs 5 --set nosuch=1"),
                     "'nosuch' is not an independent source");
  CHECK_REFUSED_WITH(run_picospice("mc " + kMirror + " --runs 5 --spec iout:1"), "expected NAME:LO:HI");
  CHECK_REFUSED_WITH(run_picospice("mc " + kMirror + " --runs 5 --temps 27,warm"), "--temps warm: not a number");
  CHECK_REFUSED_WITH(run_picospice("mc " + kMirror + " --runs 5 --write-netlist x.cir"),
                     "--write-netlist needs --sample K");
  CHECK_REFUSED_WITH(run_picospice("mc /nonexistent.cir --runs 5"), "File does not exist: /nonexistent.cir");
}
