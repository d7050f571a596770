#include "tools/plot_units.hpp"

#include <algorithm>
#include <cmath>

namespace picospice::tools {

std::string si_unit_of_type(const std::string& type) {
  if (type == "voltage") return "V";
  if (type == "current") return "A";
  if (type == "time") return "s";
  if (type == "temperature") return "C";
  if (type == "frequency") return "Hz";
  return "";
}

std::string si_unit_of_name(const std::string& name) {
  if (name.rfind("i(", 0) == 0 || name == "i-sweep") return "A";
  if (name.rfind("v(", 0) == 0 || name == "v-sweep") return "V";
  if (name == "time") return "s";
  return "";
}

AxisUnit axis_unit(double largest, const std::string& si_unit, const std::string& quantity) {
  AxisUnit axis;
  axis.quantity = quantity;
  axis.unit = si_unit;
  // Temperatures and unitless numbers keep their scale: "mC" or "k" would only confuse.
  if (si_unit.empty() || si_unit == "C" || !(largest > 0) || !std::isfinite(largest)) return axis;
  static const struct {
    double scale;
    const char* prefix;
  } prefixes[] = {{1e-15, "f"}, {1e-12, "p"}, {1e-9, "n"}, {1e-6, "u"}, {1e-3, "m"},
                  {1.0, ""},    {1e3, "k"},   {1e6, "M"},  {1e9, "G"}};
  auto chosen = prefixes[0];
  for (const auto& p : prefixes)
    if (largest >= p.scale * (1 - 1e-9)) chosen = p;  // slack: 1e-9 computed as 0.99999999999e-9 is 1 nA
  axis.factor = 1.0 / chosen.scale;
  axis.unit = std::string(chosen.prefix) + si_unit;
  return axis;
}

double largest_magnitude(const std::vector<double>& values) {
  double largest = 0;
  for (double v : values)
    if (std::isfinite(v)) largest = std::max(largest, std::abs(v));
  return largest;
}

}  // namespace picospice::tools
