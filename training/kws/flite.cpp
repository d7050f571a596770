#include "training/kws/flite.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace picospice::kws {
namespace {

struct FliteVoice {
  const char* name;
  double median_f0_hz;  // at flite's defaults (flite.hpp)
};

constexpr FliteVoice kVoices[] = {{"kal16", 89}, {"awb", 131}, {"rms", 103}, {"slt", 172}};

}  // namespace

std::vector<std::string> FliteEngine::voices() const {
  std::vector<std::string> names;
  for (const auto& v : kVoices) names.push_back(v.name);
  return names;
}

Audio FliteEngine::synthesize(const SpeechRequest& request) const {
  check_speech_text(request.text);
  const auto* voice = std::find_if(std::begin(kVoices), std::end(kVoices),
                                   [&](const FliteVoice& v) { return request.voice == v.name; });
  if (voice == std::end(kVoices))
    throw SpeechError(fmt::format("flite: unknown voice \"{}\" (known: {})", request.voice, fmt::join(voices(), ", ")));
  require_engine(*this);
  const std::string stretch = fmt::format("duration_stretch={:.4f}", duration_scale(request.words_per_minute));
  const std::string f0 = fmt::format("int_f0_target_mean={:.2f}", voice->median_f0_hz * pitch_factor(request.pitch));
  const std::string what = fmt::format("flite -voice {} --setf {} --setf {} -t \"{}\"", request.voice, stretch, f0,
                                       request.text);
  return run_speech_program({program(), "-voice", request.voice, "--setf", stretch, "--setf", f0, "-t", request.text,
                             "-o", "/dev/stdout"},
                            {}, what);
}

}  // namespace picospice::kws
