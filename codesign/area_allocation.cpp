#include "codesign/area_allocation.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <stdexcept>

#include <fmt/format.h>

#include "base/thread_team.hpp"

#include "codesign/inference.hpp"
#include "codesign/unit_devices.hpp"

namespace picospice::network {

namespace {

// The variance (in units^2, per copy variance sigma_copy^2) of a weighted sum of copies: each term
// w * x copies a signal that already carries variance var_x, and adds its own relative error.
double copies_variance(const Matrix& W, std::size_t row, const Vector& x, const Vector& var_x, double bias) {
  double variance = bias * bias;
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double w = W[row][j], copy = w * std::max(x[j], 0.0);
    variance += w * w * var_x[j] + copy * copy;
  }
  return variance;
}

// The variance of a layer's outputs (as copies_variance) given its inputs' and its trace at frame t.
Vector output_variance(const Layer& layer, const LayerTrace& trace, std::size_t t, const Vector& x, const Vector& var_x) {
  Vector var;
  if (const auto* b = std::get_if<BmruLayer>(&layer)) {
    Vector var_h(b->units());
    for (std::size_t u = 0; u < b->units(); ++u) var_h[u] = trace.h[t][u] * trace.h[t][u];  // the gain reference's copy
    for (std::size_t j = 0; j < b->W_p.size(); ++j) {
      double v = copies_variance(b->W_p, j, trace.h[t], var_h, b->b_p[j]);
      if (b->skip) v += var_x[j] + x[j] * x[j];
      var.push_back(v);
    }
  } else if (const auto* lin = std::get_if<LinearLayer>(&layer)) {
    for (std::size_t r = 0; r < lin->W.size(); ++r) var.push_back(copies_variance(lin->W, r, x, var_x, lin->b[r]));
  }
  return var;
}

// A sequence's nominal run and, per layer, frame and unit, the sigma (model units, at area 1) of
// the unit's candidate against the threshold that decides it (empty rows for other layers): the
// candidate's copies, the cell's copy of it (M1 -> M2) and the threshold's reference, and with
// `with_input_errors` the errors its inputs carry from earlier layers.
struct NominalRun {
  InferenceResult run;
  std::vector<std::vector<Vector>> sigma;
};

NominalRun nominal_run(const Network& quantized, const std::vector<Vector>& frames, double copy_spread,
                       bool with_input_errors) {
  NominalRun nominal{infer(quantized, frames), std::vector<std::vector<Vector>>(quantized.layers.size())};
  for (std::size_t t = 0; t < frames.size(); ++t) {
    Vector x = frames[t], var_x(x.size(), 0.0);  // the front end's currents: exact
    for (std::size_t l = 0; l < quantized.layers.size(); ++l) {
      const LayerTrace& trace = nominal.run.layers[l];
      if (const auto* layer = std::get_if<BmruLayer>(&quantized.layers[l])) {
        Vector sigma(layer->units());
        for (std::size_t u = 0; u < layer->units(); ++u) {
          const double c = trace.candidate[t][u];
          const double previous = t == 0 ? layer->s0[u] : trace.state[t - 1][u];
          const double threshold = previous > 0.5 ? layer->beta1[u] : layer->beta2(u);
          sigma[u] = copy_spread *
                     std::sqrt(copies_variance(layer->W_c, u, x, var_x, layer->b_c[u]) + c * c + threshold * threshold);
        }
        nominal.sigma[l].push_back(std::move(sigma));
      }
      var_x = with_input_errors ? output_variance(quantized.layers[l], trace, t, x, var_x)
                                : Vector(trace.output[t].size(), 0.0);
      x = trace.output[t];
    }
  }
  return nominal;
}

// Every BMRU unit of `network`, in layer order, as (layer, unit) pairs.
template <class Margin>
std::vector<Margin> one_per_unit(const Network& network) {
  std::vector<Margin> margins;
  for (std::size_t l = 0; l < network.layers.size(); ++l)
    if (const auto* b = std::get_if<BmruLayer>(&network.layers[l]))
      for (std::size_t u = 0; u < b->units(); ++u) {
        Margin m;
        m.layer = static_cast<int>(l);
        m.unit = static_cast<int>(u);
        margins.push_back(m);
      }
  return margins;
}

// The upper tail of the standard normal distribution.
double upper_tail(double z) { return std::isinf(z) ? 0.0 : 0.5 * std::erfc(z / std::sqrt(2.0)); }

}  // namespace

