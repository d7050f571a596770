// The result of one analysis: a table of signals against a scale (time, a swept value, or
// nothing for .op), in the shape of a SPICE raw-file plot.
#pragma once
#include <string>
#include <vector>

namespace picospice {

struct Signal {
  std::string name;   // "time", "v(out)", "i(v1)", "v-sweep", "temp-sweep"
  std::string type;   // raw-file variable type: "time", "voltage", "current", "temperature"
  std::vector<double> values;
};

struct Plot {
  std::string title;      // the netlist title
  std::string name;       // "Operating Point", "DC transfer characteristic", "Transient Analysis"
  std::string analysis;   // "op", "dc", "tran": what .measure lines refer to
  std::vector<Signal> signals;  // signals[0] is the scale (for .op a single-point "v(...)" list)
  std::vector<std::string> notes;  // extra header lines, e.g. "Option: noiseseed=1"
  // A nested .dc: the name of the outer sweep's signal; each change of its value starts a new
  // inner sweep, and .measure looks for crossings within each one. Empty otherwise.
  std::string segment_by;

  std::size_t points() const { return signals.empty() ? 0 : signals[0].values.size(); }
  const Signal* find(const std::string& name) const {
    for (const auto& s : signals) if (s.name == name) return &s;
    return nullptr;
  }
};

}  // namespace picospice
