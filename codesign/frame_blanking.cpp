// Frame blanking of the BMRU cells (see frame_blanking.hpp).
#include "codesign/frame_blanking.hpp"

#include <algorithm>
#include <limits>
#include <variant>

#include "codesign/inference.hpp"

namespace picospice::network {

namespace {

// T and W of every unit of one BMRU layer whose input is `inputs` (per frame), as the header says.
std::vector<UnitBlanking> unit_blanking(const BmruLayer& layer, const std::vector<Vector>& inputs) {
  std::vector<UnitBlanking> units(layer.units());
  for (std::size_t u = 0; u < layer.units(); ++u) {
    double highest = 0, lowest = 0;
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      const Vector& now = inputs[t];
      const Vector& before = inputs[t > 0 ? t - 1 : 0];
      const double b = layer.b_c[u];
      double high = std::max(b, 0.0) - std::max(-b, 0.0), low = high;
      for (std::size_t j = 0; j < now.size(); ++j) {
        const double w = layer.W_c[u][j];
        const double lo = std::max(std::min(before[j], now[j]), 0.0), hi = std::max(std::max(before[j], now[j]), 0.0);
        high += w > 0 ? w * hi : w * lo;
        low += w > 0 ? w * lo : w * hi;
      }
      highest = t == 0 ? high : std::max(highest, high);
      lowest = t == 0 ? low : std::min(lowest, low);
    }
    const double beta1 = layer.beta1[u], beta2 = layer.beta2(u);
    units[u].threshold = std::max(kMargin * highest - beta2, kMinimumUnits);
    units[u].width = units[u].threshold + kMargin * (beta1 + std::max(0.0, -lowest)) + kMinimumUnits;
  }
  return units;
}

}  // namespace

double LayerBlanking::latest_release() const {
  double latest = release;
  for (double r : frame_release) latest = std::max(latest, r);
  return latest;
}

double LayerBlanking::freeze_at(int frame) const {
  return frame >= 0 && static_cast<std::size_t>(frame) < frame_freeze.size() ? frame_freeze[frame] : kNoFreeze;
}

double predicted_switch_time(double overdrive, double area) {
  return overdrive > 0 ? kSwitchCharge * area / overdrive : std::numeric_limits<double>::infinity();
}

namespace {

// The longest predicted switching time (s) among the units of `layer` whose state goes from
// `before` to `now` with candidates `candidate`; 0 when none switches.
double slowest_switch(const BmruLayer& layer, const Vector& before, const Vector& now, const Vector& candidate,
                      double unit_current, double area) {
  double slowest = 0;
  for (std::size_t u = 0; u < layer.units(); ++u) {
    if (before[u] == now[u]) continue;
    const double c = candidate[u];
    const double overdrive = (now[u] > before[u] ? c - layer.beta2(u) : layer.beta1[u] - c) * unit_current;
    slowest = std::max(slowest, predicted_switch_time(overdrive, area));
  }
  return slowest;
}

// The frame-t release of the layer after `upstream` (its plan and software trace): the base
// release, or later when one of upstream's cells switches in frame t and is predicted to take
// longer than that after its own release (frame_blanking.hpp, 'Late upstream switches').
double release_after(const LayerBlanking& upstream, const BmruLayer& layer, const LayerTrace& trace, int t,
                     double base, double frame, double unit_current, double area) {
  const double slowest =
      slowest_switch(layer, trace.state[t - 1], trace.state[t], trace.candidate[t], unit_current, area);
  if (slowest <= 0) return base;
  const double done = upstream.release_at(t) + kBlankRamp + kSwitchMargin * slowest / frame;
  return std::min(std::max(base, done), kBlankLastRelease);
}

}  // namespace

