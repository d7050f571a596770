// Sampling a Plot's signals (see plot_sampling.hpp).
#include "engine/plot_sampling.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace picospice {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t end_of(IndexRange range, const std::vector<double>& x, const std::vector<double>& y) {
  return std::min({range.end, x.size(), y.size()});
}

}  // namespace

const std::vector<double>& signal_values(const Plot& plot, const std::string& name, const std::string& who) {
  const Signal* s = plot.find(name);
  if (!s)
    throw std::runtime_error(who + ": the " + (plot.analysis.empty() ? plot.name : plot.analysis) +
                             " plot has no signal " + name + " (the simulation did not save it)");
  return s->values;
}

double interpolate_on_range(const std::vector<double>& x, const std::vector<double>& y, IndexRange range, double x0) {
  const std::size_t end = end_of(range, x, y);
  for (std::size_t k = range.begin + 1; k < end; ++k) {
    const double a = x[k - 1], b = x[k];
    if ((a <= x0 && x0 <= b) || (b <= x0 && x0 <= a)) return interpolate_linearly(a, y[k - 1], b, y[k], x0);
  }
  return kNaN;
}

double value_at_time(const std::vector<double>& t, const std::vector<double>& y, double t0) {
  if (t.empty() || y.size() < t.size()) return kNaN;
  if (t0 <= t.front()) return y.front();
  if (t0 >= t.back()) return y[t.size() - 1];
  // t.front() < t0 < t.back(), so 1 <= k < size: the segment [t[k-1], t[k]) holds t0.
  const std::size_t k = static_cast<std::size_t>(std::upper_bound(t.begin(), t.end(), t0) - t.begin());
  return interpolate_linearly(t[k - 1], y[k - 1], t[k], y[k], t0);
}

double first_crossing(const std::vector<double>& x, const std::vector<double>& y, double level, Direction direction,
                      IndexRange range) {
  const std::size_t end = end_of(range, x, y);
  const bool rising = direction == Direction::rising;
  for (std::size_t k = range.begin + 1; k < end; ++k) {
    const bool crosses = rising ? (y[k - 1] < level && y[k] >= level) : (y[k - 1] > level && y[k] <= level);
    // The line through the two points, solved for x (y[k] != y[k - 1] here).
    if (crosses) return interpolate_linearly(y[k - 1], x[k - 1], y[k], x[k], level);
  }
  return kNaN;
}

double time_average(const std::vector<double>& t, const std::vector<double>& y) {
  if (t.empty() || y.size() < t.size()) return kNaN;
  double area = 0;
  for (std::size_t i = 1; i < t.size(); ++i) area += 0.5 * (y[i] + y[i - 1]) * (t[i] - t[i - 1]);
  const double span = t.back() - t.front();
  return span > 0 ? area / span : y.front();
}

SampledSignal::SampledSignal(const Plot& plot, const std::string& name, const std::string& who)
    : values_(&signal_values(plot, name, who)) {
  if (plot.signals.empty()) throw std::runtime_error(who + ": the plot has no scale");
  scale_ = &plot.signals[0].values;
}

}  // namespace picospice
