// EKV 2.6 intrinsic charges with Ward-Dutton partition; equations in ekv_charge.hpp.
#include "devices/ekv/ekv_charge.hpp"

namespace picospice::ekv {

namespace {

// x = sqrt(1/4 + i) with its derivative; written through i directly for the chain rule.
BiasDual half_plus_charge(const BiasDual& inversion) { return sqrt(BiasDual(0.25) + inversion); }

// The bracket of qD or qS: 4/15 * (3a^3 + 6a^2 b + 4a b^2 + 2b^3)/(a + b)^2 - 1/2, where a is the
// own-side root (xr for the drain, xf for the source). In deep weak inversion a, b -> 1/2 and the
// bracket tends to 0 by cancellation; the absolute error (~1e-16 in units of COX*W*L*UT) is far
// below any charge tolerance, and the derivatives are formed without that cancellation.
BiasDual partition_bracket(const BiasDual& a, const BiasDual& b) {
  const BiasDual sum = a + b;
  const BiasDual a2 = a * a, b2 = b * b;
  const BiasDual numerator = 3.0 * a2 * a + 6.0 * a2 * b + 4.0 * a * b2 + 2.0 * b2 * b;
  return (4.0 / 15.0) * numerator / (sum * sum) - BiasDual(0.5);
}

}  // namespace

NormalizedCharges ekv_intrinsic_charges(const BiasDual& forward, const BiasDual& reverse,
                                        const BiasDual& slope, const BiasDual& depletion) {
  const BiasDual xf = half_plus_charge(forward);
  const BiasDual xr = half_plus_charge(reverse);
  NormalizedCharges q;
  q.drain = -(slope * partition_bracket(xr, xf));
  q.source = -(slope * partition_bracket(xf, xr));
  const BiasDual inversion = q.drain + q.source;
  q.bulk = depletion - (slope - BiasDual(1.0)) / slope * inversion;
  q.gate = -(inversion + q.bulk);
  return q;
}

}  // namespace picospice::ekv
