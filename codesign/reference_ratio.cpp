// Ratioed bias references: see reference_ratio.hpp.
#include "codesign/reference_ratio.hpp"

#include <algorithm>
#include <cmath>

#include "codesign/unit_devices.hpp"

namespace picospice::network {

double reference_floor(double window, double area) {
  constexpr double kCox = 8.5e-3, kSlope = 1.35, kThermalVoltage = 0.025865;  // cells.lib's card
  const double gate_area = 2 * kUnitDevices.pmos_width * kUnitDevices.length * area;  // reference + copy
  return 6 * kCox * gate_area * kSlope * kThermalVoltage / window;
}

int reference_ratio(double current, double window, double area, int limit) {
  if (limit <= 1) return 1;
  const double k = std::floor(current / reference_floor(window, area));
  return static_cast<int>(std::clamp(k, 1.0, static_cast<double>(limit)));
}

std::pair<int, int> blanked_reference_ratios(double ith, double iw, double window, double area, int limit) {
  const int kw = reference_ratio(iw, window, area, limit);
  int kt = reference_ratio(ith, window, area, limit);
  const double ordered = std::floor(kw * std::min(1.0, ith / iw));
  kt = std::min(kt, std::max(1, static_cast<int>(ordered)));
  return {kt, kw};
}

double onset_ordered_width(double threshold, double width, double ith, double iw, int kt, int kw) {
  if (!(iw > 0)) return width;
  return std::max(width, threshold * (ith / iw) * (static_cast<double>(kw) / kt));
}

}  // namespace picospice::network
