// S and W: switches with hysteresis, as ngspice defines them.
//   Sname n+ n- nc+ nc- model [ON|OFF]     .model model sw  (vt= vh= ron= roff=)
//   Wname n+ n- vname model [ON|OFF]       .model model csw (it= ih= ron= roff=)
// The switch is a resistor ron (on) or roff (off) between n+ and n-. It turns on when the control
// (v(nc+) - v(nc-), or the current through vname: into its n+, as i(vname)) exceeds vt + vh, off
// when it falls below vt - vh, and otherwise keeps the state it had at the last accepted point
// (ngspice's switch model; defaults vt = vh = 0, ron = 1, roff = 1e12, ngspice's 1/GMIN at its
// default gmin). ON/OFF give the state before the first point (default OFF).
//
// DC: the operating point takes the state its control selects against the initial state; each
// .dc sweep point starts from the state of the previous one, so a sweep up and back down shows the
// hysteresis. Transient: a step across a threshold is shortened (engine/analyses/transient.cpp)
// until the crossing lies within its last 1e-3 tmax, so the switching time is resolved to that;
// the integration then restarts at order 1, as after a source corner.
#pragma once
#include "devices/device.hpp"

namespace picospice {

class SwitchGroup final : public DeviceGroup {
 public:
  std::string_view type_name() const override { return "switch"; }
  std::size_t size() const override { return instances_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<SwitchGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void link(CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  void restore_initial_state() override;
  bool accept_state(const double* x) override;
  double state_change_fraction(const double* x_old, const double* x_new) const override;
  OperatingPointTable operating_point_table(const double* x) const override;
  // The state at the last accepted point (for tests).
  bool is_on(std::size_t i) const { return instances_[i].accepted_on; }

 private:
  struct Instance {
    std::string name;
    SourceLocation location;
    Index pos = 0, neg = 0;
    Index control_pos = 0, control_neg = 0;  // S: control nodes; W: the branch in control_pos
    bool current_controlled = false;
    std::string control_source;              // W: hierarchical name of the controlling source
    double on_threshold = 0, off_threshold = 0;  // vt + vh, vt - vh (it +- ih)
    double g_on = 1, g_off = 1e-12;
    bool initial_on = false, accepted_on = false, iterate_on = false;
    PairSlots slots;
  };
  double control(const Instance& s, const double* x) const {
    return s.current_controlled ? x[s.control_pos] : x[s.control_pos] - x[s.control_neg];
  }
  static bool decide(const Instance& s, double c, bool previous) {
    return c > s.on_threshold ? true : (c < s.off_threshold ? false : previous);
  }
  std::vector<Instance> instances_;
};

}  // namespace picospice
