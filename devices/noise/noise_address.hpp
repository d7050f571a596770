// The random address of a noise generator (docs/design.md, 'Randomness is addressed, never
// streamed'): the stream of part `part` (0 the white part, 1 + j flicker pole j) of generator
// `generator` of the instance named `instance`. The noise seed keys the generator and the grid
// index is the counter, so every unit normal is unit_normal(seed, noise_stream(instance, generator,
// part), k).
#pragma once
#include <cstdint>
#include <string_view>

#include "base/counter_rng.hpp"

namespace picospice::noise {

inline std::uint64_t noise_stream(std::string_view instance, int generator, int part = 0) {
  const std::uint64_t which = (static_cast<std::uint64_t>(generator) << 20) | static_cast<std::uint64_t>(part);
  return random::mix_stream(which, random::fnv1a64(instance));
}

}  // namespace picospice::noise
