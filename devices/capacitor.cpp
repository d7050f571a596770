// C: a linear capacitor. q = C (v+ - v-) on n+, -q on n-.
//   Cname n+ n- [value] [cmodel] [c=value] [m=k] [scale=s] [tc1=] [tc2=] [temp=] [dtemp=] [l=] [w=] [ic=v]
// with an optional `.model cmodel c (cap= cj= cjsw= defw= defl= narrow= short= di= thick= tc1= tc2= tnom=)`:
// the value is the instance's, else the geometry's CJ (L - SHORT)(W - NARROW) + 2 CJSW (L - SHORT +
// W - NARROW) (CJ from DI * eps0 / THICK when only those are given; L and W default to DEFL and
// DEFW), else the model's cap= (ngspice's semiconductor capacitor). Temperature:
// devices/passive_model.hpp. C = value * scale * m.
// `ic=` is the initial voltage of `.tran ... uic` (apply_initial_conditions).
#include "devices/capacitor.hpp"
#include "devices/device_registry.hpp"

#include <cmath>
#include <limits>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'c', 2, false, {}, "capacitor", make_group<CapacitorGroup>, {}, {"c"}}};

const char* const kModelKeys = "cap c cj cjsw defw defl narrow short di thick tc1 tc2 tnom";
const char* const kInstanceKeys = "a value, a model name, c=, m=, scale=, tc1=, tc2=, temp=, dtemp=, l=, w=, ic=";
constexpr double kVacuumPermittivity = 8.8541878128e-12;  // F/m

// The capacitance at TNOM from the instance value, the geometry or the model card.
double base_capacitance(const ElementCard& card, bool have_value, double value, double length, double width) {
  if (have_value) return value;
  const ModelCard* model = card.model;
  double cj = 0, cjsw = 0, di = 0, thick = 0, cap = 0;
  const bool have_cj = model_value(model, "cj", cj) ||
                       (model_value(model, "di", di) && model_value(model, "thick", thick) && thick > 0 &&
                        (cj = di * kVacuumPermittivity / thick, true));
  const bool have_cjsw = model_value(model, "cjsw", cjsw);
  if (have_cj || have_cjsw) {
    double narrow = 0, shorten = 0, defw = 1e-6, defl = 1e-6;
    model_value(model, "narrow", narrow);
    model_value(model, "short", shorten);
    model_value(model, "defw", defw);
    model_value(model, "defl", defl);
    const double w = (width > 0 ? width : defw) - narrow;
    const double l = (length > 0 ? length : defl) - shorten;
    if (!(w > 0) || !(l > 0))
      card.fail("capacitor " + card.name + ": the effective length and width (l - short, w - narrow) must be positive");
    return cj * l * w + 2 * cjsw * (l + w);
  }
  if (model_value(model, "cap", cap) || model_value(model, "c", cap)) return cap;
  card.fail("capacitor " + card.name + " needs a value" +
            (model ? " (its model '" + model->name + "' gives none: cap=, or cj=/cjsw= with l= and w=)" : ""));
}

}  // namespace

void CapacitorGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  check_model_keys(card.model, kModelKeys, "capacitor");
  Values v;
  PassiveInstanceKeys keys;  // the model's temperature coefficients, overridden by the instance's
  keys.temperature.tnom = builder.options().tnom;
  model_value(card.model, "tnom", keys.temperature.tnom);
  model_value(card.model, "tc1", keys.temperature.tc1);
  model_value(card.model, "tc2", keys.temperature.tc2);
  double value = 0, ic = std::numeric_limits<double>::quiet_NaN();
  bool have = false;
  for (const auto& arg : card.args) {
    if (!arg.is_number) card.fail_unexpected(arg, "capacitor", kInstanceKeys);
    if (arg.key.empty() && !have) { value = arg.value; have = true; }
    else if (arg.key == "c" || arg.key == "capacitance") { value = arg.value; have = true; }
    else if (keys.read(arg)) continue;
    else if (arg.key == "ic") ic = arg.value;
    else card.fail_unexpected(arg, "capacitor", kInstanceKeys);
  }
  v.multiplier = keys.multiplier;
  v.scale = keys.scale;
  v.temperature = keys.temperature;
  v.capacitance = base_capacitance(card, have, value, keys.length, keys.width);
  if (!std::isfinite(v.capacitance) || v.capacitance < 0)
    card.fail("capacitor " + card.name + " must be finite and non-negative");
  if (!(v.multiplier > 0) || !std::isfinite(v.multiplier)) card.fail("capacitor " + card.name + ": m must be positive");
  if (!(v.scale > 0) || !std::isfinite(v.scale)) card.fail("capacitor " + card.name + ": scale must be positive");
  names_.push_back(card.name);
  a_.push_back(card.nodes[0]);
  b_.push_back(card.nodes[1]);
  values_.push_back(v);
  capacitance_.push_back(0);
  initial_voltage_.push_back(ic);
  slots_.emplace_back();
  set_temperature(builder.options().temp + physics::zero_celsius);
}

void CapacitorGroup::set_temperature(double kelvin) {
  const double celsius = kelvin - physics::zero_celsius;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const Values& v = values_[i];
    capacitance_[i] = v.capacitance * v.temperature.factor(celsius) * v.scale * v.multiplier;
  }
}

void CapacitorGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i) out.push_back({names_[i], a_[i], b_[i], DcConnection::Kind::StoresCharge});
}

void CapacitorGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) slots_[i].bind(binder, a_[i], b_[i]);
}

void CapacitorGroup::apply_initial_conditions(const double* x, double* q) const {
  for (std::size_t i = 0; i < size(); ++i) {
    if (std::isnan(initial_voltage_[i])) continue;
    const double shift = capacitance_[i] * (initial_voltage_[i] - (x[a_[i]] - x[b_[i]]));
    q[a_[i]] += shift;
    q[b_[i]] -= shift;
  }
}

void CapacitorGroup::evaluate(EvalRequest& r) {
  if (!r.want_reactive) return;
  for (std::size_t i = 0; i < a_.size(); ++i) {
    const double c = capacitance_[i];
    r.add_charge(a_[i], b_[i], c * (r.x[a_[i]] - r.x[b_[i]]));
    slots_[i].add(r.jac, r.reactive_scale * c);
  }
}

}  // namespace picospice
