// R: a linear resistor.
//   Rname n+ n- [value] [rmodel] [r=value] [ac=value] [m=k] [scale=s] [tc1=] [tc2=] [tce=] [temp=]
//         [dtemp=]
//         [l=length] [w=width] [noise=0|1 | noisy=0|1]
// with an optional `.model rmodel r (r= rsh= defw= narrow= short= tc1= tc2= tce= tnom=)`: the
// value is the instance's, else rsh*(l - 2 short)/(w - 2 narrow) with w defaulting to defw, else the
// model's r= (ngspice's semiconductor resistor). Temperature: devices/passive_model.hpp. m parallel
// copies and `scale` give G = m / (R * scale).
// f: i = G (v+ - v-) leaves n+ and enters n-. ac= is the resistance .ac and .noise use
// (EvalRequest::small_signal; .tf asks for DC values); noise densities use the DC value.
// noise=0 (or ngspice's noisy=0) excludes the instance from transient noise and .noise (thermal,
// 4kT/R at the resistor's own temperature, Johnson-Nyquist; `.noise` calls it "thermal", as ngspice).
#include "devices/resistor.hpp"
#include "devices/device_registry.hpp"

#include <cmath>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{
    {'r', 2, false, {}, "resistor", make_group<ResistorGroup>, {}, {"r", "res"}}};

const char* const kModelKeys = "r res rsh defw narrow short tc1 tc2 tce tnom kf af";
const char* const kInstanceKeys =
    "a value, a model name, r=, ac=, m=, scale=, tc1=, tc2=, tce=, temp=, dtemp=, l=, w=, noise=";

// The resistance at TNOM from the instance value, the geometry or the model card.
double base_resistance(const ElementCard& card, bool have_value, double value, double length, double width) {
  if (have_value) return value;
  const ModelCard* model = card.model;
  double rsh = 0, r = 0;
  if (model_value(model, "rsh", rsh) && length > 0) {
    double narrow = 0, shorten = 0, defw = 1e-6;
    model_value(model, "narrow", narrow);
    model_value(model, "short", shorten);
    model_value(model, "defw", defw);
    // Both sides of the strip are etched: ngspice 39 computes RSH (L - 2 SHORT) / (W - 2 NARROW)
    // (measured: RSH 1k, L 11u, W 4u, NARROW 1u, SHORT 0.5u gives 5 kohm), where its capacitor
    // takes NARROW and SHORT once. A width etched away is an open circuit in ngspice (R = inf, no
    // word); here it is an error.
    const double w = (width > 0 ? width : defw) - 2 * narrow;
    const double l = length - 2 * shorten;
    if (!(w > 0) || !(l > 0))
      card.fail("resistor " + card.name + ": the effective length and width (l - 2 short, w - 2 narrow) must be positive");
    return rsh * l / w;
  }
  if (model_value(model, "r", r) || model_value(model, "res", r)) return r;
  card.fail("resistor " + card.name + " needs a value" +
            (model ? " (its model '" + model->name + "' gives none: r=, or rsh= with l=)" : ""));
}

}  // namespace

void ResistorGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  check_model_keys(card.model, kModelKeys, "resistor");
  double kf = 0;
  if (model_value(card.model, "kf", kf) && kf != 0)
    card.fail("resistor " + card.name + ": flicker noise of resistors (model kf=) is not supported");
  Values v;
  PassiveInstanceKeys keys;  // the model's temperature coefficients, overridden by the instance's
  keys.temperature.tnom = builder.options().tnom;
  model_value(card.model, "tnom", keys.temperature.tnom);
  model_value(card.model, "tc1", keys.temperature.tc1);
  model_value(card.model, "tc2", keys.temperature.tc2);
  model_value(card.model, "tce", keys.temperature.tce);
  double value = 0;
  bool have = false, noisy = true, have_ac = false;
  for (const auto& arg : card.args) {
    if (!arg.is_number) card.fail_unexpected(arg, "resistor", kInstanceKeys);
    if (arg.key.empty() && !have) { value = arg.value; have = true; }
    else if (arg.key == "r" || arg.key == "resistance") { value = arg.value; have = true; }
    else if (arg.key == "ac") { v.ac_resistance = arg.value; have_ac = true; }
    else if (arg.key == "tce") keys.temperature.tce = arg.value;
    else if (keys.read(arg)) continue;
    else if (arg.key == "noise" || arg.key == "noisy") {
      if (arg.value != 0 && arg.value != 1) card.fail(arg, arg.key + "= of resistor " + card.name + " must be 0 or 1");
      noisy = arg.value != 0;
    } else {
      card.fail_unexpected(arg, "resistor", kInstanceKeys);
    }
  }
  v.multiplier = keys.multiplier;
  v.scale = keys.scale;
  v.temperature = keys.temperature;
  v.resistance = base_resistance(card, have, value, keys.length, keys.width);
  if (!(v.resistance != 0) || !std::isfinite(v.resistance))
    card.fail("resistor " + card.name + " must have a finite, non-zero value");
  if (!(v.multiplier > 0) || !std::isfinite(v.multiplier)) card.fail("resistor " + card.name + ": m must be positive");
  if (!(v.scale != 0) || !std::isfinite(v.scale)) card.fail("resistor " + card.name + ": scale must be finite and non-zero");
  if (have_ac && (!std::isfinite(v.ac_resistance) || v.ac_resistance == 0))
    card.fail("resistor " + card.name + ": ac= must be a finite, non-zero resistance");
  names_.push_back(card.name);
  a_.push_back(card.nodes[0]);
  b_.push_back(card.nodes[1]);
  values_.push_back(v);
  conductance_.push_back(0);
  ac_conductance_.push_back(0);
  slots_.emplace_back();
  noisy_.push_back(noisy);
  kelvin_ = builder.options().temp + physics::zero_celsius;
  set_temperature(kelvin_);
}

void ResistorGroup::set_temperature(double kelvin) {
  kelvin_ = kelvin;
  const double celsius = kelvin - physics::zero_celsius;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const Values& v = values_[i];
    const double factor = v.temperature.factor(celsius) * v.scale;
    conductance_[i] = v.multiplier / (v.resistance * factor);
    ac_conductance_[i] = v.ac_resistance != 0 ? v.multiplier / (v.ac_resistance * factor) : conductance_[i];
  }
}

void ResistorGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) slots_[i].bind(binder, a_[i], b_[i]);
}

void ResistorGroup::evaluate(EvalRequest& r) {
  const std::vector<double>& conductances = r.small_signal ? ac_conductance_ : conductance_;
  for (std::size_t i = 0; i < a_.size(); ++i) {
    const double g = conductances[i];
    r.add_current(a_[i], b_[i], g * (r.x[a_[i]] - r.x[b_[i]]));
    slots_[i].add(r.jac, g);
  }
}

void ResistorGroup::list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>& out) {
  noise_instance_.clear();
  if (!setup.device_noise) return;
  for (std::size_t i = 0; i < size(); ++i) {
    if (!noisy_[i]) continue;
    noise_instance_.push_back(i);
    out.push_back({names_[i], 0, a_[i], b_[i], NoiseSourceSpec::Spectrum::White, 1.0, "thermal"});
  }
}

// m parallel copies have independent noise: m * 4kT/R = 4kT*G, T the resistor's own temperature
// (temp=, or the circuit's plus dtemp=), as ngspice's resistor noise.
double ResistorGroup::noise_density(std::size_t source, const double*) const {
  const std::size_t i = noise_instance_[source];
  const double kelvin = values_[i].temperature.instance_celsius(kelvin_ - physics::zero_celsius) + physics::zero_celsius;
  return 4.0 * physics::boltzmann * kelvin * std::fabs(conductance_[i]);
}

void ResistorGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i)
    out.push_back({names_[i], a_[i], b_[i], DcConnection::Kind::Conducts});
}

}  // namespace picospice
