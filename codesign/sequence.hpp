// An input sequence for a network: one row per frame, one column per input, in model units
// (multiply by the network's unit_current for amperes). Read from CSV: comma-separated numbers,
// an optional first row of column names, blank lines and `#` comment lines ignored.
#pragma once
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "codesign/network.hpp"

namespace picospice::network {

struct InputSequence {
  std::vector<std::string> names;  // from the header row, empty without one
  std::vector<Vector> frames;      // frames[t][k] >= 0
};

// Throws NetworkError "<path>:<line>: ..." for a row with the wrong number of columns, a field
// that is not a finite number, or a negative input (inputs are currents: first quadrant only).
// `columns` is the network's input width.
InputSequence read_sequence_csv(const std::filesystem::path& path, std::size_t columns);

}  // namespace picospice::network
