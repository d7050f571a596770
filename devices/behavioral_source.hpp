// Behavioral sources: an output that is an expression of the circuit's state.
//
//   B (this file's group)  Bname n+ n- I={expr} [tc1= tc2= temp= dtemp=]   current from n+ through
//                                                                          the source to n-
//                          Bname n+ n- V={expr} [...]                      v(n+) - v(n-) = expr
//   E (controlled_sources) Ename n+ n- VALUE={expr} | vol={expr} | TABLE {expr} = (x1,y1) ...
//   G (controlled_sources) Gname n+ n- VALUE={expr} | cur={expr} | TABLE {expr} = (x1,y1) ...
//
// The expression (base/expression_program.hpp) reads node voltages v(a), v(a,b), branch currents
// i(vx) (of voltage sources, inductors and other sources with a branch), `time` (0 at DC) and
// `temper` (the circuit temperature, C). Its exact gradient gives the Jacobian, so Newton
// converges quadratically and an AC analysis may take the Jacobian at the operating point as the
// source's linearization. A TABLE maps the expression through the points piecewise linearly,
// flat outside them. tc1/tc2 scale the output by 1 + tc1 dT + tc2 dT^2 with
// dT = T - TNOM, T = temp= or the circuit temperature + dtemp= (ngspice's B source).
//
// An expression evaluated outside a function's domain (sqrt of a negative number, division by
// zero) at some Newton iterate contributes nothing there, and the iterate is marked limited, so
// it can never be accepted as a solution; the last such fault is kept for the failure message
// (describe_faults). Breakpoints are not generated: an output with a corner in time (u(time-1m))
// is resolved by the step control alone.
//
// For the floating-node check a current output counts as conducting between its nodes when its
// expression reads one of their voltages (a behavioral resistor); otherwise, like a current
// source, it offers no DC path. A voltage output defines the voltage between its nodes.
#pragma once
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "devices/device.hpp"

namespace picospice {

class BehavioralOutputs {
 public:
  enum class Output { Current, Voltage };

  struct Spec {
    Output output = Output::Current;
    std::shared_ptr<const ExpressionProgram> program;
    std::vector<double> table_x, table_y;  // TABLE points (x increasing); empty: the expression itself
    double tc1 = 0, tc2 = 0;
    double temp = std::numeric_limits<double>::quiet_NaN();  // C; NaN: circuit temperature + dtemp
    double dtemp = 0;
    double tnom = 27;  // C
  };

  std::size_t size() const { return instances_.size(); }
  void add(const ElementCard& card, CircuitBuilder& builder, Spec spec);
  void link(CircuitBuilder& builder);
  void bind_slots(SlotBinder& binder);
  void set_temperature(double kelvin);
  void evaluate(EvalRequest& request);
  void list_dc_connections(std::vector<DcConnection>& out) const;
  // "b1: sqrt(-0.5): the argument is a negative number (at v(a) = -0.5)" for the last iterate that
  // faulted, or empty.
  std::string describe_faults() const { return last_fault_; }

 private:
  struct Instance {
    std::string name;
    SourceLocation location;
    Index pos = 0, neg = 0, branch = 0;  // branch: Voltage outputs only
    Spec spec;
    std::vector<Index> unknowns;         // per program variable: its unknown; 0 for time and temper
    double scale = 1;                    // the tc1/tc2 factor at the current temperature
    // Slots: Current: (pos, var) and (neg, var) per variable; Voltage: (branch, var) per variable.
    std::vector<int> slot_a, slot_b;
    int pos_branch = 0, neg_branch = 0, branch_pos = 0, branch_neg = 0;
  };
  void record_fault(const Instance& instance, const ExpressionFault& fault);

  std::vector<Instance> instances_;
  double celsius_ = 27;
  ExpressionWorkspace workspace_;
  std::vector<double> inputs_, gradient_;
  std::string last_fault_;
};

// B: Bname n+ n- I={expr} or V={expr}.
class BehavioralSourceGroup final : public DeviceGroup {
 public:
  std::string_view type_name() const override { return "behavioral"; }
  std::size_t size() const override { return outputs_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<BehavioralSourceGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void link(CircuitBuilder& builder) override { outputs_.link(builder); }
  void bind_slots(SlotBinder& binder) override { outputs_.bind_slots(binder); }
  void set_temperature(double kelvin) override { outputs_.set_temperature(kelvin); }
  void evaluate(EvalRequest& request) override { outputs_.evaluate(request); }
  void list_dc_connections(std::vector<DcConnection>& out) const override { outputs_.list_dc_connections(out); }
  std::string describe_faults() const override { return outputs_.describe_faults(); }

 private:
  BehavioralOutputs outputs_;
};

// The TABLE points of an E/G TABLE line: the numbers after the expression, as (x, y) pairs with x
// increasing. Fails at the card when they are not.
void read_table_points(const ElementCard& card, const std::vector<const ElementArg*>& numbers,
                       std::vector<double>& x, std::vector<double>& y);

}  // namespace picospice
