// `picospice mc --plot DIR`: one histogram PNG per measure, drawn by gnuplot.
#pragma once
#include <string>
#include <vector>

#include "engine/circuit.hpp"
#include "engine/monte_carlo/sample_result.hpp"
#include "engine/monte_carlo/statistics.hpp"

namespace picospice::tools {


// Writes DIR/<measure>.png for each column with at least one value; returns the files written.
// Bins: the Freedman-Diaconis width (2 IQR / n^(1/3)), at least 5 and at most 100 bins. The count
// axis starts at 0 (a bin of 4 samples stays visible), values are in engineering units when the
// column's SI unit is known (units[c], "A", "V", "s"; "" or a missing entry: none), and each
// --spec limit on a column is drawn as a red line with its value. Throws std::runtime_error when
// gnuplot fails.
std::vector<std::string> plot_histograms(const std::string& directory, const std::vector<std::string>& columns,
                                         const std::vector<SampleResult>& results, const std::string& title,
                                         const std::vector<std::string>& units = {},
                                         const std::vector<SpecLimit>& specs = {});

// The SI unit of a .measure result as far as its form tells: the time of a TRIG/TARG or WHEN in a
// transient, the unit of the signal a FIND, AVG, MAX, MIN, PP or RMS reads; "" otherwise.
std::string measure_unit(const MeasureSpec& measure);

}  // namespace picospice::tools
