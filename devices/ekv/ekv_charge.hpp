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

struct NormalizedCharges {
  BiasDual drain, gate, source, bulk;
};

// forward, reverse: if and ir; slope: nq; depletion: q_depletion (all with their derivatives).
NormalizedCharges ekv_intrinsic_charges(const BiasDual& forward, const BiasDual& reverse,
                                        const BiasDual& slope, const BiasDual& depletion);

}  // namespace picospice::ekv
