// .ac: the frequency grid, the small-signal solve against circuits solved by hand here, the EKV
// small-signal model against finite differences of its own DC and transient responses, and the
// complex plot through the raw and CSV writers and readers.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <complex>
#include <filesystem>
#include <numbers>

#include "base/errors.hpp"
#include "engine/analyses/ac_analysis.hpp"
#include "engine/analyses/measure.hpp"
#include "engine/output/csv_reader.hpp"
#include "engine/output/csv_writer.hpp"
#include "engine/output/raw_reader.hpp"
#include "engine/output/raw_writer.hpp"
#include "engine/simulator.hpp"
#include "engine/small_signal.hpp"
#include "netlists/elaborate.hpp"

using namespace picospice;
using Catch::Matchers::Contains;

namespace {

std::complex<double> value_at(const Plot& plot, const std::string& name, std::size_t point) {
  const Signal* s = plot.find(name);
  REQUIRE(s != nullptr);
  REQUIRE(s->imag.size() == s->values.size());
  return {s->values.at(point), s->imag.at(point)};
}

Plot only_plot(const std::string& netlist) {
  auto circuit = elaborate_text(netlist);
  auto plots = run_analyses(*circuit);
  REQUIRE(plots.size() == 1);
  return plots[0];
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

TEST_CASE("ac: frequency grids as ngspice 39 lays them out", "[ac]") {
  using K = FrequencySweep::Kind;
  // Point counts measured with ngspice 39 on the same sweeps.
  CHECK(frequency_grid({K::Decade, 10, 1, 1000}).size() == 31);
  CHECK(frequency_grid({K::Decade, 10, 1, 999.9}).size() == 30);
  CHECK(frequency_grid({K::Decade, 10, 1, 1500}).size() == 32);
  CHECK(frequency_grid({K::Octave, 3, 1, 10}).size() == 10);
  // The frequencies themselves, as ngspice 39 wrote them.
  const auto spread = frequency_grid({K::Decade, 10, 1, 1500});
  CHECK(spread[1] == Approx(1.2660607838224778).epsilon(1e-14));
  CHECK(spread.back() == 1500);
  const auto octave = frequency_grid({K::Octave, 2, 1, 11.5});
  REQUIRE(octave.size() == 8);
  CHECK(octave.back() == Approx(11.313708498984754).epsilon(1e-14));
  const auto lin = frequency_grid({K::Linear, 5, 10, 50});
  REQUIRE(lin.size() == 5);
  CHECK(lin[1] == Approx(20));
  CHECK(lin[4] == 50);
  const auto dec = frequency_grid({K::Decade, 2, 1, 100});
  REQUIRE(dec.size() == 5);
  CHECK(dec[1] == Approx(std::sqrt(10.0)));
  CHECK(dec[4] == Approx(100));
}

TEST_CASE("ac: RC low-pass against 1/(1 + j w R C)", "[ac]") {
  const Plot plot = only_plot("rc\nV1 in 0 dc 0.3 ac 2 30\nR1 in out 1k\nC1 out 0 1u\n.ac dec 5 1 100k\n");
  CHECK(plot.complex);
  CHECK(plot.name == "AC Analysis");
  CHECK(plot.signals[0].name == "frequency");
  CHECK(plot.signals[0].attributes == "grid=3");
  REQUIRE(plot.points() == 26);
  const std::complex<double> drive = std::polar(2.0, 30 * std::numbers::pi / 180);
  for (std::size_t p = 0; p < plot.points(); ++p) {
    const double f = plot.signals[0].values[p];
    const std::complex<double> h = 1.0 / (1.0 + std::complex<double>(0, 2 * std::numbers::pi * f * 1e3 * 1e-6));
    const std::complex<double> out = value_at(plot, "v(out)", p);
    CHECK(std::abs(out - drive * h) < 1e-12 * std::abs(drive * h) + 1e-15);
    CHECK(std::abs(value_at(plot, "v(in)", p) - drive) < 1e-14);
    // The source's branch current flows from n+ through the source to n-: minus the load current.
    const std::complex<double> load = (drive - out) / 1e3;
    CHECK(std::abs(value_at(plot, "i(v1)", p) + load) < 1e-12 * std::abs(load));
  }
}

TEST_CASE("ac: series RLC resonance and a current source's phase", "[ac]") {
  // Series R L C from the source to ground, v(c) across C: |v(c)| peaks at Q = sqrt(L/C)/R at
  // f0 = 1/(2 pi sqrt(L C)).
  const double r = 10, l = 1e-3, c = 1e-9;
  const double f0 = 1 / (2 * std::numbers::pi * std::sqrt(l * c));
  const Plot plot = only_plot(fmt::format("rlc\nV1 in 0 ac 1\nR1 in a {}\nL1 a c {}\nC1 c 0 {}\nI1 0 x dc 0 ac 1m 90\n"
                                          "R2 x 0 1k\n.ac lin 3 {} {}\n",
                                          r, l, c, f0 * 0.5, f0 * 1.5));
  REQUIRE(plot.points() == 3);
  CHECK(plot.signals[0].attributes.empty());
  CHECK(std::abs(value_at(plot, "v(c)", 1)) == Approx(std::sqrt(l / c) / r).epsilon(1e-9));
  CHECK(std::arg(value_at(plot, "v(c)", 1)) == Approx(-std::numbers::pi / 2).epsilon(1e-9));
  // I1 pushes 1 mA at +90 degrees into x (it flows from n+ = 0 through the source to n- = x).
  const std::complex<double> vx = value_at(plot, "v(x)", 0);
  CHECK(vx.real() == Approx(0).margin(1e-12));
  CHECK(vx.imag() == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("ac: .measure ac on vdb, vp and vm", "[ac]") {
  auto circuit = elaborate_text(
      "rc\nV1 in 0 ac 1\nR1 in out 1k\nC1 out 0 1u\n.ac dec 100 1 100k\n"
      ".meas ac f3db when vdb(out)=-3.0103\n.meas ac ph find vp(out) at=159.1549\n"
      ".meas ac peak max vm(out)\n.meas ac g1k find vdb(out) at=1k\n");
  MeasureSink sink(circuit->measures);
  run_analyses(*circuit, sink);
  const auto results = sink.results();
  REQUIRE(results.size() == 4);
  for (const auto& r : results) CHECK(r.ok);
  const double corner = 1 / (2 * std::numbers::pi * 1e-3);
  // Linear interpolation of dB between points 1/100 decade apart: well within 0.1 %.
  CHECK(results[0].value == Approx(corner).epsilon(1e-3));
  CHECK(results[1].value == Approx(-std::numbers::pi / 4).epsilon(1e-3));
  // The largest magnitude is at the first point, 1 Hz.
  CHECK(results[2].value == Approx(1 / std::sqrt(1 + std::pow(1 / corner, 2))).epsilon(1e-9));
  CHECK(results[3].value == Approx(-10 * std::log10(1 + std::pow(1e3 / corner, 2))).epsilon(1e-3));
}

TEST_CASE("ac: netlist errors name the place", "[ac]") {
  CHECK_THAT(error_of("t\nR1 a 0 1\n.ac dec 10 0 1k\n"), Contains("e.cir:3:12") && Contains("above 0 Hz"));
  CHECK_THAT(error_of("t\nR1 a 0 1\n.ac dec 2.5 1 1k\n"), Contains("e.cir:3:9") && Contains("whole number"));
  CHECK_THAT(error_of("t\nR1 a 0 1\n.ac lin 10 1k 1\n"), Contains("e.cir:3:15") && Contains("below the start"));
  CHECK_THAT(error_of("t\nR1 a 0 1\n.ac log 10 1 1k\n"), Contains("e.cir:3:5") && Contains("'dec', 'oct' or 'lin'"));
  CHECK_THAT(error_of("t\nR1 a 0 1\n.ac dec 10 1\n"), Contains("e.cir:3") && Contains("expected '.ac dec|oct|lin"));
  CHECK_THAT(error_of("t\nR1 a 0 1\n.ac dec 10 1 1k 5\n"), Contains("e.cir:3:17") && Contains("unexpected '5'"));
  CHECK_THAT(error_of("t\nV1 a 0 ac 1 foo\nR1 a 0 1\n.ac dec 10 1 1k\n"), Contains("e.cir:2"));
  // A node held only by a capacitor has no DC path: the operating point names it.
  CHECK_THAT(error_of("t\nV1 a 0 ac 1\nC1 a b 1p\nC2 b 0 1p\n.ac dec 1 1 10\n"), Contains("b"));
}

TEST_CASE("ac: complex plots survive the raw (binary, ASCII) and CSV files", "[ac][output]") {
  const Plot plot = only_plot("rc\nV1 in 0 ac 1 45\nR1 in out 1k\nC1 out 0 1u\n.ac oct 2 10 1k\n");
  const auto dir = std::filesystem::temp_directory_path() / "picospice_test_ac_files";
  std::filesystem::create_directories(dir);
  for (const RawFormat format : {RawFormat::Binary, RawFormat::Ascii}) {
    write_raw(dir / "ac.raw", {plot}, format);
    const auto back = read_raw(dir / "ac.raw");
    REQUIRE(back.size() == 1);
    CHECK(back[0].complex);
    CHECK(back[0].analysis == "ac");
    for (std::size_t p = 0; p < plot.points(); ++p) CHECK(value_at(back[0], "v(out)", p) == value_at(plot, "v(out)", p));
  }
  write_csv(dir / "ac.csv", {plot});
  const Plot csv = read_csv(dir / "ac.csv");
  CHECK(csv.complex);
  for (std::size_t p = 0; p < plot.points(); ++p) CHECK(value_at(csv, "i(v1)", p) == value_at(plot, "i(v1)", p));
  std::filesystem::remove_all(dir);
}

// A picoamp NMOS mirror (EKV with its intrinsic charges) into a voltage source: at low frequency
// the AC gain must be the slope of the DC transfer, and the bandwidth must be the one the
// transient shows for a small step (one dominant pole: the gate node, C_gate / (gm1 + gm2 ...)).
TEST_CASE("ac: EKV mirror against its own DC slope and step response", "[ac][ekv]") {
  const std::string devices =
      ".model nch nmos level=ekv vto=0.45 kp=300u lambda=0.05\n"
      "M1 in in 0 0 nch W=4u L=4u\nM2 out in 0 0 nch W=4u L=4u\nVout out 0 0.9\n";
  const Plot ac = only_plot("mirror\nIin 0 in dc 100p ac 1\n" + devices + ".ac dec 50 1 1meg\n");
  auto dc_circuit = elaborate_text("mirror\nIin 0 in 100p\n" + devices + ".dc Iin 99p 101p 2p\n");
  const Plot dc = run_analyses(*dc_circuit).at(0);
  const Signal* iout = dc.find("i(vout)");
  REQUIRE(iout != nullptr);
  REQUIRE(iout->values.size() == 2);
  // i(vout) flows into the source's n+ (out): minus the drain current.
  const double slope = (iout->values[1] - iout->values[0]) / 2e-12;
  const std::complex<double> low = value_at(ac, "i(vout)", 0);
  CHECK(low.real() == Approx(slope).epsilon(1e-4));
  CHECK(std::abs(low.imag()) < 1e-3 * std::abs(low));

  // The -3 dB frequency, interpolated in log f between grid points.
  double f3db = 0;
  for (std::size_t p = 1; p < ac.points() && f3db == 0; ++p) {
    const double a = std::abs(value_at(ac, "i(vout)", p - 1)) / std::abs(low);
    const double b = std::abs(value_at(ac, "i(vout)", p)) / std::abs(low);
    if (b <= std::sqrt(0.5)) {
      const double t = (a - std::sqrt(0.5)) / (a - b);
      f3db = ac.signals[0].values[p - 1] * std::pow(ac.signals[0].values[p] / ac.signals[0].values[p - 1], t);
    }
  }
  REQUIRE(f3db > 0);
  const double tau = 1 / (2 * std::numbers::pi * f3db);
  // The transient: a 1 % step of the input at t = 1 ns; time to 63.2 % of the output's change.
  auto tran_circuit = elaborate_text("mirror\nIin 0 in pwl(0 100p 1n 100p 1.001n 101p)\n" + devices +
                                     ".options reltol=1e-6\n" + fmt::format(".tran {} {} 0 {}\n", tau / 200, 8 * tau, tau / 200));
  const Plot tran = run_analyses(*tran_circuit).at(0);
  const Signal* time = tran.find("time");
  const Signal* out = tran.find("i(vout)");
  const double before = out->values.front(), after = out->values.back();
  double t63 = 0;
  for (std::size_t p = 1; p < out->values.size() && t63 == 0; ++p) {
    const double level = before + 0.632 * (after - before);
    if ((out->values[p] - level) * (out->values[p - 1] - level) <= 0 && time->values[p] > 1e-9) {
      const double t = (level - out->values[p - 1]) / (out->values[p] - out->values[p - 1]);
      t63 = time->values[p - 1] + t * (time->values[p] - time->values[p - 1]) - 1e-9;
    }
  }
  // One pole within a few percent: the gate-drain charge of M2 adds a small feed-forward zero.
  CHECK(t63 == Approx(tau).epsilon(0.03));
}

TEST_CASE("ac: one source's unit excitation and its AC value set by name", "[ac]") {
  auto circuit = elaborate_text("t\nV1 a 0 dc 1 ac 3\nR1 a b 1k\nI1 0 b dc 1u ac 2 45\nR2 b 0 1k\nC1 b 0 1n\n");
  System system(*circuit);
  std::vector<double> x;
  small_signal_operating_point(system, x, nullptr);
  SmallSignalModel model(system, x);
  const Index a = circuit->find_output("v(a)"), b = circuit->find_output("v(b)");
  const Index branch = circuit->find_output("i(v1)");
  // Every source with its AC value: V1's 3 V on its branch row, I1's 2 A at 45 degrees into b.
  const ComplexVector all = model.excitation({});
  CHECK(all[branch] == std::complex<double>(3.0));
  CHECK(std::abs(all[b] - std::polar(2.0, std::numbers::pi / 4)) < 1e-15);
  // Only I1, with 1 A whatever its AC value; V1 is quiet.
  const ComplexVector only = model.excitation({"i1"});
  CHECK(only[branch] == 0.0);
  CHECK(only[b] == 1.0);
  CHECK(only[a] == 0.0);
  CHECK_THROWS_WITH(model.excitation({"r1"}), Contains("'r1' is not an independent voltage or current source"));
  // `ac` and `acphase` by name, as an alter would set them.
  bool changed = false;
  for (auto& group : circuit->groups)
    changed = group->set_instance_param("i1", "ac", 5) && group->set_instance_param("i1", "acphase", -90) || changed;
  REQUIRE(changed);
  const ComplexVector altered = model.excitation({});
  CHECK(std::abs(altered[b] - std::complex<double>(0, -5)) < 1e-15);
  // At 0 Hz the unit current sees R2 parallel to R1 (V1 is a short in the small signal).
  model.factor(0);
  ComplexVector y = model.excitation({"i1"});
  model.solve(y);
  CHECK(y[b].real() == Approx(500).epsilon(1e-12));  // 1 A into 1k || 1k
}
