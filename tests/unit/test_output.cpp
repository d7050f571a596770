// Raw and CSV output: exact round trips, several plots a file, ngspice's spelling of names, and
// agreement with ngspice itself (reading its raw files, and it reading ours) when installed.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/output/csv_reader.hpp"
#include "engine/output/csv_writer.hpp"
#include "engine/output/raw_reader.hpp"
#include "engine/output/raw_writer.hpp"
#include "tests/run_command.hpp"
#include "tests/skip_test.hpp"

namespace fs = std::filesystem;
using namespace picospice;

namespace {

// A fresh directory removed at the end of the test.
struct ScratchDirectory {
  fs::path path;
  explicit ScratchDirectory(const std::string& tag) {
    static int counter = 0;  // distinct directories within one test process
    path = fs::temp_directory_path() /
           ("picospice-output-" + tag + "-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

Plot transient_plot() {
  Plot plot;
  plot.title = "rc test";
  plot.name = "Transient Analysis";
  plot.analysis = "tran";
  plot.notes = {"Option: noiseseed=1"};
  Signal time{"time", "time", {}}, out{"v(out)", "voltage", {}}, current{"i(v1)", "current", {}};
  for (int k = 0; k < 50; ++k) {
    double t = k * 1.1e-6 / 3.0;  // values with no short decimal form
    time.values.push_back(t);
    out.values.push_back(1 - std::exp(-t / 1.7e-6));
    current.values.push_back(-std::exp(-t / 1.7e-6) / 3e3);
  }
  out.values[7] = -0.0;
  out.values[8] = 1e-300;
  out.values[9] = std::numeric_limits<double>::denorm_min();
  plot.signals = {time, out, current};
  return plot;
}

Plot dc_plot() {
  Plot plot;
  plot.title = "rc test";
  plot.name = "DC transfer characteristic";
  plot.analysis = "dc";
  plot.signals = {{"v-sweep", "voltage", {0, 0.1, 0.2, 0.30000000000000004}},
                  {"v(out)", "voltage", {0, 0.05, 0.1, 0.15}},
                  {"i(v1)", "current", {0, -1e-4, -2e-4, -3e-4}}};
  return plot;
}

void require_same_plot(const Plot& read, const Plot& written) {
  CHECK(read.title == written.title);
  CHECK(read.name == written.name);
  CHECK(read.analysis == written.analysis);
  CHECK(read.notes == written.notes);
  REQUIRE(read.signals.size() == written.signals.size());
  for (std::size_t s = 0; s < written.signals.size(); ++s) {
    INFO("signal " << written.signals[s].name);
    CHECK(read.signals[s].name == written.signals[s].name);
    CHECK(read.signals[s].type == written.signals[s].type);
    REQUIRE(read.signals[s].values.size() == written.signals[s].values.size());
    for (std::size_t p = 0; p < written.points(); ++p) {
      // Bitwise: exact doubles, and -0.0 keeps its sign.
      CHECK(std::signbit(read.signals[s].values[p]) == std::signbit(written.signals[s].values[p]));
      CHECK(read.signals[s].values[p] == written.signals[s].values[p]);
    }
  }
}

using picospice::testing::read_text;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool ngspice_installed() { return picospice::testing::program_available("ngspice", "--version"); }

// Runs `ngspice -b` on a control script and returns what it printed.
std::string run_ngspice_control(const fs::path& directory, const std::string& control) {
  fs::path script = directory / "check.cir";
  write_text(script, "* picospice output check\n.control\n" + control + "\n.endc\n.end\n");
  fs::path log = directory / "check.log";
  std::string command = "cd '" + directory.string() + "' && ngspice -b check.cir > '" +
                        log.string() + "' 2>&1";
  // Without a circuit ngspice -b exits with 1 even when all went well, so the status says
  // nothing; the printed values are the check.
  [[maybe_unused]] int status = std::system(command.c_str());
  return read_text(log);
}

// The number ngspice prints for `print <vector>` ("v(out)[2] = 1.234000e-01").
double printed_value(const std::string& log, const std::string& vector) {
  auto at = log.find(vector + " = ");
  INFO(log);
  REQUIRE(at != std::string::npos);
  return std::strtod(log.c_str() + at + vector.size() + 3, nullptr);
}

}  // namespace

TEST_CASE("output: binary raw file round-trips exact doubles", "[output]") {
  ScratchDirectory dir("binary");
  Plot plot = transient_plot();
  write_raw(dir.path / "out.raw", {plot});
  auto plots = read_raw(dir.path / "out.raw");
  REQUIRE(plots.size() == 1);
  require_same_plot(plots[0], plot);
  // Atomic: no temporary file is left behind.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("output: ascii raw file round-trips exact doubles", "[output]") {
  ScratchDirectory dir("ascii");
  Plot plot = transient_plot();
  write_raw(dir.path / "out.raw", {plot}, RawFormat::Ascii);
  CHECK(read_text(dir.path / "out.raw").find("Values:\n") != std::string::npos);
  auto plots = read_raw(dir.path / "out.raw");
  REQUIRE(plots.size() == 1);
  require_same_plot(plots[0], plot);
}

TEST_CASE("output: several plots in one raw file", "[output]") {
  ScratchDirectory dir("several");
  Plot op;
  op.title = "rc test";
  op.name = "Operating Point";
  op.analysis = "op";
  op.signals = {{"v(in)", "voltage", {1}}, {"v(out)", "voltage", {0.5}}};
  std::vector<Plot> written = {op, dc_plot(), transient_plot()};
  for (auto format : {RawFormat::Binary, RawFormat::Ascii}) {
    write_raw(dir.path / "all.raw", written, format);
    auto plots = read_raw(dir.path / "all.raw");
    REQUIRE(plots.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) require_same_plot(plots[i], written[i]);
  }
}

TEST_CASE("output: ngspice variable names are normalised", "[output]") {
  CHECK(normalise_raw_variable_name("out", "voltage", false) == "v(out)");
  CHECK(normalise_raw_variable_name("X1.Out", "voltage", false) == "v(x1.out)");
  CHECK(normalise_raw_variable_name("V1#branch", "current", false) == "i(v1)");
  CHECK(normalise_raw_variable_name("I(V1)", "current", false) == "i(v1)");
  CHECK(normalise_raw_variable_name("v(out)", "voltage", false) == "v(out)");
  CHECK(normalise_raw_variable_name("v(v-sweep)", "voltage", true) == "v-sweep");
  CHECK(normalise_raw_variable_name("v-sweep", "voltage", true) == "v-sweep");
  CHECK(normalise_raw_variable_name("TIME", "time", true) == "time");
  CHECK(normalise_raw_variable_name("@r1[i]", "current", false) == "@r1[i]");

  ScratchDirectory dir("names");
  write_text(dir.path / "ngspice-style.raw",
             "Title: names\nDate: today\nPlotname: DC transfer characteristic\nFlags: real\n"
             "No. Variables: 4\nNo. Points: 2       \nCommand: version 39\nVariables:\n"
             "\t0\tv(v-sweep)\tvoltage\n\t1\tOUT\tvoltage\n\t2\tV1#branch\tcurrent\n"
             "\t3\ti(Vdd)\tcurrent\nValues:\n 0\t\t0.000000000000000e+00\n"
             "\t1.0e+00\n\t-2.5e-03\n\t4\n 1\t\t5.0e-01\n\t2\n\t3\n\t4\n");
  auto plots = read_raw(dir.path / "ngspice-style.raw");
  REQUIRE(plots.size() == 1);
  const Plot& plot = plots[0];
  CHECK(plot.analysis == "dc");
  CHECK(plot.notes == std::vector<std::string>{"Command: version 39"});
  REQUIRE(plot.signals.size() == 4);
  CHECK(plot.signals[0].name == "v-sweep");
  CHECK(plot.signals[1].name == "v(out)");
  CHECK(plot.signals[2].name == "i(v1)");
  CHECK(plot.signals[3].name == "i(vdd)");
  CHECK(plot.find("i(v1)")->values == std::vector<double>{-2.5e-3, 3});
}

TEST_CASE("output: malformed and complex raw files give clear errors", "[output]") {
  ScratchDirectory dir("errors");
  const std::string header =
      "Title: t\nDate: d\nPlotname: AC Analysis\nFlags: complex\nNo. Variables: 2\n"
      "No. Points: 1\nVariables:\n\t0\tfrequency\tfrequency\n\t1\tv(out)\tvoltage\nValues:\n"
      " 0\t1,0\n\t2,0\n";
  write_text(dir.path / "complex.raw", header);
  const auto complex = read_raw(dir.path / "complex.raw");
  REQUIRE(complex.size() == 1);
  CHECK(complex[0].complex);
  CHECK(complex[0].signals[1].values == std::vector<double>{2});
  // A complex plot's value without its imaginary part, and a real plot's value with one.
  std::string missing_imaginary = header;
  missing_imaginary.replace(missing_imaginary.find("2,0"), 3, "2");
  write_text(dir.path / "half.raw", missing_imaginary);
  CHECK_THROWS_WITH(read_raw(dir.path / "half.raw"), Catch::Contains("expected a complex value"));
  std::string real_with_imaginary = header;
  real_with_imaginary.replace(real_with_imaginary.find("Flags: complex"), 14, "Flags: real");
  write_text(dir.path / "mixed.raw", real_with_imaginary);
  CHECK_THROWS_WITH(read_raw(dir.path / "mixed.raw"), Catch::Contains("complex value in a real plot"));

  Plot plot = transient_plot();
  write_raw(dir.path / "full.raw", {plot});
  std::string bytes = read_text(dir.path / "full.raw");
  write_text(dir.path / "truncated.raw", bytes.substr(0, bytes.size() - 5));
  CHECK_THROWS_WITH(read_raw(dir.path / "truncated.raw"), Catch::Contains("truncated"));
  CHECK_THROWS_WITH(read_raw(dir.path / "missing.raw"), Catch::Contains("cannot open"));
}

TEST_CASE("output: reads a raw file written by ngspice", "[output]") {
  if (!ngspice_installed()) SKIP_TEST("ngspice is not installed (Debian package ngspice)");
  ScratchDirectory dir("ngspice-reads");
  // RC step: v(out) = 1 - exp(-t/RC), RC = 1 ms.
  write_text(dir.path / "rc.cir",
             "rc step\nv1 in 0 pwl(0 0 1n 1)\nr1 in out 1k\nc1 out 0 1u\n"
             ".dc v1 0 1 0.25\n.tran 20u 3m\n.end\n");
  for (bool ascii : {false, true}) {
    std::string command = "cd '" + dir.path.string() + "' && " +
                          (ascii ? "SPICE_ASCIIRAWFILE=1 " : "") +
                          "ngspice -b -r rc.raw rc.cir > ngspice.log 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    auto plots = read_raw(dir.path / "rc.raw");
    REQUIRE(plots.size() == 2);
    CHECK(plots[0].analysis == "dc");
    CHECK(plots[0].signals[0].name == "v-sweep");
    REQUIRE(plots[0].find("v(out)"));
    CHECK(plots[0].find("v(out)")->values.back() == Approx(1.0));
    const Plot& tran = plots[1];
    CHECK(tran.analysis == "tran");
    CHECK(tran.title == "rc step");
    REQUIRE(tran.find("time"));
    REQUIRE(tran.find("v(out)"));
    REQUIRE(tran.find("i(v1)"));
    const auto& t = tran.signals[0].values;
    const auto& v = tran.find("v(out)")->values;
    CHECK(t.back() == Approx(3e-3));
    for (std::size_t k = 0; k < t.size(); ++k)
      if (t[k] > 1e-5) CHECK(v[k] == Approx(1 - std::exp(-t[k] / 1e-3)).margin(2e-3));
  }
}

TEST_CASE("output: ngspice loads our raw files", "[output]") {
  if (!ngspice_installed()) SKIP_TEST("ngspice is not installed (Debian package ngspice)");
  ScratchDirectory dir("ngspice-loads");
  Plot tran = transient_plot();
  for (auto format : {RawFormat::Binary, RawFormat::Ascii}) {
    write_raw(dir.path / "ours.raw", {dc_plot(), tran}, format);
    std::string log = run_ngspice_control(
        dir.path, "load ours.raw\nprint v(out)[20]\nprint i(v1)[3]\nsetplot dc1\nprint v(out)[2]");
    const double v20 = tran.find("v(out)")->values[20];
    CHECK(printed_value(log, "v(out)[20]") == Approx(v20).epsilon(1e-6));
    CHECK(printed_value(log, "i(v1)[3]") == Approx(tran.find("i(v1)")->values[3]).epsilon(1e-5));
    CHECK(printed_value(log, "v(out)[2]") == Approx(0.1).epsilon(1e-6));
  }
}

TEST_CASE("output: CSV round-trips exact doubles, one file a plot", "[output]") {
  ScratchDirectory dir("csv");
  Plot tran = transient_plot();
  Plot dc = dc_plot();
  auto files = write_csv(dir.path / "result.csv", {tran, dc, tran});
  REQUIRE(files.size() == 3);
  CHECK(files[0] == dir.path / "result.csv");
  CHECK(files[1] == dir.path / "result.2.csv");
  CHECK(files[2] == dir.path / "result.3.csv");
  CHECK(read_text(files[0]).starts_with("time,v(out),i(v1)\n"));
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 3);

  Plot read_tran = read_csv(files[0]);
  CHECK(read_tran.analysis == "tran");
  // CSV keeps neither title nor notes; everything else survives exactly.
  tran.title.clear();
  tran.notes.clear();
  require_same_plot(read_tran, tran);
  Plot read_dc = read_csv(files[1]);
  dc.title.clear();
  require_same_plot(read_dc, dc);
}

TEST_CASE("output: CSV reader reports bad rows and quotes odd names", "[output]") {
  ScratchDirectory dir("csv-errors");
  write_text(dir.path / "bad.csv", "time,v(out)\n0,1\n1e-6,abc\n");
  CHECK_THROWS_WITH(read_csv(dir.path / "bad.csv"),
                    Catch::Contains("bad.csv:3") && Catch::Contains("abc"));
  write_text(dir.path / "short.csv", "time,v(out)\n0\n");
  CHECK_THROWS_WITH(read_csv(dir.path / "short.csv"), Catch::Contains("expected 2 fields"));

  Plot plot;
  plot.analysis = "op";
  plot.name = "Operating Point";
  plot.signals = {{"v(a,b)", "voltage", {1.5}}, {"v(c)", "voltage", {2}}};
  write_csv_plot(dir.path / "quoted.csv", plot);
  CHECK(read_text(dir.path / "quoted.csv").starts_with("\"v(a,b)\",v(c)\n"));
  Plot read = read_csv(dir.path / "quoted.csv");
  CHECK(read.analysis == "op");
  REQUIRE(read.signals.size() == 2);
  CHECK(read.signals[0].name == "v(a,b)");
  CHECK(read.signals[0].values == std::vector<double>{1.5});
}
