// Monte Carlo beyond one process: `mc --shard K/N` parts joined by `mc-merge`, and `mpirun -np N
// picospice mc`. Both must give the bytes of a one-process run; the merge must refuse parts that
// do not make up one run.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/monte_carlo/shards.hpp"
#include "tests/run_command.hpp"
#include "tests/skip_test.hpp"

using namespace picospice;
using picospice::testing::run_command;
using picospice::testing::read_text;
using picospice::testing::run_picospice;
namespace fs = std::filesystem;

namespace {

const std::string kSubcircuits = std::string(PICOSPICE_TEST_DATA) + "/netlist/mc/subckt_mirror_mc.cir";
const std::string kMirror = std::string(PICOSPICE_TEST_DATA) + "/netlist/mc/nmos_mirror_mc.cir";

fs::path scratch(const std::string& name) {
  return testing::scratch_directory("picospice_mc_distributed_" + std::to_string(getpid())) / name;
}

std::string part(int k) { return scratch("part_" + std::to_string(k) + ".csv").string(); }

// mpirun as CI runs it: as root in a container, more ranks than cores allowed.
std::vector<std::string> mpirun(int ranks, const std::string& arguments) {
  std::vector<std::string> argv{"/usr/bin/mpirun", "--allow-run-as-root", "--oversubscribe", "-np", std::to_string(ranks),
                                PICOSPICE_BINARY};
  std::istringstream words(arguments);
  for (std::string word; words >> word;) argv.push_back(word);
  return argv;
}

// Why MPI tests cannot run here, or empty when they can.
std::string mpi_missing() {
  if (!fs::exists("/usr/bin/mpirun")) return "mpirun is not installed (apt-get install openmpi-bin)";
  const auto version = run_picospice("--version");
  if (version.output.find("MPI: built in") == std::string::npos) return "picospice was built without MPI";
  return {};
}

}  // namespace

TEST_CASE("shards: a deterministic partition of the samples into contiguous ranges", "[mc][shard]") {
  for (std::uint64_t runs : {0, 1, 2, 7, 1000, 1001})
    for (std::uint64_t count : {1, 2, 3, 7, 16}) {
      std::uint64_t expected_begin = 0;
      for (std::uint64_t k = 0; k < count; ++k) {
        const SampleRange range = shard_range({k, count}, runs);
        CHECK(range.begin == expected_begin);
        CHECK(range.size() >= runs / count);
        CHECK(range.size() <= runs / count + 1);
        expected_begin = range.end;
      }
      CHECK(expected_begin == runs);
    }
  CHECK(shard_range({1, 3}, 1000).begin == 333);
  CHECK(shard_range({1, 3}, 1000).end == 666);
  CHECK(shard_header_line({1, 3}, 1000) == "# picospice mc shard: 1/3 runs=1000 samples=[333,666)");
  CHECK(parse_shard("2/5").index == 2);
  CHECK(parse_shard("2/5").count == 5);
  CHECK_THROWS_WITH(parse_shard("5/5"), Catch::Contains("K must be in 0..N-1 (0..4"));
  CHECK_THROWS_WITH(parse_shard("1/0"), Catch::Contains("K must be in 0..N-1"));
  CHECK_THROWS_WITH(parse_shard("3"), Catch::Contains("expected K/N"));
  CHECK_THROWS_WITH(parse_shard("a/3"), Catch::Contains("expected K/N"));
  CHECK_THROWS_WITH(parse_shard("1/3x"), Catch::Contains("expected K/N"));
}

TEST_CASE("three shards merged are byte-identical to one process, in any order of the parts", "[mc][shard]") {
  const std::string common = "mc " + kSubcircuits + " --runs 301 --seed 5 --jobs 2 --temps 0,27 ";
  const auto whole = scratch("whole.csv"), merged = scratch("merged.csv");
  REQUIRE_SUCCEEDS(run_picospice(common + "-o " + whole.string()));
  for (int k : {2, 0, 1}) REQUIRE_SUCCEEDS(run_picospice(common + "--shard " + std::to_string(k) + "/3 -o " + part(k)));
  CHECK_THAT(read_text(part(1)), Catch::StartsWith(read_text(whole).substr(0, read_text(whole).find('\n') + 1) +
                                                   "# picospice mc shard: 1/3 runs=301 samples=[100,200)\n"));
  const auto merge = run_picospice("mc-merge " + part(2) + " " + part(0) + " " + part(1) + " -o " + merged.string() +
                                   " --spec i1:-110p:-90p");
  REQUIRE_SUCCEEDS(merge);
  CHECK(read_text(merged) == read_text(whole));
  // The statistics are those of the whole run.
  CHECK_THAT(merge.output, Catch::Contains("Monte Carlo: 301 samples of subckt_mirror_mc.cir (seed 5), 0 failed") &&
                               Catch::Contains("yield: ") && Catch::Contains("of 301 samples"));
}

