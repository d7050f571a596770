#pragma once
#include "devices/device.hpp"
#include "devices/waveforms.hpp"

namespace picospice {

// V: an independent voltage source with one branch-current unknown.
class VoltageSourceGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "vsource"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<VoltageSourceGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
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
  Index branch(std::size_t i) const { return branch_[i]; }

 private:
  struct Slots { int pos_branch = 0, neg_branch = 0, branch_pos = 0, branch_neg = 0; };
  std::vector<std::string> names_;
  std::vector<Index> pos_, neg_, branch_;
  std::vector<SourceArgs> sources_;
  std::vector<Slots> slots_;
};

}  // namespace picospice
