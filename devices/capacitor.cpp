// C: a linear capacitor. `Cname n+ n- value [ic=v]`. q = C (v+ - v-) on n+, -q on n-.
// `ic=` is accepted for compatibility; use `.ic` on the node (it is applied with `uic`).
#include "devices/capacitor.hpp"
#include "devices/device_registry.hpp"

#include <cmath>
#include <limits>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'c', 2, false, {}, "capacitor", make_group<CapacitorGroup>}};
}  // namespace

void CapacitorGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  double c = 0, m = 1, ic = std::numeric_limits<double>::quiet_NaN();
  bool have = false;
  for (const auto& arg : card.args) {
    if (arg.is_number && arg.key.empty() && !have) { c = arg.value; have = true; }
    else if (arg.key == "c" || arg.key == "capacitance") { c = arg.value; have = true; }
    else if (arg.key == "m") m = arg.value;
    else if (arg.key == "ic") ic = arg.value;
    else card.fail_unexpected(arg, "capacitor", "a value or c=, m=, ic=");
  }
  if (!have) card.fail("capacitor " + card.name + " needs a value");
  if (!std::isfinite(c) || c < 0) card.fail("capacitor " + card.name + " must be finite and non-negative");
  names_.push_back(card.name);
  a_.push_back(card.nodes[0]);
  b_.push_back(card.nodes[1]);
  capacitance_.push_back(c * m);
  initial_voltage_.push_back(ic);
  slots_.emplace_back();
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
