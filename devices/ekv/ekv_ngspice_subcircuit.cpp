// Writes the EKV drain current of devices/ekv/ekv_evaluation.cpp as an ngspice B-source
// expression. Every step below cites the line of ekv_evaluation.cpp it mirrors; keep them in step.
#include "devices/ekv/ekv_ngspice_subcircuit.hpp"

#include <fmt/format.h>

#include <cmath>

#include "devices/ekv/ekv_evaluation.hpp"

namespace picospice {

namespace {

// Full precision, so the exported constants are the doubles picospice uses.
std::string number(double v) { return fmt::format("{:.17g}", v); }

// ln(1 + e^x) without overflow: (x + |x|)/2 + ln(1 + e^-|x|) (docs/design.md, 'Checking against
// ngspice').
std::string softplus(const std::string& x) {
  return fmt::format("(({0}+abs({0}))/2+ln(1+exp(-abs({0}))))", x);
}

// F(v) = ln^2(1 + e^(v/2)), given the text of v/2.
std::string interpolation_of_half(const std::string& half) {
  const std::string l = softplus(half);
  return fmt::format("({0}*{0})", l);
}

// The bulk-referred, NMOS-referred voltage of terminal t ("g", "s", "d").
std::string terminal_voltage(int polarity, const char* t) {
  return polarity > 0 ? fmt::format("v({},b)", t) : fmt::format("(-v({},b))", t);
}

}  // namespace

std::string ekv_subcircuit_name(const std::string& model_name) { return "ekv_" + model_name; }

std::vector<std::string> ekv_ngspice_header_notes(double celsius) {
  return {
      "Each EKV MOSFET is an instance of a behavioral subcircuit ekv_<model> (B source).",
      "EXACT: the drain current (same equations as picospice devices/ekv, overflow-safe softplus),",
      "       per-instance W, L, M, DVTO, DKP, and the overlap capacitances (CGSO, CGDO, CGBO).",
      fmt::format("FROZEN: temperature {:.12g} C (UT, VTO(T), KP(T) are numbers in each subcircuit);", celsius),
      "        a .dc temp sweep or .temp change does not reach the MOSFETs.",
      "APPROXIMATED: the intrinsic (COX) charge is three fixed capacitors Cgs, Cgd, Cgb per device,",
      "        the charge-based capacitance matrix's gate row at weak-inversion saturation",
      "        (IC = 0.01, VDS = 0.5 V); drain/source-bulk intrinsic capacitance is left out.",
      "        Transients agree only as far as these are small against the circuit's capacitors.",
  };
}

FrozenGateCapacitance frozen_gate_capacitance(const ekv::EkvModelParams& model, double kelvin,
                                              const RepresentativeBias& bias) {
  FrozenGateCapacitance out;
  if (!(model.cox > 0)) return out;
  ekv::EkvModelParams intrinsic = model;  // overlap capacitors are exported exactly, apart
  intrinsic.cgso = intrinsic.cgdo = intrinsic.cgbo = 0;
  const ekv::EkvTemperatureParams t = ekv::ekv_at_temperature(intrinsic, kelvin);
  const ekv::EkvInstanceParams unit_area{1.0, 1.0, 1.0, 0.0, 0.0};  // W = L = 1 m: per m^2
  const double p = model.polarity;
  auto at_gate = [&](double vg) {
    ekv::EkvTerminalVoltages v;
    v.g = p * vg;
    v.d = p * bias.drain_source;
    return ekv::evaluate_ekv(intrinsic, t, unit_area, v, true);
  };
  // The inversion coefficient rises monotonically with VG: bisect for the requested one.
  double low = -3.0, high = 6.0;
  for (int k = 0; k < 200 && high - low > 1e-12; ++k) {
    const double mid = 0.5 * (low + high);
    (at_gate(mid).inversion_coefficient < bias.inversion_coefficient ? low : high) = mid;
  }
  out.gate_voltage = 0.5 * (low + high);
  const ekv::EkvEvaluation e = at_gate(out.gate_voltage);
  // Branch capacitances from the gate row of the capacitance matrix: C_gx = -dQg/dVx.
  out.gate_source = std::max(0.0, -e.capacitance[ekv::kGate][ekv::kSource]);
  out.gate_drain = std::max(0.0, -e.capacitance[ekv::kGate][ekv::kDrain]);
  out.gate_bulk = std::max(0.0, -e.capacitance[ekv::kGate][ekv::kBulk]);
  return out;
}

std::string ekv_ngspice_subcircuit(const ekv::EkvModelParams& model, double kelvin, const RepresentativeBias& bias) {
  const ekv::EkvTemperatureParams t = ekv::ekv_at_temperature(model, kelvin);
  const int p = model.polarity;
  const double ut = t.thermal_voltage;
  const std::string vg = terminal_voltage(p, "g"), vs = terminal_voltage(p, "s"), vd = terminal_voltage(p, "d");

  // Pinch-off voltage and slope factor (ekv_pinch_off). The instance threshold is VTO(T) + DVTO.
  std::string vp, slope;
  if (model.constant_slope()) {
    vp = fmt::format("(({}-({}+dvto))/{})", vg, number(t.vto_nmos_referred), number(model.slope_factor));
    slope = number(model.slope_factor);
  } else if (model.gamma > 0) {
    // VG' = VG - VTO + PHI + GAMMA sqrt(PHI); sqrt(VP+PHI) = VG'/(sqrt(VG'+GAMMA^2/4)+GAMMA/2)
    // for VG' > 0 and 0 otherwise: max(VG',0) gives both branches in one expression.
    const double offset = t.vto_nmos_referred - model.phi - model.gamma * std::sqrt(model.phi);
    const std::string positive = fmt::format("max({}-({}+dvto),0)", vg, number(offset));
    const std::string root = fmt::format("({0}/(sqrt({0}+{1})+{2}))", positive, number(0.25 * model.gamma * model.gamma),
                                         number(0.5 * model.gamma));
    vp = fmt::format("({0}*{0}-{1})", root, number(model.phi));
    slope = fmt::format("(1+{}/sqrt({}*{}+{}))", number(0.5 * model.gamma), root, root, number(4.0 * ut));
  } else {
    // GAMMA = 0: sqrt(VP+PHI) = sqrt(VG'), VP = max(VG - VTO + PHI, 0) - PHI, n = 1.
    vp = fmt::format("(max({}-({}+dvto),0)-{})", vg, number(t.vto_nmos_referred - model.phi), number(model.phi));
    slope = "1";
  }

  // Ispec = 2 n KP(T)(1+DKP)(W/L) M UT^2, then the mobility factor.
  std::string prefactor = fmt::format("({}*(1+dkp)*w/l*m)*{}", number(2.0 * t.kp * ut * ut), slope);
  if (model.theta > 0)
    prefactor += fmt::format("/(1+{}*0.5*({}+sqrt({}*{}+{})))", number(model.theta), vp, vp, vp, number(16.0 * ut * ut));

  // if = F((VP-VS)/UT), ir = F((VP-VD)/UT), written through v/2 = (VP-V)/(2UT).
  const std::string forward = interpolation_of_half(fmt::format("(({}-{})/{})", vp, vs, number(2.0 * ut)));
  const std::string reverse = interpolation_of_half(fmt::format("(({}-{})/{})", vp, vd, number(2.0 * ut)));

  if (model.ucrit > 0) {
    // 1/(1 + lambda_c |qs - qd|), q = i/(sqrt(1/4 + i) + 1/2), lambda_c = 2 UT/(UCRIT L).
    auto charge = [](const std::string& i) { return fmt::format("({0}/(sqrt(0.25+{0})+0.5))", i); };
    prefactor += fmt::format("/(1+({}/l)*abs({}-{}))", number(2.0 * ut / model.ucrit), charge(forward), charge(reverse));
  }
  if (model.lambda > 0) {
    // 1 + LAMBDA VDS^2/sqrt(VDS^2 + UT^2): VDS^2 is the same NMOS- or PMOS-referred.
    prefactor += fmt::format("*(1+{}*v(d,s)*v(d,s)/sqrt(v(d,s)*v(d,s)+{}))", number(model.lambda), number(ut * ut));
  }
  const std::string current = fmt::format("{}{}*({}-{})", p > 0 ? "" : "-", prefactor, forward, reverse);

  std::string text;
  text += fmt::format("* EKV model '{}' ({}), frozen at T = {} K: UT = {} V, VTO(T) = {} V (NMOS-referred), "
                      "KP(T) = {} A/V^2\n",
                      model.name, p > 0 ? "nmos" : "pmos", number(kelvin), number(ut), number(t.vto_nmos_referred),
                      number(t.kp));
  const FrozenGateCapacitance c = frozen_gate_capacitance(model, kelvin, bias);
  if (model.cox > 0)
    text += fmt::format("* intrinsic charge APPROXIMATED by fixed capacitors per unit gate area (F/m^2) at IC = {}, "
                        "VDS = {} V, VGB = {} V: Cgs {}, Cgd {}, Cgb {}\n",
                        bias.inversion_coefficient, bias.drain_source, number(c.gate_voltage), number(c.gate_source),
                        number(c.gate_drain), number(c.gate_bulk));
  text += fmt::format(".subckt {} d g s b params: w=1u l=1u m=1 dvto=0 dkp=0\n", ekv_subcircuit_name(model.name));
  text += "B1 d s I = " + current + "\n";
  auto capacitor = [&](const char* name, const char* a, const char* b, const std::string& value) {
    text += fmt::format("{} {} {} {{{}}}\n", name, a, b, value);
  };
  if (c.gate_source > 0) capacitor("Cgs_intrinsic", "g", "s", number(c.gate_source) + "*w*l*m");
  if (c.gate_drain > 0) capacitor("Cgd_intrinsic", "g", "d", number(c.gate_drain) + "*w*l*m");
  if (c.gate_bulk > 0) capacitor("Cgb_intrinsic", "g", "b", number(c.gate_bulk) + "*w*l*m");
  if (model.cgso > 0) capacitor("Cgs_overlap", "g", "s", number(model.cgso) + "*w*m");
  if (model.cgdo > 0) capacitor("Cgd_overlap", "g", "d", number(model.cgdo) + "*w*m");
  if (model.cgbo > 0) capacitor("Cgb_overlap", "g", "b", number(model.cgbo) + "*l*m");
  text += fmt::format(".ends {}\n", ekv_subcircuit_name(model.name));
  return text;
}

}  // namespace picospice
