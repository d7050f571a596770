// The four linear controlled sources of SPICE:
//   E (VCVS)  Ename n+ n- nc+ nc- gain          v(n+) - v(n-) = gain * (v(nc+) - v(nc-))
//   G (VCCS)  Gname n+ n- nc+ nc- gm [m=k]     i = gm * (v(nc+) - v(nc-)) from n+ through G to n-
//   F (CCCS)  Fname n+ n- vname gain [m=k]     i = gain * i(vname)       from n+ through F to n-
//   H (CCVS)  Hname n+ n- vname r              v(n+) - v(n-) = r * i(vname)
// E and G also take the behavioral forms VALUE={expr} (E: also vol=, G: also cur=) and
// TABLE {expr} = (x1,y1) (x2,y2) ..., with two nodes (devices/behavioral_source.hpp).
// E and H own a branch current (sign as for V sources: into n+, through the source, out of n-).
// F and H read the branch current of the named voltage source (or inductor, E or H source),
// resolved in link().
#pragma once
#include "devices/behavioral_source.hpp"
#include "devices/device.hpp"

namespace picospice {

class VcvsGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return behavioral_.size() == 0; }
  std::string_view type_name() const override { return "vcvs"; }
  std::size_t size() const override { return names_.size() + behavioral_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<VcvsGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  void link(CircuitBuilder& builder) override { behavioral_.link(builder); }
  void set_temperature(double kelvin) override { behavioral_.set_temperature(kelvin); }
  std::string describe_faults() const override { return behavioral_.describe_faults(); }

 private:
  struct Slots { int pos_branch, neg_branch, branch_pos, branch_neg, branch_cpos, branch_cneg; };
  std::vector<std::string> names_;
  std::vector<Index> pos_, neg_, cpos_, cneg_, branch_;
  std::vector<double> gain_;
  std::vector<Slots> slots_;
  BehavioralOutputs behavioral_;  // VALUE= and TABLE instances
};

class VccsGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return behavioral_.size() == 0; }
  std::string_view type_name() const override { return "vccs"; }
  std::size_t size() const override { return names_.size() + behavioral_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<VccsGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override {  // a linear G: no DC path
    behavioral_.list_dc_connections(out);
  }
  void link(CircuitBuilder& builder) override { behavioral_.link(builder); }
  void set_temperature(double kelvin) override { behavioral_.set_temperature(kelvin); }
  std::string describe_faults() const override { return behavioral_.describe_faults(); }

 private:
  struct Slots { int pos_cpos, pos_cneg, neg_cpos, neg_cneg; };
  std::vector<std::string> names_;
  std::vector<Index> pos_, neg_, cpos_, cneg_;
  std::vector<double> transconductance_;
  std::vector<Slots> slots_;
  BehavioralOutputs behavioral_;  // VALUE= and TABLE instances
};

class CccsGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "cccs"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<CccsGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void link(CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override {}  // a current: no DC path

 private:
  struct Slots { int pos_control, neg_control; };
  std::vector<std::string> names_, control_names_;
  std::vector<SourceLocation> locations_;
  std::vector<Index> pos_, neg_, control_;
  std::vector<double> gain_;
  std::vector<Slots> slots_;
};

class CcvsGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "ccvs"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<CcvsGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void link(CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;

 private:
  struct Slots { int pos_branch, neg_branch, branch_pos, branch_neg, branch_control; };
  std::vector<std::string> names_, control_names_;
  std::vector<SourceLocation> locations_;
  std::vector<Index> pos_, neg_, branch_, control_;
  std::vector<double> transresistance_;
  std::vector<Slots> slots_;
};

}  // namespace picospice
