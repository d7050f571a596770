#include "codesign/unit_devices.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>

#include "netlists/cell_library.hpp"
#include "netlists/elaborate.hpp"

namespace picospice::network {
namespace {

// Elaborates one NMOS and one PMOS unit device on the library's model cards and asks the device
// for its mismatch parameters.
UnitDeviceSpread measure_spread(double area) {
  const double side = std::sqrt(area);
  const std::string text = fmt::format(
      "unit devices\n"
      ".include \"{}\"\n"
      "Mn d d 0 0 nch W={:.17g} L={:.17g}\n"
      "Mp e e vdd vdd pch W={:.17g} L={:.17g}\n"
      "Vdd vdd 0 1.8\n"
      ".end\n",
      cells::cell_library_path(), kUnitDevices.nmos_width * side, kUnitDevices.length * side,
      kUnitDevices.pmos_width * side, kUnitDevices.length * side);
  const auto circuit = elaborate_text(text, "unit_devices.cir");
  std::vector<MismatchParameter> parameters;
  for (const auto& group : circuit->groups) group->list_mismatch_parameters(parameters);
  std::map<std::string, double> variance;  // relative current variance per instance
  for (const auto& p : parameters) {
    const double relative = p.log_current_sensitivity * p.sigma();
    variance[p.instance] += relative * relative;
  }
  if (!variance.count("mn") || !variance.count("mp"))
    throw std::runtime_error("the cell library's nch/pch models report no mismatch parameters");
  return {std::sqrt(variance["mn"]), std::sqrt(variance["mp"])};
}

}  // namespace

UnitDeviceSpread unit_device_current_spread(double area) {
  if (!(area > 0) || !std::isfinite(area))
    throw std::invalid_argument("the device area factor must be a positive number");
  // A pure function of the area; training asks for it once per run, tests many times.
  static std::mutex mutex;
  static std::map<double, UnitDeviceSpread> known;
  std::lock_guard lock(mutex);
  auto it = known.find(area);
  if (it == known.end()) it = known.emplace(area, measure_spread(area)).first;
  return it->second;
}

}  // namespace picospice::network
