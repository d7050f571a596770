// The EKV MOSFET device group's load loop: each Newton iteration's pass over the instances, with
// device bypass (a cached evaluation reused, linearized), latency (instances whose bypass holds
// load through the System's sums) and its node watch (which finds the instances in the sums that
// need a look without visiting the others), limiting and stamping. Declared in ekv_mosfet.hpp.
#include "devices/ekv/ekv_mosfet.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace picospice {

using ekv::kBulk;
using ekv::kDrain;
using ekv::kGate;
using ekv::kSource;

namespace {
// How far the weak-side terminal of a bypassed channel may move at most, in UT (weak_side_scale).
constexpr double kMaxWeakSideMove = 0.1;
}  // namespace

void EkvMosfetGroup::bypass_tolerances(std::size_t i, const EvalRequest& r, double (&tolerance)[4]) const {
  const Bypass& cache = bypass_[i];
  const double ut = model_at_temperature_[model_of_[i]].thermal_voltage;
  const double plain = r.bypass_fraction * ut;
  // The weak side's further move (weak_side_scale) never exceeds kMaxWeakSideMove UT, whatever
  // the tolerance.
  const double weak_cap = std::max(plain, kMaxWeakSideMove * ut);
  tolerance[kDrain] = std::min(cache.drain_scale * plain, weak_cap);
  tolerance[kGate] = plain;
  tolerance[kSource] = std::min(cache.source_scale * plain, weak_cap);
  tolerance[kBulk] = plain;
}

bool EkvMosfetGroup::bypass_holds(std::size_t i, const EvalRequest& r, const double (&x)[4]) const {
  const Bypass& cache = bypass_[i];
  if (!(r.bypass_fraction > 0) || cache.held < (r.want_reactive ? 2 : 1)) return false;
  double tolerance[4];
  bypass_tolerances(i, r, tolerance);
  return std::fabs(x[kDrain] - cache.v.d) <= tolerance[kDrain] && std::fabs(x[kGate] - cache.v.g) <= tolerance[kGate] &&
         std::fabs(x[kSource] - cache.v.s) <= tolerance[kSource] && std::fabs(x[kBulk] - cache.v.b) <= tolerance[kBulk];
}

EkvMosfetGroup::NodeWatch* EkvMosfetGroup::node_watch(std::size_t begin, std::size_t end) {
  if (begin >= node_watches_.size()) return nullptr;
  auto& slot = node_watches_[begin].watch;
  if (slot && slot->end == end) return slot.get();
  auto watch = std::make_unique<NodeWatch>();
  watch->begin = begin;
  watch->end = end;
  auto& nodes = watch->nodes;
  for (std::size_t i = begin; i < end; ++i) nodes.insert(nodes.end(), {drain_[i], gate_[i], source_[i], bulk_[i]});
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  watch->terminal_node.resize(end - begin);
  std::vector<std::size_t> count(nodes.size() + 1, 0);
  for (std::size_t i = begin; i < end; ++i) {
    auto& local = watch->terminal_node[i - begin];
    const Index node[4] = {drain_[i], gate_[i], source_[i], bulk_[i]};
    for (int c = 0; c < 4; ++c)
      local[c] = static_cast<int>(std::lower_bound(nodes.begin(), nodes.end(), node[c]) - nodes.begin());
    for (int c = 0; c < 4; ++c)  // once per distinct node of the instance
      if (std::find(local.begin(), local.begin() + c, local[c]) == local.begin() + c) ++count[local[c] + 1];
  }
  for (std::size_t k = 1; k < count.size(); ++k) count[k] += count[k - 1];
  watch->first = count;
  watch->at.resize(count.back());
  for (std::size_t i = begin; i < end; ++i) {
    const auto& local = watch->terminal_node[i - begin];
    for (int c = 0; c < 4; ++c)
      if (std::find(local.begin(), local.begin() + c, local[c]) == local.begin() + c) watch->at[count[local[c]]++] = i;
  }
  watch->stayed_in_pass.assign(end - begin, 0);
  watch->low.assign(nodes.size(), -std::numeric_limits<double>::infinity());
  watch->high.assign(nodes.size(), std::numeric_limits<double>::infinity());
  slot = std::move(watch);
  return slot.get();
}

