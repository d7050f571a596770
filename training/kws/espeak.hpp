// Speech synthesis by the external `espeak-ng` program (Debian package espeak-ng), run as
//   espeak-ng -v VOICE -s SPEED -p PITCH --stdout TEXT
// with its WAV output read from a pipe (no shell is involved, so TEXT is never interpreted).
// espeak-ng is deterministic: the same arguments give the same samples, byte for byte (checked by
// tests/unit/test_kws.cpp through the dataset's features). Its voices speak at 22050 Hz.
#pragma once
#include <stdexcept>
#include <string>

#include "training/kws/wav.hpp"

namespace picospice::kws {

struct SpeechRequest {
  std::string voice = "en-us";  // a language voice, optionally "+variant" ("en-gb-x-rp+f2")
  std::string text = "yes";
  int words_per_minute = 175;   // espeak-ng -s (80..450)
  int pitch = 50;               // espeak-ng -p (0..99)
};

class SpeechError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when an executable `espeak-ng` is on PATH.
bool espeak_available();

// Throws SpeechError when espeak-ng is missing, fails (its stderr is quoted), or produces no audio;
// and for text that is empty, starts with '-' (it would read as an option) or holds control
// characters.
Audio synthesize_speech(const SpeechRequest& request);

}  // namespace picospice::kws
