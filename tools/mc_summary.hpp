// What `mc` and `mc-merge` print after a sweep: the statistics table, the yield against --spec
// limits, and the histogram PNGs of --plot.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/monte_carlo/sample_result.hpp"
#include "engine/monte_carlo/statistics.hpp"

namespace picospice::tools {

struct McSummaryOptions {
  std::vector<SpecLimit> specs;
  std::string plot_dir;  // empty: no plots
  std::string plot_title;  // the histograms' title (the netlist's file name)
  std::vector<std::string> units;  // per column, the histograms' axis unit ("A", "s"); empty: none
  bool quiet = false;    // no statistics table
};

// `what` names the sweep in the heading ("mirror.cir", "mirror.cir, shard 1/3").
void print_mc_summary(const std::string& what, std::uint64_t seed, const std::vector<std::string>& columns,
                      const std::vector<SampleResult>& results, const McSummaryOptions& options);

}  // namespace picospice::tools