void EkvMosfetGroup::narrow_windows(NodeWatch& watch, std::size_t i, const EvalRequest& r) const {
  double tolerance[4];
  bypass_tolerances(i, r, tolerance);
  const Bypass& cache = bypass_[i];
  const double v[4] = {cache.v.d, cache.v.g, cache.v.s, cache.v.b};
  const auto& local = watch.terminal_node[i - watch.begin];
  for (int c = 0; c < 4; ++c) {
    // A part in 1e9 inside the interval, so that a voltage in the window passes bypass_holds's
    // |x - v| <= tolerance whatever the rounding of v -+ tolerance (ulps of v: ~1e-16 V).
    const double reach = tolerance[c] * (1.0 - 1e-9);
    watch.low[local[c]] = std::max(watch.low[local[c]], v[c] - reach);
    watch.high[local[c]] = std::min(watch.high[local[c]], v[c] + reach);
  }
}

long EkvMosfetGroup::check_moved_nodes(NodeWatch& watch, EvalRequest& r, LatentSums& sums) {
  const unsigned long pass = ++watch.pass;
  long stayed = 0;
  for (std::size_t k = 0; k < watch.nodes.size(); ++k) {
    const double v = r.x[watch.nodes[k]];
    if (v >= watch.low[k] && v <= watch.high[k]) continue;
    watch.low[k] = -std::numeric_limits<double>::infinity();
    watch.high[k] = std::numeric_limits<double>::infinity();
    for (std::size_t m = watch.first[k]; m < watch.first[k + 1]; ++m) {
      const std::size_t i = watch.at[m];
      if (latent_epoch_[i] != sums.epoch) continue;
      const double x[4] = {r.x[drain_[i]], r.x[gate_[i]], r.x[source_[i]], r.x[bulk_[i]]};
      unsigned long& stayed_in_pass = watch.stayed_in_pass[i - watch.begin];
      if (bypass_holds(i, r, x)) {
        narrow_windows(watch, i, r);  // its other nodes' windows hold its intervals already
        if (stayed_in_pass != pass) ++stayed;
        stayed_in_pass = pass;
      } else {
        add_latent(i, r, sums, -1.0);
        latent_epoch_[i] = 0;
        ++sums.removals;
        if (stayed_in_pass == pass) --stayed;  // it had stayed at a node checked before this one
        stayed_in_pass = 0;
      }
    }
  }
  return stayed;
}

namespace {
// How much further than the bypass tolerance the weak-side terminal of a channel may move.
//
// Bypass loads the linearization i0 + J (x - v0); its error is the second-order term,
// 0.5 * d2i/dv2 * dv^2. The EKV current is Ispec (F(xf) - F(xr)) (times slowly varying factors:
// CLM, mobility), with xf, xr = (VP - VS)/UT, (VP - VD)/UT; the drain enters only through F(xr)
// (the reverse component), the source only through F(xf), and the charges likewise through the
// reverse and forward charges. The interpolation F(x) = ln^2(1 + e^(x/2)) has F''(x) <= F(x) for
// every x (both ~ e^x in weak inversion; F'' -> 1/2 while F ~ x^2/4 in strong), so a drain move dv
// costs at most 0.5 Ispec ir (dv/UT)^2, where a source move of the plain tolerance d may cost up to
// 0.5 Ispec if (d/UT)^2 (weak inversion, the steepest case). Letting the weak side move
// d * sqrt(if/ir) keeps its error within the bound the plain tolerance already allows for the
// strong side. A saturated mirror output, whose drain is a summing node that moves whenever any
// other current into it changes, is then re-evaluated only when its own gate or source moves:
// on a lowered 64-unit layer such outputs were 70% of all evaluations.
// Capped at kMaxWeakSideScale tolerances and at kMaxWeakSideMove UT (bypass_holds): far beyond
// it the linearization of the slowly varying factors (CLM, the mobility terms) would no longer be
// negligible.
constexpr double kMaxWeakSideScale = 100.0;

double weak_side_scale(double strong, double weak) {
  if (!(weak > 0)) return kMaxWeakSideScale;
  return std::clamp(std::sqrt(strong / weak), 1.0, kMaxWeakSideScale);
}
}  // namespace

