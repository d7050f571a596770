// The EKV MOSFET as a pure function: terminal voltages -> drain current, terminal charges and all
// their analytic derivatives, plus operating-point quantities. Equations and citations in
// ekv_evaluation.cpp; the model card in ekv_params.hpp; the charge partition in ekv_charge.hpp.
//
// Conventions:
//   - Terminals are ordered drain, gate, source, bulk (indices below).
//   - id is the current entering the drain terminal and leaving the source terminal (negative for
//     a conducting PMOS). Charges are the charges stored at each terminal (C); their time
//     derivatives are the currents into the terminals.
//   - Instance mismatch: DVTO (V) adds to the NMOS-referred threshold, i.e. to VTO for NMOS and to
//     |VTO| for PMOS, so a positive DVTO makes either type harder to turn on. DKP scales KP by
//     (1 + DKP).
#pragma once
#include <array>

#include "devices/ekv/bias_dual.hpp"
#include "devices/ekv/ekv_params.hpp"

namespace picospice::ekv {

enum Terminal { kDrain = 0, kGate = 1, kSource = 2, kBulk = 3 };

enum class EkvRegion { Weak, Moderate, Strong };
const char* region_name(EkvRegion region);  // "weak", "moderate", "strong"

struct EkvInstanceParams {
  double w = 1e-6, l = 1e-6, m = 1.0;  // m, m, parallel multiplier
  double dvto = 0.0;                   // V, see the convention above
  double dkp = 0.0;                    // relative KP change
};

struct EkvTerminalVoltages {
  double d = 0.0, g = 0.0, s = 0.0, b = 0.0;  // V, absolute node voltages
};

struct EkvEvaluation {
  double id = 0.0;                                   // A, into drain, out of source
  std::array<double, 4> did{};                       // dId/dV(terminal), S
  std::array<double, 4> charge{};                    // C, per terminal (sum is 0)
  std::array<std::array<double, 4>, 4> capacitance{};  // dQ(row)/dV(column), F

  // Operating point, NMOS-referred (PMOS voltages flipped), bulk-referred voltages.
  double vp = 0.0;          // V, pinch-off voltage
  double slope = 1.0;       // n (N or n(VP))
  double ispec = 0.0;       // A, 2 n KP (W/L) M UT^2 times the mobility factors
  double forward = 0.0;     // if = F((VP - VS)/UT)
  double reverse = 0.0;     // ir = F((VP - VD)/UT)
  double inversion_coefficient = 0.0;  // IC = max(if, ir)
  double gm = 0.0;          // S, dId/dVG
  double gms = 0.0;         // S, -dId/dVS
  double gds = 0.0;         // S, dId/dVD
  EkvRegion region = EkvRegion::Weak;  // weak IC < 0.1, strong IC > 10, moderate between
  bool saturated = false;   // |VDS| > UT*(4 + 2*sqrt(IC)), see the .cpp
};

// The pinch-off voltage VP, the slope factor n and the normalized bulk depletion charge as
// functions of the bulk-referred gate voltage (NMOS-referred), with derivatives.
struct EkvPinchOff {
  BiasDual vp, slope, depletion_charge;
};
EkvPinchOff ekv_pinch_off(const EkvModelParams& model, double thermal_voltage, double threshold,
                          const BiasDual& vg);
// VP alone (no derivatives), for voltage limiting.
double ekv_pinch_off_voltage(const EkvModelParams& model, double thermal_voltage, double threshold, double vg);

// The threshold an instance sees (NMOS-referred): VTO(T) + DVTO.
inline double ekv_instance_threshold(const EkvTemperatureParams& t, const EkvInstanceParams& inst) {
  return t.vto_nmos_referred + inst.dvto;
}

// The full evaluation. Charges and capacitances are computed only when want_charges.
// A constant slope factor (N given, the hot path of every cell-library circuit) takes a path
// with hand-written derivatives; the GAMMA/PHI model carries them as BiasDual (forward mode).
EkvEvaluation evaluate_ekv(const EkvModelParams& model, const EkvTemperatureParams& temperature,
                           const EkvInstanceParams& instance, const EkvTerminalVoltages& v,
                           bool want_charges = true);

// The forward-mode path for any model, constant slope included: the reference the hand-derived
// constant-slope path is tested against.
EkvEvaluation evaluate_ekv_dual(const EkvModelParams& model, const EkvTemperatureParams& temperature,
                                const EkvInstanceParams& instance, const EkvTerminalVoltages& v,
                                bool want_charges = true);

// Convenience for tests and one-off use: temperature in kelvin.
inline EkvEvaluation evaluate_ekv(const EkvModelParams& model, double kelvin, const EkvInstanceParams& instance,
                                  const EkvTerminalVoltages& v, bool want_charges = true) {
  return evaluate_ekv(model, ekv_at_temperature(model, kelvin), instance, v, want_charges);
}

}  // namespace picospice::ekv
