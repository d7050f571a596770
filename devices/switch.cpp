// Switches S and W; see switch.hpp for the model and the rules of its state.
#include "devices/switch.hpp"
#include "devices/device_registry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "devices/passive_model.hpp"

namespace picospice {

// Registers these device types (devices/device_registry.hpp): one group holds S and W.
namespace {
const DeviceRegistration kRegisteredVoltage{{'s', 4, true, {"sw"}, "switch", make_group<SwitchGroup>}};
const DeviceRegistration kRegisteredCurrent{{'w', 2, false, {}, "switch", make_group<SwitchGroup>, {}, {"csw"}}};


}  // namespace

void SwitchGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  Instance s;
  s.name = card.name;
  s.location = card.location;
  s.current_controlled = card.letter == 'w';
  s.pos = card.nodes[0];
  s.neg = card.nodes[1];
  const char* kind = s.current_controlled ? "current-controlled switch" : "voltage-controlled switch";
  const char* accepted = s.current_controlled ? "the controlling voltage source, a csw model and ON or OFF"
                                              : "ON or OFF after the model";
  if (!s.current_controlled) { s.control_pos = card.nodes[2]; s.control_neg = card.nodes[3]; }
  for (const auto& arg : card.args) {
    if (!arg.is_number && arg.key.empty() && (arg.word == "on" || arg.word == "off")) {
      s.initial_on = arg.word == "on";
    } else if (s.current_controlled && !arg.is_number && arg.key.empty() && !arg.word.empty() && s.control_source.empty()) {
      s.control_source = builder.scoped_name(card.name, arg.word);
    } else {
      card.fail_unexpected(arg, kind, accepted);
    }
  }
  if (!card.model)
    card.fail(std::string(kind) + " " + card.name + " needs a model (" + (s.current_controlled ? "csw" : "sw") + ")");
  if (s.current_controlled && s.control_source.empty())
    card.fail("current-controlled switch " + card.name + " needs the name of its controlling voltage source");
  const ModelCard* model = card.model;
  const char* threshold_key = s.current_controlled ? "it" : "vt";
  const char* hysteresis_key = s.current_controlled ? "ih" : "vh";
  check_model_keys(model, std::string(threshold_key) + " " + hysteresis_key + " ron roff", model->type);
  double threshold = 0, hysteresis = 0, ron = 1, roff = 1e12;
  model_value(model, threshold_key, threshold);
  model_value(model, hysteresis_key, hysteresis);
  model_value(model, "ron", ron);
  model_value(model, "roff", roff);
  if (hysteresis < 0)
    throw NetlistError(model->location, "model '" + model->name + "': negative " + hysteresis_key + " is not supported");
  if (!(ron > 0) || !(roff > 0))
    throw NetlistError(model->location, "model '" + model->name + "': ron and roff must be positive");
  s.on_threshold = threshold + hysteresis;
  s.off_threshold = threshold - hysteresis;
  s.g_on = 1 / ron;
  s.g_off = 1 / roff;
  s.accepted_on = s.iterate_on = s.initial_on;
  instances_.push_back(std::move(s));
}

void SwitchGroup::link(CircuitBuilder& builder) {
  for (auto& s : instances_)
    if (s.current_controlled) s.control_pos = builder.branch_of(s.control_source, s.location);
}

void SwitchGroup::bind_slots(SlotBinder& binder) {
  for (auto& s : instances_) s.slots.bind(binder, s.pos, s.neg);
}

void SwitchGroup::evaluate(EvalRequest& r) {
  for (auto& s : instances_) {
    const bool on = decide(s, control(s, r.x), s.accepted_on);
    if (on != s.iterate_on) {
      ++r.limited;  // the state flipped since the last iterate: this one is not a solution yet
      s.iterate_on = on;
    }
    const double g = on ? s.g_on : s.g_off;
    r.add_current(s.pos, s.neg, g * (r.x[s.pos] - r.x[s.neg]));
    s.slots.add(r.jac, g);
  }
}

void SwitchGroup::restore_initial_state() {
  for (auto& s : instances_) s.accepted_on = s.iterate_on = s.initial_on;
}

bool SwitchGroup::accept_state(const double* x) {
  bool changed = false;
  for (auto& s : instances_) {
    const bool on = decide(s, control(s, x), s.accepted_on);
    changed = changed || on != s.accepted_on;
    s.accepted_on = s.iterate_on = on;
  }
  return changed;
}

double SwitchGroup::state_change_fraction(const double* x_old, const double* x_new) const {
  double first = std::numeric_limits<double>::infinity();
  for (const auto& s : instances_) {
    const double c1 = control(s, x_new);
    const bool on = decide(s, c1, s.accepted_on);
    if (on == s.accepted_on) continue;
    const double c0 = control(s, x_old);
    const double threshold = on ? s.on_threshold : s.off_threshold;
    const double fraction = c1 != c0 ? (threshold - c0) / (c1 - c0) : 1.0;
    first = std::min(first, std::clamp(fraction, 0.0, 1.0));
  }
  return first;
}

OperatingPointTable SwitchGroup::operating_point_table(const double* x) const {
  OperatingPointTable table;
  table.title = "Switches";
  table.columns = {{"state", false}, {"control", false}, {"r (ohm)", false}, {"i (A)", false}};
  for (const auto& s : instances_) {
    const double g = s.accepted_on ? s.g_on : s.g_off;
    table.rows.push_back({s.name, {std::string(s.accepted_on ? "on" : "off"), control(s, x), 1 / g,
                                   g * (x[s.pos] - x[s.neg])}});
  }
  return table;
}

void SwitchGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (const auto& s : instances_) out.push_back({s.name, s.pos, s.neg, DcConnection::Kind::Conducts});
}

}  // namespace picospice
