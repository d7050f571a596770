// Quantization and mismatch noise for hardware-aware training (see hardware_aware.hpp).
#include "training/hardware_aware.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/counter_rng.hpp"

namespace picospice::training {
namespace {

// netlists/cells/cells.lib's model cards (both nch and pch) and the thermal voltage at 27 C.
constexpr double kAvto = 5e-9;   // V m
constexpr double kAkp = 1e-8;    // m
constexpr double kSlope = 1.35;  // N
constexpr double kUt = 0.025865; // V

double device_sigma(double width, double length) {
  const double root_area = std::sqrt(width * length);
  const double vt = kAvto / root_area / (kSlope * kUt);
  const double kp = kAkp / root_area;
  return std::sqrt(vt * vt + kp * kp);
}

double rms(double a, double b) { return std::sqrt(0.5 * (a * a + b * b)); }

}  // namespace

MismatchSigmas mismatch_sigmas_from_cells(double area) {
  if (!(area > 0) || !std::isfinite(area))
    throw std::invalid_argument("the device area factor must be a positive number");
  // The lowering's unit devices (lowering.cpp: NMOS 1u, PMOS 2u at L = 4u; cells.lib's schmitt9,
  // schmitt9_bias, isource and isink use the same sizes), each side scaled by sqrt(area).
  const double side = std::sqrt(area);
  const double nmos_pair = std::sqrt(2.0) * device_sigma(1e-6 * side, 4e-6 * side);
  const double pmos_pair = std::sqrt(2.0) * device_sigma(2e-6 * side, 4e-6 * side);
  MismatchSigmas s;
  s.weight = rms(nmos_pair, std::hypot(nmos_pair, pmos_pair));
  s.bias = rms(pmos_pair, nmos_pair);
  s.threshold = std::hypot(nmos_pair, pmos_pair);
  s.gain = pmos_pair;
  return s;
}

MismatchSigmas uniform_sigmas(double sigma) { return {sigma, sigma, sigma, sigma}; }

double sigma_of(ParameterKind kind, const MismatchSigmas& s) {
  switch (kind) {
    case ParameterKind::Weight:
    case ParameterKind::ReadoutWeight: return s.weight;
    case ParameterKind::Bias:
    case ParameterKind::ReadoutBias: return s.bias;
    case ParameterKind::Beta1:
    case ParameterKind::Delta: return s.threshold;
    case ParameterKind::Alpha: return s.gain;
  }
  return 0;
}

double quantize_weight(double w, int grid) {
  // Exactly Lowering::connect's rounding.
  return std::round(std::abs(w) * grid) / grid * (w < 0 ? -1.0 : 1.0);
}

void apply_hardware(const ModelLayout& layout, const HardwareAware& hw, std::uint64_t seed, std::uint64_t noise_stream,
                    Eigen::VectorXd& values, Eigen::VectorXd& derivative) {
  if (!hw.enabled) return;
  for (int i = 0; i < layout.size(); ++i) {
    if (layout.is_weight(i)) values[i] = quantize_weight(values[i], hw.grid);
    if (noise_stream == 0) continue;
    const double sigma = sigma_of(layout.kind(i), hw.sigmas);
    if (sigma <= 0) continue;
    const double factor = std::max(0.0, 1.0 + sigma * random::unit_normal(seed, noise_stream, i));
    values[i] *= factor;
    derivative[i] *= factor;
  }
}

}  // namespace picospice::training
