// Speech synthesis by the external `espeak-ng` program (Debian package espeak-ng), run as
//   espeak-ng -v VOICE -s SPEED -p PITCH --stdout TEXT
// with its WAV output read from a pipe (run_program.hpp: no shell is involved, so TEXT is never
// interpreted). espeak-ng is deterministic: the same arguments give the same samples, byte for byte
// (checked by tests/unit/test_kws.cpp through the dataset's features). Its voices speak at 22050 Hz.
// Speed and pitch are its own -s and -p.
#pragma once
#include <string>
#include <vector>

#include "training/kws/speech_engine.hpp"

namespace picospice::kws {

class EspeakEngine : public SpeechEngine {
 public:
  std::string name() const override { return "espeak"; }
  std::string program() const override { return "espeak-ng"; }
  std::string packages() const override { return "espeak-ng"; }
  std::vector<std::string> voices() const override;  // voices.hpp's accent x variant names
  Audio synthesize(const SpeechRequest& request) const override;
};

// True when an executable `espeak-ng` is on PATH.
bool espeak_available();

// EspeakEngine().synthesize(request).
Audio synthesize_speech(const SpeechRequest& request);

}  // namespace picospice::kws
