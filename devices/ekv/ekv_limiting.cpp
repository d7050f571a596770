// Forward-argument rise limiting; the rule and its reasons are in ekv_limiting.hpp.
#include "devices/ekv/ekv_limiting.hpp"

#include <algorithm>
#include <cmath>

#include "devices/ekv/ekv_evaluation.hpp"

namespace picospice::ekv {

namespace {

double forward_argument(const EkvModelParams& model, double ut, double threshold, const BulkReferredBias& b) {
  const double vp = ekv_pinch_off_voltage(model, ut, threshold, b.vg);
  return (vp - std::min(b.vs, b.vd)) / ut;
}

}  // namespace

bool limit_forward_rise(const EkvModelParams& model, double ut, double threshold, const BulkReferredBias& previous,
                        BulkReferredBias& proposed) {
  if (!std::isfinite(proposed.vg) || !std::isfinite(proposed.vs) || !std::isfinite(proposed.vd)) {
    proposed = previous;  // a non-finite Newton step: stay put (the residual loading corrects)
    return true;
  }
  const double a0 = forward_argument(model, ut, threshold, previous);
  if (a0 >= kLimitStrongArgument) return false;
  const double a1 = forward_argument(model, ut, threshold, proposed);
  // The rise counts from kLimitCutoffArgument at the lowest: below it the current is within
  // e^-10 of nothing, so climbing out of deep cut-off costs nothing to accuracy. Counting from a
  // previous bias tens of volts into cut-off (where a diverging early iteration can leave it)
  // made the compressed rise take ten or more iterations to come back, each a failed Newton
  // iteration of the whole circuit.
  const double start = std::max(a0, kLimitCutoffArgument);
  const double rise = a1 - start;
  if (!(rise > kLimitRiseThreshold)) return false;
  const double allowed = kLimitRiseThreshold * (1.0 + std::log(rise / kLimitRiseThreshold));
  // The fraction of the step whose argument is the allowed one. The argument is not linear along
  // the step (VP saturates in deep cut-off, and VS or VD may move the other way), so the linear
  // estimate (start + allowed - a0) / (a1 - a0) can land short of it or even below a0: measured on
  // a 64-unit lowered layer's operating point, three devices with a1 ~ 1000 crept by -0.9..+0.07
  // per iteration for 20 iterations, a converged circuit held back only by their limiting.
  // Where the linear estimate lands on the allowed argument (the argument is linear along the
  // step: a constant slope factor, or VS and VD held), it is the answer. Otherwise bisection on
  // the fraction finds it (a is continuous, a(0) = a0 below the target and a(1) = a1 above it), so
  // each limited iteration rises by the full allowance. The check keeps the common case at one
  // more pinch-off evaluation: thousands of transistors can be limited in one iteration.
  const double target = start + allowed;
  auto at = [&](double fraction) {
    return BulkReferredBias{previous.vg + fraction * (proposed.vg - previous.vg),
                            previous.vs + fraction * (proposed.vs - previous.vs),
                            previous.vd + fraction * (proposed.vd - previous.vd)};
  };
  const double linear = (target - a0) / (a1 - a0);
  const BulkReferredBias estimate = at(linear);
  if (std::fabs(forward_argument(model, ut, threshold, estimate) - target) <= 1e-9 * std::fmax(1.0, std::fabs(target))) {
    proposed = estimate;
    return true;
  }
  double low = 0.0, high = 1.0;
  for (int i = 0; i < 60 && high - low > 1e-13; ++i) {
    const double middle = 0.5 * (low + high);
    (forward_argument(model, ut, threshold, at(middle)) < target ? low : high) = middle;
  }
  proposed = at(low);
  return true;
}

}  // namespace picospice::ekv
