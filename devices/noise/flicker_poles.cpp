#include "devices/noise/flicker_poles.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace picospice::noise {

FlickerPoles::FlickerPoles(double grid_step, double exponent, double top_frequency) : exponent_(exponent) {
  if (!(exponent > 0 && exponent < 2))
    throw std::invalid_argument("flicker exponent must be in (0, 2)");
  const int count = static_cast<int>(kDecades * kPolesPerDecade) + 1;
  const double weight = std::log(10.0) * std::sin(std::numbers::pi * exponent / 2) / kPolesPerDecade;
  std::vector<double> variance(count);
  for (int j = 0; j < count; ++j) {
    corner_.push_back(top_frequency * std::pow(10.0, -static_cast<double>(j) / kPolesPerDecade));
    variance[j] = weight * std::pow(corner_[j], 1.0 - exponent);
  }
  // The integral formula ignores the band's ends and the discreteness of the corners; refine the
  // variances so that the sum of Lorentzians meets f^-exponent at every corner (a multiplicative
  // fixed-point iteration that keeps them positive). It brings the error inside the band (one decade
  // above the lowest corner to one below the highest) from up to 20 % to about 0.2 % for
  // exponents up to 1.5; it converges more slowly towards 2.
  auto density = [&](double f) {
    double sum = 0.0;
    for (int j = 0; j < count; ++j) {
      const double u = f / corner_[j];
      sum += 4.0 * variance[j] / (2 * std::numbers::pi * corner_[j]) / (1.0 + u * u);
    }
    return sum;
  };
  std::vector<double> ratio(count);
  for (int iteration = 0; iteration < 200; ++iteration) {
    for (int j = 0; j < count; ++j) ratio[j] = std::pow(corner_[j], -exponent) / density(corner_[j]);
    for (int j = 0; j < count; ++j) variance[j] *= std::pow(ratio[j], 0.7);
  }
  for (int j = 0; j < count; ++j) {
    const double tau = 1.0 / (2 * std::numbers::pi * corner_[j]);
    const double rho = std::exp(-grid_step / tau);
    rho_.push_back(rho);
    sigma_.push_back(std::sqrt(variance[j]));
    drive_.push_back(std::sqrt(variance[j] * (1.0 - rho * rho)));
  }
}

}  // namespace picospice::noise
