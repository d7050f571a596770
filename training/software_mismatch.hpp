// Software Monte Carlo: the software model with the circuit's mismatch applied to its parameters,
// a fast proxy for `agree --mc` (which simulates the lowered circuit, seconds per run).
//
// A perturbed copy of a network has every weight rounded to the lowering's mirror grid
// (quantize_weight, as Lowering::connect does) and then every parameter multiplied by
// max(0, 1 + sigma z), z ~ N(0, 1), with hardware_aware.hpp's per-kind sigmas: weights (W, W_c,
// W_p, readout W), biases (b, b_c, b_p, readout b), thresholds (beta1 and delta) and gains (alpha).
// The draws are addressed (seed, run, parameter index), so a run is the same copy whatever the
// thread count. It is a proxy, not the circuit: it has no offsets, no settling, no cell feedback,
// and sigma is the order of each element's spread (hardware_aware.hpp), not an exact one.
#pragma once
#include <cstdint>
#include <vector>

#include "codesign/network.hpp"
#include "training/dataset.hpp"
#include "training/hardware_aware.hpp"

namespace picospice::training {

network::Network perturbed_network(const network::Network& net, const MismatchSigmas& sigmas, int grid,
                                   std::uint64_t seed, std::uint64_t run);

struct SoftwareMismatchScore {
  // clips scored: those whose nominal vote is not borderline (docs/design.md, 'Borderline')
  int clips = 0;
  int borderline_clips = 0;  // left out
  int runs = 0;              // perturbed copies per clip
  double agreement = 1;      // share of (clip, copy) pairs whose vote is the nominal network's
  double worst_clip = 1;     // the lowest per-clip share
};

// Runs `runs` perturbed copies of `net` (nominal: the quantized network without noise) over the
// non-borderline clips; clips split in two fixed halves over up to `threads` threads.
SoftwareMismatchScore software_mismatch_agreement(const network::Network& net, const std::vector<Clip>& clips,
                                                  const MismatchSigmas& sigmas, int grid, int runs,
                                                  std::uint64_t seed, int threads = 2);

}  // namespace picospice::training
