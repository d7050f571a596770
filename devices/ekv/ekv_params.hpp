// The EKV model card: `.model NAME nmos|pmos level=ekv param=value ...` (docs/design.md, 'The EKV
// model').
//
// Parameters are SI. Defaults are the generic 180 nm card of docs/design.md, 'Generic 180 nm card'
// (an estimate, not a PDK) where it gives one, and the EKV 2.6 documentation (Bucher, Lallement,
// Enz) otherwise.
//
//   name    unit      default (nmos / pmos)   meaning
//   VTO     V         0.45 / -0.45            long-channel threshold; negative for PMOS as in SPICE
//   KP      A/V^2     300e-6 / 70e-6          transconductance parameter mu*Cox
//   N       -         0 (absent)              constant slope factor; 0 or absent: EKV 2.6 pinch-off
//                                             voltage and slope n(VP) from GAMMA and PHI
//   GAMMA   V^0.5     0.6                     body effect (only when N is absent or 0)
//   PHI     V         0.8                     bulk Fermi potential (2*phi_F)
//   LAMBDA  1/V       0                       channel-length modulation, factor 1 + LAMBDA*|VDS|
//   UCRIT   V/m       0 (off)                 longitudinal critical field (velocity saturation)
//   THETA   1/V       0 (off)                 mobility reduction, KP / (1 + THETA*VP)
//   E0      V/m       0 (off)                 vertical critical field; alternative to THETA
//   COX     F/m^2     8.5e-3                  gate oxide capacitance; 0 switches intrinsic charge off
//   CGSO    F/m       0                       gate-source overlap capacitance per width
//   CGDO    F/m       0                       gate-drain overlap capacitance per width
//   CGBO    F/m       0                       gate-bulk overlap capacitance per length
//   TNOM    deg C     .options tnom (27)      temperature of the given parameters (Celsius, as SPICE)
//   TCV     V/K       1e-3                    threshold temperature coefficient (on |VTO|)
//   BEX     -         -1.5                    mobility temperature exponent, KP(T) = KP*(T/TNOM)^BEX
//   AVTO    V*m       5e-9                    Pelgrom: sigma(dVTO) = AVTO/sqrt(W*L*M)
//   AKP     m         1e-8                    Pelgrom: sigma(dKP/KP) = AKP/sqrt(W*L*M)
//   KF, AF  -         0, 1                    flicker noise coefficient and exponent (stored)
//   LEVEL   word      (required)              must be `ekv`
#pragma once
#include <string>
#include <vector>

#include "devices/device.hpp"

namespace picospice::ekv {

struct EkvModelParams {
  std::string name;
  int polarity = 1;  // +1 nmos, -1 pmos: all voltages, currents and charges flip sign for pmos
  double vto = 0.45, kp = 300e-6;
  double slope_factor = 0.0;  // N; 0 selects the GAMMA/PHI pinch-off
  double gamma = 0.6, phi = 0.8;
  double lambda = 0.0;
  double ucrit = 0.0;
  double theta = 0.0;  // 1/V; when E0 is given this holds the equivalent value (see .cpp)
  double e0 = 0.0;
  double cox = 8.5e-3;
  double cgso = 0.0, cgdo = 0.0, cgbo = 0.0;
  double tnom_kelvin = 300.15;
  double tcv = 1e-3, bex = -1.5;
  double avto = 5e-9, akp = 1e-8;
  double kf = 0.0, af = 1.0;

  bool constant_slope() const { return slope_factor > 0; }
  bool operator==(const EkvModelParams&) const = default;
};

// Reads and checks a model card; throws NetlistError at the card's location on a missing or
// wrong level, unknown parameter names (the message lists the known ones) or values out of range.
EkvModelParams parse_ekv_model(const ModelCard& card, double default_tnom_celsius);

// The parameter names parse_ekv_model accepts, lower case.
const std::vector<std::string>& ekv_parameter_names();

// Temperature-dependent parameters (EKV 2.6 documentation, temperature effects):
//     UT(T)  = k*T/q
//     VTO(T) = VTO - TCV*(T - TNOM)        applied to the NMOS-referred threshold, i.e. to |VTO|
//                                          for PMOS: a positive TCV lowers both thresholds' magnitude
//     KP(T)  = KP*(T/TNOM)^BEX
struct EkvTemperatureParams {
  double kelvin = 300.15;
  double thermal_voltage = 0.025864186;
  double vto_nmos_referred = 0.45;  // polarity*VTO(T): positive for both types in a normal card
  double kp = 300e-6;
};

EkvTemperatureParams ekv_at_temperature(const EkvModelParams& model, double kelvin);

}  // namespace picospice::ekv
