// Counter-based random numbers: every draw is a pure function of its address, never of a stream's
// history (docs/design.md, 'Randomness is addressed, never streamed').
//
//   address = (seed, stream, counter)
//     seed    the user's --seed; it keys the block cipher
//     stream  which sequence: for mismatch, mix_stream(sample index, hash of the instance name);
//             transient noise can use mix_stream(noise sample, hash of the noise source)
//     counter which draw within the stream (0 = dVTO, 1 = dKP, or a noise time step)
//
// The generator is Philox-4x32-10 (J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel
// random numbers: as easy as 1, 2, 3", SC'11), written from the paper's description: ten rounds of
// two 32x32->64 multiplications with the published multipliers and Weyl key increments. Its
// 128-bit counter holds (stream, counter), its 64-bit key the seed. Results therefore do not depend
// on thread count, evaluation order, or instances added elsewhere in the circuit.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace picospice::random {

// One Philox-4x32-10 block: four independent 32-bit words for (key, counter).
std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key);

// A uniform double in (0, 1) (never 0 or 1) from 64 random bits; the top 52 bits are used.
double bits_to_open_unit(std::uint64_t bits);

// A uniform in (0, 1) at the address.
double unit_uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

// A standard normal N(0, 1) at the address: Box-Muller (G. E. P. Box, M. E. Muller, 1958) on the
// two 64-bit halves of one Philox block, keeping the cosine branch so each address gives one value.
double unit_normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

// A stable 64-bit hash of a string: FNV-1a (Fowler, Noll, Vo; offset basis 14695981039346656037,
// prime 1099511628211). Stable across platforms and runs, unlike std::hash.
std::uint64_t fnv1a64(std::string_view text);

// The SplitMix64 finalizer (G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): a bijective 64-bit mixer.
std::uint64_t splitmix64(std::uint64_t x);

// Combines a sample index and a name hash into one stream id. Distinct (sample, name) pairs collide
// with probability about 2^-64 per pair.
std::uint64_t mix_stream(std::uint64_t sample, std::uint64_t name_hash);

}  // namespace picospice::random
