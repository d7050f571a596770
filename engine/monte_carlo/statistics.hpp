// Summary statistics of a Monte Carlo sweep, and yield against specification limits.
//
// Per measure: count (samples with a value), failures (samples without one), mean, sigma (the
// sample standard deviation, n-1), min, p1, p50, p99, max. Percentiles interpolate linearly between
// order statistics (Hyndman & Fan 1996, definition 7, the default of R and NumPy).
// Yield: the fraction of all samples whose every spec'd measure exists and lies in [lo, hi];
// a failed sample counts as out of spec.
#pragma once
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "engine/monte_carlo/sample_result.hpp"

namespace picospice {

struct MeasureStatistics {
  std::string name;
  std::size_t count = 0, failures = 0;
  double mean = 0, sigma = 0, min = 0, p1 = 0, p50 = 0, p99 = 0, max = 0;  // NaN when count is 0
};

// `NAME:LO:HI`; an empty LO or HI is unbounded on that side ("iout::1n").
struct SpecLimit {
  std::string name;
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
};
// Throws std::invalid_argument with the expected form for malformed text. Numbers take
// engineering suffixes.
SpecLimit parse_spec_limit(const std::string& text);

struct YieldFigure {
  std::size_t passed = 0, total = 0;
  double fraction() const { return total ? static_cast<double>(passed) / total : 0.0; }
};

// The value at fraction p in [0, 1] of sorted values (definition 7).
double percentile_of_sorted(const std::vector<double>& sorted, double p);

std::vector<MeasureStatistics> summarize(const std::vector<std::string>& columns,
                                         const std::vector<SampleResult>& results);
// Throws std::invalid_argument when a spec names no column.
YieldFigure compute_yield(const std::vector<std::string>& columns, const std::vector<SampleResult>& results,
                          const std::vector<SpecLimit>& specs);

// The summary as an aligned text table (one line per measure), for the terminal.
std::string format_statistics_table(const std::vector<MeasureStatistics>& statistics);

}  // namespace picospice
