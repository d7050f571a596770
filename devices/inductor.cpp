// L: `Lname n+ n- value [m=k] [ic=i]`. The branch current i flows from n+ through the inductor
// to n-. Branch row, in residual form f + dq/dt = 0:
//     f = v(n+) - v(n-),   q = -L * i - sum_j M_j * i_j   (v = L di/dt + sum_j M_j di_j/dt)
// so at DC (no dq/dt) the inductor is a short, and the flux carries the dynamics.
// `ic=` is the initial current of `.tran ... uic` (apply_initial_conditions).
//
// K: `Kname L1 L2 k` couples two inductors with M = k sqrt(L1 L2) (L after m=), |k| <= 1; the
// dot convention is each inductor's n+. Several K lines make a multi-winding transformer; the
// inductance matrix they build must be positive semi-definite (checked when linked: otherwise
// the couplings describe no physical transformer and the stored energy could be negative).
#include "devices/inductor.hpp"
#include "devices/device_registry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace picospice {

// Registers this device type (devices/device_registry.hpp). K lines join the inductors' group.
namespace {
const DeviceRegistration kRegistered{{'l', 2, false, {}, "inductor", make_group<InductorGroup>}};
const DeviceRegistration kRegisteredCoupling{{'k', 0, false, {}, "inductor", make_group<InductorGroup>}};


}  // namespace

void InductorGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  if (card.letter == 'k') return add_coupling(card, builder);
  double l = 0, m = 1, ic = std::numeric_limits<double>::quiet_NaN();
  bool have = false;
  for (const auto& arg : card.args) {
    if (arg.is_number && arg.key.empty() && !have) { l = arg.value; have = true; }
    else if (arg.is_number && (arg.key == "l" || arg.key == "inductance")) { l = arg.value; have = true; }
    else if (arg.is_number && arg.key == "m") m = arg.value;
    else if (arg.is_number && arg.key == "ic") ic = arg.value;
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

void InductorGroup::add_coupling(const ElementCard& card, CircuitBuilder& builder) {
  Coupling c;
  c.name = card.name;
  c.location = card.location;
  std::vector<std::string> inductors;
  bool have_k = false;
  for (const auto& arg : card.args) {
    if (!arg.is_number && arg.key.empty() && !arg.word.empty() && inductors.size() < 2) {
      inductors.push_back(builder.scoped_name(card.name, arg.word));
    } else if (arg.is_number && (arg.key.empty() || arg.key == "k") && !have_k) {
      c.k = arg.value;
      have_k = true;
    } else {
      card.fail_unexpected(arg, "coupling", "two inductor names and a coupling coefficient");
    }
  }
  if (inductors.size() != 2 || !have_k)
    card.fail("coupling " + card.name + " needs two inductor names and a coupling coefficient: 'K1 L1 L2 0.99'");
  if (!std::isfinite(c.k) || std::fabs(c.k) > 1)
    card.fail("coupling " + card.name + ": the coefficient must be within [-1, 1], got " + std::to_string(c.k));
  if (inductors[0] == inductors[1]) card.fail("coupling " + card.name + " couples '" + inductors[0] + "' with itself");
  c.first_name = inductors[0];
  c.second_name = inductors[1];
  couplings_.push_back(std::move(c));
}

void InductorGroup::link(CircuitBuilder& builder) {
  auto index_of = [&](const Coupling& c, const std::string& name) {
    const auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end()) throw NetlistError(c.location, "coupling " + c.name + ": unknown inductor '" + name + "'");
    return static_cast<std::size_t>(it - names_.begin());
  };
  for (std::size_t k = 0; k < couplings_.size(); ++k) {
    Coupling& c = couplings_[k];
    c.first = index_of(c, c.first_name);
    c.second = index_of(c, c.second_name);
    for (std::size_t j = 0; j < k; ++j) {
      const Coupling& other = couplings_[j];
      if ((other.first == c.first && other.second == c.second) || (other.first == c.second && other.second == c.first))
        throw NetlistError(c.location, "coupling " + c.name + ": '" + c.first_name + "' and '" + c.second_name +
                                           "' are already coupled by " + other.name);
    }
    c.mutual = c.k * std::sqrt(inductance_[c.first] * inductance_[c.second]);
  }
  check_inductance_matrix();
}

