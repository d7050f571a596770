// What a device tells the transient-noise engine about its noise (docs/design.md, 'Randomness is
// addressed, never streamed'; docs/requirements.md, 'Transient noise'). Kept free of engine types
// so that devices/device.hpp can include it.
//
// A noise generator is a current in parallel with (part of) a device: it leaves node `from` and
// enters node `to` (as EvalRequest::add_current(from, to, i)). Its one-sided power spectral density
// is what DeviceGroup::noise_density returns, evaluated at an accepted solution:
//   White    S(f) = density                      A^2/Hz
//   Flicker  S(f) = density * (1 Hz / f)^exponent   (density is the value at 1 Hz)
// The engine (engine/noise/transient_noise) turns densities into samples on the noise grid; the
// small-signal `.noise` analysis (engine/analyses/noise_analysis) takes the same densities at the
// operating point, so the two analyses agree by construction.
#pragma once
#include <cstdint>
#include <string>

namespace picospice {

using Index = int;  // unknown index; 0 is ground (same alias as devices/device.hpp)

// Told to every device group before each transient and each .noise analysis.
struct NoiseSetup {
  bool device_noise = false;  // `.options trannoise=1`: physical device noise is on
  bool flicker = false;       // `.options noiseflicker=1`: flicker generators too
  std::uint64_t seed = 1;     // the noise seed; TRNOISE/TRRANDOM sources use it as well
};

struct NoiseSourceSpec {
  enum class Spectrum { White, Flicker };
  std::string instance;   // hierarchical instance name ("x1.r3"): part of the random address
  int generator = 0;      // which generator of the instance (0 thermal/shot, 1 flicker, ...)
  Index from = 0, to = 0;
  Spectrum spectrum = Spectrum::White;
  double exponent = 1.0;  // flicker only: S ~ 1/f^exponent, 0 < exponent < 2
  // The generator's name as ngspice's .noise names it after the instance ("thermal" of a resistor,
  // "id", "rs", "1overf" of a diode or MOSFET): the small-signal noise analysis reports each
  // generator's contribution as onoise_<instance>_<label>.
  std::string label;
};

}  // namespace picospice
