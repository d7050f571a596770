// Writes analysis results as CSV for spreadsheets and scripts: a header row of signal names
// (the scale first), then one row a point, numbers in the shortest form that reads back to the
// same double. CSV holds one table, so several plots go to several files:
//   plots[0] -> <path>            e.g. out.csv
//   plots[1] -> <stem>.2<ext>     e.g. out.2.csv
//   plots[2] -> <stem>.3<ext>     e.g. out.3.csv
// Each file is written atomically (via `<file>.tmp.<pid>`).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "engine/plot.hpp"

namespace picospice {

// The file plot number `index` (0-based) of a multi-plot CSV output goes to.
std::filesystem::path csv_path_for_plot(const std::filesystem::path& path, std::size_t index);

// Writes one file a plot; returns the files written, in plot order. Throws std::runtime_error if
// a file cannot be written or a plot's signals differ in length.
std::vector<std::filesystem::path> write_csv(const std::filesystem::path& path,
                                             const std::vector<Plot>& plots);

// Writes a single plot to exactly `path`.
// One CSV field, quoted per RFC 4180 when it holds a comma, quote or line break.
std::string csv_field(const std::string& text);

void write_csv_plot(const std::filesystem::path& path, const Plot& plot);

}  // namespace picospice
