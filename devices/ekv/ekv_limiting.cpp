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
  const double rise = forward_argument(model, ut, threshold, proposed) - a0;
  if (!(rise > kLimitRiseThreshold)) return false;
  const double allowed = kLimitRiseThreshold * (1.0 + std::log(rise / kLimitRiseThreshold));
  const double fraction = allowed / rise;
  proposed.vg = previous.vg + fraction * (proposed.vg - previous.vg);
  proposed.vs = previous.vs + fraction * (proposed.vs - previous.vs);
  proposed.vd = previous.vd + fraction * (proposed.vd - previous.vd);
  return true;
}

}  // namespace picospice::ekv
