// What R and C share: the instance and model-card parameters that scale a value with temperature
// and geometry, read once from the element line and its optional model card.
//
// Temperature (ngspice's resistor and capacitor): value(T) = value(TNOM) * (1 + TC1 dT + TC2 dT^2)
// (* 1.01^(TCE dT) for a resistor's TCE), dT = T - TNOM, where T is the instance's temp= or the
// circuit temperature plus dtemp=, TNOM the model's tnom= or .options tnom. Instance tc1=/tc2=
// (and a resistor's tce=) override the model's. The product of both factors is what ngspice's own
// regression test (tests/regression/temper/temper-res-1.cir) expects; ngspice 39 itself drops
// TC1/TC2 when TCE is given (its result fails that test by 23%).
#pragma once
#include <cmath>
#include <limits>
#include <string>

#include "devices/device.hpp"

namespace picospice {

struct TemperatureScaling {
  double tc1 = 0, tc2 = 0, tce = 0;
  double temp = std::numeric_limits<double>::quiet_NaN();  // C; NaN: circuit temperature + dtemp
  double dtemp = 0;                                        // C
  double tnom = 27;                                        // C

  // The instance's own temperature in C: temp= if given, else the circuit's plus dtemp=.
  double instance_celsius(double circuit_celsius) const { return std::isnan(temp) ? circuit_celsius + dtemp : temp; }

  // The factor value(T) / value(TNOM) at a circuit temperature in C.
  double factor(double circuit_celsius) const {
    const double dt = instance_celsius(circuit_celsius) - tnom;
    double f = 1 + tc1 * dt + tc2 * dt * dt;
    if (tce != 0) f *= std::pow(1.01, tce * dt);
    return f;
  }
};

// The instance keys R and C share (m=, scale=, tc1=, tc2=, temp=, dtemp=, l=, w=): stores a value
// named by one of them and says whether it did.
struct PassiveInstanceKeys {
  double multiplier = 1, scale = 1, length = 0, width = 0;
  TemperatureScaling temperature;

  bool read(const ElementArg& arg) {
    if (arg.key == "m") multiplier = arg.value;
    else if (arg.key == "scale") scale = arg.value;
    else if (arg.key == "tc1") temperature.tc1 = arg.value;
    else if (arg.key == "tc2") temperature.tc2 = arg.value;
    else if (arg.key == "temp") temperature.temp = arg.value;
    else if (arg.key == "dtemp") temperature.dtemp = arg.value;
    else if (arg.key == "l") length = arg.value;
    else if (arg.key == "w") width = arg.value;
    else return false;
    return true;
  }
};

// The numeric parameter `key` of a model card, where given (checked for finiteness).
inline bool model_value(const ModelCard* model, const char* key, double& out) {
  if (!model || !model->has(key)) return false;
  out = model->get(key, 0);
  if (!std::isfinite(out)) throw NetlistError(model->location, std::string("model '") + model->name + "': " + key + " must be finite");
  return true;
}

// Fails when the model card has a parameter not in `known` (space-separated), naming it.
inline void check_model_keys(const ModelCard* model, const std::string& known, const std::string& kind) {
  if (!model) return;
  const std::string padded = " " + known + " ";
  for (const auto& [key, value] : model->params)
    if (padded.find(" " + key + " ") == std::string::npos)
      throw NetlistError(model->location, "model '" + model->name + "' (" + kind + "): unknown parameter '" + key +
                                              "' (known: " + known + ")");
  for (const auto& [key, word] : model->words)
    throw NetlistError(model->location, "model '" + model->name + "' (" + kind + "): '" + key + "=" + word +
                                            "' is not a number");
}

}  // namespace picospice
