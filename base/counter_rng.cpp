#include "base/counter_rng.hpp"

#include <cmath>
#include <numbers>

namespace picospice::random {

namespace {
// Constants from Salmon et al. 2011, table 2 and section 4.2.
constexpr std::uint32_t kMultiplier0 = 0xD2511F53u;
constexpr std::uint32_t kMultiplier1 = 0xCD9E8D57u;
constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;  // golden ratio
constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;  // sqrt(3) - 1
constexpr int kRounds = 10;

inline void multiply_high_low(std::uint32_t a, std::uint32_t b, std::uint32_t& high, std::uint32_t& low) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  high = static_cast<std::uint32_t>(product >> 32);
  low = static_cast<std::uint32_t>(product);
}
}  // namespace

std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> c, std::array<std::uint32_t, 2> key) {
  for (int round = 0; round < kRounds; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    multiply_high_low(kMultiplier0, c[0], hi0, lo0);
    multiply_high_low(kMultiplier1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ key[0], lo1, hi0 ^ c[3] ^ key[1], lo0};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return c;
}

double bits_to_open_unit(std::uint64_t bits) {
  // (k + 0.5) / 2^52 for k in [0, 2^52): strictly inside (0, 1) and exactly representable (with 53
  // bits, 1 - 2^-54 would round to 1), so log() below is finite.
  return (static_cast<double>(bits >> 12) + 0.5) * 0x1.0p-52;
}

namespace {
std::array<std::uint32_t, 4> block(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return philox4x32({static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32),
                     static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                    {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
}
std::uint64_t join(std::uint32_t high, std::uint32_t low) { return (static_cast<std::uint64_t>(high) << 32) | low; }
}  // namespace

double unit_uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  const auto r = block(seed, stream, counter);
  return bits_to_open_unit(join(r[0], r[1]));
}

double unit_normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  const auto r = block(seed, stream, counter);
  const double u1 = bits_to_open_unit(join(r[0], r[1]));
  const double u2 = bits_to_open_unit(join(r[2], r[3]));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t mix_stream(std::uint64_t sample, std::uint64_t name_hash) {
  return splitmix64(name_hash ^ splitmix64(sample));
}

}  // namespace picospice::random
