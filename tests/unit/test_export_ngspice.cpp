// export-ngspice: the text for a small EKV netlist, and (with ngspice installed) an end-to-end
// check that the exported mirror currents match picospice.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/output/waveform_compare.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"
#include "netlists/export_ngspice.hpp"
#include "tests/skip_test.hpp"

using namespace picospice;
namespace fs = std::filesystem;

namespace {
fs::path write_temp(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}
const char* kMirror = R"(mirror
.model nch nmos level=ekv vto=0.45 kp=300u lambda=0.05
Iin 0 in 100p
M1 in in 0 0 nch W=1u L=2u
M2 out in 0 0 nch W=3u L=2u DVTO=3m
Vout out 0 0.9
.op
.end
)";
}  // namespace

TEST_CASE("export text has the EKV subcircuit and the safe softplus", "[export]") {
  const fs::path in = write_temp("picospice_export_test.cir", kMirror);
  const std::string text = export_ngspice(in.string());
  CHECK(text.find(".subckt ekv_nch d g s b params: w=1u l=1u m=1 dvto=0 dkp=0") != std::string::npos);
  CHECK(text.find("ln(1+exp(-abs(") != std::string::npos);
  CHECK(text.find("xM2 out in 0 0 ekv_nch w=3u l=2u dvto=3m") != std::string::npos);
  CHECK(text.find("\n.model nch") == std::string::npos);  // the model card itself is gone
  CHECK(text.find("APPROXIMATED") != std::string::npos);
  const std::string with = export_ngspice(in.string(), {true, true});
  CHECK(with.find("Rpicospice_shunt_") != std::string::npos);
  CHECK(with.find("abstol=1e-17") != std::string::npos);
}

TEST_CASE("export refuses updown with a nested sweep, naming the line", "[export]") {
  const fs::path in = write_temp("picospice_export_updown.cir",
                                 "t\nV1 a 0 1\nV2 b 0 1\nR1 a b 1k\n.dc V1 0 1 0.5 V2 0 1 0.5 updown\n.end\n");
  REQUIRE_THROWS_WITH(export_ngspice(in.string()), Catch::Contains(":5:") && Catch::Contains("updown"));
}

TEST_CASE("exported mirror currents match picospice in ngspice", "[export]") {
  if (!picospice::testing::program_available("ngspice", "-v"))
    SKIP_TEST("ngspice is not installed (Debian package ngspice)");
  const fs::path in = write_temp("picospice_export_e2e.cir", kMirror);
  const fs::path sp = fs::temp_directory_path() / "picospice_export_e2e.sp";
  const fs::path raw = fs::temp_directory_path() / "picospice_export_e2e.raw";
  export_ngspice_file(in.string(), sp, {false, true});
  const std::string command = "SPICE_ASCIIRAWFILE=1 ngspice -b -r " + raw.string() + " " + sp.string() + " > /dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  auto circuit = elaborate_file(in.string());
  const auto ours = run_analyses(*circuit);
  const auto theirs = read_waveform_file(raw);
  const double i_ours = ours[0].find("i(vout)")->values[0];
  const double i_theirs = theirs[0].find("i(vout)")->values[0];
  CHECK(std::fabs(i_ours - i_theirs) <= 1e-4 * std::fabs(i_theirs));
}

TEST_CASE("export keeps .noise and .tf, and ngspice agrees with them", "[export][noise_analysis][tf]") {
  const fs::path in = write_temp("picospice_export_noise.cir",
                                 "t\nV1 in 0 dc 1 ac 1\nR1 in out 10k\nR2 out 0 30k\nC1 out 0 1n\n"
                                 ".tf v(out) v1\n.noise v(out,0) v1 dec 5 10 1meg 1\n.end\n");
  const std::string text = export_ngspice(in.string());
  CHECK(text.find("\n.tf v(out) v1\n") != std::string::npos);
  CHECK(text.find("\n.noise v(out,0) v1 dec 5 10 1meg 1\n") != std::string::npos);
  if (!picospice::testing::program_available("ngspice", "-v"))
    SKIP_TEST("ngspice is not installed (Debian package ngspice)");
  const fs::path sp = fs::temp_directory_path() / "picospice_export_noise.sp";
  const fs::path raw = fs::temp_directory_path() / "picospice_export_noise.raw";
  export_ngspice_file(in.string(), sp, {false, true});
  const std::string command = "SPICE_ASCIIRAWFILE=1 ngspice -b -r " + raw.string() + " " + sp.string() + " > /dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  auto circuit = elaborate_file(in.string());
  const auto ours = run_analyses(*circuit);
  const auto theirs = read_waveform_file(raw);
  CompareSettings settings;
  settings.tolerance = {1e-6, 1e-20};
  settings.signals = {"v(transfer_function)", "v(v1#input_impedance)", "v(output_impedance_at_v(out))",
                      "onoise_spectrum", "inoise_spectrum", "onoise_r1_thermal", "v(onoise_total)"};
  const ComparisonResult result = compare_simulations(ours, theirs, settings);
  for (const auto& plot : result.plots)
    for (const auto& s : plot.signals) INFO(s.name << " " << s.normalized_rms);
  CHECK(result.passed);  // ngspice names v(out,0) v(out), as picospice does
  CHECK(result.plots.size() == 3);
}

TEST_CASE("export copies a .control block as written, and ngspice runs it", "[export][control]") {
  const fs::path in = write_temp("picospice_export_control.cir",
                                 "t\nV1 in 0 1\nR1 in out 1k\nR2 out 0 3k\n.control\nop\nlet half = v(out) / 2\n"
                                 "echo half is $&half\n.endc\n.end\n");
  const std::string text = export_ngspice(in.string());
  CHECK(text.find("\n.control\nop\nlet half = v(out) / 2\necho half is $&half\n.endc\n.end\n") != std::string::npos);
  CHECK(text.find("* The .control block is copied as written.") != std::string::npos);
  if (!picospice::testing::program_available("ngspice", "-v"))
    SKIP_TEST("ngspice is not installed (Debian package ngspice)");
  const fs::path sp = fs::temp_directory_path() / "picospice_export_control.sp";
  const fs::path out = fs::temp_directory_path() / "picospice_export_control.out";
  export_ngspice_file(in.string(), sp, {false, false});
  std::system(("ngspice -b " + sp.string() + " > " + out.string() + " 2>&1").c_str());
  std::ifstream file(out);
  const std::string printed((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  CHECK_THAT(printed, Catch::Contains("half is 0.375"));
}
