#include "tools/mc_summary.hpp"

#include <fmt/format.h>

#include "tools/gnuplot.hpp"
#include "tools/mc_histogram_plot.hpp"

namespace picospice::tools {

void print_mc_summary(const std::string& what, std::uint64_t seed, const std::vector<std::string>& columns,
                      const std::vector<SampleResult>& results, const McSummaryOptions& options) {
  std::size_t failed = 0;
  for (const auto& r : results) failed += r.ok() ? 0 : 1;
  if (!options.quiet) {
    fmt::print("Monte Carlo: {} samples of {} (seed {}), {} failed\n", results.size(), what, seed, failed);
    fmt::print("{}", format_statistics_table(summarize(columns, results)));
  }
  if (!options.specs.empty()) {
    const YieldFigure y = compute_yield(columns, results, options.specs);
    std::string limits;
    for (const auto& s : options.specs)
      limits += fmt::format("{}{} in [{:.6g}, {:.6g}]", limits.empty() ? "" : ", ", s.name, s.low, s.high);
    fmt::print("yield: {:.2f}% ({} of {} samples with {})\n", 100.0 * y.fraction(), y.passed, y.total, limits);
  }
  if (!options.plot_dir.empty()) {
    if (!find_gnuplot()) {
      fmt::print(stderr, "picospice: --plot skipped: gnuplot is not installed (apt-get install gnuplot-nox)\n");
    } else {
      for (const auto& f : plot_histograms(options.plot_dir, columns, results, options.plot_title, options.units,
                                           options.specs))
        fmt::print(stderr, "picospice: wrote {}\n", f);
    }
  }
}

}  // namespace picospice::tools
