// MFCC computation (see mfcc.hpp). The mel scale is the HTK one (S. Young et al., The HTK Book);
// the DCT-II is the orthonormal one (scipy.fft.dct type 2, norm "ortho").
#include "training/kws/mfcc.hpp"

#include <fftw3.h>
#include <fmt/format.h>

#include <cmath>
#include <mutex>
#include <numbers>
#include <stdexcept>

namespace picospice::kws {
namespace {

// FFTW's planner is not thread-safe (FFTW manual, "Thread safety"); executing a plan is.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

// Reflection without repeating the edge sample: index -1 -> 1, n -> n-2.
double reflected(const std::vector<double>& x, long i) {
  const long n = static_cast<long>(x.size());
  if (i < 0) i = -i;
  if (i >= n) i = 2 * (n - 1) - i;
  return x[static_cast<std::size_t>(i)];
}

}  // namespace

struct MfccExtractor::Fftw {
  double* input = nullptr;
  fftw_complex* output = nullptr;
  fftw_plan plan = nullptr;
};

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

std::vector<std::vector<double>> mel_filterbank(const MfccOptions& o) {
  const int bins = o.fft_size / 2 + 1;
  const double low = hz_to_mel(o.low_hz), high = hz_to_mel(o.high_hz);
  std::vector<double> edges(o.mel_filters + 2);  // in Hz
  for (int i = 0; i < o.mel_filters + 2; ++i) edges[i] = mel_to_hz(low + (high - low) * i / (o.mel_filters + 1));
  std::vector<std::vector<double>> weights(o.mel_filters, std::vector<double>(bins, 0.0));
  for (int m = 0; m < o.mel_filters; ++m)
    for (int k = 0; k < bins; ++k) {
      const double f = double(k) * o.sample_rate / o.fft_size;
      const double rise = (f - edges[m]) / (edges[m + 1] - edges[m]);
      const double fall = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
      weights[m][k] = std::max(0.0, std::min(rise, fall));
    }
  return weights;
}

int mfcc_frames(std::size_t samples, const MfccOptions& o) { return 1 + static_cast<int>(samples / o.hop); }

MfccExtractor::MfccExtractor(const MfccOptions& o) : options_(o), fftw_(std::make_unique<Fftw>()) {
  if (o.sample_rate <= 0 || o.window <= 1 || o.hop <= 0 || o.fft_size < o.window || o.mel_filters < 1 ||
      o.coefficients < 1 || o.coefficients > o.mel_filters || !(o.low_hz >= 0) || !(o.high_hz > o.low_hz) ||
      o.high_hz > o.sample_rate / 2.0 || !(o.log_floor > 0))
    throw std::invalid_argument("MFCC options out of range (need fft_size >= window, 0 <= low < high <= rate/2, "
                                "1 <= coefficients <= mel_filters)");
  window_.resize(o.window);
  for (int n = 0; n < o.window; ++n) window_[n] = 0.54 - 0.46 * std::cos(2 * std::numbers::pi * n / o.window);
  filterbank_ = mel_filterbank(o);
  std::lock_guard lock(planner_mutex());
  fftw_->input = fftw_alloc_real(o.fft_size);
  fftw_->output = fftw_alloc_complex(o.fft_size / 2 + 1);
  // FFTW_ESTIMATE: the plan (and so the rounding of every result) does not depend on timing
  // measurements, keeping the features bit-for-bit reproducible.
  fftw_->plan = fftw_plan_dft_r2c_1d(o.fft_size, fftw_->input, fftw_->output, FFTW_ESTIMATE);
  if (!fftw_->plan) throw std::runtime_error("FFTW could not create a plan");
}

MfccExtractor::~MfccExtractor() {
  std::lock_guard lock(planner_mutex());
  if (fftw_->plan) fftw_destroy_plan(fftw_->plan);
  fftw_free(fftw_->input);
  fftw_free(fftw_->output);
}

namespace {

// Step 4 of the MFCCs, in place: the natural log, floored.
void log_in_place(std::vector<std::vector<double>>& energy, double floor) {
  for (auto& frame : energy)
    for (double& e : frame) e = std::log(std::max(e, floor));
}

// Per-channel energy normalization over the frames, in place (mfcc.hpp).
void pcen_in_place(std::vector<std::vector<double>>& energy, const MfccOptions& o) {
  if (energy.empty()) return;
  std::vector<double> smoothed = energy.front();
  const double bias_root = std::pow(o.pcen_bias, o.pcen_power);
  for (auto& frame : energy)
    for (std::size_t m = 0; m < frame.size(); ++m) {
      smoothed[m] = (1 - o.pcen_smoothing) * smoothed[m] + o.pcen_smoothing * frame[m];
      frame[m] = std::pow(frame[m] / std::pow(o.pcen_eps + smoothed[m], o.pcen_gain) + o.pcen_bias, o.pcen_power) - bias_root;
    }
}

}  // namespace

std::vector<std::vector<double>> MfccExtractor::log_mel_energies(const std::vector<double>& samples) {
  std::vector<std::vector<double>> energy = mel_energies(samples);
  log_in_place(energy, options_.log_floor);
  return energy;
}

std::vector<std::vector<double>> MfccExtractor::mel_energies(const std::vector<double>& samples) {
  const MfccOptions& o = options_;
  if (samples.size() <= static_cast<std::size_t>(o.window / 2))
    throw std::invalid_argument(fmt::format("MFCC: a clip of {} samples is too short (need more than {})", samples.size(),
                                            o.window / 2));
  const int frames = mfcc_frames(samples.size(), o);
  const int bins = o.fft_size / 2 + 1;
  std::vector<double> power(bins);
  std::vector<std::vector<double>> energy(frames, std::vector<double>(o.mel_filters));
  for (int t = 0; t < frames; ++t) {
    const long start = static_cast<long>(t) * o.hop - o.window / 2;
    for (int n = 0; n < o.fft_size; ++n) fftw_->input[n] = n < o.window ? reflected(samples, start + n) * window_[n] : 0.0;
    fftw_execute(fftw_->plan);
    for (int k = 0; k < bins; ++k)
      power[k] = fftw_->output[k][0] * fftw_->output[k][0] + fftw_->output[k][1] * fftw_->output[k][1];
    for (int m = 0; m < o.mel_filters; ++m) {
      double e = 0;
      for (int k = 0; k < bins; ++k) e += filterbank_[m][k] * power[k];
      energy[t][m] = e;
    }
  }
  return energy;
}

namespace {

// Step 5: the orthonormal DCT-II of each frame's compressed energies, coefficients 0.. into
// features[t][first + c].
void dct_into(const std::vector<std::vector<double>>& compressed, int coefficients, int first,
              std::vector<std::vector<double>>& features) {
  for (std::size_t t = 0; t < compressed.size(); ++t) {
    const int filters = static_cast<int>(compressed[t].size());
    for (int c = 0; c < coefficients; ++c) {
      double sum = 0;
      for (int m = 0; m < filters; ++m) sum += compressed[t][m] * std::cos(std::numbers::pi * c * (m + 0.5) / filters);
      features[t][first + c] = sum * std::sqrt((c == 0 ? 1.0 : 2.0) / filters);
    }
  }
}

}  // namespace

std::vector<std::vector<double>> MfccExtractor::compute(const std::vector<double>& samples) {
  const MfccOptions& o = options_;
  using Compression = MfccOptions::Compression;
  std::vector<std::vector<double>> energy = mel_energies(samples);
  std::vector<std::vector<double>> features(energy.size(), std::vector<double>(o.features()));
  if (o.compression != Compression::pcen) {  // the MFCCs first; a copy of the energies only when PCEN needs them too
    std::vector<std::vector<double>> log_energy = o.uses_pcen() ? energy : std::move(energy);
    log_in_place(log_energy, o.log_floor);
    dct_into(log_energy, o.coefficients, 0, features);
  }
  if (o.uses_pcen()) {
    pcen_in_place(energy, o);
    dct_into(energy, o.coefficients, o.compression == Compression::pcen ? 0 : o.coefficients, features);
  }
  return features;
}

}  // namespace picospice::kws
