// Lowering a BMRU network to a cell-library netlist (see lowering.hpp for the mapping).
#include "codesign/lowering.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "codesign/area_allocation.hpp"
#include "codesign/characterize.hpp"
#include "codesign/frame_blanking.hpp"
#include "codesign/netlist_text.hpp"
#include "codesign/weight_grid.hpp"

namespace picospice::network {
namespace {

constexpr double kNmosUnitWidth = kUnitDevices.nmos_width;
constexpr double kPmosUnitWidth = kUnitDevices.pmos_width;
constexpr double kMirrorLength = kUnitDevices.length;
// The preset switches (see preset_sources()).
constexpr double kPresetWidth = 0.5e-6, kPresetLength = 10e-6;
// Gate area (sum of W*L, m^2) at area factor 1 of the cells cells.lib defines with fixed sizes:
// schmitt9 (M1-M9) and schmitt9_bias (three 2u/4u diodes; a ratio k keeps each one's W*L). The
// gate-area test checks the lowering's count against the elaborated netlist.
constexpr double kCellGateArea = 40.5e-12, kCellBiasGateArea = 24e-12;

// The gain of the sourcing path (NMOS ratio-1 copy, then PMOS mirror) into a summing node held
// at a diode's voltage, from the library's model cards. In weak inversion a mirror's ratio is exact
// up to channel-length modulation, (1 + LAMBDA*VDS_out) / (1 + LAMBDA*VDS_diode), and the copy
// works against a large VDS difference twice: its output sits at the PMOS diode's node
// (VDD - VSG_p) against the NMOS diode's VGS_n, and the PMOS output sees VDD - VGS_n against
// VSG_p. Both gate voltages are taken at one model unit of current:
//   V = VTO + N*UT*ln(I / Ispec),  Ispec = 2*N*KP*(W/L)*UT^2
// (the weak-inversion limit in docs/design.md, 'The EKV model').
// (The characterization's mirror table holds each output at its diode's own voltage, so it
// cannot show this error; with the generic card it is about +2.4%.)
double sourcing_path_gain(const CellLibrary& lib, double unit_current, double vdd) {
  const auto n = lib.models.find("nch"), p = lib.models.find("pch");
  if (n == lib.models.end() || p == lib.models.end()) return 1.0;
  const double ut = 0.025865;
  const auto gate_voltage = [&](const std::map<std::string, double>& card, double width) {
    const double slope = card.count("n") ? card.at("n") : 1.35;
    const double vto = std::abs(card.count("vto") ? card.at("vto") : 0.45);
    const double kp = card.count("kp") ? card.at("kp") : 1e-4;
    const double ispec = 2 * slope * kp * (width / kMirrorLength) * ut * ut;
    return vto + slope * ut * std::log(unit_current / ispec);
  };
  const auto lambda = [](const std::map<std::string, double>& card) {
    return card.count("lambda") && std::isfinite(card.at("lambda")) ? card.at("lambda") : 0.0;
  };
  const double vgs_n = gate_voltage(n->second, kNmosUnitWidth), vsg_p = gate_voltage(p->second, kPmosUnitWidth);
  const double ln = lambda(n->second), lp = lambda(p->second);
  const double copy = (1 + ln * (vdd - vsg_p)) / (1 + ln * vgs_n);
  const double source = (1 + lp * (vdd - vgs_n)) / (1 + lp * vsg_p);
  return copy * source;
}



// The lowering of one network, layer by layer.
class Lowering {
 public:
  Lowering(const Network& net, const LoweringOptions& options, const CellLibrary& library, double copy_trim)
      : net_(net), options_(options), body_(library), copy_trim_(copy_trim), size_(std::sqrt(options.area)) {}

  LoweredNetwork run(const std::vector<Vector>& frames);

