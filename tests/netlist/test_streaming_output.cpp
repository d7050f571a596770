// `picospice run` streams every point to its output file as the analysis accepts it and
// evaluates .measure lines as the points go by, so its memory does not grow with the number of
// points (benchmarks/memory measures it on a 500-section ladder); the raw header's point count is
// patched when the plot ends.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/output/raw_reader.hpp"
#include "tests/run_command.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) { return testing::scratch_directory("picospice_streaming_test") / name; }

// A 20-node RC ladder driven by a pulse train, run for `points` fixed steps (tmax = tstep).
fs::path ladder_netlist(long points, const std::string& extra = "") {
  const fs::path path = scratch("ladder_" + std::to_string(points) + ".cir");
  std::ofstream out(path);
  out << "rc ladder\nV1 n0 0 PULSE(0 1 0 1n 1n 5u 10u)\n";
  for (int k = 0; k < 20; ++k) out << "R" << k << " n" << k << " n" << k + 1 << " 1k\nC" << k << " n" << k + 1 << " 0 1n\n";
  out << ".tran 1u " << points << "u 0 1u\n" << extra << ".end\n";
  return path;
}

struct ChildRun {
  int exit_code = -1;
  bool signalled = false;
  long peak_kib = 0;
};

// Runs the picospice binary and reads the child's peak resident memory from wait4.
ChildRun run_measured(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string binary = PICOSPICE_BINARY;
  argv.push_back(binary.data());
  std::vector<std::string> copies = args;
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  ChildRun run;
  run.signalled = WIFSIGNALED(status);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.peak_kib = usage.ru_maxrss;
  return run;
}

}  // namespace

TEST_CASE("run streams its output: peak memory does not grow with the number of points", "[output][memory]") {
  const std::string measure = ".measure tran vmax max v(n20)\n.measure tran t1 when v(n20)=0.3 rise=last\n";
  const ChildRun small = run_measured({"run", "-q", ladder_netlist(20000, measure).string(), "-o", scratch("s.raw").string()});
  const ChildRun large = run_measured({"run", "-q", ladder_netlist(200000, measure).string(), "-o", scratch("l.raw").string()});
  REQUIRE_FALSE(small.signalled);
  REQUIRE_FALSE(large.signalled);
  REQUIRE(small.exit_code == 0);
  REQUIRE(large.exit_code == 0);
  INFO("peak RSS " << small.peak_kib << " KiB for 20k points, " << large.peak_kib << " KiB for 200k points");
  // Kept in memory, 180k more points of 42 signals would be 60 MB more; streamed, nothing grows.
  CHECK(large.peak_kib < small.peak_kib + 4096);

  const auto plots = read_raw(scratch("l.raw"));
  REQUIRE(plots.size() == 1);
  CHECK(plots[0].points() >= 200000);  // the patched header count matches the data that follows
}

TEST_CASE("run: the output format follows the extension; no file is left when the run fails", "[output]") {
  const fs::path netlist = ladder_netlist(10);
  REQUIRE(run_measured({"run", "-q", netlist.string(), "-o", scratch("x.csv").string()}).exit_code == 0);
  std::ifstream csv(scratch("x.csv"));
  std::string header;
  std::getline(csv, header);
  CHECK(header.rfind("time,", 0) == 0);

  // A .measure with an unknown kind fails before the transient runs, and writes nothing.
  fs::remove(scratch("bad.raw"));
  const fs::path bad = ladder_netlist(10, ".measure tran nosuch frobnicate v(n1)\n");
  const ChildRun failed = run_measured({"run", "-q", bad.string(), "-o", scratch("bad.raw").string()});
  CHECK_FALSE(failed.signalled);
  CHECK(failed.exit_code == 1);
  CHECK_FALSE(fs::exists(scratch("bad.raw")));
}

}  // namespace picospice
