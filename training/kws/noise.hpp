// Background noise for the keyword-spotting clips: white, pink (power falling 3 dB per octave) or
// brown (6 dB per octave), scaled to unit RMS over the requested length.
#pragma once
#include <string>
#include <vector>

#include "training/kws/draws.hpp"

namespace picospice::kws {

enum class NoiseColor { white, pink, brown };

std::string noise_color_name(NoiseColor color);

// `samples` values of the given color with RMS 1, from Gaussian white draws taken from `draws`.
// Pink: Paul Kellet's "refined" three-pole filter of white noise (P. Kellet, music-dsp mailing list,
// 1999; within 0.05 dB of -3 dB/octave above about 10 Hz at 44.1 kHz, close enough at 16 kHz for
// background noise). Brown: white noise through a leaky integrator y[n] = 0.995 y[n-1] + w[n], so
// -6 dB/octave above about 13 Hz at 16 kHz instead of diverging like a pure random walk.
std::vector<double> make_noise(NoiseColor color, std::size_t samples, Draws& draws);

}  // namespace picospice::kws