// Each set of inductors that couplings connect must have a positive semi-definite inductance
// matrix: a Cholesky factorization (L = G G^T) whose pivots stay above -1e-9 of the largest
// inductance (k = 1 makes the matrix singular, which is allowed).
void InductorGroup::check_inductance_matrix() const {
  if (couplings_.empty()) return;
  // Components of the coupling graph (small: the windings of one transformer).
  std::vector<std::size_t> component(names_.size());
  for (std::size_t i = 0; i < component.size(); ++i) component[i] = i;
  auto root = [&](std::size_t i) { while (component[i] != i) i = component[i] = component[component[i]]; return i; };
  for (const auto& c : couplings_) component[root(c.first)] = root(c.second);
  std::map<std::size_t, std::vector<std::size_t>> members;
  for (const auto& c : couplings_) { members[root(c.first)].push_back(c.first); members[root(c.first)].push_back(c.second); }
  for (auto& [r, list] : members) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    const std::size_t n = list.size();
    std::vector<double> a(n * n, 0.0);
    double largest = 0;
    for (std::size_t i = 0; i < n; ++i) { a[i * n + i] = inductance_[list[i]]; largest = std::max(largest, inductance_[list[i]]); }
    for (const auto& c : couplings_) {
      if (root(c.first) != r) continue;
      const std::size_t i = std::lower_bound(list.begin(), list.end(), c.first) - list.begin();
      const std::size_t j = std::lower_bound(list.begin(), list.end(), c.second) - list.begin();
      a[i * n + j] += c.mutual;
      a[j * n + i] += c.mutual;
    }
    const double tolerance = 1e-9 * largest;
    for (std::size_t j = 0; j < n; ++j) {
      double pivot = a[j * n + j];
      for (std::size_t k = 0; k < j; ++k) pivot -= a[j * n + k] * a[j * n + k];
      if (pivot < -tolerance) {
        std::string windings, by;
        for (std::size_t i : list) windings += (windings.empty() ? "" : ", ") + names_[i];
        for (const auto& c : couplings_) if (root(c.first) == r) by += (by.empty() ? "" : ", ") + c.name;
        throw NetlistError(couplings_.front().location,
                           "the inductance matrix of " + windings + " (coupled by " + by +
                               ") is not positive semi-definite: these coupling coefficients describe no transformer");
      }
      const double d = std::sqrt(std::max(pivot, 0.0));
      a[j * n + j] = d;
      for (std::size_t i = j + 1; i < n; ++i) {
        double s = a[i * n + j];
        for (std::size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
        a[i * n + j] = d > tolerance ? s / d : 0.0;
      }
    }
  }
}

void InductorGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) {
    slots_[i].pos_branch = binder.slot(pos_[i], branch_[i]);
    slots_[i].neg_branch = binder.slot(neg_[i], branch_[i]);
    slots_[i].branch_pos = binder.slot(branch_[i], pos_[i]);
    slots_[i].branch_neg = binder.slot(branch_[i], neg_[i]);
    slots_[i].branch_branch = binder.slot(branch_[i], branch_[i]);
  }
  for (auto& c : couplings_) {
    c.slot_12 = binder.slot(branch_[c.first], branch_[c.second]);
    c.slot_21 = binder.slot(branch_[c.second], branch_[c.first]);
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
  if (!r.want_reactive) return;
  for (const auto& c : couplings_) {
    const Index b1 = branch_[c.first], b2 = branch_[c.second];
    r.q[b1] += -c.mutual * r.x[b2];
    r.q[b2] += -c.mutual * r.x[b1];
    r.jac[c.slot_12] += -r.reactive_scale * c.mutual;
    r.jac[c.slot_21] += -r.reactive_scale * c.mutual;
  }
}

void InductorGroup::apply_initial_conditions(const double* x, double* q) const {
  // The flux each branch would hold at the initial currents, less the flux at x.
  auto shift = [&](std::size_t i) { return std::isnan(initial_current_[i]) ? 0.0 : initial_current_[i] - x[branch_[i]]; };
  for (std::size_t i = 0; i < size(); ++i) q[branch_[i]] += -inductance_[i] * shift(i);
  for (const auto& c : couplings_) {
    q[branch_[c.first]] += -c.mutual * shift(c.second);
    q[branch_[c.second]] += -c.mutual * shift(c.first);
  }
}

void InductorGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i)
    out.push_back({names_[i], pos_[i], neg_[i], DcConnection::Kind::DefinesVoltage});
}

}  // namespace picospice
