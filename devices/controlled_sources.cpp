// Linear controlled sources E, G, F, H; see controlled_sources.hpp for the equations and signs.
#include "devices/controlled_sources.hpp"
#include "devices/device_registry.hpp"

#include <cmath>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegisteredVcvs{
    {'e', 4, false, {}, "vcvs", make_group<VcvsGroup>, {"value", "vol", "table"}}};
const DeviceRegistration kRegisteredVccs{
    {'g', 4, false, {}, "vccs", make_group<VccsGroup>, {"value", "cur", "table"}}};
const DeviceRegistration kRegisteredCccs{{'f', 2, false, {}, "cccs", make_group<CccsGroup>}};
const DeviceRegistration kRegisteredCcvs{{'h', 2, false, {}, "ccvs", make_group<CcvsGroup>}};
}  // namespace

namespace {

// The one number (gain, gm, r) of a controlled source, optionally followed by m=.
struct ControlledArgs {
  std::string control;  // F and H: the controlling source's local name
  double value = 0;
  double multiplier = 1;
};

ControlledArgs parse_controlled(const ElementCard& card, bool wants_control_name, bool allow_multiplier,
                                const char* value_name) {
  ControlledArgs out;
  bool have_value = false;
  for (const auto& arg : card.args) {
    if (arg.is_number && arg.key.empty() && !have_value) {
      out.value = arg.value;
      have_value = true;
    } else if (wants_control_name && !arg.is_number && arg.key.empty() && out.control.empty() &&
               !have_value && arg.word != "poly") {
      out.control = arg.word;
    } else if (arg.key == "m" && allow_multiplier) {
      out.multiplier = arg.value;
    } else if (arg.key == value_name) {
      out.value = arg.value;
      have_value = true;
    } else if (arg.word == "poly") {
      card.fail(arg, "controlled source " + card.name +
                         ": the POLY form is not supported; use a linear gain, VALUE={expression} or TABLE");
    } else {
      card.fail_unexpected(arg, "controlled source", "its nodes or source and a gain");
    }
  }
  if (wants_control_name && out.control.empty())
    card.fail(card.name + " needs the name of its controlling voltage source");
  if (!have_value) card.fail(card.name + " needs a " + value_name);
  if (!std::isfinite(out.value)) card.fail(card.name + ": the " + std::string(value_name) + " must be finite");
  return out;
}

// The behavioral forms of E and G: `VALUE={expr}` (or `value_alias={expr}`) and
// `TABLE {expr} = (x1,y1) ...`. False when the card uses neither (the linear form).
bool read_behavioral(const ElementCard& card, CircuitBuilder& builder, const char* value_alias,
                     BehavioralOutputs::Output output, BehavioralOutputs::Spec& spec) {
  const ElementArg* expression = nullptr;
  bool table = false;
  std::vector<const ElementArg*> numbers;
  for (const auto& arg : card.args) {
    if (arg.program && (arg.key == "value" || arg.key == value_alias || arg.key == "table")) {
      if (expression) card.fail(arg, card.name + " takes one of VALUE=, " + value_alias + "= and TABLE");
      expression = &arg;
      table = arg.key == "table";
    } else if (expression && table && arg.is_number && arg.key.empty()) {
      numbers.push_back(&arg);
    } else if (expression) {
      card.fail_unexpected(arg, "behavioral source", table ? "TABLE {expression} = (x1, y1) (x2, y2) ..." : "one expression");
    }
  }
  if (!expression) return false;
  if (card.nodes.size() != 2)
    card.fail(card.name + ": the VALUE= and TABLE forms take two nodes before the keyword, got " +
              std::to_string(card.nodes.size()));
  spec.output = output;
  spec.program = expression->program;
  spec.tnom = builder.options().tnom;
  if (table) read_table_points(card, numbers, spec.table_x, spec.table_y);
  return true;
}

}  // namespace

// ---- E: voltage-controlled voltage source -------------------------------------------------------
// Branch row: v(n+) - v(n-) - gain * (v(nc+) - v(nc-)) = 0.

void VcvsGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  BehavioralOutputs::Spec spec;
  if (read_behavioral(card, builder, "vol", BehavioralOutputs::Output::Voltage, spec))
    return behavioral_.add(card, builder, std::move(spec));
  const ControlledArgs args = parse_controlled(card, false, false, "gain");
  names_.push_back(card.name);
  pos_.push_back(card.nodes[0]);
  neg_.push_back(card.nodes[1]);
  cpos_.push_back(card.nodes[2]);
  cneg_.push_back(card.nodes[3]);
  branch_.push_back(builder.add_branch(card.name));
  gain_.push_back(args.value);
  slots_.emplace_back();
}

void VcvsGroup::bind_slots(SlotBinder& binder) {
  behavioral_.bind_slots(binder);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const Index k = branch_[i];
    slots_[i] = {binder.slot(pos_[i], k), binder.slot(neg_[i], k), binder.slot(k, pos_[i]),
                 binder.slot(k, neg_[i]), binder.slot(k, cpos_[i]), binder.slot(k, cneg_[i])};
  }
}

void VcvsGroup::evaluate(EvalRequest& r) {
  behavioral_.evaluate(r);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const Index p = pos_[i], n = neg_[i], k = branch_[i];
    const double control = r.x[cpos_[i]] - r.x[cneg_[i]];
    r.add_current(p, n, r.x[k]);
    r.f[k] += r.x[p] - r.x[n] - gain_[i] * control;
    r.f_abs[k] += std::fabs(r.x[p]) + std::fabs(r.x[n]) + std::fabs(gain_[i] * control);
    const Slots& s = slots_[i];
    r.jac[s.pos_branch] += 1.0;
    r.jac[s.neg_branch] -= 1.0;
    r.jac[s.branch_pos] += 1.0;
    r.jac[s.branch_neg] -= 1.0;
    r.jac[s.branch_cpos] -= gain_[i];
    r.jac[s.branch_cneg] += gain_[i];
  }
}

void VcvsGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  behavioral_.list_dc_connections(out);
  for (std::size_t i = 0; i < names_.size(); ++i)
    out.push_back({names_[i], pos_[i], neg_[i], DcConnection::Kind::DefinesVoltage});
}

// ---- G: voltage-controlled current source -------------------------------------------------------
// i = gm * (v(nc+) - v(nc-)) leaves n+ and enters n-.

void VccsGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  BehavioralOutputs::Spec spec;
  if (read_behavioral(card, builder, "cur", BehavioralOutputs::Output::Current, spec))
    return behavioral_.add(card, builder, std::move(spec));
  const ControlledArgs args = parse_controlled(card, false, true, "gm");
  names_.push_back(card.name);
  pos_.push_back(card.nodes[0]);
  neg_.push_back(card.nodes[1]);
  cpos_.push_back(card.nodes[2]);
  cneg_.push_back(card.nodes[3]);
  transconductance_.push_back(args.value * args.multiplier);
  slots_.emplace_back();
}

void VccsGroup::bind_slots(SlotBinder& binder) {
  behavioral_.bind_slots(binder);
  for (std::size_t i = 0; i < names_.size(); ++i)
    slots_[i] = {binder.slot(pos_[i], cpos_[i]), binder.slot(pos_[i], cneg_[i]),
                 binder.slot(neg_[i], cpos_[i]), binder.slot(neg_[i], cneg_[i])};
}

void VccsGroup::evaluate(EvalRequest& r) {
  behavioral_.evaluate(r);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const double gm = transconductance_[i];
    r.add_current(pos_[i], neg_[i], gm * (r.x[cpos_[i]] - r.x[cneg_[i]]));
    const Slots& s = slots_[i];
    r.jac[s.pos_cpos] += gm;
    r.jac[s.pos_cneg] -= gm;
    r.jac[s.neg_cpos] -= gm;
    r.jac[s.neg_cneg] += gm;
  }
}

// ---- F: current-controlled current source -------------------------------------------------------
// i = gain * i(vname) leaves n+ and enters n-.

void CccsGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  const ControlledArgs args = parse_controlled(card, true, true, "gain");
  names_.push_back(card.name);
  control_names_.push_back(builder.scoped_name(card.name, args.control));
  locations_.push_back(card.location);
  pos_.push_back(card.nodes[0]);
  neg_.push_back(card.nodes[1]);
  control_.push_back(0);
  gain_.push_back(args.value * args.multiplier);
  slots_.emplace_back();
}

void CccsGroup::link(CircuitBuilder& builder) {
  for (std::size_t i = 0; i < size(); ++i) control_[i] = builder.branch_of(control_names_[i], locations_[i]);
}

void CccsGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i)
    slots_[i] = {binder.slot(pos_[i], control_[i]), binder.slot(neg_[i], control_[i])};
}

void CccsGroup::evaluate(EvalRequest& r) {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    r.add_current(pos_[i], neg_[i], gain_[i] * r.x[control_[i]]);
    r.jac[slots_[i].pos_control] += gain_[i];
    r.jac[slots_[i].neg_control] -= gain_[i];
  }
}

// ---- H: current-controlled voltage source -------------------------------------------------------
// Branch row: v(n+) - v(n-) - r * i(vname) = 0.

void CcvsGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  const ControlledArgs args = parse_controlled(card, true, false, "r");
  names_.push_back(card.name);
  control_names_.push_back(builder.scoped_name(card.name, args.control));
  locations_.push_back(card.location);
  pos_.push_back(card.nodes[0]);
  neg_.push_back(card.nodes[1]);
  branch_.push_back(builder.add_branch(card.name));
  control_.push_back(0);
  transresistance_.push_back(args.value);
  slots_.emplace_back();
}

void CcvsGroup::link(CircuitBuilder& builder) {
  for (std::size_t i = 0; i < size(); ++i) control_[i] = builder.branch_of(control_names_[i], locations_[i]);
}

void CcvsGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) {
    const Index k = branch_[i];
    slots_[i] = {binder.slot(pos_[i], k), binder.slot(neg_[i], k), binder.slot(k, pos_[i]),
                 binder.slot(k, neg_[i]), binder.slot(k, control_[i])};
  }
}

void CcvsGroup::evaluate(EvalRequest& r) {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const Index p = pos_[i], n = neg_[i], k = branch_[i];
    const double drop = transresistance_[i] * r.x[control_[i]];
    r.add_current(p, n, r.x[k]);
    r.f[k] += r.x[p] - r.x[n] - drop;
    r.f_abs[k] += std::fabs(r.x[p]) + std::fabs(r.x[n]) + std::fabs(drop);
    const Slots& s = slots_[i];
    r.jac[s.pos_branch] += 1.0;
    r.jac[s.neg_branch] -= 1.0;
    r.jac[s.branch_pos] += 1.0;
    r.jac[s.branch_neg] -= 1.0;
    r.jac[s.branch_control] -= transresistance_[i];
  }
}

void CcvsGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i)
    out.push_back({names_[i], pos_[i], neg_[i], DcConnection::Kind::DefinesVoltage});
}

}  // namespace picospice
