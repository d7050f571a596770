#include "training/kws/noise.hpp"

#include <cmath>

namespace picospice::kws {

std::string noise_color_name(NoiseColor color) {
  switch (color) {
    case NoiseColor::white: return "white";
    case NoiseColor::pink: return "pink";
    case NoiseColor::brown: return "brown";
  }
  return "?";
}

std::vector<double> make_noise(NoiseColor color, std::size_t samples, Draws& draws) {
  std::vector<double> out(samples);
  double b0 = 0, b1 = 0, b2 = 0, brown = 0;
  for (auto& value : out) {
    const double w = draws.normal();
    switch (color) {
      case NoiseColor::white: value = w; break;
      case NoiseColor::pink:  // Kellet's refined coefficients
        b0 = 0.99765 * b0 + w * 0.0990460;
        b1 = 0.96300 * b1 + w * 0.2965164;
        b2 = 0.57000 * b2 + w * 1.0526913;
        value = b0 + b1 + b2 + w * 0.1848;
        break;
      case NoiseColor::brown:
        brown = 0.995 * brown + w;
        value = brown;
        break;
    }
  }
  double mean = 0, power = 0;
  for (double v : out) mean += v;
  mean /= samples ? double(samples) : 1.0;
  for (double& v : out) {
    v -= mean;
    power += v * v;
  }
  const double rms = std::sqrt(power / (samples ? double(samples) : 1.0));
  if (rms > 0)
    for (double& v : out) v /= rms;
  return out;
}

}  // namespace picospice::kws
