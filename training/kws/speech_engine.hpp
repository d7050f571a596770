// A speech engine: an external text-to-speech program from Debian that says a word in one of its
// voices at a speed and pitch, returning the audio at the engine's own sample rate. The keyword-
// spotting clips (clip_recipe.hpp) pick an engine and a voice; having more than one engine lets a
// dataset hold one engine out of training entirely (kws_dataset.hpp, `dataset kws --test-engine`).
//
// Engines: "espeak" (espeak.hpp, the default and the only one before issue 22), "flite"
// (flite.hpp) and "festival" (festival.hpp). Each is deterministic for its arguments. Speed and
// pitch are given in espeak-ng's units (words per minute, pitch 0..99, 50 the voice's own) so one
// recipe drives every engine; each engine maps them onto its own controls: a duration scale of
// 175 / wpm (175 wpm is espeak-ng's default speed) and a pitch factor of 2^((pitch - 50) / 120)
// (pitch 20..80: -3..+3 semitones) on the voice's own mean F0.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "training/kws/wav.hpp"

namespace picospice::kws {

struct SpeechRequest {
  std::string voice = "en-us";  // an engine's voice name (espeak-ng: "en-gb-x-rp+f2")
  std::string text = "yes";
  int words_per_minute = 175;   // espeak-ng -s units (80..450)
  int pitch = 50;               // espeak-ng -p units (0..99)
};

class SpeechError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SpeechEngine {
 public:
  virtual ~SpeechEngine() = default;
  virtual std::string name() const = 0;      // "espeak", "flite", "festival"
  virtual std::string program() const = 0;   // the executable run
  virtual std::string packages() const = 0;  // the Debian packages that provide it and its voices
  // The voices a dataset draws from (for espeak, see voices.hpp: accents x variants).
  virtual std::vector<std::string> voices() const = 0;
  bool available() const;  // the program is on PATH
  // Throws SpeechError when the program is missing (naming the packages), fails (its stderr is
  // quoted) or produces no audio, and for text that is empty, starts with '-' or holds control
  // characters.
  virtual Audio synthesize(const SpeechRequest& request) const = 0;
};

// The engines by name; throws std::invalid_argument naming the known ones for anything else.
const SpeechEngine& speech_engine(const std::string& name);
const std::vector<std::string>& speech_engine_names();

// The duration scale and pitch factor of the header comment.
double duration_scale(int words_per_minute);
double pitch_factor(int pitch);

// Throws SpeechError for text no engine should be given (see SpeechEngine::synthesize).
void check_speech_text(const std::string& text);
// Throws SpeechError naming the packages when `engine`'s program is not on PATH.
void require_engine(const SpeechEngine& engine);
// Runs the engine's command and returns what it wrote to stdout; throws SpeechError when it cannot
// start or exits with a non-zero status. `what` names the call in errors.
std::vector<std::uint8_t> run_speech_command(const std::vector<std::string>& args, const std::string& input,
                                             const std::string& what);
// Parses an engine's WAV output; throws SpeechError for a malformed WAV or one without samples.
Audio parse_speech_wav(const std::vector<std::uint8_t>& bytes, const std::string& what);
// Both.
Audio run_speech_program(const std::vector<std::string>& args, const std::string& input, const std::string& what);

}  // namespace picospice::kws
