// Speech synthesis by the external `flite` program (Debian package flite, CMU Flite 2.2), run as
//   flite -voice VOICE --setf duration_stretch=D --setf int_f0_target_mean=F -t TEXT -o /dev/stdout
// Voices (`flite -lv`): kal16 (the KAL diphone voice at 16 kHz; kal is the same at 8 kHz and is
// left out), awb, rms and slt (clustergen voices). D is speech_engine.hpp's duration scale; F is its
// pitch factor times the voice's own median F0 at the defaults, measured by autocorrelation on an
// English sentence (kal16 89 Hz, awb 131 Hz, slt 172 Hz). rms ignores int_f0_target_mean (measured:
// the same median F0 with the target at 200 Hz), so its clips vary in speed only. flite speaks at
// 16 kHz and is deterministic. An unknown voice name would silently fall back to flite's default
// voice, so only the table's names are accepted.
#pragma once
#include <string>
#include <vector>

#include "training/kws/speech_engine.hpp"

namespace picospice::kws {

class FliteEngine : public SpeechEngine {
 public:
  std::string name() const override { return "flite"; }
  std::string program() const override { return "flite"; }
  std::string packages() const override { return "flite"; }
  std::vector<std::string> voices() const override;
  Audio synthesize(const SpeechRequest& request) const override;
};

}  // namespace picospice::kws
