// Reading numbers off a simulated Plot: a signal by name, its value between simulated points
// (linear interpolation, as the simulator's own waveforms are piecewise linear between time
// points), the first crossing of a level, and the time average. The test benches of the cell
// characterization, the noise experiment and `agree` all measure their results this way.
//
//   const SampledSignal out(plot, "i(vsense)", "characterize");
//   double up = out.first_crossing(0.5 * igain, Direction::rising, {0, turn});
//   double late = out.at_time(0.9 * frame);
//
// (.measure has its own evaluator, engine/analyses/measure.cpp: it follows ngspice's rules for
// touching a level, counting rises and falls and rounding, and evaluates a second signal at the
// position found on the first. engine/output/waveform_compare.cpp aligns a reference plot onto a
// test plot's scale with a slack for rounding at the ends, and lists every crossing for the event
// comparison: tolerances of a regression, not a measurement of one waveform.)
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "engine/plot.hpp"

namespace picospice {

// The values of signal `name` of `plot`. Throws std::runtime_error
// "<who>: the <analysis> plot has no signal <name>" when it was not saved.
const std::vector<double>& signal_values(const Plot& plot, const std::string& name, const std::string& who);

// A stretch [begin, end) of point indices; end is clamped to the data.
struct IndexRange {
  std::size_t begin = 0;
  std::size_t end = static_cast<std::size_t>(-1);
};

enum class Direction { rising, falling };

// The point on the line through (x0, y0) and (x1, y1) at x; y1 when x0 == x1.
inline double interpolate_linearly(double x0, double y0, double x1, double y1, double x) {
  if (x1 == x0) return y1;
  return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

// y at x0 where x is monotonic over `range` (either direction, e.g. one leg of an up-and-down DC
// sweep): interpolated on the first segment that holds x0; NaN when none does.
double interpolate_on_range(const std::vector<double>& x, const std::vector<double>& y, IndexRange range, double x0);

// y at t0 on a non-decreasing scale (a transient's time): interpolated between the points around
// t0; the first or last value outside the simulated span; NaN for no points.
double value_at_time(const std::vector<double>& t, const std::vector<double>& y, double t0);

// The x at which y first crosses `level` in `direction` over `range` (rising: from below to at
// or above; falling: from above to at or below), interpolated; NaN when it never does.
double first_crossing(const std::vector<double>& x, const std::vector<double>& y, double level, Direction direction,
                      IndexRange range = {});

// The time average of y over the whole scale (trapezoids on the simulator's own points); the
// first value when the scale spans no time.
double time_average(const std::vector<double>& t, const std::vector<double>& y);

// One signal of a plot against the plot's scale (signals[0]: time or the swept value).
class SampledSignal {
 public:
  // Throws as signal_values does; `plot` must outlive this object.
  SampledSignal(const Plot& plot, const std::string& name, const std::string& who);

  const std::vector<double>& scale() const { return *scale_; }
  const std::vector<double>& values() const { return *values_; }
  double at_time(double t) const { return value_at_time(*scale_, *values_, t); }
  double interpolate(double x, IndexRange range = {}) const { return interpolate_on_range(*scale_, *values_, range, x); }
  double first_crossing(double level, Direction direction, IndexRange range = {}) const {
    return picospice::first_crossing(*scale_, *values_, level, direction, range);
  }
  double average() const { return time_average(*scale_, *values_); }

 private:
  const std::vector<double>* scale_;
  const std::vector<double>* values_;
};

}  // namespace picospice
