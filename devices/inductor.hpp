#pragma once
#include "devices/device.hpp"

namespace picospice {

// L: a linear inductor with its current as a branch unknown; K: the mutual inductance of two
// inductors (one group holds both, so a coupling can see its inductors).
class InductorGroup final : public DeviceGroup {
 public:
  bool is_linear() const override { return true; }
  std::string_view type_name() const override { return "inductor"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<InductorGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void link(CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  Index branch(std::size_t i) const { return branch_[i]; }
  std::size_t coupling_count() const { return couplings_.size(); }
  // The mutual inductance of coupling k (H), once linked.
  double mutual_inductance(std::size_t k) const { return couplings_[k].mutual; }

  // IC=i: with `.tran ... uic` the inductor starts carrying i.
  void apply_initial_conditions(const double* x, double* q) const override;

 private:
  struct Slots { int pos_branch = 0, neg_branch = 0, branch_pos = 0, branch_neg = 0, branch_branch = 0; };
  struct Coupling {
    std::string name;
    SourceLocation location;
    std::string first_name, second_name;  // hierarchical inductor names
    std::size_t first = 0, second = 0;    // inductor indices, once linked
    double k = 0;
    double mutual = 0;                    // k sqrt(L1 L2), once linked
    int slot_12 = 0, slot_21 = 0;
  };
  void add_coupling(const ElementCard& card, CircuitBuilder& builder);
  void check_inductance_matrix() const;

  std::vector<std::string> names_;
  std::vector<Index> pos_, neg_, branch_;
  std::vector<double> inductance_;
  std::vector<double> initial_current_;  // IC=, NaN when not given
  std::vector<Slots> slots_;
  std::vector<Coupling> couplings_;
};

}  // namespace picospice
