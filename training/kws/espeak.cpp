#include "training/kws/espeak.hpp"

#include <fmt/format.h>

#include "training/kws/voices.hpp"

namespace picospice::kws {

std::vector<std::string> EspeakEngine::voices() const {
  std::vector<std::string> names;
  for (const Voice& v : all_voices()) names.push_back(v.espeak_name());
  return names;
}

Audio EspeakEngine::synthesize(const SpeechRequest& request) const {
  check_speech_text(request.text);
  if (request.voice.empty() || request.voice.front() == '-') throw SpeechError("speech synthesis: invalid voice name");
  require_engine(*this);
  const std::string what = fmt::format("espeak-ng -v {} -s {} -p {} \"{}\"", request.voice, request.words_per_minute,
                                       request.pitch, request.text);
  return run_speech_program({program(), "-v", request.voice, "-s", std::to_string(request.words_per_minute), "-p",
                             std::to_string(request.pitch), "--stdout", request.text},
                            {}, what);
}

bool espeak_available() { return EspeakEngine().available(); }

Audio synthesize_speech(const SpeechRequest& request) { return EspeakEngine().synthesize(request); }

}  // namespace picospice::kws
