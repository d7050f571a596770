#pragma once
#include "devices/device.hpp"
#include "devices/passive_model.hpp"

namespace picospice {

class CapacitorGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "capacitor"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<CapacitorGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void set_temperature(double kelvin) override;
  void evaluate(EvalRequest& request) override;
  // No DC path; a path within a transient step (DcConnection::Kind::StoresCharge).
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  // IC=v: with `.tran ... uic` the capacitor starts with v across it.
  void apply_initial_conditions(const double* x, double* q) const override;
  // F, at the present temperature, m included.
  double capacitance(std::size_t i) const { return capacitance_[i]; }

 private:
  struct Values {
    double capacitance = 0;  // at TNOM, before scale and m
    double multiplier = 1, scale = 1;
    TemperatureScaling temperature;
  };
  std::vector<std::string> names_;
  std::vector<Index> a_, b_;
  std::vector<Values> values_;
  std::vector<double> capacitance_;
  std::vector<double> initial_voltage_;  // IC=, NaN when not given
  std::vector<PairSlots> slots_;
};

}  // namespace picospice
