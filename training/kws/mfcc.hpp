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
//
// With `pcen` (`dataset kws --features pcen`), step 4 is per-channel energy normalization instead
// of the log (Wang et al., "Trainable frontend for robust and far-field keyword spotting", ICASSP
// 2017), with their fixed (untrained) settings: M_t = (1 - s) M_{t-1} + s E_t, a causal smoother of
// each filter's energy E (M starts at the first frame's E, as if the clip had been preceded by
// it), and PCEN_t = (E_t / (eps + M_t)^alpha + delta)^r - delta^r, s = 0.025 (a time constant of
// about 0.4 s at 10 ms frames), alpha = 0.98, delta = 2, r = 0.5, eps = 1e-6. Dividing by the
// smoothed energy is an automatic gain control per channel: a steady background or a level
// change is normalized away within ~0.4 s while onsets stand out; the root compresses. Step 5 is
// the same DCT of these 40 values ("PCEN cepstra"). The features stay causal (streaming).
// `dataset kws --features mfcc+pcen` gives both, the 13 MFCCs and then the 13 PCEN cepstra.
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
  // Step 4: the log (MFCCs), PCEN (above), or both side by side (MFCCs, then PCEN cepstra).
  // (front_end.cpp names them in this order.)
  enum class Compression { log, pcen, log_and_pcen } compression = Compression::log;
  double pcen_smoothing = 0.025, pcen_gain = 0.98, pcen_bias = 2, pcen_power = 0.5, pcen_eps = 1e-6;
  bool uses_pcen() const { return compression != Compression::log; }
  int features() const { return compression == Compression::log_and_pcen ? 2 * coefficients : coefficients; }
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

  // features[frame][k], k < options().features(). Throws std::invalid_argument for a clip of no more than window/2
  // samples (reflection needs that many).
  std::vector<std::vector<double>> compute(const std::vector<double>& samples);
  // Steps 1-4 only: log_energies[frame][filter] (natural log, floored).
  std::vector<std::vector<double>> log_mel_energies(const std::vector<double>& samples);
  // Steps 1-3: energies[frame][filter].
  std::vector<std::vector<double>> mel_energies(const std::vector<double>& samples);
  const MfccOptions& options() const { return options_; }

 private:
  struct Fftw;
  MfccOptions options_;
  std::vector<double> window_;
  std::vector<std::vector<double>> filterbank_;
  std::unique_ptr<Fftw> fftw_;
};

}  // namespace picospice::kws
