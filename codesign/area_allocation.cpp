#include "codesign/area_allocation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

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

}  // namespace

std::vector<UnitMargin> unit_margins(const Network& quantized, const std::vector<std::vector<Vector>>& sequences,
                                     double device_spread, double target_sigmas) {
  std::vector<UnitMargin> margins;
  std::vector<std::size_t> first;  // index of each layer's first unit in `margins`
  for (std::size_t l = 0; l < quantized.layers.size(); ++l) {
    first.push_back(margins.size());
    if (const auto* b = std::get_if<BmruLayer>(&quantized.layers[l]))
      for (std::size_t u = 0; u < b->units(); ++u) margins.push_back({static_cast<int>(l), static_cast<int>(u)});
  }
  const double copy_spread = std::sqrt(2.0) * device_spread;
  for (const auto& frames : sequences) {
    if (frames.empty()) continue;
    const InferenceResult run = infer(quantized, frames);
    for (std::size_t t = 0; t < frames.size(); ++t) {
      Vector x = frames[t], var_x(x.size(), 0.0);  // the front end's currents: exact
      for (std::size_t l = 0; l < quantized.layers.size(); ++l) {
        const LayerTrace& trace = run.layers[l];
        if (const auto* layer = std::get_if<BmruLayer>(&quantized.layers[l])) {
          for (std::size_t u = 0; u < layer->units(); ++u) {
            UnitMargin& m = margins[first[l] + u];
            ++m.frames;
            const double c = trace.candidate[t][u];
            if (is_borderline(*layer, u, c)) continue;
            const double previous = t == 0 ? layer->s0[u] : trace.state[t - 1][u];
            const double threshold = previous > 0.5 ? layer->beta1[u] : layer->beta2(u);
            // The candidate's copies, the cell's copy of it (M1 -> M2) and the threshold's reference.
            const double variance =
                copies_variance(layer->W_c, u, x, var_x, layer->b_c[u]) + c * c + threshold * threshold;
            const double sigmas = std::abs(c - threshold) / (copy_spread * std::sqrt(variance));
            m.smallest_sigmas = std::min(m.smallest_sigmas, sigmas);
            if (sigmas < target_sigmas) ++m.near_frames;
          }
        }
        var_x = output_variance(quantized.layers[l], trace, t, x, var_x);
        x = trace.output[t];
      }
    }
  }
  return margins;
}

double needed_area(const UnitMargin& margin, double target_sigmas) {
  if (!(margin.smallest_sigmas < target_sigmas)) return 0;
  const double m = std::max(margin.smallest_sigmas, 1e-9);  // a candidate on its threshold: the maximum
  return (target_sigmas / m) * (target_sigmas / m);
}

std::vector<double> allocate_unit_areas(const std::vector<double>& need, const std::vector<double>& gate_area,
                                        double budget, const AreaAllocationOptions& options) {
  if (need.size() != gate_area.size())
    throw std::invalid_argument("allocate_unit_areas: one gate area per unit is needed");
  if (!(options.min_area > 0) || options.min_area > options.max_area)
    throw std::invalid_argument("allocate_unit_areas: the area range is empty");
  // Water-filling: every unit gets what it needs up to a common level, the level the largest that
  // the budget allows. The cost is non-decreasing in the level.
  const auto areas = [&](double level) {
    std::vector<double> a(need.size());
    for (std::size_t u = 0; u < need.size(); ++u)
      a[u] = std::clamp(std::min(need[u], level), options.min_area, options.max_area);
    return a;
  };
  const auto cost = [&](const std::vector<double>& a) {
    double total = 0;
    for (std::size_t u = 0; u < a.size(); ++u) total += gate_area[u] * a[u];
    return total;
  };
  double lo = options.min_area, hi = options.max_area;
  if (cost(areas(hi)) <= budget) return areas(hi);
  if (cost(areas(lo)) > budget) return areas(lo);  // the minimum, even above the budget
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (cost(areas(mid)) <= budget ? lo : hi) = mid;
  }
  return areas(lo);
}

// `--area auto` (area_allocation.hpp): lowers once at area 1 for the quantized network and the gate
// area of every unit's own devices, allocates the units' areas from their margins within the
// budget (the shared devices at the uniform factor the budget buys), and lowers again with them.
// Mirrors whose outputs have different sizes get a diode per size, so the total can differ a
// little from the allocation's count: while it is above the budget, the units' share shrinks by
// the excess and the allocation is repeated.
namespace {
constexpr double kAreaTargetSigmas = 4;

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
  const std::vector<std::vector<Vector>> sequences =
      options.area_sequences.empty() ? std::vector<std::vector<Vector>>{frames} : options.area_sequences;
  for (const auto& sequence : sequences)
    for (const auto& frame : sequence)
      if (frame.size() != static_cast<std::size_t>(network.inputs))
        throw NetworkError("lower: a frame of an --area-from sequence differs in width from the network's inputs");
  const auto margins = unit_margins(one.effective, sequences, std::max(spread.nmos, spread.pmos), kAreaTargetSigmas);
  std::vector<double> need, gate_area;
  double units_at_one = 0;
  for (const auto& m : margins) {
    need.push_back(needed_area(m, kAreaTargetSigmas));
    gate_area.push_back(one.unit_gate_area[m.layer][m.unit]);
    units_at_one += gate_area.back();
  }
  AreaAllocationOptions allocation;
  allocation.target_sigmas = kAreaTargetSigmas;
  allocation.max_area = std::max(allocation.max_area, shared);
  double unit_budget = shared * units_at_one;
  sized.area = shared;
  sized.area_auto = true;
  LoweredNetwork lowered;
  for (int attempt = 0; attempt < 10; ++attempt) {
    const auto areas = allocate_unit_areas(need, gate_area, unit_budget, allocation);
    sized.unit_area.assign(network.layers.size(), {});
    for (std::size_t i = 0; i < margins.size(); ++i) sized.unit_area[margins[i].layer].push_back(areas[i]);
    lowered = lower_network(network, frames, sized);  // area_auto with unit_area given: as allocated
    if (lowered.gate_area <= budget * (1 + 1e-9)) break;
    unit_budget -= 1.01 * (lowered.gate_area - budget);
  }
  lowered.area_report.push_back(fmt::format("budget {:.1f} um^2 (uniform area {:.4g}), used {:.1f} um^2; target {:g} "
                                            "sigmas at area 1 per decision, over {}", budget * 1e12, shared,
                                            lowered.gate_area * 1e12, kAreaTargetSigmas,
                                            options.area_sequences.empty()
                                                ? std::string("the input sequence")
                                                : fmt::format("{} --area-from sequences", sequences.size())));
  for (std::size_t l = 0; l < network.layers.size(); ++l) {
    std::string row;
    for (const auto& m : margins)
      if (m.layer == static_cast<int>(l))
        row += std::isinf(m.smallest_sigmas) ? " -" : fmt::format(" {:.3g}", m.smallest_sigmas);
    if (!row.empty())
      lowered.area_report.push_back(fmt::format("layer {} closest decision (sigmas at area 1):{}", l, row));
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
