#pragma once
#include "devices/device.hpp"
#include "devices/waveforms.hpp"

namespace picospice {

// I: an independent current source; no unknowns of its own and no Jacobian entries.
class CurrentSourceGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "isource"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<CurrentSourceGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override {}
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override {}  // no DC path
  double next_breakpoint(double after) const override;
  bool set_instance_param(std::string_view instance, std::string_view param, double value) override;
  bool load_small_signal_excitation(const SmallSignalExcitation& which, std::complex<double>* rhs) const override;
  // The transient's tstep for PULSE edges and EXP time constants left unset, and 1/tstop for
  // SIN, SFFM and AM frequencies left unset or 0 (ngspice's defaults; Waveform).
  void set_transient_defaults(double tstep, double tstop) override;
  // TRNOISE/TRRANDOM waveforms take the noise seed; the sources add no device noise of their own.
  void list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>&) override {
    for (auto& source : sources_) source.waveform.set_noise_seed(setup.seed);
  }

 private:
  std::vector<std::string> names_;
  std::vector<Index> pos_, neg_;
  std::vector<SourceArgs> sources_;
};

}  // namespace picospice
