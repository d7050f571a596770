// Reads a CSV file as written by csv_writer (or a spreadsheet): a header row of signal names,
// the scale first, then numeric rows. Names are lower-cased. What the file does not say is
// guessed from the scale name: "time" -> analysis "tran"; "*-sweep" -> "dc"; "frequency" ->
// "ac"; anything else -> "op". Signal types follow the names: v(...) voltage, i(...) current.
// Columns after the scale that come in pairs `real(X),imag(X)` (csv_writer's complex plots) read
// back as one complex plot with signals X.
#pragma once
#include <filesystem>

#include "engine/plot.hpp"

namespace picospice {

// Throws std::runtime_error "<path>:<line>: error: ..." for a missing file, a row with the wrong
// number of fields, or a field that is not a number.
Plot read_csv(const std::filesystem::path& path);

}  // namespace picospice
