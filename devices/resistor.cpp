// R: a linear resistor. `Rname n+ n- value` or `Rname n+ n- r=value`.
// f: i = (v+ - v-)/R leaves n+ and enters n-.
// noise=0 excludes the instance from transient noise (thermal, 4kT/R).
#include "devices/resistor.hpp"
#include "devices/device_registry.hpp"

#include <cmath>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'r', 2, false, {}, "resistor", make_group<ResistorGroup>}};
}  // namespace

void ResistorGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  double r = 0;
  bool have = false;
  for (const auto& arg : card.args) {
    if (arg.is_number && arg.key.empty() && !have) { r = arg.value; have = true; }
    else if (arg.key == "r" || arg.key == "resistance") { r = arg.value; have = true; }
    else if (arg.key == "m") {}  // parallel multiplier handled below
    else if (arg.key == "noise") {
      if (arg.value != 0 && arg.value != 1) card.fail(arg, "noise= of resistor " + card.name + " must be 0 or 1");
    } else if (arg.key == "tc1" || arg.key == "tc2") {}
    else card.fail_unexpected(arg, "resistor", "a value or r=, m=, noise=; resistor models and ac= are not supported yet");
  }
  double m = 1;
  for (const auto& arg : card.args) if (arg.key == "m") m = arg.value;
  if (!have) card.fail("resistor " + card.name + " needs a value");
  if (!(r != 0) || !std::isfinite(r)) card.fail("resistor " + card.name + " must have a finite, non-zero value");
  names_.push_back(card.name);
  a_.push_back(card.nodes[0]);
  b_.push_back(card.nodes[1]);
  conductance_.push_back(m / r);
  slots_.emplace_back();
  bool noisy = true;
  for (const auto& arg : card.args) if (arg.key == "noise") noisy = arg.value != 0;
  noisy_.push_back(noisy);
}

void ResistorGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) slots_[i].bind(binder, a_[i], b_[i]);
}

void ResistorGroup::evaluate(EvalRequest& r) {
  for (std::size_t i = 0; i < a_.size(); ++i) {
    const double g = conductance_[i];
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
    out.push_back({names_[i], 0, a_[i], b_[i], NoiseSourceSpec::Spectrum::White, 1.0});
  }
}

// m parallel copies have independent noise: m * 4kT/R = 4kT*G.
double ResistorGroup::noise_density(std::size_t source, const double*) const {
  return 4.0 * physics::boltzmann * kelvin_ * std::fabs(conductance_[noise_instance_[source]]);
}

void ResistorGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i)
    out.push_back({names_[i], a_[i], b_[i], DcConnection::Kind::Conducts});
}

}  // namespace picospice
