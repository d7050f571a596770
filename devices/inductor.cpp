// L: `Lname n+ n- value [m=k] [ic=i]`. The branch current i flows from n+ through the inductor
// to n-. Branch row, in residual form f + dq/dt = 0:
//     f = v(n+) - v(n-),   q = -L * i        (v = L di/dt)
// so at DC (no dq/dt) the inductor is a short, and the flux -L*i carries the dynamics.
// `ic=` is the initial current of `.tran ... uic` (apply_initial_conditions).
#include "devices/inductor.hpp"
#include "devices/device_registry.hpp"

#include <cmath>
#include <limits>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'l', 2, false, {}, "inductor", make_group<InductorGroup>}};
}  // namespace

void InductorGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  double l = 0, m = 1, ic = std::numeric_limits<double>::quiet_NaN();
  bool have = false;
  for (const auto& arg : card.args) {
    if (arg.is_number && arg.key.empty() && !have) { l = arg.value; have = true; }
    else if (arg.key == "l" || arg.key == "inductance") { l = arg.value; have = true; }
    else if (arg.key == "m") m = arg.value;
    else if (arg.key == "ic") ic = arg.value;
    else card.fail_unexpected(arg, "inductor", "a value or l=, m=, ic=");
  }
  if (!have) card.fail("inductor " + card.name + " needs a value");
  if (!std::isfinite(l) || l < 0) card.fail("inductor " + card.name + " must be finite and non-negative");
  if (!(m > 0)) card.fail("inductor " + card.name + ": m must be positive");
  names_.push_back(card.name);
  pos_.push_back(card.nodes[0]);
  neg_.push_back(card.nodes[1]);
  branch_.push_back(builder.add_branch(card.name));
  inductance_.push_back(l / m);  // m parallel inductors; the branch carries their total current
  initial_current_.push_back(ic);
  slots_.emplace_back();
}

void InductorGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) {
    slots_[i].pos_branch = binder.slot(pos_[i], branch_[i]);
    slots_[i].neg_branch = binder.slot(neg_[i], branch_[i]);
    slots_[i].branch_pos = binder.slot(branch_[i], pos_[i]);
    slots_[i].branch_neg = binder.slot(branch_[i], neg_[i]);
    slots_[i].branch_branch = binder.slot(branch_[i], branch_[i]);
  }
}

void InductorGroup::evaluate(EvalRequest& r) {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const Index p = pos_[i], n = neg_[i], k = branch_[i];
    const double current = r.x[k];
    r.add_current(p, n, current);
    r.f[k] += r.x[p] - r.x[n];
    r.f_abs[k] += std::fabs(r.x[p]) + std::fabs(r.x[n]);
    const Slots& s = slots_[i];
    r.jac[s.pos_branch] += 1.0;
    r.jac[s.neg_branch] -= 1.0;
    r.jac[s.branch_pos] += 1.0;
    r.jac[s.branch_neg] -= 1.0;
    if (r.want_reactive) {
      r.q[k] += -inductance_[i] * current;
      r.jac[s.branch_branch] += -r.reactive_scale * inductance_[i];
    }
  }
}

void InductorGroup::apply_initial_conditions(const double* x, double* q) const {
  for (std::size_t i = 0; i < size(); ++i)
    if (!std::isnan(initial_current_[i])) q[branch_[i]] += -inductance_[i] * (initial_current_[i] - x[branch_[i]]);
}

void InductorGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i)
    out.push_back({names_[i], pos_[i], neg_[i], DcConnection::Kind::DefinesVoltage});
}

}  // namespace picospice
