// One Monte Carlo sample as a plain netlist: the original text with each drawn instance's
// mismatch parameters (an EKV MOSFET's DVTO= and DKP=) replaced by that sample's totals (netlist
// value + draw), so `picospice run` (or `picospice export-ngspice`) reproduces the sample without
// any Monte Carlo machinery.
//
// How instances inside subcircuits get their own values: a subcircuit definition is shared by all
// its instances, but each instance drew different values. For every X instance with a drawn
// instance beneath it, a private copy of the definition is appended, named
// `<subckt>__mc_<instance path>` (dots become underscores), with that instance's values on its
// element lines; the X line is pointed at the copy. Hierarchical instance names therefore stay the
// same (x1.m1 is still x1.m1), and subcircuits without drawn instances are left alone.
//
// Edited lines are rebuilt from their tokens (comments on them are dropped, continuation lines
// folded into one). Limits, reported as errors: drawn element lines at the top level of an
// .include'd file cannot be edited (copy them into the netlist), and a subcircuit with drawn
// instances that defines nested .subckt blocks inside itself is not supported.
#pragma once
#include <string>
#include <vector>

#include "engine/monte_carlo/mismatch.hpp"

namespace picospice {

// Returns the new netlist text. `comment` (one line, without the leading '*') goes right after
// the title line. Throws NetlistError / std::runtime_error when an instance cannot be placed.
std::string write_sample_netlist(const std::string& netlist_path, const std::vector<MismatchDraw>& draws,
                                 const std::string& comment);

}  // namespace picospice