std::vector<UnitMargin> unit_margins(const Network& quantized, const std::vector<std::vector<Vector>>& sequences,
                                     double device_spread, double target_sigmas) {
  std::vector<UnitMargin> margins = one_per_unit<UnitMargin>(quantized);
  for (const auto& frames : sequences) {
    const NominalRun nominal = nominal_run(quantized, frames, std::sqrt(2.0) * device_spread, true);
    for (UnitMargin& m : margins) {
      const auto& layer = std::get<BmruLayer>(quantized.layers[m.layer]);
      const LayerTrace& trace = nominal.run.layers[m.layer];
      const std::size_t u = m.unit;
      for (std::size_t t = 0; t < frames.size(); ++t) {
        ++m.frames;
        const double c = trace.candidate[t][u];
        if (is_borderline(layer, u, c)) continue;
        const double previous = t == 0 ? layer.s0[u] : trace.state[t - 1][u];
        const double threshold = previous > 0.5 ? layer.beta1[u] : layer.beta2(u);
        const double sigmas = std::abs(c - threshold) / nominal.sigma[m.layer][t][u];
        m.smallest_sigmas = std::min(m.smallest_sigmas, sigmas);
        if (sigmas < target_sigmas) ++m.near_frames;
      }
    }
  }
  return margins;
}

double DecisionMargin::smallest() const {
  double s = std::numeric_limits<double>::infinity();
  for (double v : up) s = std::min(s, v);
  for (double v : down) s = std::min(s, v);
  return s;
}

namespace {

// The smallest offset (sigmas) for which changes(offset) holds, searched on one side (sign): a
// geometric scan from 1/16 to kLargestDecisionOffset, then bisection between the last offset that
// kept the decision and the first that changed it (so the smallest change is found even where the
// decision is not monotone in the offset); infinity when none.
template <class Changes>
double first_change(double sign, Changes&& changes) {
  double kept = 0;
  for (double s = 1.0 / 16; s <= kLargestDecisionOffset * (1 + 1e-12); s *= std::sqrt(2.0)) {
    if (changes(sign * s)) {
      double changed = s;
      for (int i = 0; i < 8; ++i) {
        const double mid = 0.5 * (kept + changed);
        (changes(sign * mid) ? changed : kept) = mid;
      }
      return changed;
    }
    kept = s;
  }
  return std::numeric_limits<double>::infinity();
}

}  // namespace

