// The unit transistors a lowered network is built from, and how much their currents spread under
// mismatch. The library's mirrors and the schmitt9 cell (netlists/cells/cells.lib) use the same
// sizes: NMOS 1u/4u, PMOS 2u/4u (the unit width a weight of 1 copies at; a mirror of ratio |w|
// has an output |w| times as wide), each side times sqrt(area) at an area factor (`--area K`).
#pragma once

namespace picospice::network {

struct UnitDeviceSizes {
  double nmos_width = 1e-6;  // m
  double pmos_width = 2e-6;  // m
  double length = 4e-6;      // m
};
inline constexpr UnitDeviceSizes kUnitDevices{};

// One unit device's relative drain-current spread (1 sigma) in weak inversion, from the library's
// model cards as the EKV device reports its Pelgrom parameters
// (DeviceGroup::list_mismatch_parameters): sqrt(sum over parameters of (d ln I/d p * sigma_p)^2),
// i.e. sqrt((sigma_VT / (N UT))^2 + sigma_KP^2).
struct UnitDeviceSpread {
  double nmos = 0;
  double pmos = 0;
};

// At an area factor (every W and L times sqrt(area)). Throws std::invalid_argument unless area is
// a positive finite number, std::runtime_error when the cell library cannot be read.
UnitDeviceSpread unit_device_current_spread(double area = 1.0);

}  // namespace picospice::network
