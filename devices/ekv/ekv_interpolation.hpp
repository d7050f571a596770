// The EKV interpolation function between weak and strong inversion and its derivative
// (Enz, Krummenacher, Vittoz 1995, eq. for the forward/reverse normalized currents):
//
//     F(v)  = ln^2(1 + exp(v/2))
//     F'(v) = ln(1 + exp(v/2)) * sigmoid(v/2)          (d/dv of the square, chain rule)
//
// Limits: F(v) -> exp(v) for v -> -inf (weak inversion) and (v/2)^2 for v -> +inf (strong).
// Both are evaluated through a softplus that never overflows and never cancels:
//     softplus(u) = ln(1 + e^u) = u + log1p(e^-u)  for u > 0,   log1p(e^u)  otherwise
// so every exponential has a non-positive argument; log1p keeps full relative accuracy of the
// tiny weak-inversion values (ln(1 + e^u) ~ e^u when e^u is far below machine epsilon).
#pragma once
#include <cmath>

namespace picospice::ekv {

inline double softplus(double u) {
  return u > 0 ? u + std::log1p(std::exp(-u)) : std::log1p(std::exp(u));
}

// 1 / (1 + e^-u), again with non-positive exponent arguments only.
inline double logistic(double u) {
  if (u >= 0) return 1.0 / (1.0 + std::exp(-u));
  const double e = std::exp(u);
  return e / (1.0 + e);
}

struct InterpolationValue {
  double value = 0.0;       // F(v)
  double derivative = 0.0;  // F'(v)
};

// One exp and one log1p per call (it runs twice per device evaluation, forward and reverse):
// softplus and the logistic share e = exp(-|v/2|). The values are bit-for-bit those of
// softplus(v/2) and logistic(v/2) above.
inline InterpolationValue ekv_interpolation(double v) {
  const double half = 0.5 * v;
  const double e = std::exp(-std::fabs(half));  // in (0, 1]: never overflows
  const double l = (half > 0 ? half : 0.0) + std::log1p(e);
  const double sigmoid = half >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
  return {l * l, l * sigmoid};
}

}  // namespace picospice::ekv
