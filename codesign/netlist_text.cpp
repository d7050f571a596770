// The lowered netlist as text (see netlist_text.hpp).
#include "codesign/netlist_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "codesign/unit_devices.hpp"

namespace picospice::network {
namespace {

constexpr double kNmosUnitWidth = kUnitDevices.nmos_width;
constexpr double kPmosUnitWidth = kUnitDevices.pmos_width;
constexpr double kMirrorLength = kUnitDevices.length;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A number with an optional SPICE scale suffix (300u, 8.5m, 1meg); NaN when malformed.
double parse_si(const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nan("");
  }
  const std::string suffix = lower(text.substr(used));
  if (suffix.rfind("meg", 0) == 0) return v * 1e6;
  static const std::map<char, double> scale{{'f', 1e-15}, {'p', 1e-12}, {'n', 1e-9}, {'u', 1e-6},
                                            {'m', 1e-3},  {'k', 1e3},   {'g', 1e9},  {'t', 1e12}};
  if (suffix.empty()) return v;
  const auto it = scale.find(suffix[0]);
  return it == scale.end() ? v : v * it->second;
}

// Splits n mirror outputs into library mirrors of 4, 2 and 1 outputs.
std::vector<int> mirror_groups(std::size_t n) {
  std::vector<int> groups;
  while (n >= 4) { groups.push_back(4); n -= 4; }
  if (n >= 2) { groups.push_back(2); n -= 2; }
  if (n == 1) groups.push_back(1);
  return groups;
}

}  // namespace

void CellLibrary::require(const std::string& name, int pin_count) const {
  const auto it = pins.find(name);
  if (it == pins.end())
    throw std::runtime_error(fmt::format("{}: the lowering needs subcircuit `{}` ({} pins), which the cell library "
                                         "does not define", path, name, pin_count));
  if (it->second != pin_count)
    throw std::runtime_error(fmt::format("{}: subcircuit `{}` has {} pins, the lowering expects {}", path, name,
                                         it->second, pin_count));
}

// Counts the pins of every `.subckt` (the words before `params:` or the first `name=value`) and
// the MOSFET lines (M...) up to its `.ends`. Nested subcircuit calls are not expanded: the
// library's cells are flat.
CellLibrary read_cell_library(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the cell library");
  CellLibrary lib;
  lib.path = path;
  std::string line, current;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    if (!(words >> first)) continue;
    first = lower(first);
    if (first == ".subckt") {
      words >> current;
      current = lower(current);
      int pins = 0;
      std::string w;
      while (words >> w && lower(w) != "params:" && w.find('=') == std::string::npos) ++pins;
      lib.pins[current] = pins;
      lib.transistors[current] = 0;
    } else if (first == ".model") {
      std::string name, type, w;
      words >> name >> type;
      auto& card = lib.models[lower(name)];
      while (words >> w) {
        const auto eq = w.find('=');
        if (eq != std::string::npos) card[lower(w.substr(0, eq))] = parse_si(w.substr(eq + 1));
      }
    } else if (first == ".ends") {
      current.clear();
    } else if (!current.empty() && first[0] == 'm') {
      ++lib.transistors[current];
    }
  }
  return lib;
}


std::string si(double v) { return fmt::format("{:.6g}", v); }

std::string pwl_line(const std::string& prefix, const std::vector<std::pair<double, double>>& points) {
  std::string line = prefix + " PWL(", text;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string pair = si(points[i].first) + " " + si(points[i].second) + (i + 1 < points.size() ? " " : ")");
    if (line.size() + pair.size() > 100) {
      text += line + "\n";
      line = "+ ";
    }
    line += pair;
  }
  return text + line;
}
std::string microns(double metres) { return fmt::format("{:.6g}u", metres * 1e6); }

// emit_mirror: see netlist_text.hpp.
void emit_mirror(NetlistText& out, GateAreaTally& tally, int layer, const std::string& label, const std::string& input,
                 std::vector<FanoutEdge> outputs, bool pmos, const std::string& supply) {
  const double unit = pmos ? kPmosUnitWidth : kNmosUnitWidth;
  std::stable_sort(outputs.begin(), outputs.end(), [](const FanoutEdge& a, const FanoutEdge& b) { return a.size < b.size; });
  std::vector<std::pair<int, double>> groups;  // (outputs, size)
  for (std::size_t i = 0; i < outputs.size();) {
    std::size_t j = i;
    while (j < outputs.size() && outputs[j].size == outputs[i].size) ++j;
    for (int n : mirror_groups(j - i)) groups.emplace_back(n, outputs[i].size);
    i = j;
  }
  // The groups' diodes are in parallel on the input, so every output copies the input against
  // their summed W/L: that sum is the unit's, so every output keeps ratio |w|, and its relative
  // error is sqrt(sum_g r_g sigma_g^2) for shares r_g of it, a share's diode (W/L r_g unit/L at
  // the group's length, gate area r_g size_g^2 units) spreading as 1/(size_g sqrt(r_g)). The share
  // r_g = size_g^2 / sum size^2 makes that 1/sqrt(mean size^2): with outputs of one size, 1/k
  // each, the single diode's matching; with mixed sizes (`--area auto`) the large groups' diodes
  // carry the current, so the small groups' do not spoil the copies of every output, as equal
  // shares did (their error is dominated by the smallest group's diode).
  double sum_size2 = 0;
  for (const auto& group : groups) sum_size2 += group.second * group.second;
  std::size_t next = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto [n, size] = groups[g];
    const double share = size * size / sum_size2;
    const double diode = unit * size * share, length = kMirrorLength * size;
    const std::string cell = std::string(pmos ? "pmirror" : "nmirror") + (n == 1 ? "" : std::to_string(n));
    std::vector<std::string> nodes{input};
    std::string params = "wi=" + microns(diode);
    tally.add(layer, -1, diode * length);
    for (int k = 0; k < n; ++k, ++next) {
      const FanoutEdge& e = outputs[next];
      nodes.push_back(e.destination);
      params += fmt::format(" wo{}={}", n == 1 ? "" : std::to_string(k + 1), microns(std::abs(e.weight) * unit * size));
      tally.add(e.unit >= 0 ? e.layer : layer, e.unit, std::abs(e.weight) * unit * size * length);
    }
    if (size != 1) params += " l=" + microns(length);
    nodes.push_back(pmos ? supply : "0");
    out.instance(fmt::format("{}_{}{}", pmos ? "pm" : "nm", label, groups.size() > 1 ? "_" + std::to_string(g) : ""),
                 nodes, cell, params);
  }
}
}  // namespace picospice::network