TEST_CASE("an interrupted shard resumes, and mc-merge refuses parts that are not one run", "[mc][shard]") {
  const std::string common = "mc " + kMirror + " --runs 90 --seed 3 --jobs 2 ";
  const auto whole = scratch("mirror_whole.csv"), merged = scratch("mirror_merged.csv");
  REQUIRE_SUCCEEDS(run_picospice(common + "-o " + whole.string()));
  for (int k : {0, 1, 2}) REQUIRE_SUCCEEDS(run_picospice(common + "--shard " + std::to_string(k) + "/3 -o " + part(k)));
  fs::remove(merged);

  SECTION("an unfinished part is named, and --resume finishes it") {
    const auto stopped = run_picospice(common + "--shard 1/3 -o " + part(1) + " --stop-after 7");
    CHECK(stopped.exit_status == 130);
    CHECK_THAT(stopped.output, Catch::Contains("samples 30..36 of [30, 60)") && Catch::Contains("--shard 1/3"));
    CHECK_REFUSED_WITH(run_picospice("mc-merge " + part(0) + " " + part(1) + " " + part(2) + " -o " + merged.string()),
                       "is unfinished: it holds 7 of the 30 samples [30, 60) of shard 1/3");
    CHECK_FALSE(fs::exists(merged));
    // Resuming with another shard or no shard is refused; the same shard completes the part.
    CHECK_REFUSED_WITH(run_picospice(common + "--shard 2/3 -o " + part(1) + " --resume"), "holds another part");
    CHECK_REFUSED_WITH(run_picospice(common + "-o " + part(1) + " --resume"), "holds another part");
    REQUIRE_SUCCEEDS(run_picospice(common + "--shard 1/3 -o " + part(1) + " --resume"));
    REQUIRE_SUCCEEDS(run_picospice("mc-merge " + part(0) + " " + part(1) + " " + part(2) + " -o " + merged.string()));
    CHECK(read_text(merged) == read_text(whole));
  }
  SECTION("a missing shard") {
    CHECK_REFUSED_WITH(run_picospice("mc-merge " + part(0) + " " + part(2) + " -o " + merged.string()),
                       "1 of 3 shards of the run (90 runs) are missing:\n  shard 1/3: samples [30, 60)");
    CHECK_FALSE(fs::exists(merged));
  }
  SECTION("a doubled shard") {
    fs::copy_file(part(2), scratch("copy.csv"), fs::copy_options::overwrite_existing);
    CHECK_REFUSED_WITH(run_picospice("mc-merge " + part(0) + " " + part(1) + " " + part(2) + " " +
                                     scratch("copy.csv").string() + " -o " + merged.string()),
                       "shard 2/3 is given twice: " + part(2));
  }
  SECTION("parts of another seed, another split, or not a part at all") {
    REQUIRE_SUCCEEDS(run_picospice("mc " + kMirror + " --runs 90 --seed 4 --shard 1/3 -o " + scratch("seed4.csv").string()));
    CHECK_REFUSED_WITH(run_picospice("mc-merge " + part(0) + " " + scratch("seed4.csv").string() + " " + part(2) +
                                     " -o " + merged.string()),
                       "belong to different runs (netlist, seed or variation options differ)");
    REQUIRE_SUCCEEDS(run_picospice(common + "--shard 1/4 -o " + scratch("quarter.csv").string()));
    CHECK_REFUSED_WITH(run_picospice("mc-merge " + part(0) + " " + scratch("quarter.csv").string() + " -o " +
                                     merged.string()),
                       "belong to differently split runs");
    REQUIRE_SUCCEEDS(run_picospice("mc " + kMirror + " --runs 91 --seed 3 --shard 1/3 -o " + scratch("runs91.csv").string()));
    CHECK_REFUSED_WITH(run_picospice("mc-merge " + part(0) + " " + scratch("runs91.csv").string() + " -o " +
                                     merged.string()),
                       "runs=91");
    CHECK_REFUSED_WITH(run_picospice("mc-merge " + whole.string() + " -o " + merged.string()), "is not a shard's part");
    CHECK_REFUSED_WITH(run_picospice("mc " + kMirror + " --runs 90 --shard 3/3"), "K must be in 0..N-1");
    CHECK_FALSE(fs::exists(merged));
  }
}

