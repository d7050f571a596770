// EKV 2.6 intrinsic charges with Ward-Dutton partition; equations in ekv_charge.hpp.
#include "devices/ekv/ekv_charge.hpp"

namespace picospice::ekv {

namespace {

// The bracket as a BiasDual: its hand-derived partials in a and b, chained onto a's and b's.
BiasDual bracket(const BiasDual& own, const BiasDual& other) {
  const PartitionBracket p = partition_bracket(own.value, other.value);
  return {p.value, p.d_own * own.d_vg + p.d_other * other.d_vg, p.d_own * own.d_vs + p.d_other * other.d_vs,
          p.d_own * own.d_vd + p.d_other * other.d_vd};
}

}  // namespace

NormalizedCharges ekv_intrinsic_charges(const BiasDual& forward_root, const BiasDual& reverse_root,
                                        const BiasDual& slope, const BiasDual& depletion) {
  NormalizedCharges q;
  q.drain = -(slope * bracket(reverse_root, forward_root));
  q.source = -(slope * bracket(forward_root, reverse_root));
  const BiasDual inversion = q.drain + q.source;
  q.bulk = depletion - (slope - BiasDual(1.0)) / slope * inversion;
  q.gate = -(inversion + q.bulk);
  return q;
}

}  // namespace picospice::ekv
