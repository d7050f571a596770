// `picospice mc --plot DIR`: one histogram PNG per measure, drawn by gnuplot.
#pragma once
#include <string>
#include <vector>

#include "engine/monte_carlo/sample_result.hpp"

namespace picospice::tools {


// Writes DIR/<measure>.png for each column with at least one value; returns the files written.
// Bins: the Freedman-Diaconis width (2 IQR / n^(1/3)), at least 5 and at most 100 bins. Throws
// std::runtime_error when gnuplot fails.
std::vector<std::string> plot_histograms(const std::string& directory, const std::vector<std::string>& columns,
                                         const std::vector<SampleResult>& results, const std::string& title);

}  // namespace picospice::tools
