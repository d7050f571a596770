// Newton voltage limiting for the EKV MOSFET ("forward-argument rise limiting", our design).
//
// Why: below strong inversion the current grows like exp(a) in the forward argument
//     a = (VP - min(VS, VD)) / UT
// (the larger of the two arguments of F in [EKV95]). A Newton step computed from a weak-inversion
// linearization can raise a by hundreds, multiplying the current by e^100 and wrecking the next
// iteration. Falling currents are harmless (Newton approaches an exponential from above slowly but
// safely), and in strong inversion the current is only quadratic in a.
//
// Rule: with a0 the argument at the previous limited bias and a1 at the proposed bias, and the rise
// counted from s = max(a0, -10) (below -10 the current is negligible, so leaving deep cut-off is
// free), when
//     a0 < 20 (IC below ~100: the exponential regime matters)  and  a1 - s > 10,
// the rise is compressed logarithmically, as junction limiting does for diodes,
//     allowed = 10 * (1 + ln((a1 - a0)/10))
// (continuous, slope 1 at the threshold), and the whole step of (vg, vs, vd) is scaled by
// (s + allowed - a0)/(a1 - a0), keeping its direction. One iteration can thus still raise the current by
// e^10 unhindered; a cold-start jump from 0 V to 1.8 V gate drive takes two or three iterations.
// The device loads its residual at the limited bias consistently (f = i(v_lim) + J (v - v_lim)),
// so a converged solution, where the step and therefore the limiting vanish, is exact.
#pragma once
#include "devices/ekv/ekv_params.hpp"

namespace picospice::ekv {

// Bulk-referred, NMOS-referred voltages (PMOS flipped), V.
struct BulkReferredBias {
  double vg = 0.0, vs = 0.0, vd = 0.0;
};

constexpr double kLimitRiseThreshold = 10.0;   // largest unlimited rise of a per iteration
constexpr double kLimitStrongArgument = 20.0;  // a above which no limiting is needed
constexpr double kLimitCutoffArgument = -10.0; // a below which the rise is counted from here

// Returns true and rewrites `proposed` when the step from `previous` had to be limited.
bool limit_forward_rise(const EkvModelParams& model, double thermal_voltage, double threshold,
                        const BulkReferredBias& previous, BulkReferredBias& proposed);

}  // namespace picospice::ekv
