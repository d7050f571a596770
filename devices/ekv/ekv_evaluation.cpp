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
//
// Two implementations of the same equations:
//   - evaluate_ekv_dual carries the three partial derivatives through every operation (BiasDual,
//     forward mode). It serves the GAMMA/PHI model, whose VP and n are long chains in VG.
//   - evaluate_constant_slope serves a constant slope factor N, the model of the cell library and
//     so the hot path of every simulation (callgrind: ~60% of all instructions went to the dual
//     path). There VP depends on VG only, if on (VG, VS) and ir on (VG, VD), so each elementary
//     factor's partials are written by hand and only the products are formed as BiasDual.
// Tests check both against finite differences and against each other.
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

namespace {

// [EKV95] with a constant slope factor: VP = (VG - VTO)/N.
inline double constant_slope_pinch_off(double vg, double threshold, double n) { return (1.0 / n) * (vg - threshold); }

}  // namespace

EkvPinchOff ekv_pinch_off(const EkvModelParams& model, double ut, double threshold, const BiasDual& vg) {
  EkvPinchOff p;
  if (model.constant_slope()) {
    const double n = model.slope_factor;
    p.vp = (1.0 / n) * (vg - BiasDual(threshold));  // constant_slope_pinch_off, with derivatives
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

double ekv_pinch_off_voltage(const EkvModelParams& model, double ut, double threshold, double vg) {
  if (model.constant_slope()) return constant_slope_pinch_off(vg, threshold, model.slope_factor);
  return ekv_pinch_off(model, ut, threshold, BiasDual(vg)).vp.value;
}

namespace {

BiasDual interpolation(const BiasDual& argument) {
  const InterpolationValue f = ekv_interpolation(argument.value);
  return argument.chain(f.value, f.derivative);
}

// x = sqrt(1/4 + i) for an inversion coefficient i: the charge model's xf, xr, and through
// q = x - 1/2 the normalized inversion charge of [sEKV] (i = q^2 + q).
BiasDual quarter_root(const BiasDual& i) { return sqrt(BiasDual(0.25) + i); }

// The normalized inversion charge q = sqrt(1/4 + i) - 1/2, written as i/(x + 1/2) to keep
// weak-inversion accuracy; x = quarter_root(i).
BiasDual normalized_charge(const BiasDual& i, const BiasDual& x) { return i / (x + BiasDual(0.5)); }

std::array<double, 4> terminal_gradient(const BiasDual& x) {
  // d/dVD, d/dVG, d/dVS, d/dVB (the bulk from the sum rule: only bulk-referred voltages matter).
  return {x.d_vd, x.d_vg, x.d_vs, -(x.d_vd + x.d_vg + x.d_vs)};
}

// [EKV95] beta = KP(T) (1 + DKP) (W/L) M; the specific current is 2 n beta UT^2.
double beta_of(const EkvTemperatureParams& temperature, const EkvInstanceParams& instance) {
  return temperature.kp * (1.0 + instance.dkp) * (instance.w / instance.l) * instance.m;
}

// Velocity saturation [sEKV]: lambda_c = 2 UT / (UCRIT L), see evaluate_ekv_dual.
double velocity_saturation_coefficient(const EkvModelParams& model, double ut, const EkvInstanceParams& instance) {
  return 2.0 * ut / (model.ucrit * instance.l);
}

// Operating-point fields, common to both paths. vds is NMOS-referred VD - VS.
void set_operating_point(EkvEvaluation& out, double ut, double vp, double slope, double ispec, double forward,
                         double reverse, double vds, const BiasDual& id) {
  out.vp = vp;
  out.slope = slope;
  out.ispec = ispec;
  out.forward = forward;
  out.reverse = reverse;
  const double ic = std::max(forward, reverse);
  out.inversion_coefficient = ic;
  out.gm = id.d_vg;
  out.gms = -id.d_vs;
  out.gds = id.d_vd;
  out.region = ic < 0.1 ? EkvRegion::Weak : (ic > 10 ? EkvRegion::Strong : EkvRegion::Moderate);
  // Saturation: |VDS| beyond the sum of the two asymptotes of the saturation voltage, 4 UT in weak
  // inversion (ir/if < e^-4, under 2%) and VP - VS = 2 UT sqrt(if) in strong inversion [EKV95].
  // Tested as (|VDS|/UT - 4)^2 > 4 IC to spare a square root on every Newton iteration.
  const double excess = std::fabs(vds) / ut - 4.0;
  out.saturated = excess > 0 && excess * excess > 4.0 * ic;
}

// The intrinsic charges (normalized, NMOS-referred) scaled to coulombs, with their capacitances.
void set_intrinsic_charges(EkvEvaluation& out, const NormalizedCharges& q, double p, double scale) {
  const BiasDual* by_terminal[4] = {&q.drain, &q.gate, &q.source, &q.bulk};
  for (int row = 0; row < 4; ++row) {
    out.charge[row] = p * scale * by_terminal[row]->value;
    const std::array<double, 4> gradient = terminal_gradient(*by_terminal[row]);
    for (int col = 0; col < 4; ++col) out.capacitance[row][col] = scale * gradient[col];
  }
}

// Overlap capacitances: linear gate-source, gate-drain (per width) and gate-bulk (per length).
void add_overlap_charges(EkvEvaluation& out, const EkvModelParams& model, const EkvInstanceParams& instance,
                         const EkvTerminalVoltages& v) {
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
}

// The constant-slope path (see the top of this file). Equations and their order are those of
// evaluate_ekv_dual; each elementary partial derivative is written out:
//   VP = (VG - VTO)/N                       dVP/dVG = 1/N
//   if = F((VP - VS)/UT)                    dif/dVG = F'/(N UT), dif/dVS = -F'/UT
//   ir = F((VP - VD)/UT)                    dir/dVG = F'/(N UT), dir/dVD = -F'/UT
//   x  = sqrt(1/4 + i)                      dx = di/(2x)
//   smooth VP+ = (VP + r)/2, r = sqrt(VP^2 + 16 UT^2)     dVP+/dVP = (1 + VP/r)/2
//   q  = x - 1/2 (normalized charge)        dq = dx
//   CLM factor 1 + LAMBDA VDS^2/s, s = sqrt(VDS^2 + UT^2)
//                                           d/dVDS = LAMBDA VDS (2 - VDS^2/s^2)/s
//   qdep = -(N - 1)(VP + PHI)/UT            dqdep/dVG = -(N - 1)/(N UT)
EkvEvaluation evaluate_constant_slope(const EkvModelParams& model, const EkvTemperatureParams& temperature,
                                      const EkvInstanceParams& instance, const EkvTerminalVoltages& v,
                                      bool want_charges) {
  const double p = model.polarity;
  const double ut = temperature.thermal_voltage;
  const double inv_ut = 1.0 / ut;
  const double n = model.slope_factor;
  const double inv_n = 1.0 / n;
  const double vg = p * (v.g - v.b), vs = p * (v.s - v.b), vd = p * (v.d - v.b);
  const double vp = constant_slope_pinch_off(vg, ekv_instance_threshold(temperature, instance), n);

  BiasDual prefactor((2.0 * beta_of(temperature, instance) * ut * ut) * n);
  if (model.theta > 0) {
    const double r = std::sqrt(vp * vp + 16.0 * ut * ut);
    const double denominator = 1.0 + model.theta * (0.5 * (vp + r));
    const double d_denominator_vg = model.theta * 0.5 * (1.0 + vp / r) * inv_n;
    prefactor = prefactor / BiasDual(denominator, d_denominator_vg, 0.0, 0.0);
  }
  const double ispec_report = prefactor.value;

  const InterpolationValue ff = ekv_interpolation(inv_ut * (vp - vs));
  const InterpolationValue fr = ekv_interpolation(inv_ut * (vp - vd));
  const double dff = ff.derivative * inv_ut, dfr = fr.derivative * inv_ut;
  const BiasDual forward(ff.value, dff * inv_n, -dff, 0.0);
  const BiasDual reverse(fr.value, dfr * inv_n, 0.0, -dfr);

  // xf, xr: shared by velocity saturation and the charges.
  const bool want_intrinsic = want_charges && model.cox > 0;
  BiasDual xf, xr;
  if (model.ucrit > 0 || want_intrinsic) {
    xf.value = std::sqrt(0.25 + forward.value);
    xr.value = std::sqrt(0.25 + reverse.value);
    const double hf = 0.5 / xf.value, hr = 0.5 / xr.value;
    xf = {xf.value, hf * forward.d_vg, hf * forward.d_vs, 0.0};
    xr = {xr.value, hr * reverse.d_vg, 0.0, hr * reverse.d_vd};
  }

  if (model.ucrit > 0) {
    const double lambda_c = velocity_saturation_coefficient(model, ut, instance);
    const double qf = forward.value / (xf.value + 0.5), qr = reverse.value / (xr.value + 0.5);
    const double sign = qf > qr ? 1.0 : (qf < qr ? -1.0 : 0.0);  // |qf - qr|, derivative as abs()
    const BiasDual drop(std::fabs(qf - qr), sign * (xf.d_vg - xr.d_vg), sign * xf.d_vs, -sign * xr.d_vd);
    prefactor = prefactor / (BiasDual(1.0) + lambda_c * drop);
  }

  const double vds = vd - vs;
  if (model.lambda > 0) {
    const double vds2 = vds * vds;
    const double inv_s = 1.0 / std::sqrt(vds2 + ut * ut);
    const double d_clm = model.lambda * vds * (2.0 - vds2 * inv_s * inv_s) * inv_s;
    prefactor = prefactor * BiasDual(1.0 + model.lambda * (vds2 * inv_s), 0.0, -d_clm, d_clm);
  }

  const BiasDual id = prefactor * (forward - reverse);

  EkvEvaluation out;
  out.id = p * id.value;
  out.did = terminal_gradient(id);
  set_operating_point(out, ut, vp, n, ispec_report, forward.value, reverse.value, vds, id);
  if (!want_charges) return out;

  if (want_intrinsic) {
    const double depletion_slope = -(n - 1.0) * inv_ut;
    const BiasDual depletion(depletion_slope * (vp + model.phi), depletion_slope * inv_n, 0.0, 0.0);
    set_intrinsic_charges(out, ekv_intrinsic_charges(xf, xr, BiasDual(n), depletion), p,
                          model.cox * instance.w * instance.l * instance.m * ut);
  }
  add_overlap_charges(out, model, instance, v);
  return out;
}

}  // namespace

EkvEvaluation evaluate_ekv(const EkvModelParams& model, const EkvTemperatureParams& temperature,
                           const EkvInstanceParams& instance, const EkvTerminalVoltages& v, bool want_charges) {
  if (model.constant_slope()) return evaluate_constant_slope(model, temperature, instance, v, want_charges);
  return evaluate_ekv_dual(model, temperature, instance, v, want_charges);
}

EkvEvaluation evaluate_ekv_dual(const EkvModelParams& model, const EkvTemperatureParams& temperature,
                                const EkvInstanceParams& instance, const EkvTerminalVoltages& v,
                                bool want_charges) {
  const double p = model.polarity;
  const double ut = temperature.thermal_voltage;
  const BiasDual vg = BiasDual::gate(p * (v.g - v.b));
  const BiasDual vs = BiasDual::source(p * (v.s - v.b));
  const BiasDual vd = BiasDual::drain(p * (v.d - v.b));

  const EkvPinchOff pinch = ekv_pinch_off(model, ut, ekv_instance_threshold(temperature, instance), vg);

  // [EKV95] specific current Ispec = 2 n beta UT^2, beta = KP(T) (1 + DKP) (W/L) M.
  BiasDual prefactor = (2.0 * beta_of(temperature, instance) * ut * ut) * pinch.slope;

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

  const bool want_intrinsic = want_charges && model.cox > 0;
  BiasDual xf, xr;
  if (model.ucrit > 0 || want_intrinsic) {
    xf = quarter_root(forward);
    xr = quarter_root(reverse);
  }

  // Velocity saturation [sEKV]: mobility degraded by the average lateral field. The surface
  // potential drop along the channel is 2 UT |qs - qd| in normalized charges, so
  //   Id = Ispec (if - ir) / (1 + lambda_c |qs - qd|),   lambda_c = 2 UT / (UCRIT L).
  // |.| is exact: (if - ir) vanishes where qs = qd, so Id stays continuously differentiable.
  if (model.ucrit > 0) {
    const double lambda_c = velocity_saturation_coefficient(model, ut, instance);
    const BiasDual drop = abs(normalized_charge(forward, xf) - normalized_charge(reverse, xr));
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
  set_operating_point(out, ut, pinch.vp.value, pinch.slope.value, ispec_report, forward.value, reverse.value,
                      vd.value - vs.value, id);
  if (!want_charges) return out;

  if (want_intrinsic)
    set_intrinsic_charges(out, ekv_intrinsic_charges(xf, xr, pinch.slope, pinch.depletion_charge), p,
                          model.cox * instance.w * instance.l * instance.m * ut);
  add_overlap_charges(out, model, instance, v);
  return out;
}

}  // namespace picospice::ekv
