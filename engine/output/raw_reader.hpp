// Reads SPICE raw files, binary or ASCII, as written by picospice's raw_writer or by ngspice
// (`ngspice -b -r file.raw`, `write` in a control script). Real and complex plots (`Flags:
// complex`, .ac: two doubles a value, or "re,im" in ASCII) are read; a complex plot's scale
// (frequency) keeps its real part only, since ngspice leaves the imaginary part of the frequency
// uninitialised in binary files.
//
// Variable names are brought to picospice's spelling so results compare by name:
//   everything lower case;       "out" (bare node, type voltage) -> "v(out)";
//   "v1#branch" -> "i(v1)";      "v(v-sweep)" (ngspice's DC scale) -> "v-sweep".
// Plot.analysis is guessed from the plot name ("Transient Analysis" -> "tran",
// "DC transfer characteristic" -> "dc", "Operating Point" -> "op", "AC Analysis" -> "ac",
// "Noise Spectral Density Curves" and "Integrated Noise" -> "noise", "Transfer Function" -> "tf")
// or, failing that, from the scale ("time" -> "tran", "*-sweep" -> "dc", "frequency" -> "ac"). "Command:"/"Option:" header lines go to notes.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "engine/plot.hpp"

namespace picospice {

// Throws std::runtime_error "<path>:<line>: error: ..." for a malformed or truncated file.
std::vector<Plot> read_raw(const std::filesystem::path& path);

// The picospice spelling of a raw-file variable (see above); `is_scale` keeps a first variable
// such as "time" or "v-sweep" bare.
std::string normalise_raw_variable_name(const std::string& name, const std::string& type,
                                        bool is_scale);

}  // namespace picospice