// The linearization i0 + G (x - v0), q0 + C (x - v0) as the sums take it (devices/device.hpp):
// G and C by slot, i0 - G v0 and q0 - C v0 by row, and |i0| for the tolerance scale. The gmin
// conductance across d-s is part of G; it adds nothing to i0 - G v0 (gmin (vd0 - vs0) - gmin vd0
// + gmin vs0). Removing subtracts exactly the values that were added.
void EkvMosfetGroup::add_latent(std::size_t i, const EvalRequest& r, LatentSums& sums, double sign) const {
  const Bypass& cache = bypass_[i];
  const Linearization& e = cache.evaluation;
  const Index node[4] = {drain_[i], gate_[i], source_[i], bulk_[i]};
  const double v0[4] = {cache.v.d, cache.v.g, cache.v.s, cache.v.b};
  double current = e.id;
  for (int c = 0; c < 4; ++c) current -= e.did[c] * v0[c];
  const double magnitude = std::fabs(e.id + r.gmin * (v0[kDrain] - v0[kSource]));
  sums.current[node[kDrain]] += sign * current;
  sums.current[node[kSource]] -= sign * current;
  sums.current_abs[node[kDrain]] += sign * magnitude;
  sums.current_abs[node[kSource]] += sign * magnitude;
  const double g[4] = {e.did[kDrain] + r.gmin, e.did[kGate], e.did[kSource] - r.gmin, e.did[kBulk]};
  const auto& cs = capacitance_slots_[i];
  for (int row = 0; row < 4; ++row) {
    double charge = e.charge[row];
    for (int c = 0; c < 4; ++c) {
      charge -= e.capacitance[row][c] * v0[c];
      sums.capacitance[sums.local[cs[4 * row + c]]] += sign * e.capacitance[row][c];
    }
    sums.charge[node[row]] += sign * charge;
  }
  for (int c = 0; c < 4; ++c) {
    sums.conductance[sums.local[cs[4 * kDrain + c]]] += sign * g[c];
    sums.conductance[sums.local[cs[4 * kSource + c]]] -= sign * g[c];
  }
}

// The evaluation of instance i to load at the unknowns x: its cached one when bypass allows
// (no terminal moved by more than the bypass tolerance since it was made), otherwise a fresh one
// at x, or at the limited bias when the step had to be limited. `v` receives the voltages the
// evaluation belongs to; the caller loads it linearized to x, i(v) + J (x - v).
const EkvMosfetGroup::Linearization& EkvMosfetGroup::evaluation_for(std::size_t i, EvalRequest& r, const double (&x)[4],
                                                                     bool bypassed, ekv::EkvTerminalVoltages& v) {
  const std::size_t k = model_of_[i];
  const ekv::EkvModelParams& model = models_[k];
  const ekv::EkvTemperatureParams& temperature = model_at_temperature_[k];
  Bypass& cache = bypass_[i];
  const char needed = r.want_reactive ? 2 : 1;
  if (bypassed) {
    ++r.bypassed;
    v = cache.v;
    return cache.evaluation;
  }
  const ekv::EkvInstanceParams instance = instance_params(i);
  const double p = model.polarity;
  // Limit the step against the last evaluated bias; evaluate at the limited voltages v.
  ekv::BulkReferredBias bias{p * (x[kGate] - x[kBulk]), p * (x[kSource] - x[kBulk]), p * (x[kDrain] - x[kBulk])};
  bool limited = false;
  if (r.limit && !r.cold_start && has_last_bias_[i])
    limited = ekv::limit_forward_rise(model, temperature.thermal_voltage, ekv::ekv_instance_threshold(temperature, instance),
                                      last_bias_[i], bias);
  last_bias_[i] = bias;
  has_last_bias_[i] = 1;
  v = {x[kDrain], x[kGate], x[kSource], x[kBulk]};
  if (limited) {
    v = {x[kBulk] + p * bias.vd, x[kBulk] + p * bias.vg, x[kBulk] + p * bias.vs, x[kBulk]};
    ++r.limited;
  }
  ++r.evaluated;
  const ekv::EkvEvaluation e = ekv::evaluate_ekv(model, temperature, instance, v, r.want_reactive);
  cache.evaluation = {e.id, e.did, e.charge, e.capacitance};
  cache.v = v;
  // forward/reverse are the source- and drain-side components (NMOS-referred, either polarity).
  cache.drain_scale = e.forward >= e.reverse ? static_cast<float>(weak_side_scale(e.forward, e.reverse)) : 1.0f;
  cache.source_scale = e.reverse > e.forward ? static_cast<float>(weak_side_scale(e.reverse, e.forward)) : 1.0f;
  // A limited evaluation is not where the iteration is going: never reuse it.
  cache.held = limited ? 0 : needed;
  return cache.evaluation;
}

