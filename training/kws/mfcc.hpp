// Mel-frequency cepstral coefficients (MFCCs) of a clip, frame by frame.
//
// For the keyword-spotting features (docs/requirements.md, 'Training and the keyword-spotting
// dataset') with the defaults below: 16 kHz audio, a 25 ms window (400 samples) every 10 ms (160
// samples), centred: frame t covers samples [160 t - 200, 160 t + 200) of the clip, the clip
// extended at both ends by reflection (x[-1] = x[1], as numpy's and torchaudio's "reflect"
// padding), so a 1 s clip gives 1 + 16000/160 = 101 frames. Per frame:
//   1. multiply by a periodic Hamming window w[n] = 0.54 - 0.46 cos(2 pi n / N), N = 400;
//   2. zero-pad to 512 points and take the power spectrum |X_k|^2, k = 0..256 (FFTW3, r2c);
//   3. 40 triangular mel filters (HTK mel scale, mel(f) = 2595 log10(1 + f/700)) with centres
//      equally spaced in mel between 20 Hz and 8 kHz; filter m rises linearly in Hz from the
//      centre of filter m-1 to its own and falls to that of filter m+1, peak 1 (not area-normalized);
//   4. natural log of each filter energy, floored at 1e-10 (silence stays finite);
//   5. orthonormal DCT-II of the 40 log energies, keeping coefficients 0..12 (c0 included).
// No pre-emphasis, no liftering, no dither (nothing in the features is random).
#pragma once
#include <memory>
#include <vector>

namespace picospice::kws {

struct MfccOptions {
  int sample_rate = 16000;
  int window = 400;        // samples (25 ms)
  int hop = 160;           // samples (10 ms)
  int fft_size = 512;      // >= window
  int mel_filters = 40;
  double low_hz = 20, high_hz = 8000;  // high_hz <= sample_rate / 2
  int coefficients = 13;   // <= mel_filters
  double log_floor = 1e-10;
};

double hz_to_mel(double hz);
double mel_to_hz(double mel);

// The filterbank as weights[filter][bin], bins 0..fft_size/2 at frequency bin * rate / fft_size.
std::vector<std::vector<double>> mel_filterbank(const MfccOptions& options);

// Frames for a clip of `samples` samples: 1 + samples / hop.
int mfcc_frames(std::size_t samples, const MfccOptions& options);

// Holds the FFTW plan and buffers; one per thread (compute is not reentrant on one object, but
// separate objects may run concurrently: plan creation is serialized internally).
class MfccExtractor {
 public:
  explicit MfccExtractor(const MfccOptions& options = {});  // throws std::invalid_argument
  ~MfccExtractor();
  MfccExtractor(const MfccExtractor&) = delete;
  MfccExtractor& operator=(const MfccExtractor&) = delete;

  // features[frame][coefficient]. Throws std::invalid_argument for a clip of no more than window/2
  // samples (reflection needs that many).
  std::vector<std::vector<double>> compute(const std::vector<double>& samples);
  // Steps 1-4 only: log_energies[frame][filter] (natural log, floored).
  std::vector<std::vector<double>> log_mel_energies(const std::vector<double>& samples);
  const MfccOptions& options() const { return options_; }

 private:
  struct Fftw;
  MfccOptions options_;
  std::vector<double> window_;
  std::vector<std::vector<double>> filterbank_;
  std::unique_ptr<Fftw> fftw_;
};

}  // namespace picospice::kws
