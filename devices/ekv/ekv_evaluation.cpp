// The EKV MOSFET equations. References:
//   [EKV95]  C. C. Enz, F. Krummenacher, E. A. Vittoz, "An analytical MOS transistor model valid in
//            all regions of operation and dedicated to low-voltage and low-current applications",
//            Analog Integrated Circuits and Signal Processing 8, 1995.
//   [EKV26]  M. Bucher, C. Lallement, C. Enz et al., "The EPFL-EKV MOSFET Model Equations for
//            Simulation", model version 2.6.
//   [sEKV]   C. Enz, F. Chicco, A. Pezzotta, "Nanoscale MOSFET modeling", IEEE Solid-State
//            Circuits Magazine, 2017 (velocity saturation in the charge-based model).
//
// All voltages are referred to the bulk and, for PMOS, negated ("NMOS-referred"); the current and
// charges computed in that frame are negated back. Derivatives are unchanged by the double flip.
#include "devices/ekv/ekv_evaluation.hpp"

#include <algorithm>
#include <cmath>

#include "devices/ekv/ekv_charge.hpp"
#include "devices/ekv/ekv_interpolation.hpp"

namespace picospice::ekv {

const char* region_name(EkvRegion region) {
  switch (region) {
    case EkvRegion::Weak: return "weak";
    case EkvRegion::Moderate: return "moderate";
    case EkvRegion::Strong: return "strong";
  }
  return "?";
}

EkvPinchOff ekv_pinch_off(const EkvModelParams& model, double ut, double threshold, const BiasDual& vg) {
  EkvPinchOff p;
  if (model.constant_slope()) {
    // [EKV95] with a constant slope factor: VP = (VG - VTO)/N.
    const double n = model.slope_factor;
    p.vp = (vg - BiasDual(threshold)) / n;
    p.slope = BiasDual(n);
    p.depletion_charge = (-(n - 1.0) / ut) * (p.vp + BiasDual(model.phi));
    return p;
  }
  // [EKV26] pinch-off voltage (long channel):
  //   VG' = VG - VTO + PHI + GAMMA*sqrt(PHI)
  //   VP  = VG' - PHI - GAMMA*(sqrt(VG' + GAMMA^2/4) - GAMMA/2)   for VG' > 0,  -PHI otherwise.
  // With s = sqrt(VG' + GAMMA^2/4) this is VP + PHI = (s - GAMMA/2)^2, and
  //   sqrt(VP + PHI) = s - GAMMA/2 = VG'/(s + GAMMA/2)
  // which we use: it has no cancellation near flat band and gives dVP/dVG = sqrt(VP+PHI)/s.
  const double gamma = model.gamma, phi = model.phi;
  const BiasDual vg_prime = vg - BiasDual(threshold - phi - gamma * std::sqrt(phi));
  BiasDual root_psi;  // sqrt(VP + PHI)
  if (vg_prime.value > 0) {
    const BiasDual s = sqrt(vg_prime + BiasDual(0.25 * gamma * gamma));
    root_psi = vg_prime / (s + BiasDual(0.5 * gamma));
    p.vp = root_psi * root_psi - BiasDual(phi);
    p.depletion_charge = (-gamma / ut) * root_psi;  // [EKV26] qB at pinch-off: -GAMMA sqrt(VP+PHI)/UT
  } else {
    p.vp = BiasDual(-phi);
    p.depletion_charge = (-1.0 / ut) * vg_prime;  // [EKV26] accumulation: qB = -VG'/UT
  }
  // [EKV26] slope factor n = 1 + GAMMA/(2 sqrt(VP + PHI + 4 UT)). The same n serves the charges
  // (EKV 2.6 regularizes the charge slope with 1e-6 V instead of 4 UT; one smooth n is simpler).
  p.slope = BiasDual(1.0) + (0.5 * gamma) / sqrt(root_psi * root_psi + BiasDual(4.0 * ut));
  return p;
}

namespace {

BiasDual interpolation(const BiasDual& argument) {
  const InterpolationValue f = ekv_interpolation(argument.value);
  return argument.chain(f.value, f.derivative);
}

// The normalized inversion charge q of [sEKV] from the inversion coefficient, i = q^2 + q, so
// q = sqrt(1/4 + i) - 1/2, written as i/(sqrt(1/4 + i) + 1/2) to keep weak-inversion accuracy.
BiasDual normalized_charge(const BiasDual& i) { return i / (sqrt(BiasDual(0.25) + i) + BiasDual(0.5)); }

std::array<double, 4> terminal_gradient(const BiasDual& x) {
  // d/dVD, d/dVG, d/dVS, d/dVB (the bulk from the sum rule: only bulk-referred voltages matter).
  return {x.d_vd, x.d_vg, x.d_vs, -(x.d_vd + x.d_vg + x.d_vs)};
}

}  // namespace

EkvEvaluation evaluate_ekv(const EkvModelParams& model, const EkvTemperatureParams& temperature,
                           const EkvInstanceParams& instance, const EkvTerminalVoltages& v, bool want_charges) {
  const double p = model.polarity;
  const double ut = temperature.thermal_voltage;
  const BiasDual vg = BiasDual::gate(p * (v.g - v.b));
  const BiasDual vs = BiasDual::source(p * (v.s - v.b));
  const BiasDual vd = BiasDual::drain(p * (v.d - v.b));

  const EkvPinchOff pinch = ekv_pinch_off(model, ut, ekv_instance_threshold(temperature, instance), vg);

  // [EKV95] specific current Ispec = 2 n beta UT^2, beta = KP(T) (1 + DKP) (W/L) M.
  const double beta = temperature.kp * (1.0 + instance.dkp) * (instance.w / instance.l) * instance.m;
  BiasDual prefactor = (2.0 * beta * ut * ut) * pinch.slope;

  // Mobility reduction by the vertical field, [EKV26] beta/(1 + THETA*VP). VP is replaced by its
  // smooth positive part (VP + sqrt(VP^2 + (4UT)^2))/2 so the factor stays in (0, 1] in weak
  // inversion, where VP < 0 and the vertical-field effect on mobility is negligible.
  if (model.theta > 0) {
    const BiasDual vp_positive = 0.5 * (pinch.vp + sqrt(pinch.vp * pinch.vp + BiasDual(16.0 * ut * ut)));
    prefactor = prefactor / (BiasDual(1.0) + model.theta * vp_positive);
  }
  const double ispec_report = prefactor.value;

  // [EKV95] forward and reverse normalized currents.
  const BiasDual forward = interpolation((pinch.vp - vs) / ut);
  const BiasDual reverse = interpolation((pinch.vp - vd) / ut);

  // Velocity saturation [sEKV]: mobility degraded by the average lateral field. The surface
  // potential drop along the channel is 2 UT |qs - qd| in normalized charges, so
  //   Id = Ispec (if - ir) / (1 + lambda_c |qs - qd|),   lambda_c = 2 UT / (UCRIT L).
  // |.| is exact: (if - ir) vanishes where qs = qd, so Id stays continuously differentiable.
  if (model.ucrit > 0) {
    const double lambda_c = 2.0 * ut / (model.ucrit * instance.l);
    const BiasDual drop = abs(normalized_charge(forward) - normalized_charge(reverse));
    prefactor = prefactor / (BiasDual(1.0) + lambda_c * drop);
  }

  // Channel-length modulation: factor 1 + LAMBDA*|VDS|, with |VDS| smoothed as
  // VDS^2/sqrt(VDS^2 + UT^2): even in VDS (so drain/source symmetry holds exactly), differentiable
  // at VDS = 0, and within UT^2/(2|VDS|) of |VDS| elsewhere.
  if (model.lambda > 0) {
    const BiasDual vds = vd - vs;
    const BiasDual vds2 = vds * vds;
    prefactor = prefactor * (BiasDual(1.0) + model.lambda * (vds2 / sqrt(vds2 + BiasDual(ut * ut))));
  }

  const BiasDual id = prefactor * (forward - reverse);

  EkvEvaluation out;
  out.id = p * id.value;
  out.did = terminal_gradient(id);
  out.vp = pinch.vp.value;
  out.slope = pinch.slope.value;
  out.ispec = ispec_report;
  out.forward = forward.value;
  out.reverse = reverse.value;
  out.inversion_coefficient = std::max(forward.value, reverse.value);
  out.gm = id.d_vg;
  out.gms = -id.d_vs;
  out.gds = id.d_vd;
  const double ic = out.inversion_coefficient;
  out.region = ic < 0.1 ? EkvRegion::Weak : (ic > 10 ? EkvRegion::Strong : EkvRegion::Moderate);
  // Saturation: |VDS| beyond the sum of the two asymptotes of the saturation voltage, 4 UT in weak
  // inversion (ir/if < e^-4, under 2%) and VP - VS = 2 UT sqrt(if) in strong inversion [EKV95].
  out.saturated = std::fabs(vd.value - vs.value) > ut * (4.0 + 2.0 * std::sqrt(ic));

  if (!want_charges) return out;

  if (model.cox > 0) {
    const double scale = model.cox * instance.w * instance.l * instance.m * ut;
    const NormalizedCharges q = ekv_intrinsic_charges(forward, reverse, pinch.slope, pinch.depletion_charge);
    const BiasDual* by_terminal[4] = {&q.drain, &q.gate, &q.source, &q.bulk};
    for (int row = 0; row < 4; ++row) {
      out.charge[row] = p * scale * by_terminal[row]->value;
      const std::array<double, 4> gradient = terminal_gradient(*by_terminal[row]);
      for (int col = 0; col < 4; ++col) out.capacitance[row][col] = scale * gradient[col];
    }
  }

  // Overlap capacitances: linear gate-source, gate-drain (per width) and gate-bulk (per length).
  const double overlap[3] = {model.cgdo * instance.w * instance.m, model.cgso * instance.w * instance.m,
                             model.cgbo * instance.l * instance.m};
  const int other[3] = {kDrain, kSource, kBulk};
  const double terminal_voltage[4] = {v.d, v.g, v.s, v.b};
  for (int k = 0; k < 3; ++k) {
    const double c = overlap[k];
    if (c == 0) continue;
    const int t = other[k];
    const double charge = c * (v.g - terminal_voltage[t]);
    out.charge[kGate] += charge;
    out.charge[t] -= charge;
    out.capacitance[kGate][kGate] += c;
    out.capacitance[kGate][t] -= c;
    out.capacitance[t][kGate] -= c;
    out.capacitance[t][t] += c;
  }
  return out;
}

}  // namespace picospice::ekv