void EkvMosfetGroup::evaluate_range(EvalRequest& r, std::size_t begin, std::size_t end) {
  LatentSums* const latent = r.want_reactive ? r.latent : nullptr;
  NodeWatch* const watch = latent ? node_watch(begin, end) : nullptr;
  // The windows stand for the sums' members when they were made for these sums and nothing
  // invalidated cached evaluations since; otherwise every instance is checked below, as without
  // a watch, and the windows are made again from the members on the way.
  const bool watched = watch && watch->epoch == latent->epoch && watch->generation == generation_;
  if (watch && !watched) {
    std::fill(watch->low.begin(), watch->low.end(), -std::numeric_limits<double>::infinity());
    std::fill(watch->high.begin(), watch->high.end(), std::numeric_limits<double>::infinity());
    watch->epoch = latent->epoch;
    watch->generation = generation_;
  }
  const long checked = watched ? check_moved_nodes(*watch, r, *latent) : 0;
  long members = 0;  // in the sums, their nodes within their windows
  for (std::size_t i = begin; i < end; ++i) {
    if (watched && latent_epoch_[i] == latent->epoch) {
      ++members;
      continue;
    }
    const Index node[4] = {drain_[i], gate_[i], source_[i], bulk_[i]};
    const double x[4] = {r.x[node[kDrain]], r.x[node[kGate]], r.x[node[kSource]], r.x[node[kBulk]]};
    const bool bypassed = bypass_holds(i, r, x);
    if (latent) {
      // Latency: an instance bypassed twice in a row loads through the sums, into which it goes
      // once; one that needs a new evaluation leaves them first, with the linearization it went in
      // with. (Going in at the first bypass cost more than it saved: many instances alternate
      // between evaluated and bypassed, and each round trip is two loads' work. On a 64-unit layer
      // adding and removing then took 11% of the run.)
      Bypass& cache = bypass_[i];
      const bool in_sums = latent_epoch_[i] == latent->epoch;
      if (bypassed) {
        if (in_sums) {
          ++r.bypassed;
          ++r.latent_loads;
          if (watch) narrow_windows(*watch, i, r);
          continue;
        }
        if (cache.bypassed_before) {
          ++r.bypassed;
          add_latent(i, r, *latent, 1.0);
          latent_epoch_[i] = latent->epoch;
          if (watch) narrow_windows(*watch, i, r);
          continue;
        }
        cache.bypassed_before = 1;  // loaded below, as any bypassed instance
      } else {
        cache.bypassed_before = 0;
        if (in_sums) {
          add_latent(i, r, *latent, -1.0);
          latent_epoch_[i] = 0;
          ++latent->removals;
        }
      }
    }
    ekv::EkvTerminalVoltages v;
    const Linearization& e = evaluation_for(i, r, x, bypassed, v);
    const double delta[4] = {x[kDrain] - v.d, x[kGate] - v.g, x[kSource] - v.s, x[kBulk] - v.b};
    const bool shifted = delta[0] != 0 || delta[1] != 0 || delta[2] != 0 || delta[3] != 0;

    // Residual-consistent loading: i(v) + J (x - v), which is i(x) when v is x.
    double id = e.id;
    if (shifted)
      for (int c = 0; c < 4; ++c) id += e.did[c] * delta[c];
    const double vds = x[kDrain] - x[kSource];
    r.add_current(node[kDrain], node[kSource], id + r.gmin * vds);
    // Drain-current row of the Jacobian, gmin (across d-s) included; the source row is its negative.
    const double g[4] = {e.did[kDrain] + r.gmin, e.did[kGate], e.did[kSource] - r.gmin, e.did[kBulk]};

    if (!r.want_reactive) {
      const auto& gs = conductance_slots_[i];
      for (int c = 0; c < 4; ++c) {
        r.jac[gs[c]] += g[c];
        r.jac[gs[4 + c]] -= g[c];
      }
      continue;
    }
    // The capacitance slots (rows d, g, s, b) include the conductance slots (rows d and s), so one
    // pass loads G + a0*C: 16 scattered additions instead of 28 (callgrind: stamping was ~1/6 of
    // all instructions of an EKV transient).
    const auto& cs = capacitance_slots_[i];
    const double row_sign[4] = {1.0, 0.0, -1.0, 0.0};  // d: +g, g: none, s: -g, b: none
    for (int row = 0; row < 4; ++row) {
      double charge = e.charge[row];
      if (shifted)
        for (int c = 0; c < 4; ++c) charge += e.capacitance[row][c] * delta[c];
      for (int c = 0; c < 4; ++c) r.jac[cs[4 * row + c]] += r.reactive_scale * e.capacitance[row][c] + row_sign[row] * g[c];
      r.q[node[row]] += charge;
    }
  }
  r.bypassed += members;
  r.latent_loads += members;
  r.latent_unvisited += members - checked;
}

}  // namespace picospice
