// The random choices of one synthesized clip, as addressed draws of the counter-based generator
// (base/counter_rng.hpp; docs/design.md, 'Randomness is addressed, never streamed'): draw i of a
// clip is a pure function of (seed, stream of the clip, i). Clips can therefore be rendered in any
// order on any number of threads and still come out identical for a seed.
#pragma once
#include <cstdint>

#include "base/counter_rng.hpp"

namespace picospice::kws {

class Draws {
 public:
  Draws(std::uint64_t seed, std::uint64_t stream) : seed_(seed), stream_(stream) {}
  double uniform() { return random::unit_uniform(seed_, stream_, counter_++); }  // (0, 1)
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  double normal() { return random::unit_normal(seed_, stream_, counter_++); }
  // An integer in [0, n), n >= 1.
  int below(int n) {
    const int k = static_cast<int>(uniform() * n);
    return k < n ? k : n - 1;
  }

 private:
  std::uint64_t seed_, stream_, counter_ = 0;
};

}  // namespace picospice::kws