std::vector<LayerBlanking> plan_blanking(const Network& network, const std::vector<Vector>& frames, double area) {
  std::vector<int> bmru_layers;
  for (std::size_t L = 0; L < network.layers.size(); ++L)
    if (std::holds_alternative<BmruLayer>(network.layers[L])) bmru_layers.push_back(static_cast<int>(L));
  if (bmru_layers.empty()) return {};
  const InferenceResult software = infer(network, frames);
  const double stagger =
      bmru_layers.size() > 1
          ? std::min(kBlankStagger, (kBlankLastRelease - kBlankFirstRelease) / static_cast<double>(bmru_layers.size() - 1))
          : 0.0;
  std::vector<LayerBlanking> plan;
  for (std::size_t k = 0; k < bmru_layers.size(); ++k) {
    const int L = bmru_layers[k];
    const std::vector<Vector>& inputs = L == 0 ? frames : software.layers[L - 1].output;
    // Member by member: the per-frame plans (frame_release, frame_freeze) start empty, and a new
    // member needs no change here (an aggregate list would, under -Wmissing-field-initializers).
    LayerBlanking blanking;
    blanking.layer = L;
    blanking.current = network.unit_current;
    blanking.release = kBlankFirstRelease + stagger * static_cast<double>(k);
    blanking.units = unit_blanking(std::get<BmruLayer>(network.layers[L]), inputs);
    if (k > 0) {
      const int U = bmru_layers[k - 1];
      std::vector<double> releases(frames.size(), blanking.release);
      for (std::size_t t = 1; t < frames.size(); ++t)
        releases[t] = release_after(plan[k - 1], std::get<BmruLayer>(network.layers[U]), software.layers[U],
                                    static_cast<int>(t), blanking.release, network.frame, network.unit_current, area);
      if (std::any_of(releases.begin(), releases.end(), [&](double r) { return r > blanking.release; }))
        blanking.frame_release = releases;
    }
    plan.push_back(blanking);
  }
  // Freezes ('Freeze' in the header): a layer with a borderline cell in frame t, before the next
  // layer's release there (frame 0: its preset release).
  const std::vector<double> preset = plan_preset_release(network, frames, area);
  for (std::size_t k = 0; k + 1 < bmru_layers.size(); ++k) {
    const auto& layer = std::get<BmruLayer>(network.layers[bmru_layers[k]]);
    const LayerTrace& trace = software.layers[bmru_layers[k]];
    std::vector<double> freeze(frames.size(), kNoFreeze);
    for (std::size_t t = 0; t < frames.size(); ++t) {
      bool borderline = false;
      for (std::size_t u = 0; u < layer.units(); ++u) borderline = borderline || is_borderline(layer, u, trace.candidate[t][u]);
      if (borderline)
        freeze[t] = (t == 0 ? preset[k + 1] : plan[k + 1].release_at(static_cast<int>(t))) - kFreezeLead;
    }
    if (std::any_of(freeze.begin(), freeze.end(), [](double f) { return f < kNoFreeze; })) plan[k].frame_freeze = freeze;
  }
  return plan;
}

std::vector<double> plan_preset_release(const Network& network, const std::vector<Vector>& frames, double area) {
  std::vector<double> releases;
  if (frames.empty()) return releases;
  const InferenceResult software = infer(network, {frames.front()});
  const BmruLayer* upstream = nullptr;
  std::size_t upstream_index = 0;
  for (std::size_t L = 0; L < network.layers.size(); ++L) {
    const auto* layer = std::get_if<BmruLayer>(&network.layers[L]);
    if (!layer) continue;
    const double base = std::min(kPresetLastBase, kPresetFirstRelease + kPresetStagger * static_cast<double>(releases.size()));
    double release = base;
    if (upstream) {
      const LayerTrace& trace = software.layers[upstream_index];
      const double slowest = slowest_switch(*upstream, Vector(upstream->s0.begin(), upstream->s0.end()), trace.state[0],
                                            trace.candidate[0], network.unit_current, area);
      if (slowest > 0)
        release = std::min(std::max(base, releases.back() + kSwitchMargin * slowest / network.frame), kBlankLastRelease);
    }
    releases.push_back(release);
    upstream = layer;
    upstream_index = L;
  }
  return releases;
}

namespace {

// The intervals (in frames) during which a layer's I_b is on, in order: [t - kBlankLead,
// t + release_at(t)] for every frame t >= 1 and [t + freeze_at(t), t + 1 + release_at(t + 1)]
// where frame t freezes. Intervals closer than the ramp and the edges of their PWL points merge.
std::vector<std::pair<double, double>> blanking_intervals(const LayerBlanking& blanking, double frame, int frames,
                                                          double edge) {
  std::vector<std::pair<double, double>> on;
  for (int t = 0; t < frames; ++t) {
    if (t >= 1) on.push_back({t - kBlankLead, t + blanking.release_at(t)});
    const double freeze = blanking.freeze_at(t);
    if (freeze < 1) on.push_back({t + freeze, t + 1 < frames ? t + 1 + blanking.release_at(t + 1) : frames});
  }
  std::sort(on.begin(), on.end());
  std::vector<std::pair<double, double>> merged;
  const double gap = kBlankRamp + 4 * edge / frame;
  for (const auto& interval : on) {
    if (!merged.empty() && interval.first <= merged.back().second + gap)
      merged.back().second = std::max(merged.back().second, interval.second);
    else
      merged.push_back(interval);
  }
  return merged;
}

}  // namespace

std::vector<std::pair<double, double>> blanking_waveform(const LayerBlanking& blanking, double frame, int frames,
                                                         double edge) {
  std::vector<std::pair<double, double>> points{{0.0, 0.0}};
  const double on = blanking.current;
  for (const auto& [start, end] : blanking_intervals(blanking, frame, frames, edge)) {
    points.push_back({start * frame - edge, 0.0});
    points.push_back({start * frame, on});
    points.push_back({end * frame, on});
    points.push_back({(end + kBlankRamp) * frame, 0.0});
  }
  return points;
}

std::vector<std::pair<double, double>> blanking_source_waveform(const LayerBlanking& blanking, double frame,
                                                                int frames, double edge) {
  std::vector<std::pair<double, double>> points{{0.0, kBlankSourceLift}};
  for (const auto& [start, end] : blanking_intervals(blanking, frame, frames, edge)) {
    const double on = start * frame - edge, off = (end + kBlankRamp) * frame;
    points.push_back({on - edge, kBlankSourceLift});
    points.push_back({on, 0.0});
    points.push_back({off, 0.0});
    points.push_back({off + edge, kBlankSourceLift});
  }
  return points;
}

}  // namespace picospice::network
