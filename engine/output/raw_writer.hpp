// Writes analysis results as a SPICE raw file, the format ngspice's `load` command, its `-r`
// option and most waveform viewers share. One file holds one plot per analysis, concatenated:
//
//   Title: <netlist title>
//   Date: <local time>
//   Plotname: <plot.name>
//   Flags: real
//   No. Variables: <n>
//   No. Points: <m>
//   <each plot.notes line, verbatim, e.g. "Option: noiseseed=1"; note that ngspice's `load`
//    runs a "Command: <text>" line as an ngspice command>
//   Variables:
//   \t<i>\t<name>\t<type>        (one a signal, the scale first)
//   Binary:                      (then m rows of n little-endian doubles, point-major)
//   -- or --
//   Values:                      (then per point "<i>\t<v0>\n\t<v1>\n...", full precision)
#pragma once
#include <filesystem>
#include <vector>

#include "engine/plot.hpp"

namespace picospice {

enum class RawFormat { Binary, Ascii };

// Writes all plots to `path` atomically (via `<path>.tmp.<pid>`). Throws std::runtime_error if
// the file cannot be written or a plot's signals differ in length.
void write_raw(const std::filesystem::path& path, const std::vector<Plot>& plots,
               RawFormat format = RawFormat::Binary);

}  // namespace picospice
