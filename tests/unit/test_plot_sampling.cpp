// The plot sampler (engine/plot_sampling.hpp) on waveforms whose answers are known exactly.
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>

#include "engine/plot_sampling.hpp"

using namespace picospice;

namespace {

// A transient of y = 2 t + 1 on uneven time points, and a triangle that rises to 4 and falls back.
Plot transient_plot() {
  Plot p;
  p.analysis = "tran";
  p.signals.push_back({"time", "time", {0.0, 0.5, 2.0, 3.0, 6.0}});
  p.signals.push_back({"v(line)", "voltage", {1.0, 2.0, 5.0, 7.0, 13.0}});
  p.signals.push_back({"v(tri)", "voltage", {0.0, 1.0, 4.0, 2.0, -4.0}});
  return p;
}

// An up-and-down DC sweep of x over 0..4..0 with a hysteretic output: low (0) on the way up until
// x = 3, high (1) on the way down until x = 1.
Plot hysteresis_plot() {
  Plot p;
  p.analysis = "dc";
  p.signals.push_back({"i-sweep", "current", {0, 1, 2, 3, 4, 3, 2, 1, 0}});
  p.signals.push_back({"i(out)", "current", {0, 0, 0, 1, 1, 1, 1, 0, 0}});
  return p;
}

}  // namespace

TEST_CASE("sampler: value at a time between and beyond the simulated points", "[sampling]") {
  const Plot p = transient_plot();
  const SampledSignal line(p, "v(line)", "test");
  CHECK(line.at_time(0.25) == Approx(1.5));
  CHECK(line.at_time(2.5) == Approx(6.0));
  CHECK(line.at_time(2.0) == 5.0);     // on a point: that point's value exactly
  CHECK(line.at_time(-1.0) == 1.0);    // before the first point: the first value
  CHECK(line.at_time(100.0) == 13.0);  // after the last: the last
  CHECK(std::isnan(value_at_time({}, {}, 1.0)));
}

TEST_CASE("sampler: interpolation on one leg of a sweep, NaN off it", "[sampling]") {
  const Plot p = hysteresis_plot();
  const SampledSignal out(p, "i(out)", "test");
  const IndexRange up{0, 5}, down{4, 9};
  CHECK(out.interpolate(2.5, up) == Approx(0.5));
  CHECK(out.interpolate(2.5, down) == 1.0);
  CHECK(out.interpolate(1.5, down) == Approx(0.5));
  CHECK(std::isnan(out.interpolate(5.0, up)));
  CHECK(std::isnan(interpolate_on_range({0, 1}, {0, 1}, {}, -0.5)));
  // At a vertical step (two points at one x) the first segment that holds x decides; a segment of
  // zero width gives its later point.
  CHECK(interpolate_on_range({0, 1, 1, 2}, {0, 0, 5, 5}, {}, 1.0) == 0.0);
  CHECK(interpolate_linearly(1.0, 0.0, 1.0, 5.0, 1.0) == 5.0);
}

TEST_CASE("sampler: the first crossing of a level, by direction and range", "[sampling]") {
  const Plot p = transient_plot();
  const SampledSignal tri(p, "v(tri)", "test");
  CHECK(tri.first_crossing(2.5, Direction::rising) == Approx(1.25));  // on 0.5..2: 1 -> 4
  CHECK(tri.first_crossing(2.5, Direction::falling) == Approx(2.75));  // on 2..3: 4 -> 2
  CHECK(tri.first_crossing(0.0, Direction::falling) == Approx(4.0));   // on 3..6: 2 -> -4
  CHECK(std::isnan(tri.first_crossing(5.0, Direction::rising)));       // never reaches 5
  CHECK(std::isnan(tri.first_crossing(2.5, Direction::rising, {2, 5})));  // not rising after t = 2
  // A point exactly on the level counts as reached (rising: from below to at or above).
  CHECK(tri.first_crossing(1.0, Direction::rising) == 0.5);

  const Plot h = hysteresis_plot();
  const SampledSignal out(h, "i(out)", "test");
  CHECK(out.first_crossing(0.5, Direction::rising, {0, 5}) == Approx(2.5));
  CHECK(out.first_crossing(0.5, Direction::falling, {4, 9}) == Approx(1.5));
}

TEST_CASE("sampler: the time average by trapezoids", "[sampling]") {
  const Plot p = transient_plot();
  // The mean of 2 t + 1 over [0, 6] is 7; the trapezoids are exact on a line.
  CHECK(SampledSignal(p, "v(line)", "test").average() == Approx(7.0));
  CHECK(time_average({2.0}, {3.0}) == 3.0);  // no span: the one value
}

TEST_CASE("sampler: a missing signal names the caller, the plot and the signal", "[sampling]") {
  const Plot p = transient_plot();
  CHECK(signal_values(p, "v(line)", "test").size() == 5);
  CHECK_THROWS_WITH(SampledSignal(p, "v(nowhere)", "characterize"),
                    Catch::Contains("characterize") && Catch::Contains("tran") && Catch::Contains("v(nowhere)"));
}