std::vector<DecisionMargin> decision_margins(const Network& quantized,
                                             const std::vector<std::vector<Vector>>& sequences, double device_spread,
                                             const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<DecisionMargin> margins = one_per_unit<DecisionMargin>(quantized);
  const double copy_spread = std::sqrt(2.0) * device_spread;
  ThreadTeam team(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  std::size_t done = 0;
  for (const auto& frames : sequences) {
    if (progress) progress(done++, sequences.size());
    if (frames.empty()) continue;
    // The sigma of each unit-frame's own copies only: the inputs' errors belong to the units that
    // made them (their output-level mode below).
    const NominalRun nominal = nominal_run(quantized, frames, copy_spread, false);
    if (nominal.run.vote.borderline) continue;
    const int decision = nominal.run.vote.decision;
    const std::vector<std::vector<Vector>>& own = nominal.sigma;
    // Units are independent: one chunk each, on every core (each writes only its own margin, so
    // the result does not depend on the thread count).
    team.run(margins.size(), [&](std::size_t i) {
      DecisionMargin& m = margins[i];
      ++m.sequences;
      // Mode 1, the unit's switching: its candidate moved by s own sigmas at every frame.
      const auto offset_changes = [&](double sigmas) {
        const auto offset = [&](std::size_t l, std::size_t t, std::size_t u) {
          return static_cast<int>(l) == m.layer && static_cast<int>(u) == m.unit ? sigmas * own[l][t][u] : 0.0;
        };
        return infer_with_candidate_offsets(quantized, frames, offset).vote.decision != decision;
      };
      // Mode 2, the unit's output level: alpha through its gain reference (one copy), which every
      // later layer reads.
      Network copy = quantized;  // one per unit; each probe sets its alpha afresh
      double& alpha = std::get<BmruLayer>(copy.layers[m.layer]).alpha[m.unit];
      const double nominal_alpha = alpha;
      const auto gain_changes = [&](double sigmas) {
        alpha = nominal_alpha * std::max(0.0, 1 + sigmas * copy_spread);
        return infer(copy, frames).vote.decision != decision;
      };
      for (double sign : {1.0, -1.0}) {
        (sign > 0 ? m.up : m.down).push_back(first_change(sign, offset_changes));
        (sign > 0 ? m.up : m.down).push_back(first_change(sign, gain_changes));
      }
    });
  }
  if (progress) progress(sequences.size(), sequences.size());
  return margins;
}

double expected_decision_loss(const DecisionMargin& margin, double area) {
  if (margin.sequences == 0) return 0;
  const double root = std::sqrt(area);
  double loss = 0;
  for (std::size_t i = 0; i < margin.up.size(); ++i) loss += upper_tail(margin.up[i] * root);
  for (std::size_t i = 0; i < margin.down.size(); ++i) loss += upper_tail(margin.down[i] * root);
  return loss / static_cast<double>(margin.sequences);
}

std::vector<double> allocate_unit_areas(const std::vector<DecisionMargin>& margins,
                                        const std::vector<double>& gate_area, double budget,
                                        const AreaAllocationOptions& options) {
  if (margins.size() != gate_area.size())
    throw std::invalid_argument("allocate_unit_areas: one gate area per unit is needed");
  if (!(options.min_area > 0) || options.min_area > options.max_area)
    throw std::invalid_argument("allocate_unit_areas: the area range is empty");
  // Each unit's floored loss on a geometric grid of areas.
  constexpr int kGrid = 241;
  std::vector<double> grid(kGrid);
  for (int k = 0; k < kGrid; ++k)
    grid[k] = options.min_area * std::pow(options.max_area / options.min_area, k / double(kGrid - 1));
  std::vector<std::vector<double>> loss(margins.size(), std::vector<double>(kGrid));
  for (std::size_t u = 0; u < margins.size(); ++u)
    for (int k = 0; k < kGrid; ++k)
      loss[u][k] = std::max(expected_decision_loss(margins[u], grid[k]), options.loss_floor);
  double mean_gate = 0;
  for (double g : gate_area) mean_gate += g / static_cast<double>(gate_area.size());
  // For a price `lambda` per unit of (mean-normalized) gate area, every unit takes the area that
  // minimizes loss + lambda * area cost; the smallest area on ties, so a unit at its floor stops.
  const auto areas = [&](double lambda) {
    std::vector<double> a(margins.size());
    for (std::size_t u = 0; u < margins.size(); ++u) {
      const double price = lambda * gate_area[u] / (mean_gate > 0 ? mean_gate : 1);
      int best = 0;
      for (int k = 1; k < kGrid; ++k)
        if (loss[u][k] + price * grid[k] < loss[u][best] + price * grid[best]) best = k;
      a[u] = grid[best];
    }
    return a;
  };
  const auto cost = [&](const std::vector<double>& a) {
    double total = 0;
    for (std::size_t u = 0; u < a.size(); ++u) total += gate_area[u] * a[u];
    return total;
  };
  // What the budget leaves once the decisions are served raises every unit to a common level
  // (the units the decisions need larger keep theirs): their state agreement still gains from
  // matching, and the user offered the area.
  const auto fill = [&](std::vector<double> a) {
    const auto raised = [&](double level) {
      std::vector<double> r = a;
      for (double& x : r) x = std::max(x, level);
      return r;
    };
    double lo = options.min_area, hi = options.max_area;
    if (cost(raised(hi)) <= budget) return raised(hi);
    for (int i = 0; i < 100; ++i) {
      const double mid = 0.5 * (lo + hi);
      (cost(raised(mid)) <= budget ? lo : hi) = mid;
    }
    return raised(lo);
  };
  const std::vector<double> free = areas(0);
  if (cost(free) <= budget) return fill(free);
  const std::vector<double> minimum(margins.size(), options.min_area);
  if (cost(minimum) > budget) return minimum;
  // A higher price buys less area; bisect (in log lambda) for the lowest price within the budget.
  double lo = 1e-12, hi = 1e3;
  if (cost(areas(hi)) > budget) return minimum;
  for (int i = 0; i < 100; ++i) {
    const double mid = std::sqrt(lo * hi);
    (cost(areas(mid)) <= budget ? hi : lo) = mid;
  }
  return fill(areas(hi));
}

// `--area auto` (area_allocation.hpp): lowers once at area 1 for the quantized network and the gate
// area of every unit's own devices, allocates the units' areas from their decision margins within
// the budget (the shared devices at the uniform factor the budget buys), and lowers again with them.
// Mirrors whose outputs have different sizes get a diode per size, so the total can differ a
// little from the allocation's count: while it is above the budget, the units' share shrinks by
// the excess and the allocation is repeated.
namespace {

// The lowering's report row of one figure per unit of layer `l`.
template <class Margin, class Figure>
std::string per_unit_row(const std::vector<Margin>& margins, std::size_t l, Figure&& figure) {
  std::string row;
  for (std::size_t i = 0; i < margins.size(); ++i)
    if (margins[i].layer == static_cast<int>(l)) row += " " + figure(i);
  return row;
}

std::string sigmas_text(double sigmas) { return std::isinf(sigmas) ? "-" : fmt::format("{:.3g}", sigmas); }

}  // namespace

LoweredNetwork lower_with_area_allocation(const Network& network, const std::vector<Vector>& frames,
                                          const LoweringOptions& options) {
  if (!(options.area_budget >= 0) || !std::isfinite(options.area_budget))
    throw NetworkError("lower: the gate-area budget must be a positive number (m^2), or 0 for uniform area 4's");
  LoweringOptions sized = options;
  sized.unit_area.clear();
  sized.area_auto = false;
  sized.area = 1;
  const LoweredNetwork one = lower_network(network, frames, sized);
  const double budget = options.area_budget > 0 ? options.area_budget : 4 * one.gate_area;
  if (budget < one.gate_area)
    throw NetworkError(fmt::format("lower: the gate-area budget {:.1f} um^2 is below this network's gate area at area 1 "
                                   "({:.1f} um^2), the smallest --area auto can build", budget * 1e12, one.gate_area * 1e12));
  const double shared = budget / one.gate_area;
  const UnitDeviceSpread spread = unit_device_current_spread(1.0);
  const double device_spread = std::max(spread.nmos, spread.pmos);
  const std::vector<std::vector<Vector>> sequences =
      options.area_sequences.empty() ? std::vector<std::vector<Vector>>{frames} : options.area_sequences;
  for (const auto& sequence : sequences)
    for (const auto& frame : sequence)
      if (frame.size() != static_cast<std::size_t>(network.inputs))
        throw NetworkError("lower: a frame of an --area-from sequence differs in width from the network's inputs");
  const auto margins = decision_margins(one.effective, sequences, device_spread, options.area_progress);
  std::vector<double> gate_area;
  double units_at_one = 0;
  for (const auto& m : margins) {
    gate_area.push_back(one.unit_gate_area[m.layer][m.unit]);
    units_at_one += gate_area.back();
  }
  AreaAllocationOptions allocation;
  allocation.max_area = std::max(allocation.max_area, shared);
  double unit_budget = shared * units_at_one;
  sized.area = shared;
  sized.area_auto = true;
  LoweredNetwork lowered;
  std::vector<double> areas;
  for (int attempt = 0; attempt < 10; ++attempt) {
    areas = allocate_unit_areas(margins, gate_area, unit_budget, allocation);
    sized.unit_area.assign(network.layers.size(), {});
    for (std::size_t i = 0; i < margins.size(); ++i) sized.unit_area[margins[i].layer].push_back(areas[i]);
    lowered = lower_network(network, frames, sized);  // area_auto with unit_area given: as allocated
    if (lowered.gate_area <= budget * (1 + 1e-9)) break;
    unit_budget -= 1.01 * (lowered.gate_area - budget);
  }
  const std::size_t scored = margins.empty() ? 0 : margins.front().sequences;
  double loss_allocated = 0, loss_uniform = 0;
  for (std::size_t i = 0; i < margins.size(); ++i) {
    loss_allocated += expected_decision_loss(margins[i], areas[i]);
    loss_uniform += expected_decision_loss(margins[i], shared);
  }
  lowered.area_report.push_back(fmt::format(
      "budget {:.1f} um^2 (uniform area {:.4g}), used {:.1f} um^2; decision margins over {} ({} with a "
      "non-borderline decision)", budget * 1e12, shared, lowered.gate_area * 1e12,
      options.area_sequences.empty() ? std::string("the input sequence")
                                     : fmt::format("{} --area-from sequences", sequences.size()),
      scored));
  lowered.area_report.push_back(fmt::format(
      "predicted decisions lost to mismatch (software model, an estimate): {:.2f}% as allocated, {:.2f}% at uniform "
      "area {:.4g}", 100 * loss_allocated, 100 * loss_uniform, shared));
  for (std::size_t l = 0; l < network.layers.size(); ++l) {
    const std::string smallest =
        per_unit_row(margins, l, [&](std::size_t i) { return sigmas_text(margins[i].smallest()); });
    if (smallest.empty()) continue;
    lowered.area_report.push_back(
        fmt::format("layer {} smallest decision margin (sigmas at area 1):{}", l, smallest));
    lowered.area_report.push_back(fmt::format(
        "layer {} predicted loss (%) as allocated:{}", l,
        per_unit_row(margins, l, [&](std::size_t i) {
          return fmt::format("{:.2f}", 100 * expected_decision_loss(margins[i], areas[i]));
        })));
  }
  const auto closest = unit_margins(one.effective, sequences, device_spread, 4);
  for (std::size_t l = 0; l < network.layers.size(); ++l) {
    const std::string row =
        per_unit_row(closest, l, [&](std::size_t i) { return sigmas_text(closest[i].smallest_sigmas); });
    if (!row.empty()) lowered.area_report.push_back(fmt::format("layer {} closest frame (sigmas at area 1):{}", l, row));
  }
  // The header was written before the report existed: it goes after the per-layer factors.
  std::string lines;
  for (const auto& line : lowered.area_report) lines += "*   " + line + "\n";
  const auto at = lowered.netlist.find("* weights: ");
  if (at != std::string::npos) lowered.netlist.insert(at, lines);
  return lowered;
}

void check_unit_areas(const Network& network, const std::vector<std::vector<double>>& unit_area) {
  if (unit_area.empty()) return;
  if (unit_area.size() != network.layers.size())
    throw NetworkError(fmt::format("lower: unit areas for {} layers, the network has {}", unit_area.size(),
                                   network.layers.size()));
  for (std::size_t l = 0; l < network.layers.size(); ++l) {
    const auto* b = std::get_if<BmruLayer>(&network.layers[l]);
    if (unit_area[l].size() != (b ? b->units() : 0))
      throw NetworkError(fmt::format("lower: layer {} has {} unit areas for {} BMRU units", l, unit_area[l].size(),
                                     b ? b->units() : 0));
    for (double a : unit_area[l])
      if (!(a > 0) || !std::isfinite(a))
        throw NetworkError(fmt::format("lower: a unit's device area factor must be a positive number, got {}", a));
  }
}

}  // namespace picospice::network
