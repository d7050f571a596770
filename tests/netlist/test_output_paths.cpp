// Where outputs go (base/atomic_file.hpp), at the command line: devices and /dev/stdout are written
// in place, a symbolic link is written through, an input or a read-only file is never replaced, a
// write error (a full device, a file-size limit standing in for a full disk) fails the command
// without renaming a short file into place, and neither an interrupt nor kill -9 leaves a
// temporary behind.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "base/atomic_file.hpp"
#include "tests/run_command.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "picospice_output_paths" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const char* kSmallNetlist = "x\nv1 a 0 pulse(0 1 1u 1u 1u 5u 10u)\nr1 a b 1k\nc1 b 0 1n\n.tran 100n 20u\n.end\n";

fs::path write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Names in `dir` other than those expected: a leftover temporary shows up here.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("run writes to /dev/null and /dev/stdout in place", "[output]") {
  const fs::path dir = fresh_dir("devices");
  const fs::path netlist = write(dir / "rc.cir", kSmallNetlist);
  REQUIRE_SUCCEEDS(testing::run_picospice("run -q " + netlist.string() + " -o /dev/null"));
  const auto to_stdout = testing::run_picospice("run -q " + netlist.string() + " --format ascii -o /dev/stdout");
  REQUIRE_SUCCEEDS(to_stdout);
  CHECK_THAT(to_stdout.output, Catch::Contains("Title: x") && Catch::Contains("Values:"));
  CHECK(entries(dir) == std::vector<std::string>{"rc.cir"});
}

TEST_CASE("a write error on a device fails the run with the device's name and reason", "[output]") {
  const fs::path dir = fresh_dir("full");
  const fs::path netlist = write(dir / "rc.cir", kSmallNetlist);
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist.string() + " -o /dev/full"),
                     "cannot write /dev/full: No space left on device");
  struct stat st {};
  REQUIRE(::stat("/dev/full", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));  // still the device, not a regular file renamed over it
}

TEST_CASE("a symbolic link as output is written through, and the link stays", "[output]") {
  const fs::path dir = fresh_dir("symlink");
  const fs::path netlist = write(dir / "rc.cir", kSmallNetlist);
  fs::create_directories(dir / "results");
  fs::create_symlink("results/rc.raw", dir / "link.raw");
  REQUIRE_SUCCEEDS(testing::run_picospice("run -q " + netlist.string() + " -o " + (dir / "link.raw").string()));
  CHECK(fs::is_symlink(dir / "link.raw"));
  CHECK_THAT(read(dir / "results" / "rc.raw"), Catch::StartsWith("Title: x"));
}

TEST_CASE("an input of the run or a read-only file is never overwritten", "[output]") {
  const fs::path dir = fresh_dir("inputs");
  const fs::path netlist = write(dir / "top.cir", "x\n.include part.inc\n.tran 100n 20u\n.end\n");
  write(dir / "part.inc", "v1 a 0 pulse(0 1 1u 1u 1u 5u 10u)\nr1 a b 1k\nc1 b 0 1n\n");
  const std::string before = read(netlist), include_before = read(dir / "part.inc");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist.string() + " -o " + netlist.string()),
                     "is the netlist itself");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist.string() + " -o " + (dir / "part.inc").string()),
                     "refusing to write " + (dir / "part.inc").string() + ": it is an input of this run");
  fs::create_symlink("top.cir", dir / "alias.raw");
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist.string() + " -o " + (dir / "alias.raw").string()),
                     "is the netlist itself");
  CHECK(read(netlist) == before);
  CHECK(read(dir / "part.inc") == include_before);

  const fs::path locked = write(dir / "locked.raw", "keep me");
  fs::permissions(locked, fs::perms::owner_read | fs::perms::group_read);
  CHECK_REFUSED_WITH(testing::run_picospice("run -q " + netlist.string() + " -o " + locked.string()),
                     "the file is read-only (not replacing it)");
  CHECK(read(locked) == "keep me");
}

