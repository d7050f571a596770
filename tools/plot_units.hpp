// Axis units for plots a person reads: picoamp currents in pA, not 3.5e-10 A; milliseconds, not
// 0.004 s. A quantity's values are scaled by one engineering prefix chosen from the largest
// magnitude, and the axis label says the unit: "current (pA)".
#pragma once
#include <string>
#include <vector>

namespace picospice::tools {

struct AxisUnit {
  double factor = 1.0;  // multiply values by this to plot them
  std::string unit;     // "pA", "mV", "ms"; empty for a plain number
  std::string quantity; // "current", "voltage", "time", or the signal's own name
  std::string label() const { return unit.empty() ? quantity : quantity + " (" + unit + ")"; }
};

// The SI unit of a raw or CSV signal type ("voltage" -> "V", "current" -> "A", "time" -> "s",
// "temperature" -> "C"), empty when it has none.
std::string si_unit_of_type(const std::string& type);

// The SI unit a name suggests: i(...) amperes, v(...) volts, time seconds; empty otherwise.
std::string si_unit_of_name(const std::string& name);

// The prefix (f p n u m, none, k M G) that puts `largest_magnitude` between 1 and 1000, applied to
// `si_unit` ("A" -> "pA"). With no unit the values are left as they are.
AxisUnit axis_unit(double largest_magnitude, const std::string& si_unit, const std::string& quantity);

// The largest finite magnitude in the values (0 when there is none).
double largest_magnitude(const std::vector<double>& values);

}  // namespace picospice::tools
