#pragma once
#include "devices/device.hpp"

namespace picospice {

// L: a linear inductor with its current as a branch unknown.
class InductorGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "inductor"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<InductorGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  Index branch(std::size_t i) const { return branch_[i]; }

  // IC=i: with `.tran ... uic` the inductor starts carrying i.
  void apply_initial_conditions(const double* x, double* q) const override;

 private:
  struct Slots { int pos_branch = 0, neg_branch = 0, branch_pos = 0, branch_neg = 0, branch_branch = 0; };
  std::vector<std::string> names_;
  std::vector<Index> pos_, neg_, branch_;
  std::vector<double> inductance_;
  std::vector<double> initial_current_;  // IC=, NaN when not given
  std::vector<Slots> slots_;
};

}  // namespace picospice
