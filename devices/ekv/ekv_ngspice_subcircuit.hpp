// The EKV MOSFET of devices/ekv written as an ngspice 39 subcircuit (docs/design.md, 'Checking
// against ngspice'):
//
//   .subckt ekv_<model> d g s b params: w=1u l=1u m=1 dvto=0 dkp=0
//   B1 d s I = <the drain current of ekv_evaluation.cpp, same equations, same order>
//   C... fixed capacitors for the charges (see below)
//   .ends
//
// What is exact and what is not:
//   - The drain current is exact: pinch-off (constant N, or EKV 2.6 GAMMA/PHI with the same
//     cancellation-free root), slope factor n(VP), Ispec with KP(T)(1+DKP)(W/L)M, the mobility
//     factor 1/(1+THETA*VP+) with VP+ = (VP+sqrt(VP^2+16UT^2))/2, velocity saturation
//     1/(1+lambda_c|qs-qd|), CLM 1+LAMBDA*VDS^2/sqrt(VDS^2+UT^2). The interpolation function uses
//     the overflow-safe softplus ln(1+e^x) = (x+|x|)/2 + ln(1+e^-|x|); ngspice has no log1p, so
//     ln(1+e^-|x|) loses relative accuracy only where e^-|x| < 1e-16·(1/1e-4), i.e. for currents
//     many decades below the operating point: far below any tolerance.
//   - Temperature is frozen at export time: UT, VTO(T) and KP(T) are numbers in the text.
//   - Overlap capacitances (CGSO, CGDO, CGBO) are exact linear capacitors.
//   - Intrinsic charge (COX > 0) is NOT exact: it becomes three fixed capacitors gate-source,
//     gate-drain and gate-bulk, the gate row of the charge-based capacitance matrix evaluated at
//     one representative bias (see RepresentativeBias). Transients therefore agree only as well
//     as these capacitors are small against the circuit's own capacitors.
#pragma once
#include <string>
#include <vector>

#include "devices/ekv/ekv_params.hpp"

namespace picospice {

// The bias, NMOS-referred and bulk-referred, at which intrinsic gate capacitances are frozen:
// saturation (VD - VS = drain_source volts) with VS = VB = 0 and the gate set so that the
// inversion coefficient is inversion_coefficient. The default (weak inversion, IC = 0.01) is the
// regime picospice's circuits live in.
struct RepresentativeBias {
  double inversion_coefficient = 0.01;
  double drain_source = 0.5;  // V
};

// Intrinsic capacitances per unit gate area (F/m^2) at that bias; multiply by W*L*M.
struct FrozenGateCapacitance {
  double gate_source = 0, gate_drain = 0, gate_bulk = 0;
  double gate_voltage = 0;  // V, the NMOS-referred VG - VB where they were evaluated
};
FrozenGateCapacitance frozen_gate_capacitance(const ekv::EkvModelParams& model, double kelvin,
                                              const RepresentativeBias& bias = {});

// What the export file's header says about EKV subcircuits at this temperature (one line each,
// without the leading '*').
std::vector<std::string> ekv_ngspice_header_notes(double celsius);

// The subcircuit name for a model: "ekv_" + model name.
std::string ekv_subcircuit_name(const std::string& model_name);

// The full `.subckt ... .ends` text (lines end with '\n'), with a comment block that states the
// frozen temperature and capacitances.
std::string ekv_ngspice_subcircuit(const ekv::EkvModelParams& model, double kelvin,
                                   const RepresentativeBias& bias = {});

}  // namespace picospice
