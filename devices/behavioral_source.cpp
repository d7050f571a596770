// Behavioral sources; see behavioral_source.hpp for the forms, signs and rules.
#include "devices/behavioral_source.hpp"
#include "devices/device_registry.hpp"

#include <cmath>
#include <cstdio>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{
    {'b', 2, false, {}, "behavioral", make_group<BehavioralSourceGroup>, {"i", "v"}}};

using Kind = ExpressionVariable::Kind;

bool is_unknown(Kind kind) { return kind == Kind::NodeVoltage || kind == Kind::BranchCurrent; }

// Piecewise-linear lookup, flat outside the points: the value and its slope at x.
double table_lookup(const std::vector<double>& xs, const std::vector<double>& ys, double x, double& slope) {
  slope = 0;
  if (x <= xs.front()) return ys.front();
  if (x >= xs.back()) return ys.back();
  std::size_t k = 1;
  while (xs[k] < x) ++k;  // xs[k-1] < x <= xs[k]
  slope = (ys[k] - ys[k - 1]) / (xs[k] - xs[k - 1]);
  return ys[k - 1] + slope * (x - xs[k - 1]);
}

}  // namespace

void read_table_points(const ElementCard& card, const std::vector<const ElementArg*>& numbers, std::vector<double>& x,
                       std::vector<double>& y) {
  if (numbers.size() < 2 || numbers.size() % 2 != 0)
    card.fail(card.name + ": TABLE needs (x, y) pairs after '=', got " + std::to_string(numbers.size()) + " number" +
              (numbers.size() == 1 ? "" : "s"));
  for (std::size_t k = 0; k < numbers.size(); k += 2) {
    if (!x.empty() && !(numbers[k]->value > x.back())) {
      char previous[32];
      std::snprintf(previous, sizeof previous, "%g", x.back());
      card.fail(*numbers[k], card.name + ": TABLE x values must increase (" + numbers[k]->text() + " after " +
                                 previous + ")");
    }
    x.push_back(numbers[k]->value);
    y.push_back(numbers[k + 1]->value);
  }
}

void BehavioralOutputs::add(const ElementCard& card, CircuitBuilder& builder, Spec spec) {
  Instance inst;
  inst.name = card.name;
  inst.location = card.location;
  inst.pos = card.nodes[0];
  inst.neg = card.nodes[1];
  if (spec.output == Output::Voltage) inst.branch = builder.add_branch(card.name);
  for (const auto& v : spec.program->variables()) inst.unknowns.push_back(v.kind == Kind::NodeVoltage ? v.index : 0);
  inst.spec = std::move(spec);
  instances_.push_back(std::move(inst));
}

void BehavioralOutputs::link(CircuitBuilder& builder) {
  for (auto& inst : instances_) {
    const auto& variables = inst.spec.program->variables();
    for (std::size_t k = 0; k < variables.size(); ++k)
      if (variables[k].kind == Kind::BranchCurrent) inst.unknowns[k] = builder.branch_of(variables[k].name, inst.location);
  }
}

void BehavioralOutputs::bind_slots(SlotBinder& binder) {
  for (auto& inst : instances_) {
    const auto& variables = inst.spec.program->variables();
    inst.slot_a.assign(variables.size(), 0);
    inst.slot_b.assign(variables.size(), 0);
    for (std::size_t k = 0; k < variables.size(); ++k) {
      if (!is_unknown(variables[k].kind)) continue;
      if (inst.spec.output == Output::Current) {
        inst.slot_a[k] = binder.slot(inst.pos, inst.unknowns[k]);
        inst.slot_b[k] = binder.slot(inst.neg, inst.unknowns[k]);
      } else {
        inst.slot_a[k] = binder.slot(inst.branch, inst.unknowns[k]);
      }
    }
    if (inst.spec.output == Output::Voltage) {
      inst.pos_branch = binder.slot(inst.pos, inst.branch);
      inst.neg_branch = binder.slot(inst.neg, inst.branch);
      inst.branch_pos = binder.slot(inst.branch, inst.pos);
      inst.branch_neg = binder.slot(inst.branch, inst.neg);
    }
  }
}

void BehavioralOutputs::set_temperature(double kelvin) {
  celsius_ = kelvin - physics::zero_celsius;
  for (auto& inst : instances_) {
    const Spec& s = inst.spec;
    const double t = std::isnan(s.temp) ? celsius_ + s.dtemp : s.temp;
    const double dt = t - s.tnom;
    inst.scale = 1 + s.tc1 * dt + s.tc2 * dt * dt;
  }
}

