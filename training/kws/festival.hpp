// Speech synthesis by the Festival Speech Synthesis System (Debian package festival) through its
// `text2wave` script, the text on stdin and the WAV on stdout:
//   text2wave -eval (voice_NAME) -eval SPEED -eval PITCH
// Voices (Debian's English ones in bookworm):
//   kal  voice_kal_diphone            festvox-kallpc16k  American male diphone voice, 16 kHz
//   ked  voice_ked_diphone            festvox-kdlpc16k   American male diphone voice, 16 kHz
//   slt  voice_cmu_us_slt_arctic_hts  festvox-us-slt-hts American female HTS voice, 32 kHz
// Speed: the diphone voices' Duration_Stretch (1.1 by default in their .scm files) times
// speech_engine.hpp's duration scale; the HTS voice's hts_engine "-r" speech rate (wpm / 175; > 1
// is faster, checked by the output's length). Pitch: the diphone voices' int_lr_params with
// target_f0_mean 105 Hz (their .scm files' value) times the pitch factor; the HTS voice ignores
// "-fm" here (measured: the same median F0), so its clips vary in speed only.
// Festival is deterministic, and takes about 1.5 s per call (it loads its lexicon every time).
// Note that kal is the same recorded diphone set as flite's kal16, and slt the same speaker as
// flite's slt: holding one engine out holds out the engine, not every speaker.
// A voice package that is missing makes text2wave print "unbound variable" and no audio; the error
// then names the package.
#pragma once
#include <string>
#include <vector>

#include "training/kws/speech_engine.hpp"

namespace picospice::kws {

class FestivalEngine : public SpeechEngine {
 public:
  std::string name() const override { return "festival"; }
  std::string program() const override { return "text2wave"; }
  std::string packages() const override { return "festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"; }
  std::vector<std::string> voices() const override;
  Audio synthesize(const SpeechRequest& request) const override;
};

}  // namespace picospice::kws
