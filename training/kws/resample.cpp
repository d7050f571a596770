// Windowed-sinc resampling (see resample.hpp). The ideal band-limited interpolator is
// x(t) = sum_k x[k] * fc * sinc(fc * (t - k)) with fc the cutoff relative to the input Nyquist
// (Shannon-Whittaker); a Kaiser window (J. F. Kaiser, 1974) truncates it to a finite support.
#include "training/kws/resample.hpp"

#include <cmath>
#include <numeric>
#include <numbers>
#include <stdexcept>

namespace picospice::kws {
namespace {

constexpr double kKaiserBeta = 8.0;
constexpr double kZeroCrossings = 16.0;  // per side, of the cutoff-scaled sinc
constexpr double kCutoffFraction = 0.95;

// The zeroth-order modified Bessel function of the first kind, by its power series.
double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 64; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

double sinc(double x) { return x == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x); }

}  // namespace

std::vector<double> resample(const std::vector<double>& input, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) throw std::invalid_argument("resample: sample rates must be positive");
  if (from_rate == to_rate) return input;
  const double cutoff = kCutoffFraction * std::min(1.0, double(to_rate) / from_rate);
  const double half_width = kZeroCrossings / cutoff;  // in input samples
  const double i0_beta = bessel_i0(kKaiserBeta);
  // Polyphase: output sample n sits at input time n * from / to = i + p / phases, and the fraction
  // p / phases takes only `phases` values, so each phase's kernel is computed once.
  const long g = std::gcd(long(from_rate), long(to_rate));
  const long phases = to_rate / g, advance = from_rate / g;
  const long reach = static_cast<long>(std::ceil(half_width));
  const long taps = 2 * reach + 1;  // offsets j = -reach .. reach from i
  std::vector<double> kernel(static_cast<std::size_t>(phases * taps));
  for (long p = 0; p < phases; ++p)
    for (long j = -reach; j <= reach; ++j) {
      const double u = double(p) / phases - double(j);  // output time minus tap time
      const double r = u / half_width;
      kernel[p * taps + (j + reach)] =
          std::abs(r) >= 1 ? 0.0 : cutoff * sinc(cutoff * u) * bessel_i0(kKaiserBeta * std::sqrt(1 - r * r)) / i0_beta;
    }
  const auto n_out = static_cast<std::size_t>(std::llround(double(input.size()) * to_rate / from_rate));
  const long n_in = static_cast<long>(input.size());
  std::vector<double> output(n_out);
  for (std::size_t n = 0; n < n_out; ++n) {
    const long position = static_cast<long>(n) * advance;  // in units of 1/phases input samples
    const long i = position / phases, p = position % phases;
    const double* weights = &kernel[p * taps];
    double sum = 0;
    for (long j = std::max(-reach, -i); j <= reach && i + j < n_in; ++j) sum += input[i + j] * weights[j + reach];
    output[n] = sum;
  }
  return output;
}

}  // namespace picospice::kws