 private:
  // Quantizes w (recording it under `path`) and, when non-zero, adds the edge signal -> dest.
  double connect(const std::string& signal, const std::string& dest, double w, const std::string& path) {
    const double q = quantize_weight(w, grid_);
    QuantizedWeight record{path, w, q};
    result_.weights.push_back(record);
    if (std::abs(q - w) > std::abs(result_.largest_error.effective - result_.largest_error.wanted))
      result_.largest_error = record;
    if (q == 0) ++result_.omitted_weights;
    else add_edge(signal, dest, q);
    return q;
  }
  // The BMRU unit whose summing node `node` is, or (-1, -1).
  std::pair<int, int> owner(const std::string& node) const {
    const auto it = unit_nodes_.find(node);
    return it == unit_nodes_.end() ? std::pair{-1, -1} : it->second;
  }
  // The area factor of a unit's own devices (LoweringOptions::unit_area), or the shared one.
  double area_of(std::pair<int, int> unit) const {
    if (unit.second < 0 || options_.unit_area.empty()) return options_.area;
    return options_.unit_area[unit.first][unit.second];
  }
  void add_edge(const std::string& signal, const std::string& dest, double w) {
    const auto unit = owner(dest);
    fanout_[signal].push_back({dest, w, std::sqrt(area_of(unit)), unit.first, unit.second});
  }
  void bias(const std::string& node, double b, int layer) {
    if (b == 0) return;
    const bool pmos = b > 0;
    const std::string cell = pmos ? "isource" : "isink";
    const std::string supply = block_supply("b_" + node, PowerKind::bias, layer);
    const double current = std::abs(b) * net_.unit_current;
    const auto unit = owner(node);
    const double area = area_of(unit);
    const int k = ratio(current, static_window(), area);
    body_.instance("b_" + node, {node, supply, "0"}, cell,
                   "i=" + si(current) + size_params(pmos, area) + (k > 1 ? fmt::format(" k={}", k) : ""));
    // Reference and output, each a unit device (the ratio keeps the reference's W*L).
    tally_.add(layer, unit.second, 2 * (pmos ? kPmosUnitWidth : kNmosUnitWidth) * kMirrorLength * area);
  }
  int ratio(double current, double window, double area) const {
    return reference_ratio(current, window, area, options_.reference_ratio_limit);
  }
  // The time a cell's I_thresh and I_width lines have to settle after the blanking disturbed them:
  // from the end of the layer's latest release (over all frames) to the settling deadline (s).
  double blanked_window(int layer) const {
    double last = 0;
    for (const auto& b : blanking_)
      if (b.layer == layer) last = b.latest_release() + kBlankRamp;
    return (kSettleDeadline - last) * net_.frame;
  }
  // The same for a line nothing disturbs (I_gain, the biases): settled from the start, it only
  // has to follow its reference, so the whole frame up to the deadline counts.
  double static_window() const { return kSettleDeadline * net_.frame; }
  double tightest_blanked_window() const {
    double window = static_window();
    for (const auto& b : blanking_) window = std::min(window, blanked_window(b.layer));
    return window;
  }
  // The supply node of one block: the layer's shared supply, or with options_.power_breakdown a
  // source of its own whose current is the block's alone (PowerBlock).
  std::string block_supply(const std::string& block, PowerKind kind, int layer);
  // The w and l of an isource (PMOS) / isink or relu (NMOS) at the device-area option; empty at
  // area 1, where the library's defaults (2u or 1u by 4u) apply.
  std::string size_params(bool pmos, double area) const {
    if (area == 1) return "";
    const double size = std::sqrt(area);
    return fmt::format(" w={} l={}", microns((pmos ? kPmosUnitWidth : kNmosUnitWidth) * size),
                       microns(kMirrorLength * size));
  }
  // The largest area factor of any device (the blanking plan's switching times grow with it).
  double largest_area() const {
    double largest = options_.area;
    for (const auto& row : options_.unit_area)
      for (double a : row) largest = std::max(largest, a);
    return largest;
  }
  // Emits the fan-out of every signal a layer consumes; a signal nobody reads gets a ReLU diode
  // as its load, since the current pushed into it must go somewhere.
  void emit_fanouts(const std::vector<std::string>& signals, int layer);
  void lower_bmru(int index, BmruLayer& layer, const std::string& path);
  void emit_inputs(const std::vector<Vector>& frames);
  void preset_sources(const std::vector<Vector>& frames);
  void blanking_sources();
  const LayerBlanking& blanking_of(int layer) const {
    for (const auto& b : blanking_)
      if (b.layer == layer) return b;
    throw std::logic_error("lowering: no blanking planned for a BMRU layer");
  }
  std::string header(int frames) const;

