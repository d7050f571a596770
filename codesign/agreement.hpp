// How closely a lowered circuit follows its software model: `picospice agree`.
//
// The network is lowered (lowering.hpp), simulated in-process, and each frame is sampled at
// `sample_fraction` of the frame (late, after the 0.2-2.3 ms settling): a unit's circuit state is
// 1 when its output current i(vout_...) exceeds alpha/2 (in amperes), its circuit candidate is
// i(vcand_...), a logit is i(vlogit_k) / unit_current. The reference is the software model of the
// *quantized* network (LoweredNetwork::effective, the weights on the mirror grid): the circuit can
// only be asked to do what its weights say. (On the 1/32 grid the candidate moves by more than
// the 2% borderline margin in a fifth of the unit-frames of random networks, so a float
// reference would count quantization as circuit error.) Against it (inference.hpp):
//   state_agreement        fraction of non-borderline unit-frames whose circuit state equals the
//                          quantized software state (borderline: docs/design.md, 'Borderline',
//                          tested on the quantized candidate)
//   borderline_frames      the unit-frames left out of it
//   state_agreement_all    the same over every unit-frame, borderline ones included
//   state_agreement_determined  over the determined unit-frames only: neither borderline nor
//                          borderline-dependent (their state follows from an earlier borderline
//                          decision through holds and later layers; borderline_dependence.hpp)
//   borderline_dependent_frames the unit-frames that excludes beside the borderline ones
//   state_agreement_replayed  against the quantized network run with the circuit's own decision
//                          at every borderline unit-frame (infer_with_borderline_choices): a
//                          borderline decision may go either way, and the frames that follow it
//                          are then asked to follow the network from the state the circuit chose.
//                          Every non-borderline unit-frame of that run counts, so unlike the
//                          determined figure nothing is excused beyond the borderline frames.
//                          replayed_compared_frames: those frames.
//   state_agreement_float  beside it: against the float network, borderline on its candidates
//                          (float_borderline_frames left out)
//   unsettled_frames       unit-frames whose cell has not settled at the sample: its output is
//                          between 20% and 80% of alpha there, or its state at kSettledFraction
//                          of the frame differs from the sampled one (it switched late)
//   decision_agreement     the majority-vote decisions (float network) are equal
//   candidate_mae          mean |c_circuit - c_quantized software| over all unit-frames, units
//   logit_correlation      Pearson correlation of all (frame, class) logits (float network)
//   power                  average of -VDD * i(supply) over the whole run, per supply source:
//                          cells (schmitt9 + schmitt9_bias) and the rest (mirrors, biases), per
//                          layer; energy per inference = total power * frames * frame.
//   power_blocks           with LoweringOptions::power_breakdown, each block's measured share
//                          (lowering.hpp, PowerBlock): they sum to power_total_w.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/circuit.hpp"
#include "engine/plot.hpp"
#include "codesign/borderline_dependence.hpp"
#include "codesign/frame_blanking.hpp"
#include "codesign/inference.hpp"
#include "codesign/lowering.hpp"

