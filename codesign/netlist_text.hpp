// The lowered netlist as text: what the lowering reads of the cell library, the netlist body with
// its transistor count, number formatting, and the current mirrors that copy one signal to its
// fan-out (codesign/lowering.cpp writes the rest).
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace picospice::network {

// What the lowering needs to know of the cell library: pins and transistors of each subcircuit.
struct CellLibrary {
  std::string path;
  std::map<std::string, int> pins, transistors;
  std::map<std::string, std::map<std::string, double>> models;  // .model name -> parameter -> value

  // Throws std::runtime_error unless the library defines `name` with `pin_count` pins.
  void require(const std::string& name, int pin_count) const;
};

// Counts the pins of every `.subckt` and the MOSFET lines of each, and reads the `.model` cards.
CellLibrary read_cell_library(const std::string& path);

// A number as the netlist writes it (6 significant digits), and a length in microns ("2.5u").
std::string si(double v);
std::string microns(double metres);
// A PWL source line, `prefix` then the (time, value) points, wrapped with `+` continuations.
std::string pwl_line(const std::string& prefix, const std::vector<std::pair<double, double>>& points);

// One destination of a signal's fan-out.
struct FanoutEdge {
  std::string destination;
  double weight = 0;  // quantized, non-zero
  double size = 1;    // W and L factor of this output: sqrt of the destination unit's area (or the shared one)
  int layer = -1, unit = -1;  // the BMRU unit whose summing node it feeds (-1: none)
};

// Gate area as the devices are written, per (layer, unit); unit -1 for shared devices.
struct GateAreaTally {
  std::map<std::pair<int, int>, double> area;
  void add(int layer, int unit, double m2) { area[{layer, unit}] += m2; }
};

// The netlist body being written, with the transistor count kept alongside.
class NetlistText {
 public:
  explicit NetlistText(const CellLibrary& library) : library_(library) {}
  void line(const std::string& s) { text_ += s + "\n"; }
  void comment(const std::string& s) { text_ += "* " + s + "\n"; }
  void blank() { text_ += "\n"; }
  void instance(const std::string& name, const std::vector<std::string>& nodes, const std::string& cell,
                const std::string& params = "") {
    std::string s = "x" + name;
    for (const auto& n : nodes) s += " " + n;
    s += " " + cell;
    if (!params.empty()) s += " " + params;
    line(s);
    transistors_ += library_.transistors.at(cell);
  }
  void add_transistors(int n) { transistors_ += n; }
  const std::string& text() const { return text_; }
  int transistors() const { return transistors_; }

 private:
  const CellLibrary& library_;
  std::string text_;
  int transistors_ = 0;
};

// Emits the mirrors that copy one signal (current into `input`) to `outputs` at the given ratios.
// NMOS outputs sink from their destinations, PMOS outputs source into them. Each output's W and L
// are multiplied by its edge's size (the device-area option: sqrt(area)); outputs of one size share
// library mirrors whose diode has that size too. Their gate area goes to `tally` (diodes to the
// fan-out's layer, outputs to the unit they feed).
void emit_mirror(NetlistText& out, GateAreaTally& tally, int layer, const std::string& label, const std::string& input,
                 std::vector<FanoutEdge> outputs, bool pmos, const std::string& supply);

}  // namespace picospice::network
