// V: `Vname n+ n- [DC] v [PULSE|PWL|SIN|EXP|SFFM|AM ...] [AC ...]`.
// The branch current i is the current flowing into n+ and through the source to n- (ngspice's
// i(vname) sign), so it leaves node n+ in the residual. The branch row is the constraint
//     v(n+) - v(n-) - source_scale * V(t) = 0.
#include "devices/voltage_source.hpp"
#include "devices/device_registry.hpp"

#include <algorithm>
#include <limits>

#include <cmath>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'v', 2, false, {}, "vsource", make_group<VoltageSourceGroup>}};
}  // namespace

void VoltageSourceGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  SourceArgs source = parse_source_args(card, /*allow_multiplier=*/false);
  names_.push_back(card.name);
  pos_.push_back(card.nodes[0]);
  neg_.push_back(card.nodes[1]);
  branch_.push_back(builder.add_branch(card.name));
  sources_.push_back(std::move(source));
  slots_.emplace_back();
}

void VoltageSourceGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) {
    slots_[i].pos_branch = binder.slot(pos_[i], branch_[i]);
    slots_[i].neg_branch = binder.slot(neg_[i], branch_[i]);
    slots_[i].branch_pos = binder.slot(branch_[i], pos_[i]);
    slots_[i].branch_neg = binder.slot(branch_[i], neg_[i]);
  }
}

void VoltageSourceGroup::evaluate(EvalRequest& r) {
  const bool transient = r.transient;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const Index p = pos_[i], n = neg_[i], k = branch_[i];
    const double current = r.x[k];
    r.add_current(p, n, current);
    const double target = r.source_scale * sources_[i].value_at(r.time, transient);
    r.f[k] += r.x[p] - r.x[n] - target;
    r.f_abs[k] += std::fabs(r.x[p]) + std::fabs(r.x[n]) + std::fabs(target);
    const Slots& s = slots_[i];
    r.jac[s.pos_branch] += 1.0;
    r.jac[s.neg_branch] -= 1.0;
    r.jac[s.branch_pos] += 1.0;
    r.jac[s.branch_neg] -= 1.0;
  }
}

void VoltageSourceGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i)
    out.push_back({names_[i], pos_[i], neg_[i], DcConnection::Kind::DefinesVoltage});
}

double VoltageSourceGroup::next_breakpoint(double after) const {
  double next = std::numeric_limits<double>::infinity();
  for (const auto& source : sources_)
    if (source.has_waveform) next = std::min(next, source.waveform.next_breakpoint(after));
  return next;
}

// SourceArgs::set_param names the parameters (dc, ac/acmag, acphase).
bool VoltageSourceGroup::set_instance_param(std::string_view instance, std::string_view param, double value) {
  for (std::size_t i = 0; i < size(); ++i)
    if (names_[i] == instance) return sources_[i].set_param(param, value);
  return false;
}

// The branch row is v(n+) - v(n-) - V = 0: a change dV of the source moves its residual by -dV,
// so the right-hand side gets +dV.
bool VoltageSourceGroup::load_small_signal_excitation(const SmallSignalExcitation& which,
                                                      std::complex<double>* rhs) const {
  bool loaded = false;
  for (std::size_t i = 0; i < size(); ++i) {
    if (which.only_instance.empty()) {
      rhs[branch_[i]] += sources_[i].ac_phasor();
      loaded = true;
    } else if (names_[i] == which.only_instance) {
      rhs[branch_[i]] += 1.0;
      return true;
    }
  }
  return loaded;
}

void VoltageSourceGroup::set_transient_defaults(double tstep, double tstop) {
  for (auto& source : sources_) source.waveform.set_transient_defaults(tstep, tstop);
}

}  // namespace picospice