TEST_CASE("mpirun -np 2: the rows of one process, and an interrupted run resumes to the same file", "[mc][mpi]") {
  if (const std::string why = mpi_missing(); !why.empty()) SKIP_TEST(why);
  const std::string arguments = "mc " + kSubcircuits + " --runs 301 --seed 5 --jobs 1 --temps 0,27 ";
  const auto whole = scratch("mpi_whole.csv"), ranks2 = scratch("mpi_2.csv"), resumed = scratch("mpi_resumed.csv");
  REQUIRE_SUCCEEDS(run_picospice(arguments + "-o " + whole.string()));
  const auto two = run_command(mpirun(2, arguments + "-o " + ranks2.string()));
  REQUIRE_SUCCEEDS(two);
  CHECK(read_text(ranks2) == read_text(whole));
  // The summary appears once, from rank 0.
  const auto first_summary = two.output.find("Monte Carlo: 301 samples");
  REQUIRE(first_summary != std::string::npos);
  CHECK(two.output.find("Monte Carlo: 301 samples", first_summary + 1) == std::string::npos);
  CHECK_THAT(two.output, Catch::Contains("2 ranks x 1 jobs"));

  const auto stopped = run_command(mpirun(2, arguments + "-o " + resumed.string() + " --stop-after 120"));
  INFO(stopped.describe());
  CHECK(stopped.exited);
  CHECK(stopped.exit_status == 130);
  CHECK_THAT(stopped.output, Catch::Contains("interrupted"));
  const std::string partial = read_text(resumed);
  CHECK(partial.size() < read_text(whole).size());
  CHECK(read_text(whole).compare(0, partial.size(), partial) == 0);
  REQUIRE_SUCCEEDS(run_command(mpirun(2, arguments + "-o " + resumed.string() + " --resume")));
  CHECK(read_text(resumed) == read_text(whole));
}

TEST_CASE("SIGINT to mpirun keeps the finished samples, and --resume under MPI completes the file", "[mc][mpi]") {
  if (const std::string why = mpi_missing(); !why.empty()) SKIP_TEST(why);
  // The schmitt9 cell: tens of milliseconds a sample, so the signal lands mid-sweep.
  const std::string schmitt9 = std::string(PICOSPICE_SOURCE_DIR) + "/netlists/examples/schmitt9_mc.cir";
  const std::string arguments = "mc " + schmitt9 + " --runs 300 --seed 3 -q ";
  const auto whole = scratch("sigint_whole.csv"), part = scratch("sigint_part.csv");
  REQUIRE_SUCCEEDS(run_picospice(arguments + "--jobs 2 -o " + whole.string()));
  fs::remove(part);
  const auto argv = mpirun(2, arguments + "--jobs 1 -o " + part.string());
  const pid_t child = fork();
  if (child == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    std::vector<char*> words;
    for (const auto& w : argv) words.push_back(const_cast<char*>(w.c_str()));
    words.push_back(nullptr);
    execv(words[0], words.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && (!fs::exists(part) || fs::file_size(part) < 300))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  const std::string partial = read_text(part);
  if (WEXITSTATUS(status) == 0 || partial == read_text(whole)) {
    WARN("the sweep finished before SIGINT arrived; the interrupt itself was not exercised");
  } else {
    // What is there is a prefix of the whole file, apart from a last row a kill may have cut.
    CHECK(read_text(whole).compare(0, partial.rfind('\n') + 1, partial, 0, partial.rfind('\n') + 1) == 0);
  }
  REQUIRE_SUCCEEDS(run_command(mpirun(2, arguments + "--jobs 1 -o " + part.string() + " --resume")));
  CHECK(read_text(part) == read_text(whole));
}

TEST_CASE("mpirun -np 3 runs a shard: the same rows as the shard from one process", "[mc][mpi][shard]") {
  if (const std::string why = mpi_missing(); !why.empty()) SKIP_TEST(why);
  const std::string arguments = "mc " + kMirror + " --runs 200 --seed 8 --jobs 1 --shard 1/2 ";
  REQUIRE_SUCCEEDS(run_picospice(arguments + "-o " + scratch("shard_one.csv").string()));
  REQUIRE_SUCCEEDS(run_command(mpirun(3, arguments + "-o " + scratch("shard_three.csv").string())));
  CHECK(read_text(scratch("shard_three.csv")) == read_text(scratch("shard_one.csv")));
}
