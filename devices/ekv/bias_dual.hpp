// A value together with its exact partial derivatives with respect to the three bulk-referred
// terminal voltages of a MOSFET: vg = VG - VB, vs = VS - VB, vd = VD - VB.
//
// Why: the EKV current and charges are long chains of smooth functions (pinch-off voltage, slope
// factor, interpolation function, mobility factors, charge partition). Carrying the three partials
// through every operation by the chain rule (forward-mode differentiation) gives the analytic
// Jacobian without hand-expanding dozens of product rules, and keeps the derivative code in step
// with the value code. The derivative with respect to the bulk voltage follows from the others,
// dX/dVB = -(dX/dvg + dX/dvs + dX/dvd), because the intrinsic model depends only on voltages
// referred to the bulk.
#pragma once
#include <cmath>

namespace picospice::ekv {

struct BiasDual {
  double value = 0.0;
  double d_vg = 0.0, d_vs = 0.0, d_vd = 0.0;

  constexpr BiasDual() = default;
  constexpr BiasDual(double v) : value(v) {}  // NOLINT: a constant promotes implicitly
  constexpr BiasDual(double v, double g, double s, double d) : value(v), d_vg(g), d_vs(s), d_vd(d) {}

  // The independent variables.
  static constexpr BiasDual gate(double v) { return {v, 1.0, 0.0, 0.0}; }
  static constexpr BiasDual source(double v) { return {v, 0.0, 1.0, 0.0}; }
  static constexpr BiasDual drain(double v) { return {v, 0.0, 0.0, 1.0}; }

  // Apply a scalar function with value fx and derivative dfx at this->value (chain rule).
  constexpr BiasDual chain(double fx, double dfx) const { return {fx, dfx * d_vg, dfx * d_vs, dfx * d_vd}; }
};

constexpr BiasDual operator+(const BiasDual& a, const BiasDual& b) {
  return {a.value + b.value, a.d_vg + b.d_vg, a.d_vs + b.d_vs, a.d_vd + b.d_vd};
}
constexpr BiasDual operator-(const BiasDual& a, const BiasDual& b) {
  return {a.value - b.value, a.d_vg - b.d_vg, a.d_vs - b.d_vs, a.d_vd - b.d_vd};
}
constexpr BiasDual operator-(const BiasDual& a) { return {-a.value, -a.d_vg, -a.d_vs, -a.d_vd}; }
constexpr BiasDual operator*(const BiasDual& a, const BiasDual& b) {
  return {a.value * b.value, a.d_vg * b.value + a.value * b.d_vg, a.d_vs * b.value + a.value * b.d_vs,
          a.d_vd * b.value + a.value * b.d_vd};
}
constexpr BiasDual operator*(double k, const BiasDual& a) { return {k * a.value, k * a.d_vg, k * a.d_vs, k * a.d_vd}; }
constexpr BiasDual operator*(const BiasDual& a, double k) { return k * a; }
constexpr BiasDual operator/(const BiasDual& a, const BiasDual& b) {
  const double q = a.value / b.value;
  const double inv = 1.0 / b.value;
  return {q, (a.d_vg - q * b.d_vg) * inv, (a.d_vs - q * b.d_vs) * inv, (a.d_vd - q * b.d_vd) * inv};
}
constexpr BiasDual operator/(const BiasDual& a, double k) { return (1.0 / k) * a; }

inline BiasDual sqrt(const BiasDual& a) {
  const double r = std::sqrt(a.value);
  return a.chain(r, r > 0 ? 0.5 / r : 0.0);
}
inline BiasDual log(const BiasDual& a) { return a.chain(std::log(a.value), 1.0 / a.value); }
// |a| with derivative sign(a); at a == 0 the derivative is taken as 0 (only used where the
// expression it multiplies vanishes there, so the product stays continuously differentiable).
inline BiasDual abs(const BiasDual& a) {
  const double s = a.value > 0 ? 1.0 : (a.value < 0 ? -1.0 : 0.0);
  return a.chain(std::fabs(a.value), s);
}

}  // namespace picospice::ekv
