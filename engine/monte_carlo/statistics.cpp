#include "engine/monte_carlo/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/numbers.hpp"

namespace picospice {

SpecLimit parse_spec_limit(const std::string& text) {
  const auto first = text.find(':');
  const auto second = first == std::string::npos ? first : text.find(':', first + 1);
  if (first == 0 || second == std::string::npos || text.find(':', second + 1) != std::string::npos)
    throw std::invalid_argument("--spec " + text + ": expected NAME:LO:HI (LO or HI may be empty)");
  SpecLimit spec;
  spec.name = text.substr(0, first);
  std::transform(spec.name.begin(), spec.name.end(), spec.name.begin(), [](unsigned char c) { return std::tolower(c); });
  const std::string low = text.substr(first + 1, second - first - 1), high = text.substr(second + 1);
  if (!low.empty() && !try_parse_number(low, spec.low))
    throw std::invalid_argument("--spec " + text + ": LO '" + low + "' is not a number");
  if (!high.empty() && !try_parse_number(high, spec.high))
    throw std::invalid_argument("--spec " + text + ": HI '" + high + "' is not a number");
  if (spec.low > spec.high) throw std::invalid_argument("--spec " + text + ": LO is above HI");
  return spec;
}

double percentile_of_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const double position = p * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

std::vector<MeasureStatistics> summarize(const std::vector<std::string>& columns,
                                         const std::vector<SampleResult>& results) {
  std::vector<MeasureStatistics> out;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    MeasureStatistics s;
    s.name = columns[c];
    std::vector<double> values;
    for (const auto& r : results)
      if (c < r.values.size() && r.values[c]) values.push_back(*r.values[c]);
    s.count = values.size();
    s.failures = results.size() - values.size();
    if (values.empty()) {
      s.mean = s.sigma = s.min = s.p1 = s.p50 = s.p99 = s.max = std::nan("");
    } else {
      // Two passes (mean, then squared deviations) for accuracy with tiny picoamp values.
      double sum = 0;
      for (double v : values) sum += v;
      s.mean = sum / values.size();
      double squares = 0;
      for (double v : values) squares += (v - s.mean) * (v - s.mean);
      s.sigma = values.size() > 1 ? std::sqrt(squares / (values.size() - 1)) : 0.0;
      std::sort(values.begin(), values.end());
      s.min = values.front();
      s.max = values.back();
      s.p1 = percentile_of_sorted(values, 0.01);
      s.p50 = percentile_of_sorted(values, 0.50);
      s.p99 = percentile_of_sorted(values, 0.99);
    }
    out.push_back(std::move(s));
  }
  return out;
}

YieldFigure compute_yield(const std::vector<std::string>& columns, const std::vector<SampleResult>& results,
                          const std::vector<SpecLimit>& specs) {
  std::vector<std::size_t> column_of;
  for (const auto& spec : specs) {
    const auto it = std::find(columns.begin(), columns.end(), spec.name);
    if (it == columns.end()) {
      std::string known;
      for (const auto& c : columns) known += (known.empty() ? "" : ", ") + c;
      throw std::invalid_argument("--spec " + spec.name + ": no such measure (measures: " + known + ")");
    }
    column_of.push_back(static_cast<std::size_t>(it - columns.begin()));
  }
  YieldFigure figure;
  figure.total = results.size();
  for (const auto& r : results) {
    bool pass = true;
    for (std::size_t k = 0; k < specs.size() && pass; ++k) {
      const auto& v = r.values[column_of[k]];
      pass = v && *v >= specs[k].low && *v <= specs[k].high;
    }
    if (pass) ++figure.passed;
  }
  return figure;
}

std::string format_statistics_table(const std::vector<MeasureStatistics>& statistics) {
  std::string text = fmt::format("{:<16} {:>6} {:>6} {:>12} {:>11} {:>12} {:>12} {:>12} {:>12} {:>12}\n", "measure",
                                 "count", "fail", "mean", "sigma", "min", "p1", "p50", "p99", "max");
  for (const auto& s : statistics)
    text += fmt::format("{:<16} {:>6} {:>6} {:>12.5g} {:>11.4g} {:>12.5g} {:>12.5g} {:>12.5g} {:>12.5g} {:>12.5g}\n",
                        s.name, s.count, s.failures, s.mean, s.sigma, s.min, s.p1, s.p50, s.p99, s.max);
  return text;
}

}  // namespace picospice
