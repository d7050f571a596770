// .noise and .tf against answers worked out by hand: the thermal noise of a divider (4kT R_eq),
// the kT/C of an RC, the shot noise of a diode and of a weak-inversion EKV transistor referred to
// the current source that biases it, the power-law integral, a divider's transfer function and
// resistances; and the netlist errors, each naming file:line:column.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <numbers>

#include "base/errors.hpp"
#include "base/options.hpp"
#include "engine/analyses/noise_analysis.hpp"
#include "engine/output/csv_reader.hpp"
#include "engine/output/csv_writer.hpp"
#include "engine/output/raw_reader.hpp"
#include "engine/output/raw_writer.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

using namespace picospice;
using Catch::Matchers::Contains;

namespace {

constexpr double kRoomKelvin = 27.0 + physics::zero_celsius;

std::vector<Plot> plots_of(const std::string& netlist) {
  auto circuit = elaborate_text(netlist);
  return run_analyses(*circuit);
}

double value(const Plot& plot, const std::string& name, std::size_t point = 0) {
  const Signal* s = plot.find(name);
  INFO(name);
  REQUIRE(s != nullptr);
  REQUIRE(point < s->values.size());
  return s->values[point];
}

std::string error_of(const std::string& netlist) {
  try {
    auto circuit = elaborate_text(netlist, "e.cir");
    run_analyses(*circuit);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("noise: power-law integral is exact for white, 1/f and 1/f^2 densities", "[noise_analysis]") {
  CHECK(integrate_power_law(10, 3, 1000, 3) == Approx(3 * 990).epsilon(1e-14));
  // 1/f: integral of 5/f from 2 to 200 is 5 ln(100).
  CHECK(integrate_power_law(2, 2.5, 200, 0.025) == Approx(5 * std::log(100.0)).epsilon(1e-12));
  // 1/f^2: integral of 1/f^2 from 1 to 4 is 3/4.
  CHECK(integrate_power_law(1, 1, 4, 1.0 / 16) == Approx(0.75).epsilon(1e-12));
  // A zero density: the trapezoid.
  CHECK(integrate_power_law(1, 0, 3, 2) == Approx(2.0));
  CHECK(integrate_power_law(5, 1, 5, 1) == 0.0);
}

TEST_CASE("noise: a resistor divider gives 4kT R1||R2 at its output", "[noise_analysis]") {
  const auto plots = plots_of(
      "divider\nV1 in 0 dc 0 ac 1\nR1 in out 10k\nR2 out 0 30k\n.noise v(out) v1 lin 3 1 100 1\n");
  REQUIRE(plots.size() == 2);
  const Plot& density = plots[0];
  const Plot& integrated = plots[1];
  CHECK(density.name == "Noise Spectral Density Curves");
  CHECK(density.analysis == "noise");
  CHECK(density.points() == 3);
  CHECK(integrated.name == "Integrated Noise");
  const double four_kt = 4 * physics::boltzmann * kRoomKelvin;
  const double r_eq = 10e3 * 30e3 / 40e3, gain = 0.75;
  for (std::size_t p = 0; p < 3; ++p) {
    CHECK(value(density, "onoise_spectrum", p) == Approx(std::sqrt(four_kt * r_eq)).epsilon(1e-9));
    CHECK(value(density, "inoise_spectrum", p) == Approx(std::sqrt(four_kt * r_eq) / gain).epsilon(1e-9));
    // Each resistor's current noise 4kT/R through R_eq.
    CHECK(value(density, "onoise_r1_thermal", p) == Approx(std::sqrt(four_kt / 10e3) * r_eq).epsilon(1e-9));
    CHECK(value(density, "onoise_r2", p) == Approx(std::sqrt(four_kt / 30e3) * r_eq).epsilon(1e-9));
  }
  // White noise over 1..100 Hz.
  CHECK(value(integrated, "v(onoise_total)") == Approx(std::sqrt(four_kt * r_eq * 99)).epsilon(1e-9));
  CHECK(value(integrated, "v(inoise_total)") == Approx(std::sqrt(four_kt * r_eq * 99) / gain).epsilon(1e-9));
  CHECK(value(integrated, "v(onoise_total_r1_thermal)") ==
        Approx(std::sqrt(four_kt / 10e3 * 99) * r_eq).epsilon(1e-9));
}

TEST_CASE("noise: the resistor's own temperature and noise=0", "[noise_analysis]") {
  const auto plots = plots_of(
      "hot\nI1 0 out dc 0 ac 1\nR1 out 0 1meg temp=127\nR2 out 0 1meg noise=0\n.noise v(out) i1 dec 1 1 10\n");
  const double r_eq = 0.5e6;
  CHECK(value(plots[0], "onoise_spectrum") ==
        Approx(std::sqrt(4 * physics::boltzmann * (127 + physics::zero_celsius) / 1e6) * r_eq).epsilon(1e-9));
  // Referred to the current source: the current noise of R1 alone, in A/sqrt(Hz).
  CHECK(plots[0].find("inoise_spectrum")->type == "current-density");
  CHECK(plots[1].find("i(inoise_total)") != nullptr);
}

TEST_CASE("noise: the RC's integrated output noise is kT/C", "[noise_analysis]") {
  // The pole at 1/(2 pi R C) = 159 kHz; from 4 decades below to 4 above, 20 points a decade.
  const double r = 1e3, c = 1e-9, pole = 1 / (2 * std::numbers::pi * r * c);
  const auto plots = plots_of(fmt::format("rc\nV1 in 0 dc 0 ac 1\nR1 in out {}\nC1 out 0 {}\n.noise v(out) v1 dec 20 {} {}\n",
                                          r, c, pole * 1e-4, pole * 1e4));
  const double kt = physics::boltzmann * kRoomKelvin;
  // 4kTR / (1 + (f/fp)^2) integrates to 4kTR fp (atan(f2/fp) - atan(f1/fp)), which is kT/C
  // (2/pi)(atan(1e4) - atan(1e-4)) here, 0.013% below kT/C.
  const double band = kt / c * (2 / std::numbers::pi) * (std::atan(1e4) - std::atan(1e-4));
  const double total = value(plots[1], "v(onoise_total)");
  CHECK(total * total == Approx(band).epsilon(2e-3));  // the power law between points, 20 a decade
  CHECK(total * total == Approx(kt / c).epsilon(3e-3));
  CHECK(plots[0].signals[0].attributes == "grid=3");
}

TEST_CASE("noise: diode shot and flicker noise referred to its bias current", "[noise_analysis]") {
  // An ideal current source into a diode: all of the diode's noise current flows through its own
  // small-signal resistance, so referred to the source it is the noise current itself.
  const auto plots = plots_of(
      "d\nI1 0 a dc 1n ac 1\nD1 a 0 dm\n.model dm d is=1e-15 kf=1e-16 af=1.2\n.noise v(a) i1 dec 1 10 1k 1\n");
  const double two_q_i = 2 * physics::charge * 1e-9;
  const double flicker_at_10 = 1e-16 * std::pow(1e-9, 1.2) / 10;
  // The operating point holds the diode current to about abstol (1e-15 A), 1e-6 of it.
  const double inoise = value(plots[0], "inoise_spectrum");
  CHECK(inoise * inoise == Approx(two_q_i + flicker_at_10).epsilon(1e-5));
  const double shot = value(plots[0], "onoise_d1_id"), flicker = value(plots[0], "onoise_d1_1overf");
  CHECK(flicker * flicker / (shot * shot) == Approx(flicker_at_10 / two_q_i).epsilon(1e-5));
  // 1/f: the flicker contribution falls by 10 in power per decade.
  CHECK(value(plots[0], "onoise_d1_1overf", 1) == Approx(flicker / std::sqrt(10.0)).epsilon(1e-9));
  CHECK(plots[0].find("onoise_d1_rs") == nullptr);  // no RS, no generator
}

TEST_CASE("noise: a weak-inversion EKV transistor has shot noise 2q(I_F + I_R)", "[noise_analysis][ekv]") {
  // A diode-connected NMOS at 100 pA (inversion coefficient ~2e-4): in weak inversion 4kT Gn ->
  // 2q(I_F + I_R), the shot noise of the forward and reverse currents, with I = I_F - I_R and
  // I_R / I_F = exp(-VDS/UT), so S = 2qI coth(VDS / 2UT) (VDS = 5.8 UT here: 0.6% above 2qI).
  // Referred to the current source, the noise is the channel's noise current itself.
  const auto plots = plots_of(
      "m\nI1 0 d dc 100p ac 1\nM1 d d 0 0 nch w=1u l=1u\n"
      ".model nch nmos level=ekv vto=0.45 kp=300u n=1.35 cox=8.5m kf=1e-28 af=1\n"
      ".noise v(d) i1 dec 1 1 1meg 1\n.op\n");
  const double vds = value(plots.at(2), "v(d)");
  const double shot = 2 * physics::charge * 100e-12 / std::tanh(vds / (2 * physics::thermal_voltage(kRoomKelvin)));
  const double inoise_high = value(plots[0], "inoise_spectrum", 6);  // 1 MHz: flicker negligible
  CHECK(inoise_high * inoise_high == Approx(shot).epsilon(1e-3));
  // The flicker generator is there and falls as 1/f^AF.
  CHECK(value(plots[0], "onoise_m1_1overf", 1) == Approx(value(plots[0], "onoise_m1_1overf", 0) / std::sqrt(10.0)).epsilon(1e-6));
}

TEST_CASE("noise: plots survive the raw and CSV files", "[noise_analysis][output]") {
  const auto plots = plots_of("d\nV1 in 0 dc 0 ac 1\nR1 in out 1k\nC1 out 0 1n\n.noise v(out) v1 oct 2 1k 1meg 2\n");
  const auto dir = std::filesystem::temp_directory_path() / "picospice_test_noise_files";
  std::filesystem::create_directories(dir);
  write_raw(dir / "n.raw", plots, RawFormat::Binary);
  const auto back = read_raw(dir / "n.raw");
  REQUIRE(back.size() == 2);
  CHECK(back[0].analysis == "noise");
  CHECK(back[1].analysis == "noise");
  CHECK(back[0].points() == plots[0].points());
  CHECK(value(back[1], "v(onoise_total)") == value(plots[1], "v(onoise_total)"));
  CHECK(value(back[0], "onoise_r1", 2) == value(plots[0], "onoise_r1", 2));
  write_csv(dir / "n.csv", {plots[1]});
  CHECK(value(read_csv(dir / "n.csv"), "v(inoise_total)") == value(plots[1], "v(inoise_total)"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("noise: pts_per_summary writes every N-th frequency, as ngspice", "[noise_analysis]") {
  const auto plots = plots_of("d\nV1 in 0 ac 1\nR1 in out 1k\nR2 out 0 1k\n.noise v(out) v1 lin 7 1 7 3\n");
  REQUIRE(plots[0].points() == 3);
  CHECK(value(plots[0], "frequency", 1) == 4.0);
  CHECK(value(plots[0], "frequency", 2) == 7.0);
  const auto plain = plots_of("d\nV1 in 0 ac 1\nR1 in out 1k\nR2 out 0 1k\n.noise v(out) v1 lin 7 1 7\n");
  CHECK(plain[0].points() == 7);
  CHECK(plain[0].signals.size() == 3);  // frequency, onoise_spectrum, inoise_spectrum
  CHECK(plain[1].signals.size() == 2);
}

TEST_CASE("tf: a divider's gain, input and output resistance", "[tf]") {
  const std::string divider = "R1 in out 10k\nR2 out 0 30k\n";
  const Plot v = plots_of("tf\nV1 in 0 dc 1\n" + divider + ".tf v(out) v1\n").at(0);
  CHECK(v.name == "Transfer Function");
  CHECK(v.analysis == "tf");
  CHECK(value(v, "v(transfer_function)") == Approx(0.75).epsilon(1e-12));
  CHECK(value(v, "v(v1#input_impedance)") == Approx(40e3).epsilon(1e-12));
  CHECK(value(v, "v(output_impedance_at_v(out))") == Approx(7.5e3).epsilon(1e-12));
  // Driven by a current into `in`: v(out) = I R2, the source sees R1 + R2, and the output sees R2
  // (the current source is an open circuit).
  const Plot i = plots_of("tf\nI1 0 in dc 1m\n" + divider + ".tf v(out) i1\n").at(0);
  CHECK(value(i, "v(transfer_function)") == Approx(30e3).epsilon(1e-12));
  CHECK(value(i, "v(i1#input_impedance)") == Approx(40e3).epsilon(1e-12));
  CHECK(value(i, "v(output_impedance_at_v(out))") == Approx(30e3).epsilon(1e-12));
  // A differential output across R1: with V1 shorted, R1 and R2 are in parallel between in and out.
  const Plot d = plots_of("tf\nV1 in 0 dc 1\n" + divider + ".tf v(in,out) v1\n").at(0);
  CHECK(value(d, "v(transfer_function)") == Approx(0.25).epsilon(1e-12));
  CHECK(value(d, "v(output_impedance_at_v(in,out))") == Approx(7.5e3).epsilon(1e-12));
}

TEST_CASE("tf: linearized at the operating point, and an unloaded source", "[tf]") {
  // A diode at 1 uA: its small-signal resistance N Vt / I in series with 1 meg.
  const Plot d = plots_of("d\nV1 in 0 dc 2\nR1 in a 1meg\nD1 a 0 dm\n.model dm d is=1e-15\nV2 x 0 1\nR2 x 0 1k\n"
                          ".tf v(a) v1\n").at(0);
  const double rin = value(d, "v(v1#input_impedance)");
  const double rd = rin - 1e6;
  const double gain = value(d, "v(transfer_function)");
  CHECK(gain == Approx(rd / rin).epsilon(1e-9));
  CHECK(rd == Approx(physics::thermal_voltage(kRoomKelvin) / ((2 - 0.5) / 1e6)).epsilon(0.05));
  // A source that drives nothing sees an infinite resistance: 1e20, as ngspice writes it.
  const Plot open = plots_of("o\nV1 in 0 dc 1\nR1 out 0 1k\nI1 0 out 1m\n.tf v(out) v1\n").at(0);
  CHECK(value(open, "v(v1#input_impedance)") == 1e20);
  CHECK(value(open, "v(transfer_function)") == 0.0);
}

TEST_CASE("noise and tf: netlist errors name the place", "[noise_analysis][tf]") {
  const std::string rc = "t\nV1 in 0 ac 1\nR1 in out 1k\nC1 out 0 1n\n";
  CHECK_THAT(error_of(rc + ".noise v(out) vx dec 10 1 1k\n"), Contains("e.cir:5:15") && Contains("unknown source 'vx'"));
  CHECK_THAT(error_of(rc + ".noise v(out) r1 dec 10 1 1k\n"), Contains("e.cir:5:15") && Contains("V or I source"));
  CHECK_THAT(error_of(rc + ".noise v(out,nowhere) v1 dec 10 1 1k\n"), Contains("e.cir:5:14") && Contains("unknown node 'nowhere'"));
  CHECK_THAT(error_of(rc + ".noise v(nowhere) v1 dec 10 1 1k\n"), Contains("e.cir:5:10") && Contains("unknown node"));
  CHECK_THAT(error_of(rc + ".noise v(out) v1 dec 10 0 1k\n"), Contains("e.cir:5:25") && Contains("above 0 Hz"));
  CHECK_THAT(error_of(rc + ".noise v(out) v1 lin 10 0 1k\n"), Contains("e.cir:5:25") && Contains("above 0 Hz"));
  CHECK_THAT(error_of(rc + ".noise v(out) v1 dec 0 1 1k\n"), Contains("e.cir:5:22") && Contains("whole number"));
  CHECK_THAT(error_of(rc + ".noise v(out) v1 dec 10 1\n"), Contains("e.cir:5") && Contains("expected '.noise"));
  CHECK_THAT(error_of(rc + ".noise v(out) v1 dec 10 1 1k 2.5\n"), Contains("e.cir:5:30") && Contains("points_per_summary"));
  CHECK_THAT(error_of(rc + ".noise v(out) v1 dec 10 1 1k 2 7\n"), Contains("e.cir:5:32") && Contains("unexpected '7'"));
  CHECK_THAT(error_of(rc + ".noise i(v1) v1 dec 10 1 1k\n"), Contains("e.cir:5:8") && Contains("i(...) is not supported"));
  CHECK_THAT(error_of(rc + ".noise out v1 dec 10 1 1k\n"), Contains("e.cir:5:8") && Contains("expected 'v(node)'"));
  CHECK_THAT(error_of(rc + ".noise v(out,out) v1 dec 10 1 1k\n"), Contains("e.cir:5:10") && Contains("always 0 V"));
  CHECK_THAT(error_of(rc + ".noise v(0) v1 dec 10 1 1k\n"), Contains("e.cir:5:10") && Contains("always 0 V"));
  CHECK_THAT(error_of(rc + ".noise v(out v1 dec 10 1 1k\n"), Contains("e.cir:5") && Contains("expected 'v(node)'"));
  CHECK_THAT(error_of(rc + ".tf v(out) vx\n"), Contains("e.cir:5:12") && Contains("unknown source 'vx'"));
  CHECK_THAT(error_of(rc + ".tf v(out)\n"), Contains("e.cir:5") && Contains("expected the input source"));
  CHECK_THAT(error_of(rc + ".tf v(out) v1 extra\n"), Contains("e.cir:5:15") && Contains("unexpected 'extra'"));
  CHECK_THAT(error_of(rc + ".tf i(v1) v1\n"), Contains("e.cir:5:5") && Contains("i(...) is not supported"));
  // .noise and .tf belong to the top level.
  CHECK_THAT(error_of("t\n.subckt s a\n.tf v(a) v1\n.ends\nR1 a 0 1\n"), Contains("e.cir:3") && Contains("not allowed inside"));
}
