// The result of one analysis: a table of signals against a scale (time, a swept value, a
// frequency, or nothing for .op), in the shape of a SPICE raw-file plot. A complex plot (.ac)
// holds a real and an imaginary part per value; its scale (frequency) is real, with imaginary
// parts 0.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace picospice {

struct Signal {
  Signal() = default;
  // Brace lists name a real signal as {name, type, values}; the complex part and the attributes
  // are optional (a constructor, so that short lists do not leave members to -Wextra).
  Signal(std::string name_, std::string type_, std::vector<double> values_ = {}, std::vector<double> imag_ = {},
         std::string attributes_ = {})
      : name(std::move(name_)), type(std::move(type_)), values(std::move(values_)), imag(std::move(imag_)),
        attributes(std::move(attributes_)) {}

  std::string name;   // "time", "v(out)", "i(v1)", "v-sweep", "temp-sweep"
  std::string type;   // raw-file variable type: "time", "voltage", "current", "temperature", "frequency"
  std::vector<double> values;  // the values; in a complex plot their real parts
  std::vector<double> imag;    // a complex plot's imaginary parts (as many as values); empty otherwise
  // Further fields of the raw-file variable line after the type, e.g. "grid=3" (a logarithmic
  // frequency scale, as ngspice writes it for .ac dec|oct).
  std::string attributes;
};

struct Plot {
  std::string title;      // the netlist title
  std::string name;       // "Operating Point", "DC transfer characteristic", "Transient Analysis"
  std::string analysis;   // "op", "dc", "tran", "ac", "noise", "tf": what .measure lines refer to
  bool complex = false;   // values are complex (Signal::imag holds the imaginary parts)
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