namespace picospice::network {

// Transient device noise in the simulated circuit (docs/requirements.md, 'Transient noise'): the
// lowered netlist gets `.options trannoise=1 noisefmax=F noiseseed=S noisescale=K`, so every
// resistor, diode and MOSFET channel of the circuit adds its thermal/shot noise during the .tran.
struct NoiseOptions {
  bool enabled = false;
  std::uint64_t seed = 1;  // alone: this seed; under --mc, mixed with the sample index
  double scale = 1.0;      // multiplies every noise amplitude (standard deviation)
  double fmax = 0;         // Hz, the noise bandwidth; 0: kNoiseFmaxPerFrame / frame
};
// The default noise bandwidth, in cycles per frame: 10 kHz for 10 ms frames, well above the
// cells' and mirrors' own bandwidth at these currents (they settle in 0.2-2.3 ms).
inline constexpr double kNoiseFmaxPerFrame = 100;

// The settling check: a cell must show its frame's state by this fraction of the frame (the
// sample is at 90%), and at the sample its output must be outside the middle of its range.
inline constexpr double kSettledFraction = kSettleDeadline;
inline constexpr double kSettleBand = 0.2;

struct AgreementOptions {
  LoweringOptions lowering;
  double sample_fraction = 0.9;
  NoiseOptions noise;
};

struct UnitAgreement {
  int layer = 0, unit = 0;
  int frames = 0, borderline = 0, agreeing = 0;  // agreeing counts non-borderline frames only
  int dependent = 0, agreeing_determined = 0;    // borderline-dependent frames; agreeing among the rest
  int agreeing_all = 0;                          // agreeing over every frame
  int replayed_borderline = 0, agreeing_replayed = 0;  // against the replayed reference (above)
  double agreement_replayed = 1;                 // agreeing_replayed / (frames - replayed_borderline)
  int unsettled = 0;                             // frames not settled at the sample (see above)
  double agreement = 1;                          // agreeing / (frames - borderline), 1 if none
  double agreement_determined = 1;               // agreeing_determined / (frames - borderline - dependent)
  double candidate_mae = 0;
};

struct LayerPower {
  int layer = 0;
  double cells_w = 0, other_w = 0;
};

struct BlockPower {
  std::string block;
  PowerKind kind = PowerKind::mirror;
  int layer = 0;
  double watts = 0;
};

// The sum of the blocks of one kind.
double power_of_kind(const std::vector<BlockPower>& blocks, PowerKind kind);

struct AgreementReport {
  std::vector<UnitAgreement> units;
  double state_agreement = 1;
  int borderline_frames = 0, compared_frames = 0;
  double state_agreement_float = 1;  // against the float network, borderline on its candidates
  int float_borderline_frames = 0;
  int unsettled_frames = 0;
  double state_agreement_all = 1;         // every unit-frame
  double state_agreement_determined = 1;  // determined unit-frames (borderline_dependence.hpp)
  int borderline_dependent_frames = 0, determined_frames = 0;
  double state_agreement_replayed = 1;  // against the replayed reference (see the top of this file)
  int replayed_compared_frames = 0;
  bool decision_agreement = false;
  int software_decision = 0, circuit_decision = 0;
  bool borderline_clip = false;
  double frame_class_agreement = 0;  // fraction of frames whose argmax class agrees
  double candidate_mae = 0, logit_correlation = 0;
  double power_total_w = 0, power_cells_w = 0, energy_per_inference_j = 0;
  std::vector<LayerPower> layers;
  std::vector<BlockPower> power_blocks;  // empty without LoweringOptions::power_breakdown
  int transistors = 0;
  // The lowering's gate area (m^2, LoweredNetwork::gate_area...) and each BMRU unit's area factor.
  double gate_area = 0;
  std::vector<double> gate_area_by_layer;
  std::vector<std::vector<double>> unit_area;
  int frames = 0;
  double largest_quantization_error = 0;
  double simulation_seconds = 0;
  // Traces for plots: per unit (in probe order) per frame, and per frame per class.
  std::vector<std::vector<int>> software_states, circuit_states;
  std::vector<std::vector<FrameClass>> frame_classes;  // per unit (probe order) per frame
  std::vector<Vector> software_logits, circuit_logits;
};

// Compares an already simulated lowering (the plots of its .tran) with the software model.
AgreementReport compare_with_software(const Network& network, const std::vector<Vector>& frames,
                                      const LoweredNetwork& lowered, const std::vector<Plot>& plots,
                                      const AgreementOptions& options);

// The netlist agree simulates: the lowering's, plus the noise options when noise is on.
std::string agreement_netlist(const LoweredNetwork& lowered, const AgreementOptions& options);

// The noise seed of Monte Carlo sample k: a pure function of (noise seed, Monte Carlo seed, k),
// derived as `picospice mc` derives it from a netlist's noiseseed, so that each sample draws its
// own noise and a run is reproducible from its seeds.
std::uint64_t sample_noise_seed(const NoiseOptions& noise, std::uint64_t mc_seed, std::uint64_t sample);

// Readies a clone of the agreement circuit for Monte Carlo sample k: with noise on, sets the
// sample's noise seed (sample_noise_seed). Does nothing without noise.
void prepare_sample_circuit(Circuit& circuit, const AgreementOptions& options, std::uint64_t mc_seed,
                            std::uint64_t sample);

// Lowers, simulates in-process and compares.
AgreementReport run_agreement(const Network& network, const std::vector<Vector>& frames,
                              const AgreementOptions& options = {});

// Pearson correlation of two equally long series (0 when either is constant).
double correlation(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace picospice::network
