// Software Monte Carlo (see software_mismatch.hpp).
#include "training/software_mismatch.hpp"

#include <algorithm>
#include <variant>

#include "base/counter_rng.hpp"
#include "codesign/inference.hpp"
#include "training/two_halves.hpp"

namespace picospice::training {
namespace {

// Multiplies values by max(0, 1 + sigma z) with z addressed by a running parameter index.
struct Perturber {
  std::uint64_t seed, stream;
  std::uint64_t index = 0;
  void scale(network::Vector& values, double sigma) {
    for (double& v : values) {
      const double z = random::unit_normal(seed, stream, index++);
      if (sigma > 0) v *= std::max(0.0, 1.0 + sigma * z);
    }
  }
  void weights(network::Matrix& rows, double sigma, int grid) {
    for (network::Vector& row : rows) {
      for (double& w : row) w = quantize_weight(w, grid);
      scale(row, sigma);
    }
  }
};

struct Tally {
  int clips = 0, borderline = 0, kept = 0;
  double worst = 1;
};

}  // namespace

network::Network perturbed_network(const network::Network& net, const MismatchSigmas& s, int grid,
                                   std::uint64_t seed, std::uint64_t run) {
  network::Network copy = net;
  // run 0 is the nominal network: quantized, no noise.
  const MismatchSigmas sigmas = run == 0 ? MismatchSigmas{} : s;
  Perturber p{seed, random::mix_stream(run, random::fnv1a64("software mismatch"))};
  for (network::Layer& layer : copy.layers) {
    if (auto* linear = std::get_if<network::LinearLayer>(&layer)) {
      p.weights(linear->W, sigmas.weight, grid);
      p.scale(linear->b, sigmas.bias);
    } else if (auto* bmru = std::get_if<network::BmruLayer>(&layer)) {
      p.weights(bmru->W_c, sigmas.weight, grid);
      p.scale(bmru->b_c, sigmas.bias);
      p.scale(bmru->beta1, sigmas.threshold);
      p.scale(bmru->delta, sigmas.threshold);
      p.scale(bmru->alpha, sigmas.gain);
      p.weights(bmru->W_p, sigmas.weight, grid);
      p.scale(bmru->b_p, sigmas.bias);
    } else {
      auto& readout = std::get<network::ReadoutLayer>(layer);
      p.weights(readout.W, sigmas.weight, grid);
      p.scale(readout.b, sigmas.bias);
    }
  }
  return copy;
}

SoftwareMismatchScore software_mismatch_agreement(const network::Network& net, const std::vector<Clip>& clips,
                                                  const MismatchSigmas& sigmas, int grid, int runs,
                                                  std::uint64_t seed, int threads) {
  std::vector<network::Network> copies;
  for (int run = 0; run <= runs; ++run) copies.push_back(perturbed_network(net, sigmas, grid, seed, run));
  const auto tally = [&](std::size_t begin, std::size_t end) {
    Tally t;
    for (std::size_t i = begin; i < end; ++i) {
      const network::Vote nominal = network::infer(copies[0], clips[i].frames).vote;
      if (nominal.borderline) {
        ++t.borderline;
        continue;
      }
      int kept = 0;
      for (int run = 1; run <= runs; ++run) kept += network::infer(copies[run], clips[i].frames).vote.decision == nominal.decision;
      ++t.clips;
      t.kept += kept;
      if (runs > 0) t.worst = std::min(t.worst, static_cast<double>(kept) / runs);
    }
    return t;
  };
  const auto [first, second] = in_two_halves(clips.size(), threads, tally);
  SoftwareMismatchScore score;
  score.clips = first.clips + second.clips;
  score.borderline_clips = first.borderline + second.borderline;
  score.runs = runs;
  const long long pairs = static_cast<long long>(score.clips) * runs;
  if (pairs > 0) score.agreement = static_cast<double>(first.kept + second.kept) / static_cast<double>(pairs);
  score.worst_clip = std::min(first.worst, second.worst);
  return score;
}

}  // namespace picospice::training
