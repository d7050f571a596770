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

double predicted_switch_time(double overdrive, double area) {
  return overdrive > 0 ? kSwitchCharge * area / overdrive : std::numeric_limits<double>::infinity();
}

namespace {

// The frame-t release of the layer after `upstream` (its plan and software trace): the base
// release, or later when one of upstream's cells switches in frame t and is predicted to take
// longer than that after its own release (frame_blanking.hpp, 'Late upstream switches').
double release_after(const LayerBlanking& upstream, const BmruLayer& layer, const LayerTrace& trace, int t,
                     double base, double frame, double unit_current, double area) {
  double latest = base;
  for (std::size_t u = 0; u < layer.units(); ++u) {
    const double before = trace.state[t - 1][u], now = trace.state[t][u];
    if (before == now) continue;
    const double c = trace.candidate[t][u];
    const double overdrive = (now > before ? c - layer.beta2(u) : layer.beta1[u] - c) * unit_current;
    const double done = upstream.release_at(t) + kBlankRamp +
                        kSwitchMargin * predicted_switch_time(overdrive, area) / frame;
    latest = std::max(latest, done);
  }
  return std::min(latest, kBlankLastRelease);
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
    LayerBlanking blanking{L, network.unit_current, kBlankFirstRelease + stagger * static_cast<double>(k),
                           unit_blanking(std::get<BmruLayer>(network.layers[L]), inputs), {}};
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
  return plan;
}

std::vector<std::pair<double, double>> blanking_waveform(const LayerBlanking& blanking, double frame, int frames,
                                                         double edge) {
  std::vector<std::pair<double, double>> points{{0.0, 0.0}};
  const double on = blanking.current;
  for (int t = 1; t < frames; ++t) {
    const double start = (t - kBlankLead) * frame, release = (t + blanking.release_at(t)) * frame;
    points.push_back({start - edge, 0.0});
    points.push_back({start, on});
    points.push_back({release, on});
    points.push_back({release + kBlankRamp * frame, 0.0});
  }
  return points;
}

std::vector<std::pair<double, double>> blanking_source_waveform(const LayerBlanking& blanking, double frame,
                                                                int frames, double edge) {
  std::vector<std::pair<double, double>> points{{0.0, kBlankSourceLift}};
  for (int t = 1; t < frames; ++t) {
    const double start = (t - kBlankLead) * frame - edge, off = (t + blanking.release_at(t) + kBlankRamp) * frame;
    points.push_back({start - edge, kBlankSourceLift});
    points.push_back({start, 0.0});
    points.push_back({off, 0.0});
    points.push_back({off + edge, kBlankSourceLift});
  }
  return points;
}

}  // namespace picospice::network
