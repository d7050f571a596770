// How closely a lowered circuit follows its software model: `picospice agree`.
//
// The network is lowered (lowering.hpp), simulated in-process, and each frame is sampled at
// `sample_fraction` of the frame (late, after the 0.2-2.3 ms settling): a unit's circuit state is
// 1 when its output current i(vout_...) exceeds alpha/2 (in amperes), its circuit candidate is
// i(vcand_...), a logit is i(vlogit_k) / unit_current. Against the software model (inference.hpp):
//   state_agreement        fraction of non-borderline unit-frames whose circuit state equals the
//                          software state (borderline: DESIGN.md, inference.hpp)
//   borderline_frames      the unit-frames left out of it
//   decision_agreement     the majority-vote decisions are equal
//   candidate_mae          mean |c_circuit - c_software| over all unit-frames, model units
//   logit_correlation      Pearson correlation of all (frame, class) logits
//   power                  average of -VDD * i(supply) over the whole run, per supply source:
//                          cells (schmitt9 + schmitt9_bias) and the rest (mirrors, biases), per
//                          layer; energy per inference = total power * frames * frame.
// The comparison against the software model of the *quantized* weights is reported beside it, to
// tell quantization from circuit error.
#pragma once
#include <vector>

#include "engine/plot.hpp"
#include "netlists/network/inference.hpp"
#include "netlists/network/lowering.hpp"

namespace picospice::network {

struct AgreementOptions {
  LoweringOptions lowering;
  double sample_fraction = 0.9;
};

struct UnitAgreement {
  int layer = 0, unit = 0;
  int frames = 0, borderline = 0, agreeing = 0;  // agreeing counts non-borderline frames only
  double agreement = 1;                          // agreeing / (frames - borderline), 1 if none
  double candidate_mae = 0;
};

struct LayerPower {
  int layer = 0;
  double cells_w = 0, other_w = 0;
};

struct AgreementReport {
  std::vector<UnitAgreement> units;
  double state_agreement = 1;
  double state_agreement_quantized = 1;  // against the software model of the quantized network
  int borderline_frames = 0, compared_frames = 0;
  bool decision_agreement = false;
  int software_decision = 0, circuit_decision = 0;
  bool borderline_clip = false;
  double frame_class_agreement = 0;  // fraction of frames whose argmax class agrees
  double candidate_mae = 0, logit_correlation = 0;
  double power_total_w = 0, power_cells_w = 0, energy_per_inference_j = 0;
  std::vector<LayerPower> layers;
  int transistors = 0;
  int frames = 0;
  double largest_quantization_error = 0;
  double simulation_seconds = 0;
  // Traces for plots: per unit (in probe order) per frame, and per frame per class.
  std::vector<std::vector<int>> software_states, circuit_states;
  std::vector<Vector> software_logits, circuit_logits;
};

// Compares an already simulated lowering (the plots of its .tran) with the software model.
AgreementReport compare_with_software(const Network& network, const std::vector<Vector>& frames,
                                      const LoweredNetwork& lowered, const std::vector<Plot>& plots,
                                      const AgreementOptions& options);

// Lowers, simulates in-process and compares.
AgreementReport run_agreement(const Network& network, const std::vector<Vector>& frames,
                              const AgreementOptions& options = {});

// Pearson correlation of two equally long series (0 when either is constant).
double correlation(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace picospice::network
