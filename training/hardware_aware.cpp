// Quantization and mismatch noise for hardware-aware training (see hardware_aware.hpp).
#include "training/hardware_aware.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/counter_rng.hpp"
#include "codesign/unit_devices.hpp"

namespace picospice::training {
namespace {

double rms(double a, double b) { return std::sqrt(0.5 * (a * a + b * b)); }

}  // namespace

MismatchSigmas mismatch_sigmas_from_cells(double area) {
  // The lowering's unit devices (NMOS 1u, PMOS 2u at L = 4u; cells.lib's schmitt9, schmitt9_bias,
  // isource and isink use the same sizes), each side scaled by sqrt(area), as the EKV device
  // computes their Pelgrom spread from the library's model cards.
  const network::UnitDeviceSpread device = network::unit_device_current_spread(area);
  const double nmos_pair = std::sqrt(2.0) * device.nmos;
  const double pmos_pair = std::sqrt(2.0) * device.pmos;
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
  const MismatchSigmas sigmas = noise_stream != 0 ? hw.resolved_sigmas() : MismatchSigmas{};
  for (int i = 0; i < layout.size(); ++i) {
    if (layout.is_weight(i)) values[i] = quantize_weight(values[i], hw.grid);
    if (noise_stream == 0) continue;
    const double sigma = sigma_of(layout.kind(i), sigmas);
    if (sigma <= 0) continue;
    const double factor = std::max(0.0, 1.0 + sigma * random::unit_normal(seed, noise_stream, i));
    values[i] *= factor;
    derivative[i] *= factor;
  }
}

}  // namespace picospice::training