void BehavioralOutputs::record_fault(const Instance& inst, const ExpressionFault& fault) {
  std::string inputs;
  const auto& variables = inst.spec.program->variables();
  for (std::size_t k = 0; k < variables.size(); ++k) {
    char value[40];
    std::snprintf(value, sizeof value, "%g", inputs_[k]);
    const std::string quantity = variables[k].kind == Kind::NodeVoltage     ? "v(" + variables[k].name + ")"
                                 : variables[k].kind == Kind::BranchCurrent ? "i(" + variables[k].name + ")"
                                                                            : variables[k].name;
    inputs += (inputs.empty() ? "" : ", ") + quantity + " = " + value;
  }
  last_fault_ = inst.name + " (" + inst.location.str() + "): " + fault.message + " in {" + inst.spec.program->text + "}" +
                (inputs.empty() ? "" : " at " + inputs);
}

void BehavioralOutputs::evaluate(EvalRequest& r) {
  for (auto& inst : instances_) {
    const ExpressionProgram& program = *inst.spec.program;
    const auto& variables = program.variables();
    const std::size_t n = variables.size();
    if (inputs_.size() < n) { inputs_.resize(n); gradient_.resize(n); }
    for (std::size_t k = 0; k < n; ++k) {
      switch (variables[k].kind) {
        case Kind::NodeVoltage: case Kind::BranchCurrent: inputs_[k] = r.x[inst.unknowns[k]]; break;
        case Kind::Time: inputs_[k] = r.time; break;
        case Kind::Temperature: inputs_[k] = celsius_; break;
      }
    }
    double value = 0;
    ExpressionFault fault;
    if (!evaluate_program(program, inputs_.data(), workspace_, value, gradient_.data(), &fault)) {
      record_fault(inst, fault);
      ++r.limited;  // this iterate cannot be a solution
      value = 0;
      std::fill(gradient_.begin(), gradient_.begin() + static_cast<std::ptrdiff_t>(n), 0.0);
    }
    double factor = inst.scale;
    if (!inst.spec.table_x.empty()) {
      double slope = 0;
      value = table_lookup(inst.spec.table_x, inst.spec.table_y, value, slope);
      factor *= slope;
      value *= inst.scale;
    } else {
      value *= inst.scale;
    }
    if (inst.spec.output == Output::Current) {
      r.add_current(inst.pos, inst.neg, value);
      for (std::size_t k = 0; k < n; ++k) {
        if (!is_unknown(variables[k].kind)) continue;
        const double g = factor * gradient_[k];
        r.jac[inst.slot_a[k]] += g;
        r.jac[inst.slot_b[k]] -= g;
      }
    } else {
      const Index p = inst.pos, m = inst.neg, k = inst.branch;
      r.add_current(p, m, r.x[k]);
      r.f[k] += r.x[p] - r.x[m] - value;
      r.f_abs[k] += std::fabs(r.x[p]) + std::fabs(r.x[m]) + std::fabs(value);
      r.jac[inst.pos_branch] += 1.0;
      r.jac[inst.neg_branch] -= 1.0;
      r.jac[inst.branch_pos] += 1.0;
      r.jac[inst.branch_neg] -= 1.0;
      for (std::size_t j = 0; j < n; ++j)
        if (is_unknown(variables[j].kind)) r.jac[inst.slot_a[j]] -= factor * gradient_[j];
    }
  }
}

void BehavioralOutputs::list_dc_connections(std::vector<DcConnection>& out) const {
  for (const auto& inst : instances_) {
    if (inst.spec.output == Output::Voltage) {
      out.push_back({inst.name, inst.pos, inst.neg, DcConnection::Kind::DefinesVoltage});
      continue;
    }
    const auto& variables = inst.spec.program->variables();
    for (std::size_t k = 0; k < variables.size(); ++k)
      if (variables[k].kind == Kind::NodeVoltage && (inst.unknowns[k] == inst.pos || inst.unknowns[k] == inst.neg) &&
          inst.unknowns[k] != 0) {
        out.push_back({inst.name, inst.pos, inst.neg, DcConnection::Kind::Conducts});
        break;
      }
  }
}

// ---- B -----------------------------------------------------------------------------------------

void BehavioralSourceGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  BehavioralOutputs::Spec spec;
  spec.tnom = builder.options().tnom;
  for (const auto& arg : card.args) {
    if (arg.key == "i" || arg.key == "v") {
      if (spec.program)
        card.fail(arg, "behavioral source " + card.name + " takes one of I= and V=, not both (or twice)");
      spec.program = arg.program;
      spec.output = arg.key == "i" ? BehavioralOutputs::Output::Current : BehavioralOutputs::Output::Voltage;
    } else if (arg.is_number && (arg.key == "tc1" || arg.key == "tc2" || arg.key == "temp" || arg.key == "dtemp")) {
      (arg.key == "tc1" ? spec.tc1 : arg.key == "tc2" ? spec.tc2 : arg.key == "temp" ? spec.temp : spec.dtemp) = arg.value;
    } else {
      card.fail_unexpected(arg, "behavioral source", "I={expression} or V={expression}, and tc1=, tc2=, temp=, dtemp=");
    }
  }
  if (!spec.program) card.fail("behavioral source " + card.name + " needs I={expression} or V={expression}");
  outputs_.add(card, builder, std::move(spec));
}

}  // namespace picospice
