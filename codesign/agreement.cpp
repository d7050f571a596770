// Circuit against software (see agreement.hpp).
#include "codesign/agreement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "engine/noise/transient_noise.hpp"
#include "engine/plot_sampling.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

namespace picospice::network {
namespace {

const Plot& transient_plot(const std::vector<Plot>& plots) {
  for (const auto& p : plots)
    if (p.analysis == "tran" && p.points() > 0) return p;
  throw std::runtime_error("agree: the lowered netlist produced no transient result");
}

}  // namespace

double power_of_kind(const std::vector<BlockPower>& blocks, PowerKind kind) {
  double sum = 0;
  for (const auto& b : blocks)
    if (b.kind == kind) sum += b.watts;
  return sum;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  if (n < 2) return 0;
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

AgreementReport compare_with_software(const Network& net, const std::vector<Vector>& frames,
                                      const LoweredNetwork& lowered, const std::vector<Plot>& plots,
                                      const AgreementOptions& options) {
  const Plot& tran = transient_plot(plots);
  const InferenceResult software = infer(net, frames);
  const InferenceResult quantized = infer(lowered.effective, frames);
  const double unit = net.unit_current;
  const int F = static_cast<int>(frames.size());
  auto sample_time = [&](int t) { return (t + options.sample_fraction) * net.frame; };

  AgreementReport r;
  r.frames = F;
  r.transistors = lowered.transistors;
  r.gate_area = lowered.gate_area;
  r.gate_area_by_layer = lowered.gate_area_by_layer;
  r.unit_area = lowered.unit_area;
  r.largest_quantization_error = std::abs(lowered.largest_error.effective - lowered.largest_error.wanted);

  // The primary reference is the quantized network (lowered.effective): the circuit can only be
  // asked to do what its weights say. Borderline and borderline-dependent frames are classified on
  // its candidates; the figure against the float network (its own borderline) is kept beside.
  const FrameClasses classes = classify_frames(lowered.effective, frames);
  // Each unit's circuit state at each frame's sample, for the replayed reference: the quantized
  // network with the circuit's own borderline decisions (infer_with_borderline_choices).
  std::vector<std::vector<std::vector<int>>> circuit_choice(net.layers.size());
  for (const UnitProbe& probe : lowered.units) {
    auto& layer_states = circuit_choice[probe.layer];
    const auto& layer = std::get<BmruLayer>(net.layers[probe.layer]);
    if (layer_states.empty()) layer_states.assign(F, std::vector<int>(layer.units(), 0));
    const SampledSignal output(tran, probe.output, "agree");
    for (int t = 0; t < F; ++t)
      layer_states[t][probe.unit] = output.at_time(sample_time(t)) > 0.5 * probe.alpha * unit ? 1 : 0;
  }
  const InferenceResult replayed = infer_with_borderline_choices(
      lowered.effective, frames,
      [&](std::size_t l, std::size_t t, std::size_t u) { return circuit_choice[l].empty() ? 0 : circuit_choice[l][t][u]; });
  int agreeing_replayed = 0;
  int agreeing = 0, agreeing_float = 0, compared_float = 0, agreeing_all = 0, agreeing_determined = 0;
  double mae_sum = 0;
  int mae_count = 0;
  for (const UnitProbe& probe : lowered.units) {
    const SampledSignal candidate(tran, probe.candidate, "agree"), output(tran, probe.output, "agree");
    const auto& layer = std::get<BmruLayer>(net.layers[probe.layer]);
    const LayerTrace& sw = software.layers[probe.layer];
    const LayerTrace& swq = quantized.layers[probe.layer];
    const double high = probe.alpha * unit;
    UnitAgreement u;
    u.layer = probe.layer;
    u.unit = probe.unit;
    u.frames = F;
    std::vector<int> sw_states, hw_states;
    std::vector<FrameClass> unit_classes;
    double unit_mae = 0;
    for (int t = 0; t < F; ++t) {
      const double ts = sample_time(t);
      const double out = output.at_time(ts);
      const int hw = out > 0.5 * high ? 1 : 0;
      const int s = swq.state[t][probe.unit] > 0.5 ? 1 : 0;
      unit_mae += std::abs(candidate.at_time(ts) / unit - swq.candidate[t][probe.unit]);
      sw_states.push_back(s);
      hw_states.push_back(hw);
      // Settling: the output is still between its levels at the sample, or the state it shows
      // at the sample differs from the one at kSettledFraction of the frame (it switched late).
      const int early = output.at_time((t + kSettledFraction) * net.frame) > 0.5 * high ? 1 : 0;
      if (early != hw || (out > kSettleBand * high && out < (1 - kSettleBand) * high)) ++u.unsettled;
      // classify_frames marks borderline frames with the same is_borderline() test.
      const FrameClass kind = classes[probe.layer][t][probe.unit];
      unit_classes.push_back(kind);
      u.agreeing_all += hw == s;
      if (kind == FrameClass::borderline) {
        ++u.borderline;
      } else if (hw == s) {
        ++u.agreeing;
      }
      if (kind == FrameClass::borderline_dependent) ++u.dependent;
      else if (kind == FrameClass::determined && hw == s) ++u.agreeing_determined;
      const LayerTrace& rp = replayed.layers[probe.layer];
      if (is_borderline(layer, probe.unit, rp.candidate[t][probe.unit])) {
        ++u.replayed_borderline;
      } else if (hw == (rp.state[t][probe.unit] > 0.5 ? 1 : 0)) {
        ++u.agreeing_replayed;
      }
      if (!is_borderline(layer, probe.unit, sw.candidate[t][probe.unit])) {
        ++compared_float;
        if (hw == (sw.state[t][probe.unit] > 0.5 ? 1 : 0)) ++agreeing_float;
      }
    }
    const int compared = F - u.borderline;
    u.agreement = compared > 0 ? static_cast<double>(u.agreeing) / compared : 1.0;
    const int determined = compared - u.dependent;
    u.agreement_determined = determined > 0 ? static_cast<double>(u.agreeing_determined) / determined : 1.0;
    const int compared_replayed = F - u.replayed_borderline;
    u.agreement_replayed = compared_replayed > 0 ? static_cast<double>(u.agreeing_replayed) / compared_replayed : 1.0;
    r.replayed_compared_frames += compared_replayed;
    agreeing_replayed += u.agreeing_replayed;
    r.borderline_dependent_frames += u.dependent;
    r.determined_frames += determined;
    r.unsettled_frames += u.unsettled;
    agreeing_all += u.agreeing_all;
    agreeing_determined += u.agreeing_determined;
    u.candidate_mae = unit_mae / F;
    mae_sum += unit_mae;
    mae_count += F;
    r.borderline_frames += u.borderline;
    r.compared_frames += compared;
    agreeing += u.agreeing;
    r.units.push_back(u);
    r.software_states.push_back(sw_states);
    r.circuit_states.push_back(hw_states);
    r.frame_classes.push_back(unit_classes);
  }
  const int unit_frames = F * static_cast<int>(lowered.units.size());
  r.state_agreement_all = unit_frames > 0 ? static_cast<double>(agreeing_all) / unit_frames : 1.0;
  r.state_agreement_determined =
      r.determined_frames > 0 ? static_cast<double>(agreeing_determined) / r.determined_frames : 1.0;
  r.state_agreement_replayed =
      r.replayed_compared_frames > 0 ? static_cast<double>(agreeing_replayed) / r.replayed_compared_frames : 1.0;
  r.state_agreement = r.compared_frames > 0 ? static_cast<double>(agreeing) / r.compared_frames : 1.0;
  r.state_agreement_float = compared_float > 0 ? static_cast<double>(agreeing_float) / compared_float : 1.0;
  r.float_borderline_frames = unit_frames - compared_float;
  r.candidate_mae = mae_count > 0 ? mae_sum / mae_count : 0.0;

  // Logits and the decision.
  std::vector<SampledSignal> logits;
  for (const auto& name : lowered.logits) logits.emplace_back(tran, name, "agree");
  std::vector<double> all_sw, all_hw;
  std::vector<int> circuit_class;
  int class_agree = 0;
  for (int t = 0; t < F; ++t) {
    Vector z;
    for (const auto& s : logits) z.push_back(s.at_time(sample_time(t)) / unit);
    r.circuit_logits.push_back(z);
    r.software_logits.push_back(software.logits[t]);
    all_sw.insert(all_sw.end(), software.logits[t].begin(), software.logits[t].end());
    all_hw.insert(all_hw.end(), z.begin(), z.end());
    circuit_class.push_back(argmax(z));
    class_agree += circuit_class.back() == software.frame_class[t];
  }
  const Vote circuit_vote = decide(circuit_class, net);
  r.software_decision = software.vote.decision;
  r.circuit_decision = circuit_vote.decision;
  r.decision_agreement = r.software_decision == r.circuit_decision;
  r.borderline_clip = software.vote.borderline;
  r.frame_class_agreement = F > 0 ? static_cast<double>(class_agree) / F : 0.0;
  r.logit_correlation = correlation(all_sw, all_hw);

  // Power per supply source (each delivers current out of its + terminal: i(v) < 0).
  const double vdd = options.lowering.vdd;
  for (std::size_t l = 0; l < net.layers.size(); ++l) r.layers.push_back({static_cast<int>(l), 0, 0});
  for (const SupplyProbe& s : lowered.supplies) {
    const double p = -vdd * SampledSignal(tran, s.current, "agree").average();
    (s.cells ? r.layers[s.layer].cells_w : r.layers[s.layer].other_w) += p;
    r.power_total_w += p;
    if (s.cells) r.power_cells_w += p;
  }
  for (const PowerBlock& b : lowered.power_blocks) {
    double watts = 0;
    for (const auto& [probe, coefficient] : b.terms)
      watts += coefficient * vdd * SampledSignal(tran, probe, "agree").average();
    r.power_blocks.push_back({b.block, b.kind, b.layer, watts});
  }
  r.energy_per_inference_j = r.power_total_w * F * net.frame;
  return r;
}

std::string agreement_netlist(const LoweredNetwork& lowered, const AgreementOptions& options) {
  if (!options.noise.enabled) return lowered.netlist;
  const NoiseOptions& n = options.noise;
  const double fmax = n.fmax > 0 ? n.fmax : kNoiseFmaxPerFrame / (lowered.tstop / lowered.frames);
  const std::string line = fmt::format(".options trannoise=1 noisefmax={:.6g} noiseseed={} noisescale={:.6g}\n", fmax,
                                       n.seed, n.scale);
  std::string text = lowered.netlist;
  const auto end = text.rfind("\n.end");
  text.insert(end == std::string::npos ? text.size() : end + 1, line);
  return text;
}

std::uint64_t sample_noise_seed(const NoiseOptions& noise, std::uint64_t mc_seed, std::uint64_t sample) {
  // The derivation `picospice mc` uses for a netlist's noiseseed (engine/noise).
  return noise::sample_noise_seed(mc_seed, noise.seed, sample);
}

void prepare_sample_circuit(Circuit& circuit, const AgreementOptions& options, std::uint64_t mc_seed,
                            std::uint64_t sample) {
  if (!options.noise.enabled) return;
  circuit.options.noise.seed = sample_noise_seed(options.noise, mc_seed, sample);
}

AgreementReport run_agreement(const Network& net, const std::vector<Vector>& frames, const AgreementOptions& options) {
  const LoweredNetwork lowered = lower_network(net, frames, options.lowering);
  const auto started = std::chrono::steady_clock::now();
  auto circuit = elaborate_text(agreement_netlist(lowered, options), "<lowered " + options.lowering.title + ">");
  const auto plots = run_analyses(*circuit);
  AgreementReport report = compare_with_software(net, frames, lowered, plots, options);
  report.simulation_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace picospice::network
