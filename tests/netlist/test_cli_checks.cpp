// Command-line input that used to be accepted and give nonsense with exit 0 (issue 17): a bias of
// 1 A, tolerances that pass anything, a Monte Carlo run whose every sample failed, a raw file whose
// header promises a billion points.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/run_command.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;

fs::path scratch() { return testing::scratch_directory("picospice_cli_checks"); }

fs::path write(const std::string& name, const std::string& text) {
  return testing::write_scratch_file(scratch(), name, text);
}

}  // namespace

TEST_CASE("characterize refuses a bias current outside the cell's range", "[cli]") {
  CHECK_REFUSED_WITH(testing::run_picospice("characterize schmitt9 --ithresh 1"),
                     "--ithresh: 1 A is outside the cell's bias range, 1 pA to 1 uA");
  CHECK_REFUSED_WITH(testing::run_picospice("characterize schmitt9 --igain -5p"), "--igain: -5e-12 A is outside");
  CHECK_REFUSED_WITH(testing::run_picospice("characterize schmitt9 --iwidth 1e999"), "--iwidth: inf A is outside");
}

TEST_CASE("compare refuses tolerances that would pass any data", "[cli]") {
  const fs::path netlist = write("cmp.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.dc v1 0 1 0.5\n.end\n");
  const fs::path raw = scratch() / "cmp.raw";
  REQUIRE_SUCCEEDS(testing::run_picospice("run -q " + netlist.string() + " -o " + raw.string()));
  const std::string files = raw.string() + " " + raw.string();
  CHECK_REFUSED_WITH(testing::run_picospice("compare " + files + " --reltol -1 --abstol -1e9"),
                     "--reltol/--abstol: reltol and abstol must be finite and >= 0 (got reltol=-1, abstol=-1e+09)");
  CHECK_REFUSED_WITH(testing::run_picospice("compare " + files + " --reltol 1e999"), "must be finite");
  CHECK_REFUSED_WITH(testing::run_picospice("compare " + files + " --reltol 5"), "reltol 5 is above 1 (100%)");
  REQUIRE_SUCCEEDS(testing::run_picospice("compare " + files + " --reltol 1e-3 --abstol 1e-15"));
}

TEST_CASE("compare checks a raw header's point count against the file size before allocating", "[cli]") {
  const fs::path raw = write("huge_header.raw",
                             "Title: x\nDate: today\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\n"
                             "No. Points: 1000000000\nVariables:\n\t0\ttime\ttime\n\t1\tv(a)\tvoltage\nBinary:\n" +
                                 std::string(32, '\0'));
  const auto outcome = testing::run_command(
      {"/bin/sh", "-c", "ulimit -v 2000000 2>/dev/null; exec " + std::string(PICOSPICE_BINARY) + " compare " + raw.string() +
                            " " + raw.string()});
  CHECK_REFUSED_WITH(outcome, "plot 'Transient Analysis' declares 1000000000 points of 2 variables, but the file holds only "
                              "32 more bytes");
}

TEST_CASE("mc exits non-zero when every sample failed", "[cli]") {
  // A measure whose level the circuit never reaches: no sample has a value.
  const fs::path netlist = write("mc_fail.cir",
                                 "x\n.model nch nmos level=ekv vto=0.45 kp=300u n=1.35 avto=5n akp=1e-8\n"
                                 "iref 0 d 1n\nm1 d d 0 0 nch w=1u l=4u\n.tran 1u 10u\n"
                                 ".measure tran never when v(d)=100\n.end\n");
  const auto outcome = testing::run_picospice("mc " + netlist.string() + " --runs 3 -j 1 -o " +
                                              (scratch() / "mc_fail.csv").string());
  CHECK_REFUSED_WITH(outcome, "every one of the 3 samples failed");
}

// --babble-snr sets the SNR of the babble clips: without babble it would change nothing, and a
// range upside down is not a range. Both are refused before any clip is synthesized.
TEST_CASE("dataset kws refuses --babble-snr without babble and an inverted range", "[cli]") {
  const std::string out = (scratch() / "kws_babble_snr").string();
  CHECK_REFUSED_WITH(testing::run_picospice("dataset kws -o " + out + " --clips 6 --babble-snr 5 15"),
                     "--babble-snr sets the SNR of babble clips; it needs --babble F > 0");
  CHECK_REFUSED_WITH(testing::run_picospice("dataset kws -o " + out + " --clips 6 --babble 0.5 --babble-snr 15 5"),
                     "--babble-snr");
  CHECK_FALSE(fs::exists(out));
}

// --near-misses is a share of the confusable clips: without them it would change nothing.
TEST_CASE("dataset kws refuses --near-misses without confusable words", "[cli]") {
  const std::string out = (scratch() / "kws_near_misses").string();
  CHECK_REFUSED_WITH(testing::run_picospice("dataset kws -o " + out + " --clips 6 --near-misses 0.5"),
                     "--near-misses is a share of the confusable clips; it needs --confusables F > 0");
  CHECK_REFUSED_WITH(testing::run_picospice("dataset kws -o " + out + " --clips 6 --confusables 0.3 --near-misses 1.5"),
                     "--near-misses");
  CHECK_FALSE(fs::exists(out));
}

// An evaluation set for a trained network takes the network's front end from its encoding file:
// asking for another one is refused before any clip is synthesized.
TEST_CASE("dataset kws refuses --features other than the --encoding file's front end", "[cli]") {
  const fs::path encoding = fs::path(PICOSPICE_SOURCE_DIR) / "netlists" / "examples" / "kws_trained" / "encoding.json";
  const std::string out = (scratch() / "kws_features").string();
  CHECK_REFUSED_WITH(testing::run_picospice("dataset kws -o " + out + " --clips 6 --features pcen --encoding " +
                                            encoding.string()),
                     "--features pcen differs from the front end of");
  CHECK_FALSE(fs::exists(out));
}

// A training option train() would refuse is refused before the command prints its plan or writes a
// checkpoint (it used to print the task and network lines first).
TEST_CASE("train refuses --choose-run without --detect-run before printing or writing anything", "[cli]") {
  const std::string out = (scratch() / "choose_run.json").string();
  const auto refused = testing::run_picospice("train --task digits --layers 1 --units 4 --epochs 1 --choose-run 3 5 -o " + out);
  CHECK_REFUSED_WITH(refused, "--choose-run KMIN KMAX needs 1 <= KMIN <= KMAX and --detect-run K");
  CHECK(refused.output.find("task digits") == std::string::npos);
  CHECK_FALSE(fs::exists(out + ".checkpoint"));
  CHECK_REFUSED_WITH(testing::run_picospice("train --task digits --layers 1 --units 4 --choose-run 5 -o " + out),
                     "--choose-run: At least 2 required");
}

}  // namespace picospice
