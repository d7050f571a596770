// The espeak-ng speakers of the keyword-spotting set and their split into held-out groups.
//
// A speaker is an (accent, variant) combination: an English language voice of espeak-ng 1.51
// (`espeak-ng --voices=en`) and a voice variant (`espeak-ng --voices=variant`) that changes pitch
// range, formants and voicing. Accents: British ("en"; written so because in espeak-ng 1.51 the
// alias "en-gb" ignores a "+variant" suffix), Received Pronunciation, Scottish, Lancastrian, West
// Midlands, American and Caribbean English. en-us-nyc is left out: for these words it renders the
// same samples as en-us. The mbrola voices are left out: they need the separate mbrola program.
// Variants: the default one, male m1-m7, female f1-f5 and the klatt, klatt2, klatt3 synthesizers.
//
// Held-out voices: the combinations are shuffled by the seed and dealt into test, validation and
// train groups, so no combination of a split appears in another (docs/requirements.md asks only
// that none in test appears in train).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace picospice::kws {

struct Voice {
  std::string accent;   // espeak-ng language voice, e.g. "en-gb-x-rp"; another engine's voice name
  std::string variant;  // "" (the voice's default) or e.g. "f2"; "" for the other engines
  std::string engine = "espeak";  // speech_engine.hpp
  // The espeak-ng -v argument: "en-gb-x-rp+f2", or the accent alone.
  std::string espeak_name() const { return variant.empty() ? accent : accent + "+" + variant; }
  // The voice as the engine knows it (SpeechRequest::voice).
  std::string engine_voice() const { return engine == "espeak" ? espeak_name() : accent; }
  // In clip ids and provenance: espeak's voices as before ("en-us+f2"), the other engines' with the
  // engine in front ("flite-slt", "festival-kal").
  std::string name() const { return engine == "espeak" ? espeak_name() : engine + "-" + accent; }
  bool operator==(const Voice&) const = default;
};

const std::vector<std::string>& kws_accents();
const std::vector<std::string>& kws_variants();  // "" first
std::vector<Voice> all_voices();                 // every accent x variant combination

struct VoiceSplit {
  std::vector<Voice> train, validation, test;
};

// Deals the combinations into groups of round(fraction * count) for test and validation (at least
// one each) and the rest for train, in an order shuffled by `seed` (Fisher-Yates on addressed draws).
VoiceSplit split_voices(std::uint64_t seed, double validation_fraction, double test_fraction);

// Every voice of a speech engine: all_voices() for "espeak", the engine's voices() otherwise.
std::vector<Voice> engine_voices(const std::string& engine);

// The voices of several engines, each engine's split on its own: espeak's exactly as split_voices,
// another engine's shuffled by (seed, "kws voice split ENGINE") and dealt like espeak's (at least
// one voice each for test and validation, at least one left for train). `test_engine` (empty:
// none) puts all of that engine's voices in test, so none of its clips is in train or validation.
// With `test_engine_only` as well, the other engines keep no voice for test (what would have been
// their test voices trains instead): the test split is the held-out engine alone, and an engine
// with few voices (flite's four) trains on three instead of two.
// Throws std::invalid_argument for an unknown or repeated engine, a test engine not among
// `engines` or the only one, test_engine_only without a test engine, and an engine with fewer than
// 3 voices.
VoiceSplit split_engine_voices(std::uint64_t seed, const std::vector<std::string>& engines, double validation_fraction,
                               double test_fraction, const std::string& test_engine = {},
                               bool test_engine_only = false);

}  // namespace picospice::kws
