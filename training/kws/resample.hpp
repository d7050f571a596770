// Sample-rate conversion by band-limited interpolation: every output sample is a Kaiser-windowed
// sinc interpolation of the input at its exact (fractional) time, with the sinc's cutoff at 95% of
// the lower of the two Nyquist frequencies, so downsampling (espeak-ng's 22050 Hz to 16 kHz) is
// anti-aliased. Approximation: the window (Kaiser, beta 8, 16 zero crossings each side of the
// cutoff-scaled sinc) leaves a transition band between 95% and 100% of that Nyquist frequency and a
// stop-band rejection of roughly 80 dB; that is ample for MFCC features.
#pragma once
#include <vector>

namespace picospice::kws {

// Throws std::invalid_argument for a non-positive rate. Equal rates return the input unchanged.
// The output holds round(size * to_rate / from_rate) samples; output sample n is the input at time
// n / to_rate (samples beyond either end of the input count as zero).
std::vector<double> resample(const std::vector<double>& input, int from_rate, int to_rate);

}  // namespace picospice::kws
