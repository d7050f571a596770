#include "training/kws/voices.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "training/kws/draws.hpp"
#include "training/kws/speech_engine.hpp"

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

namespace {

// With `with_test` false the test group stays empty (its voices go to train): the engine's voices
// are not needed in test when another engine is the test (split_engine_voices' test_engine_only).
VoiceSplit deal_voices(std::vector<Voice> voices, std::uint64_t seed, std::uint64_t stream, double validation_fraction,
                       double test_fraction, bool with_test = true) {
  if (!(validation_fraction > 0) || !(test_fraction > 0) || validation_fraction + test_fraction >= 0.9)
    throw std::invalid_argument("split_voices: fractions must be positive and leave most voices for training");
  Draws draws(seed, stream);
  for (std::size_t i = voices.size() - 1; i > 0; --i) std::swap(voices[i], voices[draws.below(int(i + 1))]);
  const auto count = [&](double f) { return std::max<std::size_t>(1, std::size_t(std::lround(f * voices.size()))); };
  const std::size_t n_test = with_test ? count(test_fraction) : 0, n_validation = count(validation_fraction);
  if (n_test + n_validation >= voices.size())
    throw std::invalid_argument("split_voices: too few voices to leave one for training");
  VoiceSplit split;
  split.test.assign(voices.begin(), voices.begin() + n_test);
  split.validation.assign(voices.begin() + n_test, voices.begin() + n_test + n_validation);
  split.train.assign(voices.begin() + n_test + n_validation, voices.end());
  return split;
}

}  // namespace

VoiceSplit split_voices(std::uint64_t seed, double validation_fraction, double test_fraction) {
  return deal_voices(all_voices(), seed, random::fnv1a64("kws voice split"), validation_fraction, test_fraction);
}

std::vector<Voice> engine_voices(const std::string& engine) {
  if (engine == "espeak") return all_voices();
  std::vector<Voice> voices;
  for (const std::string& name : speech_engine(engine).voices()) voices.push_back({name, "", engine});
  return voices;
}

VoiceSplit split_engine_voices(std::uint64_t seed, const std::vector<std::string>& engines, double validation_fraction,
                               double test_fraction, const std::string& test_engine, bool test_engine_only) {
  if (test_engine_only && test_engine.empty())
    throw std::invalid_argument("a test split of the test engine alone needs a test engine");
  if (engines.empty()) throw std::invalid_argument("no speech engines given");
  for (std::size_t i = 0; i < engines.size(); ++i) {
    speech_engine(engines[i]);  // throws for an unknown name
    if (std::find(engines.begin(), engines.begin() + long(i), engines[i]) != engines.begin() + long(i))
      throw std::invalid_argument("speech engine \"" + engines[i] + "\" given twice");
  }
  if (!test_engine.empty()) {
    if (std::find(engines.begin(), engines.end(), test_engine) == engines.end())
      throw std::invalid_argument("the test engine \"" + test_engine + "\" is not among the engines used");
    if (engines.size() < 2)
      throw std::invalid_argument("holding out the test engine \"" + test_engine +
                                  "\" needs another engine for training (e.g. espeak," + test_engine + ")");
  }
  VoiceSplit split;
  for (const std::string& engine : engines) {
    std::vector<Voice> voices = engine_voices(engine);
    if (engine == test_engine) {
      split.test.insert(split.test.end(), voices.begin(), voices.end());
      continue;
    }
    if (voices.size() < 3)
      throw std::invalid_argument("speech engine \"" + engine + "\" has fewer than 3 voices: too few to hold any out");
    const std::uint64_t stream =
        engine == "espeak" ? random::fnv1a64("kws voice split") : random::fnv1a64("kws voice split " + engine);
    VoiceSplit part = deal_voices(std::move(voices), seed, stream, validation_fraction, test_fraction, !test_engine_only);
    if (part.train.empty()) throw std::invalid_argument("speech engine \"" + engine + "\" has no voice left for training");
    split.train.insert(split.train.end(), part.train.begin(), part.train.end());
    split.validation.insert(split.validation.end(), part.validation.begin(), part.validation.end());
    split.test.insert(split.test.end(), part.test.begin(), part.test.end());
  }
  return split;
}

}  // namespace picospice::kws
