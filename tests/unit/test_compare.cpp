// The regression metric of engine/output/waveform_compare on synthetic data.
#include <catch2/catch.hpp>
#include <cmath>

#include "engine/output/waveform_compare.hpp"

using namespace picospice;

namespace {
Plot ramp_plot(const std::vector<double>& t, double offset) {
  Plot p;
  p.name = "Transient Analysis";
  p.analysis = "tran";
  p.signals.push_back({"time", "time", t});
  Signal v{"v(out)", "voltage", {}};
  for (double x : t) v.values.push_back(std::sin(x) + offset);
  p.signals.push_back(v);
  return p;
}
std::vector<double> grid(int n, double stop) {
  std::vector<double> t;
  for (int k = 0; k < n; ++k) t.push_back(stop * k / (n - 1));
  return t;
}
}  // namespace

TEST_CASE("identical waveforms compare to zero", "[compare]") {
  const Plot p = ramp_plot(grid(101, 10), 0);
  const auto r = compare_simulations({p}, {p}, CompareSettings{});
  REQUIRE(r.passed);
  CHECK(r.plots[0].signals[0].normalized_rms == 0.0);
}

TEST_CASE("a constant offset gives offset/abstol", "[compare]") {
  CompareSettings s;
  s.tolerance = {0.0, 1e-3};
  const auto r = compare_simulations({ramp_plot(grid(101, 10), 5e-4)}, {ramp_plot(grid(101, 10), 0)}, s);
  CHECK(r.plots[0].signals[0].normalized_rms == Approx(0.5).epsilon(1e-9));
  CHECK(r.passed);
  s.tolerance = {0.0, 1e-4};
  CHECK_FALSE(compare_simulations({ramp_plot(grid(101, 10), 5e-4)}, {ramp_plot(grid(101, 10), 0)}, s).passed);
}

TEST_CASE("reference is interpolated onto the test points", "[compare]") {
  CompareSettings s;
  s.tolerance = {1e-3, 1e-4};
  const auto r = compare_simulations({ramp_plot(grid(37, 10), 0)}, {ramp_plot(grid(2001, 10), 0)}, s);
  CHECK(r.passed);
  CHECK(r.plots[0].signals[0].points == 37);
}

TEST_CASE("level crossings and event comparison", "[compare]") {
  const auto t = grid(2001, 4 * M_PI);
  Plot test = ramp_plot(t, 0), ref = ramp_plot(t, 0);
  const auto crossings = level_crossings(t, test.signals[1].values, 0.5);
  REQUIRE(crossings.size() == 4);  // sin = 0.5 at pi/6, 5pi/6 and again one period later
  CHECK(crossings[0] == Approx(M_PI / 6).epsilon(1e-4));
  CHECK(crossings[1] == Approx(5 * M_PI / 6).epsilon(1e-4));
  for (double& v : ref.signals[1].values) v += 0.0;
  for (std::size_t k = 0; k < t.size(); ++k) ref.signals[1].values[k] = std::sin(t[k] - 0.01);  // delayed 0.01
  CompareSettings s;
  s.events = {{"v(out)", 0.5, 0.02}};
  s.events_only = true;
  auto r = compare_simulations({test}, {ref}, s);
  REQUIRE(r.plots[0].events.size() == 1);
  CHECK(r.plots[0].events[0].max_difference == Approx(0.01).epsilon(1e-2));
  CHECK(r.passed);
  s.events[0].tolerance = 0.005;
  CHECK_FALSE(compare_simulations({test}, {ref}, s).passed);
}

TEST_CASE("up-and-down sweeps compare by index on the same grid", "[compare]") {
  std::vector<double> up_down = {0, 1, 2, 3, 2, 1, 0};
  Plot p;
  p.analysis = "dc";
  p.signals = {{"v-sweep", "voltage", up_down}, {"v(out)", "voltage", {0, 1, 2, 3, 2.5, 1.5, 0.5}}};
  const auto r = compare_simulations({p}, {p}, CompareSettings{});
  CHECK(r.passed);
  CHECK(r.plots[0].signals[0].points == 7);
}

TEST_CASE("an up-and-down sweep compares against two reference sweeps in either order", "[compare]") {
  // picospice writes `.dc ... updown` as one plot; ngspice runs the same as two .dc plots, and
  // ngspice 39 writes the later .dc first.
  Plot loop;
  loop.analysis = "dc";
  loop.signals = {{"i-sweep", "current", {0, 1, 2, 3, 2, 1, 0}}, {"v(out)", "voltage", {0, 0, 0, 1, 1, 1, 0}}};
  Plot up, down;
  up.analysis = down.analysis = "dc";
  up.signals = {{"i-sweep", "current", {0, 1, 2, 3}}, {"v(out)", "voltage", {0, 0, 0, 1}}};
  down.signals = {{"i-sweep", "current", {3, 2, 1, 0}}, {"v(out)", "voltage", {1, 1, 1, 0}}};
  auto r = compare_simulations({loop}, {down, up}, CompareSettings{});
  CHECK(r.passed);
  REQUIRE(r.plots.size() == 2);
  // A reference whose down sweep switched elsewhere must fail.
  down.signals[1].values = {1, 0, 0, 0};
  CHECK_FALSE(compare_simulations({loop}, {down, up}, CompareSettings{}).passed);
}

TEST_CASE("a signal list spanning plots compares each plot's own signals (.noise)", "[compare][noise_analysis]") {
  Plot density;
  density.name = "Noise Spectral Density Curves";
  density.analysis = "noise";
  density.signals.push_back({"frequency", "frequency", {1, 10, 100}});
  density.signals.push_back({"onoise_spectrum", "voltage-density", {3e-9, 2e-9, 1e-9}});
  Plot integrated;
  integrated.name = "Integrated Noise";
  integrated.analysis = "noise";
  integrated.signals.push_back({"v(onoise_total)", "voltage", {1e-6}});
  CompareSettings s;
  s.tolerance = {1e-6, 0.0};
  s.signals = {"onoise_spectrum", "v(onoise_total)"};
  const auto same = compare_simulations({density, integrated}, {density, integrated}, s);
  CHECK(same.passed);
  REQUIRE(same.plots.size() == 2);
  CHECK(same.plots[0].signals.size() == 1);
  CHECK(same.plots[1].signals.size() == 1);
  Plot off = integrated;
  off.signals[0].values[0] = 1.1e-6;
  CHECK_FALSE(compare_simulations({density, off}, {density, integrated}, s).passed);
  // A name in no plot at all still fails.
  s.signals.push_back("v(onoise_nosuch)");
  const auto missing = compare_simulations({density, integrated}, {density, integrated}, s);
  CHECK_FALSE(missing.passed);
  REQUIRE_FALSE(missing.notes.empty());
  CHECK(missing.notes[0].find("v(onoise_nosuch)") != std::string::npos);
}
