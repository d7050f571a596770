// The EKV charge-based intrinsic (quasi-static) charge model, normalized to COX*W*L*M*UT.
//
// Source: EKV 2.6 documentation (Bucher, Lallement, Enz), "Quasi-static model: intrinsic node
// charges", with the Ward-Dutton linear partition of the inversion charge between drain and
// source. With the forward and reverse inversion coefficients if, ir:
//
//     xf = sqrt(1/4 + if),   xr = sqrt(1/4 + ir)
//     qD = -nq * [ 4/15 * (3xr^3 + 6xr^2 xf + 4xr xf^2 + 2xf^3) / (xf + xr)^2 - 1/2 ]
//     qS = -nq * [ 4/15 * (3xf^3 + 6xf^2 xr + 4xf xr^2 + 2xr^3) / (xf + xr)^2 - 1/2 ]
//     qI = qD + qS = -nq * [ 4/3 * (xf^2 + xf xr + xr^2) / (xf + xr) - 1 ]
//     qB = q_depletion - (nq - 1)/nq * qI
//     qG = -(qI + qB)                                   (no fixed oxide charge)
//
// qG is defined as minus the rest, so the four terminal charges sum to zero exactly (charge
// conservation) and so does every column of their capacitance matrix.
//
// q_depletion is the bulk depletion charge at pinch-off, from the pinch-off computation:
//   GAMMA/PHI model (EKV 2.6): -GAMMA*sqrt(VP + PHI)/UT above flat band, -VG'/UT below it.
//   constant N: the same charge linearized with slope (N - 1), -(N - 1)(VP + PHI)/UT, which gives
//   the depletion-region gate capacitance COX*(N - 1)/N of the constant-slope model.
#pragma once
#include "devices/ekv/bias_dual.hpp"

namespace picospice::ekv {

// The bracket of qD or qS above as a function of its own-side root a (xr for the drain, xf for
// the source) and the other root b, with its two partial derivatives, derived by hand:
//     B(a, b)  = 4/15 * (3a^3 + 6a^2 b + 4a b^2 + 2b^3)/(a + b)^2 - 1/2
//     dB/da    = 4/15 * a (3a^2 + 9ab + 8b^2)/(a + b)^3
//     dB/db    = 8/15 * b (a^2 + 3ab + b^2)/(a + b)^3
// (On the diagonal a = b: B = a - 1/2 and dB/da + dB/db = 10/15 + 5/15 = 1, as it must be.)
// In deep weak inversion a, b -> 1/2 and B tends to 0 by cancellation; the absolute error
// (~1e-16 in units of COX*W*L*UT) is far below any charge tolerance, and the partials have no
// cancellation at all.
struct PartitionBracket {
  double value = 0.0, d_own = 0.0, d_other = 0.0;
};

inline PartitionBracket partition_bracket(double a, double b) {
  const double sum = a + b;
  const double a2 = a * a, b2 = b * b, ab = a * b;
  const double numerator = 3.0 * a2 * a + 6.0 * a2 * b + 4.0 * a * b2 + 2.0 * b2 * b;
  const double inv_sum = 1.0 / sum;
  const double inv_sum3 = inv_sum * inv_sum * inv_sum;
  return {(4.0 / 15.0) * numerator / (sum * sum) - 0.5,
          (4.0 / 15.0) * a * (3.0 * a2 + 9.0 * ab + 8.0 * b2) * inv_sum3,
          (8.0 / 15.0) * b * (a2 + 3.0 * ab + b2) * inv_sum3};
}

struct NormalizedCharges {
  BiasDual drain, gate, source, bulk;
};

// forward_root, reverse_root: xf and xr (the caller computes them once: velocity saturation
// needs them too); slope: nq; depletion: q_depletion (all with their derivatives).
NormalizedCharges ekv_intrinsic_charges(const BiasDual& forward_root, const BiasDual& reverse_root,
                                        const BiasDual& slope, const BiasDual& depletion);

}  // namespace picospice::ekv
