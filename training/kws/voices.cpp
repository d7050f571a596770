#include "training/kws/voices.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "training/kws/draws.hpp"

namespace picospice::kws {

const std::vector<std::string>& kws_accents() {
  static const std::vector<std::string> accents = {"en",           "en-gb-x-rp",     "en-gb-scotland", "en-gb-x-gbclan",
                                                   "en-gb-x-gbcwmd", "en-us",        "en-029"};
  return accents;
}

const std::vector<std::string>& kws_variants() {
  static const std::vector<std::string> variants = {"",   "m1", "m2", "m3", "m4", "m5",    "m6",     "m7",
                                                    "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3"};
  return variants;
}

std::vector<Voice> all_voices() {
  std::vector<Voice> voices;
  for (const auto& a : kws_accents())
    for (const auto& v : kws_variants()) voices.push_back({a, v});
  return voices;
}

VoiceSplit split_voices(std::uint64_t seed, double validation_fraction, double test_fraction) {
  if (!(validation_fraction > 0) || !(test_fraction > 0) || validation_fraction + test_fraction >= 0.9)
    throw std::invalid_argument("split_voices: fractions must be positive and leave most voices for training");
  std::vector<Voice> voices = all_voices();
  Draws draws(seed, random::fnv1a64("kws voice split"));
  for (std::size_t i = voices.size() - 1; i > 0; --i) std::swap(voices[i], voices[draws.below(int(i + 1))]);
  const auto count = [&](double f) { return std::max<std::size_t>(1, std::size_t(std::lround(f * voices.size()))); };
  const std::size_t n_test = count(test_fraction), n_validation = count(validation_fraction);
  VoiceSplit split;
  split.test.assign(voices.begin(), voices.begin() + n_test);
  split.validation.assign(voices.begin() + n_test, voices.begin() + n_test + n_validation);
  split.train.assign(voices.begin() + n_test + n_validation, voices.end());
  return split;
}

}  // namespace picospice::kws
