// Model card parsing and temperature scaling for level=ekv; see ekv_params.hpp for the table.
#include "devices/ekv/ekv_params.hpp"

#include <cmath>

namespace picospice::ekv {

namespace {

// Silicon permittivity, 11.7 * epsilon_0 (F/m), for the E0 -> THETA conversion.
constexpr double silicon_permittivity = 11.7 * 8.8541878128e-12;

std::string known_names_text() {
  std::string text;
  for (const auto& name : ekv_parameter_names()) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

const std::vector<std::string>& ekv_parameter_names() {
  static const std::vector<std::string> names = {
      "level", "vto", "kp",   "n",    "gamma", "phi",  "lambda", "ucrit", "theta", "e0", "cox",
      "cgso",  "cgdo", "cgbo", "tnom", "tcv",   "bex",  "avto",   "akp",   "kf",    "af"};
  return names;
}

EkvModelParams parse_ekv_model(const ModelCard& card, double default_tnom_celsius) {
  auto fail = [&](const std::string& message) -> void {
    throw NetlistError(card.location, "model " + card.name + ": " + message);
  };
  auto level = card.words.find("level");
  if (card.has("level") || level == card.words.end() || level->second != "ekv")
    fail("only level=ekv is supported for MOSFET models (add level=ekv to the .model card)");
  if (card.type != "nmos" && card.type != "pmos")
    fail("an EKV model must be of type nmos or pmos, not '" + card.type + "'");

  auto is_known = [](const std::string& key) {
    for (const auto& name : ekv_parameter_names())
      if (name == key) return true;
    return false;
  };
  for (const auto& [key, value] : card.params) {
    if (!is_known(key)) fail("unknown EKV parameter '" + key + "'; known: " + known_names_text());
    if (!std::isfinite(value)) fail("parameter '" + key + "' is not finite");
  }
  for (const auto& [key, word] : card.words)
    if (key != "level") fail("parameter '" + key + "' needs a number, not '" + word + "'; known: " + known_names_text());

  EkvModelParams m;
  m.name = card.name;
  const bool pmos = card.type == "pmos";
  m.polarity = pmos ? -1 : 1;
  m.vto = card.get("vto", pmos ? -0.45 : 0.45);
  m.kp = card.get("kp", pmos ? 70e-6 : 300e-6);
  m.slope_factor = card.get("n", 0.0);
  m.gamma = card.get("gamma", 0.6);
  m.phi = card.get("phi", 0.8);
  m.lambda = card.get("lambda", 0.0);
  m.ucrit = card.get("ucrit", 0.0);
  m.theta = card.get("theta", 0.0);
  m.e0 = card.get("e0", 0.0);
  m.cox = card.get("cox", 8.5e-3);
  m.cgso = card.get("cgso", 0.0);
  m.cgdo = card.get("cgdo", 0.0);
  m.cgbo = card.get("cgbo", 0.0);
  m.tnom_kelvin = card.get("tnom", default_tnom_celsius) + physics::zero_celsius;
  m.tcv = card.get("tcv", 1e-3);
  m.bex = card.get("bex", -1.5);
  m.avto = card.get("avto", 5e-9);
  m.akp = card.get("akp", 1e-8);
  m.kf = card.get("kf", 0.0);
  m.af = card.get("af", 1.0);

  if (!(m.kp > 0)) fail("KP must be positive");
  if (m.slope_factor < 0) fail("N must be positive (or 0 to use GAMMA and PHI)");
  if (m.slope_factor > 0 && m.slope_factor < 1) fail("N (the slope factor) must be at least 1");
  if (m.gamma < 0) fail("GAMMA must not be negative");
  if (!(m.phi > 0)) fail("PHI must be positive");
  if (m.lambda < 0) fail("LAMBDA must not be negative");
  if (m.ucrit < 0) fail("UCRIT must not be negative (0 turns velocity saturation off)");
  if (m.theta < 0 || m.e0 < 0) fail("THETA and E0 must not be negative (0 turns mobility reduction off)");
  if (m.theta > 0 && m.e0 > 0) fail("give THETA or E0 for mobility reduction, not both");
  if (m.cox < 0 || m.cgso < 0 || m.cgdo < 0 || m.cgbo < 0) fail("COX and the overlap capacitances must not be negative");
  if (!(m.tnom_kelvin > 0)) fail("TNOM is below absolute zero");
  if (m.avto < 0 || m.akp < 0) fail("AVTO and AKP must not be negative");

  // E0 (vertical critical field) enters as an equivalent THETA. EKV 2.6 divides KP by
  // 1 + (QB + eta*QI)/(eps_si*E0); we keep the inversion-charge part only and linearize the charge
  // as QI ~ COX*VP, giving THETA = eta*COX/(eps_si*E0) with eta = 1/2 (nmos), 1/3 (pmos) as in
  // EKV 2.6. An approximation (the depletion part is absorbed into KP), documented as such.
  if (m.e0 > 0) {
    if (!(m.cox > 0)) fail("E0 needs COX > 0 (it converts through the oxide capacitance)");
    const double eta = pmos ? 1.0 / 3.0 : 0.5;
    m.theta = eta * m.cox / (silicon_permittivity * m.e0);
  }
  return m;
}

EkvTemperatureParams ekv_at_temperature(const EkvModelParams& model, double kelvin) {
  EkvTemperatureParams t;
  t.kelvin = kelvin;
  t.thermal_voltage = physics::thermal_voltage(kelvin);
  t.vto_nmos_referred = model.polarity * model.vto - model.tcv * (kelvin - model.tnom_kelvin);
  t.kp = model.kp * std::pow(kelvin / model.tnom_kelvin, model.bex);
  return t;
}

}  // namespace picospice::ekv
