#pragma once
#include "devices/device.hpp"
#include "devices/passive_model.hpp"

namespace picospice {

class ResistorGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "resistor"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<ResistorGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  // m / R at the present temperature (S).
  double conductance(std::size_t i) const { return conductance_[i]; }
  // m / R_ac (S): the conductance a small-signal analysis uses (EvalRequest::small_signal); the
  // DC one when the instance has no ac=.
  double ac_conductance(std::size_t i) const { return ac_conductance_[i]; }
  void set_temperature(double kelvin) override;
  // Thermal noise 4kT|G| (Johnson-Nyquist), one white generator per instance without noise=0.
  void list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>& out) override;
  double noise_density(std::size_t source, const double* x) const override;

 private:
  struct Values {
    double resistance = 0;     // at TNOM, before scale and m
    double ac_resistance = 0;  // ac=, at TNOM; 0: the DC value
    double multiplier = 1, scale = 1;
    TemperatureScaling temperature;
  };
  std::vector<std::string> names_;
  std::vector<Index> a_, b_;
  std::vector<Values> values_;
  std::vector<double> conductance_, ac_conductance_;
  std::vector<PairSlots> slots_;
  std::vector<char> noisy_;                // 0 for noise=0
  std::vector<std::size_t> noise_instance_;  // instance of each listed noise generator
  double kelvin_ = 300.15;
};

}  // namespace picospice
