#pragma once
#include "devices/device.hpp"

namespace picospice {

class CapacitorGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "capacitor"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<CapacitorGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override {}  // no DC path
  // IC=v: with `.tran ... uic` the capacitor starts with v across it.
  void apply_initial_conditions(const double* x, double* q) const override;

 private:
  std::vector<std::string> names_;
  std::vector<Index> a_, b_;
  std::vector<double> capacitance_;
  std::vector<double> initial_voltage_;  // IC=, NaN when not given
  std::vector<PairSlots> slots_;
};

}  // namespace picospice