  const Network& net_;
  const LoweringOptions& options_;
  NetlistText body_;
  LoweredNetwork result_;
  std::map<std::string, std::vector<FanoutEdge>> fanout_;
  std::vector<std::string> signals_;  // the current layer's input signal nodes
  double copy_trim_ = 1.0;            // gain the ratio-1 copies compensate (1: none)
  double size_ = 1.0;                 // every W and L times this: sqrt(options_.area)
  int grid_ = 32;                     // the grid of the layer being lowered
  std::vector<LayerBlanking> blanking_;  // per BMRU layer (frame_blanking.hpp)
  std::map<std::string, std::pair<int, int>> unit_nodes_;  // summing node -> (layer, unit)
  GateAreaTally tally_;
};

std::string Lowering::block_supply(const std::string& block, PowerKind kind, int layer) {
  const bool cells = kind != PowerKind::bias && kind != PowerKind::mirror;
  if (!options_.power_breakdown) return fmt::format("vdd_l{}{}", layer, cells ? "_cells" : "");
  static const std::map<PowerKind, const char*> tags{
      {PowerKind::cell_core, "core"}, {PowerKind::cell_references, "refs"}, {PowerKind::cell_blanking, "blank"},
      {PowerKind::blanking_reference, "ref"}, {PowerKind::bias, "bias"}, {PowerKind::mirror, "mirror"}};
  const std::string node = fmt::format("vdd_{}_{}", block, tags.at(kind));
  body_.line(fmt::format("{0} {0} 0 {1}", node, si(options_.vdd)));
  result_.supplies.push_back({"i(" + node + ")", layer, cells});
  // A source delivers current out of its + terminal: i(v) < 0 while it supplies.
  result_.power_blocks.push_back({block, kind, layer, {{"i(" + node + ")", -1.0}}});
  return node;
}

void Lowering::emit_fanouts(const std::vector<std::string>& signals, int layer) {
  for (const auto& s : signals) {
    const auto& edges = fanout_[s];
    std::vector<FanoutEdge> sinks, sources;
    for (const auto& e : edges) (e.weight < 0 ? sinks : sources).push_back(e);
    if (edges.empty()) {
      body_.instance("relu_" + s, {s, "0"}, "relu", size_params(false, options_.area));
      tally_.add(layer, -1, kNmosUnitWidth * kMirrorLength * options_.area);
      continue;
    }
    std::string targets;
    for (const auto& e : edges) targets += fmt::format(" {}({:+g})", e.destination, e.weight);
    body_.comment("fan-out of " + s + ":" + targets);
    // The ratio-1 copy into the PMOS diode; with a calibration it is trimmed (off the weight grid:
    // it is a fixed part of the design) by the sourcing path's predicted gain.
    if (!sources.empty()) sinks.push_back({s + "_p", 1.0 / copy_trim_, size_});
    emit_mirror(body_, tally_, layer, s, s, sinks, false, "0");
    if (!sources.empty())
      emit_mirror(body_, tally_, layer, s, s + "_p", sources, true, block_supply(s, PowerKind::mirror, layer));
  }
}

void Lowering::lower_bmru(int L, BmruLayer& layer, const std::string& path) {
  const double unit = net_.unit_current;
  std::vector<std::string> h(layer.units());
  for (std::size_t u = 0; u < layer.units(); ++u) {
    const std::string c = fmt::format("l{}_c{}", L, u);
    unit_nodes_[c] = {L, static_cast<int>(u)};
    for (std::size_t j = 0; j < signals_.size(); ++j)
      layer.W_c[u][j] = connect(signals_[j], c, layer.W_c[u][j], fmt::format("{}.W_c[{}][{}]", path, u, j));
    bias(c, layer.b_c[u], L);
  }
  body_.blank();
  body_.comment(fmt::format("layer {} cells: candidate i(vcand_l{}_u*), output i(vout_l{}_u*), inverted state "
                            "v(xcell_l{}_u*.x)", L, L, L, L));
  for (std::size_t u = 0; u < layer.units(); ++u) {
    const double beta2 = layer.beta2(u) * unit;
    double ith = beta2, iw = layer.delta[u] * unit, ig = layer.alpha[u] * unit;
    if (options_.calibration) {
      ith = options_.calibration->ithresh_for(beta2);
      iw = options_.calibration->iwidth_for(iw, ith);
      ig = options_.calibration->igain_for(ig);
      if (const auto why = options_.calibration->unmeasured(ith, iw, ig))
        result_.warnings.push_back(fmt::format("{} unit {} (beta1 {:g}, delta {:g}): {}", path, u, layer.beta1[u],
                                               layer.delta[u], *why));
    }
    const std::string id = fmt::format("l{}_u{}", L, u);
    body_.comment(fmt::format("unit {}: beta1 {:g} delta {:g} alpha {:g} s0 {} -> ith {} iw {} ig {}{}", u,
                              layer.beta1[u], layer.delta[u], layer.alpha[u], layer.s0[u], si(ith), si(iw), si(ig),
                              options_.calibration ? " (calibrated)" : ""));
    const double unit_area = area_of({L, static_cast<int>(u)}), size = std::sqrt(unit_area);
    const std::string area = unit_area == 1 ? "" : " area=" + si(unit_area);
    const std::string core = block_supply(id, PowerKind::cell_core, L);
    const std::string references = block_supply(id, PowerKind::cell_references, L);
    // Blanked cells order their I_thresh and I_width ratios so that no release moves beta1 up
    // (reference_ratio.hpp); without blanking nothing disturbs the lines.
    const auto [kt, kw] = options_.frame_blanking
                              ? blanked_reference_ratios(ith, iw, blanked_window(L), unit_area,
                                                         options_.reference_ratio_limit)
                              : std::pair{ratio(ith, blanked_window(L), unit_area), ratio(iw, blanked_window(L), unit_area)};
    const int kg = ratio(ig, static_window(), unit_area);
    tally_.add(L, static_cast<int>(u), (kCellGateArea + kCellBiasGateArea) * unit_area);
    body_.instance("bias_" + id, {references, "0", id + "_bt", id + "_bw", id + "_bg"}, "schmitt9_bias",
                   fmt::format("ith={} iw={} ig={}{}{}", si(ith), si(iw), si(ig), area,
                               kt * kw * kg > 1 ? fmt::format(" kt={} kw={} kg={}", kt, kw, kg) : ""));
    body_.line(fmt::format("vcand_{0} l{1}_c{2} {0}_in 0", id, L, u));
    body_.instance("cell_" + id, {id + "_in", id + "_out", core, "0", id + "_bt", id + "_bw", id + "_bg"},
                   "schmitt9", area.empty() ? "" : area.substr(1));
    if (options_.frame_blanking) {
      UnitBlanking blank = blanking_of(L).units[u];
      blank.width = onset_ordered_width(blank.threshold, blank.width, ith, iw, kt, kw);
      std::string source = fmt::format("blank_src_l{}", L);
      if (options_.power_breakdown) {
        // The cell's blanking outputs return through an ammeter: the current they pull through
        // its references (drawn from their supply) is the cell's blanking power. i(vbsrc) is the
        // current into its + terminal, -I.
        body_.line(fmt::format("vbsrc_{0} {1} {0}_bsrc 0", id, source));
        source = id + "_bsrc";
        const std::string probe = fmt::format("i(vbsrc_{})", id);
        result_.power_blocks.push_back({id, PowerKind::cell_blanking, L, {{probe, -1.0}}});
        for (auto& b : result_.power_blocks)
          if (b.block == id && b.kind == PowerKind::cell_references) b.terms.push_back({probe, 1.0});
      }
      body_.instance("blank_" + id, {id + "_bt", id + "_bw", fmt::format("blank_l{}", L), source, "0"}, "schmitt9_blank",
                     fmt::format("wt={} ww={} l={}{}", microns(blank.threshold * kNmosUnitWidth * size),
                                 microns(blank.width * kNmosUnitWidth * size), microns(kMirrorLength * size),
                                 kt * kw > 1 ? fmt::format(" kt={} kw={}", kt, kw) : ""));
      tally_.add(L, static_cast<int>(u), (blank.threshold + blank.width) * kNmosUnitWidth * kMirrorLength * unit_area);
    }
    h[u] = fmt::format("l{}_h{}", L, u);
    body_.line(fmt::format("vout_{0} {0}_out {1} 0", id, h[u]));
    // The initial state: a switch forces the summing node high (s0 = 1) or to ground (s0 = 0)
    // during the preset window, then lets go (see preset_sources()).
    const std::string switch_size =
        fmt::format("W={} L={}", microns(kPresetWidth * size), microns(kPresetLength * size));
    tally_.add(L, static_cast<int>(u), kPresetWidth * kPresetLength * unit_area);
    if (layer.s0[u])
      body_.line(fmt::format("mset_{} l{}_c{} preset_set_l{} {} {} pch {}", id, L, u, L, core, core, switch_size));
    else body_.line(fmt::format("mreset_{} l{}_c{} preset_reset_l{} 0 0 nch {}", id, L, u, L, switch_size));
    body_.add_transistors(1);
    result_.units.push_back({L, static_cast<int>(u), "i(vcand_" + id + ")", "i(vout_" + id + ")", layer.alpha[u]});
  }
  std::vector<std::string> y(layer.W_p.size()), p(layer.W_p.size());
  for (std::size_t j = 0; j < layer.W_p.size(); ++j) {
    y[j] = fmt::format("l{}_y{}", L, j);
    p[j] = layer.skip ? fmt::format("l{}_p{}", L, j) : y[j];
    for (std::size_t u = 0; u < layer.units(); ++u)
      layer.W_p[j][u] = connect(h[u], p[j], layer.W_p[j][u], fmt::format("{}.W_p[{}][{}]", path, j, u));
    bias(p[j], layer.b_p[j], L);
    if (layer.skip) {  // y = max(W_p h + b_p, 0) + x: exact ratio-1 copies, not weights
      add_edge(p[j], y[j], 1.0);
      add_edge(signals_[j], y[j], 1.0);
    }
  }
  body_.blank();
  body_.comment(fmt::format("layer {} mirrors", L));
  std::vector<std::string> consumed = signals_;
  consumed.insert(consumed.end(), h.begin(), h.end());
  if (layer.skip) consumed.insert(consumed.end(), p.begin(), p.end());
  emit_fanouts(consumed, L);
  signals_ = y;
}

// Initial states. A .ic on each cell's x node would say it directly, but a bistable cell held at
// one rail by .ic does not converge in the operating point; instead each cell gets one switch on
// its summing node, driven from two gate lines per BMRU layer during a preset window of frame 0:
//   s0 = 1: PMOS mset_* (W/L 0.5/10, VSG 0.55 V: ~30 nA) sources into the summing node, above
//           any beta2 of the operating range, so the cell switches high;
//   s0 = 0: NMOS mreset_* (VGS 0.6 V, ~100 nA when on) holds the node near ground: low.
// Released (VGS = 0) they leak below 0.1 pA. The cells then follow the frame-0 candidate exactly
// as the software does from s0: low below beta1, held in the band, high above beta2. The k-th
// BMRU layer is released at (0.05 + 0.25 k) of the frame (at most 0.55), or later when the layer
// before has a slow frame-0 switch (plan_preset_release, frame_blanking.hpp), after the layers
// before it have settled: released together, a downstream candidate could dip out of its band
// while upstream cells settle and lose its s0. The preset currents flow for a fraction of one
// frame, so their share of the average power is negligible.
void Lowering::preset_sources(const std::vector<Vector>& frames) {
  const double edge = net_.frame * options_.rise_fraction;
  const std::vector<double> releases = plan_preset_release(net_, frames, largest_area());
  std::size_t k = 0;
  for (std::size_t L = 0; L < net_.layers.size(); ++L) {
    if (!std::holds_alternative<BmruLayer>(net_.layers[L])) continue;
    const double end = net_.frame * releases[k++];
    body_.comment(fmt::format("layer {} state preset until {} s: gates of its mset_*/mreset_* switches", L, si(end)));
    body_.line(fmt::format("vpreset_set_l{0} preset_set_l{0} 0 PWL(0 {1} {2} {1} {3} {4})", L, si(options_.vdd - 0.55),
                           si(end), si(end + edge), si(options_.vdd)));
    body_.line(fmt::format("vpreset_reset_l{0} preset_reset_l{0} 0 PWL(0 0.6 {1} 0.6 {2} 0)", L, si(end),
                           si(end + edge)));
  }
}

// One blanking reference per BMRU layer: the clocked I_b into an NMOS diode whose gate line drives
// the layer's schmitt9_blank outputs (frame_blanking.hpp), and the clock line of their sources
// that cuts them off after the release. Its current comes from the layer's cell supply, so the
// blanking shows in the cells' power.
void Lowering::blanking_sources() {
  const double edge = net_.frame * options_.rise_fraction;
  for (const auto& b : blanking_) {
    body_.comment(fmt::format("layer {} blanking: I_b {} A from {:g}% of a frame before each frame (from frame 1) "
                              "to {:g}% into it, then off over {:g}%; per cell T/W (units):", b.layer, si(b.current),
                              100 * kBlankLead, 100 * b.release, 100 * kBlankRamp));
    const auto later = std::count_if(b.frame_release.begin(), b.frame_release.end(), [&](double r) { return r > b.release; });
    if (later > 0)
      body_.comment(fmt::format("  released later in {} frames (up to {:g}%): a cell of the layer before switches late "
                                "there (small overdrive; frame_blanking.hpp)", later, 100 * b.latest_release()));
    const auto frozen = std::count_if(b.frame_freeze.begin(), b.frame_freeze.end(), [](double f) { return f < 1; });
    if (frozen > 0)
      body_.comment(fmt::format("  frozen again before the next layer's release in {} frames: a borderline cell of "
                                "this layer there (frame_blanking.hpp, 'Freeze')", frozen));
    std::string sizes;
    for (std::size_t u = 0; u < b.units.size(); ++u)
      sizes += fmt::format("{}u{} {:.3g}/{:.3g}", sizes.empty() ? "" : ", ", u, b.units[u].threshold, b.units[u].width);
    body_.comment("  " + sizes);
    const std::string supply = block_supply(fmt::format("blank_l{}", b.layer), PowerKind::blanking_reference, b.layer);
    body_.line(pwl_line(fmt::format("iblank_l{0} {1} blank_l{0}", b.layer, supply),
                        blanking_waveform(b, net_.frame, result_.frames, edge)));
    body_.line(pwl_line(fmt::format("vblank_src_l{0} blank_src_l{0} 0", b.layer),
                        blanking_source_waveform(b, net_.frame, result_.frames, edge)));
    body_.line(fmt::format("mblank_l{0} blank_l{0} blank_l{0} 0 0 nch W={1} L={2}", b.layer,
                           microns(kNmosUnitWidth * size_), microns(kMirrorLength * size_)));
    tally_.add(b.layer, -1, kNmosUnitWidth * kMirrorLength * options_.area);
    body_.add_transistors(1);
  }
}

void Lowering::emit_inputs(const std::vector<Vector>& frames) {
  const double T = net_.frame, rise = net_.frame * options_.rise_fraction;
  body_.comment(fmt::format("inputs: one PWL current per feature, from ground into in<k>, stepping every {} s "
                            "with {} s edges", si(T), si(rise)));
  for (int k = 0; k < net_.inputs; ++k) {
    std::vector<std::pair<double, double>> points{{0.0, frames[0][k] * net_.unit_current}};
    for (std::size_t t = 1; t < frames.size(); ++t) {
      if (frames[t][k] == frames[t - 1][k]) continue;
      points.push_back({t * T, frames[t - 1][k] * net_.unit_current});
      points.push_back({t * T + rise, frames[t][k] * net_.unit_current});
    }
    body_.line(pwl_line(fmt::format("iin_{} 0 in{}", k, k), points));
  }
}

std::string matrix_rows(const std::string& name, const Matrix& m) {
  std::string s;
  for (std::size_t r = 0; r < m.size(); ++r) {
    std::string row;
    for (double v : m[r]) row += fmt::format(" {:7.4g}", v);
    s += fmt::format("*   {}[{}] ={}\n", name, r, row);
  }
  return s;
}

std::string Lowering::header(int frames) const {
  std::string layers;
  for (const auto& l : net_.layers)
    layers += fmt::format("{}{} {}", layers.empty() ? "" : ", ", layer_type_name(l), layer_output_width(l));
  std::string h = fmt::format("* {}: lowered by `picospice lower` (picospice-bmru/1 -> cells.lib); generated, do not edit\n",
                              options_.title);
  h += fmt::format("* network: {} inputs -> {}; unit current {} A; {} frames of {} s; VDD {} V\n", net_.inputs,
                   layers, si(net_.unit_current), frames, si(net_.frame), si(options_.vdd));
  h += fmt::format("* transistors: {}\n", body_.transistors());
  std::string by_layer;
  for (std::size_t l = 0; l < result_.gate_area_by_layer.size(); ++l)
    by_layer += fmt::format("{}layer {} {:.1f}", l ? ", " : "", l, result_.gate_area_by_layer[l] * 1e12);
  h += fmt::format("* gate area: {:.1f} um^2 ({}; sum of W*L)\n", result_.gate_area * 1e12, by_layer);
  if (!options_.unit_area.empty()) {
    h += fmt::format("* device area per unit{}: shared devices (mirror diodes, outputs, readout) at {:.4g}; each unit's "
                     "cell, references, bias and input mirror outputs at its own factor:\n",
                     options_.area_auto ? " (--area auto, area_allocation.hpp)" : "", options_.area);
    for (std::size_t l = 0; l < options_.unit_area.size(); ++l) {
      if (options_.unit_area[l].empty()) continue;
      std::string row;
      for (double a : options_.unit_area[l]) row += fmt::format(" {:.3g}", a);
      h += fmt::format("*   layer {}:{}\n", l, row);
    }
  } else if (options_.area == 1)
    h += "* device area: 1 (--area K would multiply every W and L by sqrt(K))\n";
  else
    h += fmt::format("* device area: {} (every transistor's W and L times sqrt({}) = {:.6g}: W/L and currents as at area 1, "
                     "gate area and capacitance {}x, mismatch sigma /{:.6g})\n",
                     si(options_.area), si(options_.area), size_, si(options_.area), size_);
  const auto& e = result_.largest_error;
  std::string grids = fmt::format("1/{}", options_.grid);
  if (!options_.layer_grids.empty()) {
    grids = "per layer";
    for (std::size_t l = 0; l < options_.layer_grids.size(); ++l)
      grids += fmt::format("{} l{} 1/{}", l ? "," : "", l, options_.layer_grids[l]);
  }
  h += fmt::format("* weights: |w| quantized to multiples of {} of the unit mirror width (NMOS {}, PMOS {}, "
                   "L {}); {} of {} weights quantize to 0 and are omitted\n",
                   grids, microns(kNmosUnitWidth * size_), microns(kPmosUnitWidth * size_),
                   microns(kMirrorLength * size_), result_.omitted_weights, result_.weights.size());
  if (e.path.empty() || e.effective == e.wanted) h += "* largest quantization error: 0 (every weight is on the grid)\n";
  else
    h += fmt::format("* largest quantization error: {:.4g} ({}: {:.6g} -> {:.6g})\n", std::abs(e.effective - e.wanted),
                     e.path, e.wanted, e.effective);
  h += fmt::format("* schmitt9 biases: {}\n", options_.calibration
                                                  ? "pre-distorted with the calibration " + options_.calibration->source
                                                  : "ith = beta2, iw = delta, ig = alpha (uncalibrated)");
  if (options_.reference_ratio_limit > 1)
    h += fmt::format("* bias references: ratioed, each carrying its current / k (k up to {}, the reference's own current at "
                     "least {} A on a line the blanking disturbs, {} A on the others), same gate area\n",
                     options_.reference_ratio_limit, si(reference_floor(tightest_blanked_window(), options_.area)),
                     si(reference_floor(static_window(), options_.area)));
  if (!options_.frame_blanking) h += "* frame blanking: off (the cells follow their candidates continuously)\n";
  if (!blanking_.empty()) {
    h += "* frame blanking (frame_blanking.hpp): each BMRU layer's cells hold their state until its release, then\n"
         "*   decide on the settled candidate; I_b and release per layer:";
    for (const auto& b : blanking_) h += fmt::format(" l{} {} A at {:g}%", b.layer, si(b.current), 100 * b.release);
    h += "\n*   (per-cell band widening T/W in the layer's blanking comment)";
    h += "\n";
  }
  if (copy_trim_ != 1.0)
    h += fmt::format("* sourcing copies: ratio 1/{:.4f}, compensating the predicted channel-length modulation of the "
                     "copy + PMOS path\n", copy_trim_);
  h += "* probes: i(vcand_l<L>_u<u>) candidate, i(vout_l<L>_u<u>) output h (A, alpha*unit when high),\n"
       "*         v(xcell_l<L>_u<u>.x) inverted state, i(vlogit_<k>) logit k (A),\n"
       "*         i(vdd_l<L>) and i(vdd_l<L>_cells): supply of layer L's mirrors/biases and of its cells\n";
  h += "* effective weights:\n";
  for (std::size_t l = 0; l < result_.effective.layers.size(); ++l) {
    const Layer& layer = result_.effective.layers[l];
    if (const auto* b = std::get_if<BmruLayer>(&layer)) {
      h += matrix_rows(fmt::format("layers[{}].W_c", l), b->W_c);
      h += matrix_rows(fmt::format("layers[{}].W_p", l), b->W_p);
    } else if (const auto* lin = std::get_if<LinearLayer>(&layer)) {
      h += matrix_rows(fmt::format("layers[{}].W", l), lin->W);
    } else {
      h += matrix_rows(fmt::format("layers[{}].W", l), std::get<ReadoutLayer>(layer).W);
    }
  }
  return h;
}

LoweredNetwork Lowering::run(const std::vector<Vector>& frames) {
  result_.effective = net_;
  result_.frames = static_cast<int>(frames.size());
  result_.tstop = frames.size() * net_.frame;

  body_.blank();
  body_.comment(options_.power_breakdown
                    ? "supplies: one per block (PowerBlock), each declared where its block is"
                    : "supplies: one per layer for its mirrors and biases, one per BMRU layer for its cells");
  for (std::size_t L = 0; L < net_.layers.size() && !options_.power_breakdown; ++L) {
    body_.line(fmt::format("vdd_l{0} vdd_l{0} 0 {1}", L, si(options_.vdd)));
    result_.supplies.push_back({fmt::format("i(vdd_l{})", L), static_cast<int>(L), false});
    if (std::holds_alternative<BmruLayer>(net_.layers[L])) {
      body_.line(fmt::format("vdd_l{0}_cells vdd_l{0}_cells 0 {1}", L, si(options_.vdd)));
      result_.supplies.push_back({fmt::format("i(vdd_l{}_cells)", L), static_cast<int>(L), true});
    }
  }
  body_.blank();
  preset_sources(frames);
  body_.blank();
  if (options_.frame_blanking) blanking_ = plan_blanking(net_, frames, largest_area());
  blanking_sources();
  body_.blank();
  emit_inputs(frames);
  for (int k = 0; k < net_.inputs; ++k) signals_.push_back(fmt::format("in{}", k));

  for (std::size_t L = 0; L < net_.layers.size(); ++L) {
    Layer& layer = result_.effective.layers[L];
    const std::string path = fmt::format("layers[{}]", L);
    grid_ = options_.layer_grids.empty() ? options_.grid : options_.layer_grids[L];
    body_.blank();
    body_.comment(fmt::format("---- layer {}: {} ----", L, layer_type_name(layer)));
    if (auto* b = std::get_if<BmruLayer>(&layer)) {
      lower_bmru(static_cast<int>(L), *b, path);
      continue;
    }
    const bool readout = std::holds_alternative<ReadoutLayer>(layer);
    Matrix& W = readout ? std::get<ReadoutLayer>(layer).W : std::get<LinearLayer>(layer).W;
    const Vector& b = readout ? std::get<ReadoutLayer>(layer).b : std::get<LinearLayer>(layer).b;
    std::vector<std::string> outputs;
    for (std::size_t r = 0; r < W.size(); ++r) {
      const std::string node = readout ? fmt::format("z{}", r) : fmt::format("l{}_y{}", L, r);
      for (std::size_t j = 0; j < signals_.size(); ++j)
        W[r][j] = connect(signals_[j], node, W[r][j], fmt::format("{}.W[{}][{}]", path, r, j));
      bias(node, b[r], static_cast<int>(L));
      if (readout) {
        body_.line(fmt::format("vlogit_{0} z{0} 0 {1}", r, si(options_.readout_voltage)));
        result_.logits.push_back(fmt::format("i(vlogit_{})", r));
      }
      outputs.push_back(node);
    }
    emit_fanouts(signals_, static_cast<int>(L));
    signals_ = outputs;
  }

  // Output: only the probes (a large network's every node would cost memory for nothing; delete
  // the .save line to keep them all).
  std::string saves;
  for (const auto& u : result_.units) saves += " " + u.candidate + " " + u.output;
  for (const auto& z : result_.logits) saves += " " + z;
  for (const auto& s : result_.supplies) saves += " " + s.current;
  for (const auto& b : result_.power_blocks)
    if (b.kind == PowerKind::cell_blanking) saves += " " + b.terms.front().first;
  body_.line(".save" + saves);
  // The initial operating point as the pseudo-transient finds it (the circuit powering up from 0 V,
  // engine/analyses/operating_point.cpp), without the plain Newton and gmin stepping attempts
  // before it: with a bistable cell in every unit, plain Newton from 0 V wanders between the cells'
  // states and gmin stepping folds at them (a 64-unit layer: 100 and 247 Newton iterations, both
  // failing, before the pseudo-transient's 317; a 16-unit layer: 100 and 606). nogmin is
  // picospice's; ngspice, given the netlist by export-ngspice, skips only its plain Newton.
  body_.line(".options noopiter nogmin");
  // Output every 1% of a frame; the step is limited to 5% of a frame so that each input edge and
  // each cell's switching (0.2-2.3 ms) is resolved.
  body_.line(fmt::format(".tran {} {} 0 {}", si(net_.frame / 100), si(result_.tstop), si(net_.frame / 20)));
  body_.line(".end");

  const std::string library = options_.cell_library.empty() ? cells::cell_library_path() : options_.cell_library;
  result_.transistors = body_.transistors();
  result_.gate_area_by_layer.assign(net_.layers.size(), 0.0);
  result_.unit_gate_area.assign(net_.layers.size(), {});
  result_.unit_area.assign(net_.layers.size(), {});
  for (std::size_t L = 0; L < net_.layers.size(); ++L)
    if (const auto* b = std::get_if<BmruLayer>(&net_.layers[L])) {
      result_.unit_gate_area[L].assign(b->units(), 0.0);
      for (std::size_t u = 0; u < b->units(); ++u)
        result_.unit_area[L].push_back(area_of({static_cast<int>(L), static_cast<int>(u)}));
    }
  for (const auto& [key, m2] : tally_.area) {
    result_.gate_area_by_layer.at(key.first) += m2;
    result_.gate_area += m2;
    if (key.second >= 0) result_.unit_gate_area.at(key.first).at(key.second) += m2;
  }
  result_.netlist = header(result_.frames) + ".include " + library + "\n" + body_.text();
  return result_;
}

}  // namespace

const char* power_kind_name(PowerKind kind) {
  switch (kind) {
    case PowerKind::cell_core: return "cell core";
    case PowerKind::cell_references: return "cell references";
    case PowerKind::cell_blanking: return "cell blanking";
    case PowerKind::blanking_reference: return "blanking reference";
    case PowerKind::bias: return "bias";
    case PowerKind::mirror: return "mirror";
  }
  return "?";
}

LoweredNetwork lower_network(const Network& network, const std::vector<Vector>& frames,
                             const LoweringOptions& options) {
  if (frames.empty()) throw NetworkError("lower: the input sequence has no frames");
  if (options.grid < 1) throw NetworkError("lower: the weight grid must be at least 1");
  if (!options.layer_grids.empty() && options.layer_grids.size() != network.layers.size())
    throw NetworkError(fmt::format("lower: {} layer grids for {} layers", options.layer_grids.size(),
                                   network.layers.size()));
  for (int g : options.layer_grids)
    if (g < 1) throw NetworkError("lower: the weight grid must be at least 1");
  if (!(options.area > 0) || !std::isfinite(options.area))
    throw NetworkError(fmt::format("lower: the device area factor must be a positive number, got {}", options.area));
  for (const auto& f : frames)
    if (f.size() != static_cast<std::size_t>(network.inputs))
      throw NetworkError("lower: a frame's width differs from the network's inputs");
  const std::string path = options.cell_library.empty() ? cells::cell_library_path() : options.cell_library;
  const CellLibrary library = read_cell_library(path);
  for (const auto& [name, pins] : std::vector<std::pair<std::string, int>>{
           {"schmitt9", 7}, {"schmitt9_bias", 5}, {"schmitt9_blank", 5}, {"nmirror", 3}, {"nmirror2", 4}, {"nmirror4", 6}, {"pmirror", 3},
           {"pmirror2", 4}, {"pmirror4", 6}, {"relu", 2}, {"isource", 3}, {"isink", 3}})
    library.require(name, pins);
  const double copy_trim = options.calibration ? sourcing_path_gain(library, network.unit_current, options.vdd) : 1.0;
  check_unit_areas(network, options.unit_area);
  if (options.area_auto && options.unit_area.empty()) return lower_with_area_allocation(network, frames, options);
  Lowering lowering(network, options, library, copy_trim);
  return lowering.run(frames);
}

}  // namespace picospice::network