TEST_CASE("a replaced file keeps its permissions", "[output]") {
  const fs::path dir = fresh_dir("permissions");
  const fs::path netlist = write(dir / "rc.cir", kSmallNetlist);
  const fs::path out = write(dir / "rc.raw", "old");
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write);
  REQUIRE_SUCCEEDS(testing::run_picospice("run -q " + netlist.string() + " -o " + out.string()));
  CHECK((fs::status(out).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK_THAT(read(out), Catch::StartsWith("Title: x"));
}

TEST_CASE("a failed write (a file-size limit standing in for a full disk) renames nothing into place", "[output]") {
  const fs::path dir = fresh_dir("fsize");
  const fs::path netlist = write(dir / "rc.cir", "x\nv1 a 0 sin(0 1 1meg)\nr1 a b 1k\nc1 b 0 1n\n.tran 1n 20u\n.end\n");
  const fs::path out = dir / "rc.raw";
  // SIGXFSZ ignored, so writes past the limit fail with EFBIG, as they would with ENOSPC.
  const auto outcome = testing::run_command(
      {"/bin/sh", "-c", "trap '' XFSZ; ulimit -f 8; exec " + std::string(PICOSPICE_BINARY) + " run -q " +
                            netlist.string() + " -o " + out.string()});
  CHECK_REFUSED_WITH(outcome, "cannot write " + out.string() + ": File too large");
  CHECK(entries(dir) == std::vector<std::string>{"rc.cir"});
}

TEST_CASE("an interrupted or killed run leaves no temporary file", "[output]") {
  const fs::path dir = fresh_dir("signals");
  const fs::path netlist =
      write(dir / "long.cir", "x\nv1 a 0 sin(0 1 1meg)\nr1 a b 1k\nc1 b 0 1n\n.tran 1n 50m\n.end\n");
  for (int signal : {SIGINT, SIGTERM, SIGKILL}) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      const std::string out = (dir / "long.raw").string();
      execl(PICOSPICE_BINARY, PICOSPICE_BINARY, "run", "-q", netlist.c_str(), "-o", out.c_str(), nullptr);
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    kill(child, signal);
    int status = 0;
    waitpid(child, &status, 0);
    INFO("signal " << signal);
    CHECK(WIFSIGNALED(status));
    CHECK(entries(dir) == std::vector<std::string>{"long.cir"});
  }
}

TEST_CASE("plot keeps its gnuplot files in a private directory and removes them, also on an error", "[output]") {
  const fs::path dir = fresh_dir("plot");
  const fs::path tmp = fresh_dir("plot_tmp");
  const fs::path netlist = write(dir / "rc.cir", kSmallNetlist);
  REQUIRE_SUCCEEDS(testing::run_picospice("run -q " + netlist.string() + " -o " + (dir / "rc.raw").string()));
  const std::string plot = "TMPDIR=" + tmp.string() + " exec " + std::string(PICOSPICE_BINARY) + " plot " +
                           (dir / "rc.raw").string() + " -o " + (dir / "rc.png").string();
  CHECK_REFUSED_WITH(testing::run_command({"/bin/sh", "-c", plot + " --signals 'v(nosuch)'"}),
                     "none of the requested signals");
  CHECK(entries(tmp).empty());
  const auto drawn = testing::run_command({"/bin/sh", "-c", plot});
  REQUIRE_SUCCEEDS(drawn);
  CHECK(entries(tmp).empty());
  if (drawn.output.find("plot skipped") == std::string::npos) CHECK(fs::file_size(dir / "rc.png") > 1000);
}

TEST_CASE("plot --logy on data that is not positive says which signal, and writes no PNG", "[output]") {
  const fs::path dir = fresh_dir("logy");
  const fs::path netlist = write(dir / "neg.cir", "x\nv1 a 0 -1\nr1 a 0 1k\n.dc v1 -1 1 0.5\n.end\n");
  REQUIRE_SUCCEEDS(testing::run_picospice("run -q " + netlist.string() + " -o " + (dir / "neg.raw").string()));
  CHECK_REFUSED_WITH(testing::run_picospice("plot " + (dir / "neg.raw").string() + " --logy -o " + (dir / "neg.png").string()),
                     "--logy: v(a) has values <= 0 (down to -1)");
  CHECK_FALSE(fs::exists(dir / "neg.png"));
}

TEST_CASE("AtomicOutputFile: the target appears only on commit, and an uncommitted file leaves nothing", "[output]") {
  const fs::path dir = fresh_dir("unit");
  {
    AtomicOutputFile file(dir / "a.txt");
    file.stream() << "hello";
    CHECK(entries(dir).empty());  // an unnamed temporary (or a hidden one where O_TMPFILE is missing)
    file.commit();
  }
  CHECK(read(dir / "a.txt") == "hello");
  {
    AtomicOutputFile file(dir / "b.txt");
    file.stream() << "discarded";
  }
  CHECK(entries(dir) == std::vector<std::string>{"a.txt"});
  {
    // A header patched after the body, as the raw writer patches its point count.
    AtomicOutputFile file(dir / "c.txt");
    file.stream() << "count: 0\nbody\n";
    const auto end = file.stream().tellp();
    file.stream().seekp(7);
    file.stream() << '5';
    file.stream().seekp(end);
    file.stream() << "tail\n";
    file.commit();
  }
  CHECK(read(dir / "c.txt") == "count: 5\nbody\ntail\n");
}

}  // namespace picospice
