#include "training/kws/festival.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace picospice::kws {
namespace {

struct FestivalVoice {
  const char* name;
  const char* function;  // the Scheme function that selects it
  const char* package;
  bool hts;              // speed through hts_engine's -r, no pitch control
  double f0_std_hz;      // the diphone voices' target_f0_std (their .scm files)
};

constexpr FestivalVoice kVoices[] = {{"kal", "voice_kal_diphone", "festvox-kallpc16k", false, 14},
                                     {"ked", "voice_ked_diphone", "festvox-kdlpc16k", false, 15},
                                     {"slt", "voice_cmu_us_slt_arctic_hts", "festvox-us-slt-hts", true, 0}};
constexpr double kDiphoneStretch = 1.1, kDiphoneF0 = 105;

// Writing RIFF to a pipe, festival cannot seek back to its header and leaves the RIFF and data
// sizes at 36 and 0 (checked: 23,454 bytes of output declaring an empty data chunk). It writes the
// finished header where the seek failed instead: after the samples (checked with festival 2.5 on
// voice_kal_diphone: the last 44 bytes are "RIFF", the total size, "WAVE", the fmt chunk and
// "data" with the size of the samples between the two headers). Read as samples, those 22 values
// (16000, 32000, ...) were a full-scale click at the end of every festival word. When the
// canonical 44-byte header declares that empty data chunk and samples follow it, the trailing copy
// (if there is one) is dropped and the sizes are set to what was written.
void repair_streamed_wav(std::vector<std::uint8_t>& wav) {
  const auto u32 = [&](std::size_t at) {
    return std::uint32_t(wav[at]) | std::uint32_t(wav[at + 1]) << 8 | std::uint32_t(wav[at + 2]) << 16 |
           std::uint32_t(wav[at + 3]) << 24;
  };
  const auto put = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) wav[at + std::size_t(i)] = std::uint8_t(v >> (8 * i));
  };
  if (wav.size() <= 44 || wav.size() > 0xffffffffu || std::memcmp(wav.data(), "RIFF", 4) != 0 ||
      std::memcmp(wav.data() + 12, "fmt ", 4) != 0 || u32(16) != 16 || std::memcmp(wav.data() + 36, "data", 4) != 0 ||
      u32(40) != 0)
    return;
  if (wav.size() >= 88) {
    const std::size_t tail = wav.size() - 44;
    if (std::memcmp(wav.data() + tail, "RIFF", 4) == 0 && std::memcmp(wav.data() + tail + 8, "WAVEfmt ", 8) == 0 &&
        std::memcmp(wav.data() + tail + 36, "data", 4) == 0 && u32(tail + 40) == tail - 44)
      wav.resize(tail);
  }
  put(4, std::uint32_t(wav.size() - 8));
  put(40, std::uint32_t(wav.size() - 44));
}

}  // namespace

std::vector<std::string> FestivalEngine::voices() const {
  return voice_names(kVoices);
}

Audio FestivalEngine::synthesize(const SpeechRequest& request) const {
  check_speech_text(request.text);
  const FestivalVoice* voice = &find_voice(kVoices, request.voice, "festival");
  require_engine(*this);
  std::vector<std::string> args = {program(), "-eval", fmt::format("({})", voice->function)};
  if (voice->hts) {
    args.push_back("-eval");
    args.push_back(fmt::format("(set! hts_engine_params (append hts_engine_params (list (list \"-r\" {:.4f}))))",
                               1.0 / duration_scale(request.words_per_minute)));
  } else {
    args.push_back("-eval");
    args.push_back(fmt::format("(Parameter.set 'Duration_Stretch {:.4f})",
                               kDiphoneStretch * duration_scale(request.words_per_minute)));
    args.push_back("-eval");
    args.push_back(fmt::format("(set! int_lr_params '((target_f0_mean {:.2f}) (target_f0_std {}) (model_f0_mean 170) "
                               "(model_f0_std 34)))",
                               kDiphoneF0 * pitch_factor(request.pitch), voice->f0_std_hz));
  }
  std::string what = "text2wave";
  for (std::size_t i = 1; i < args.size(); ++i) what += " " + args[i];
  what += fmt::format(" <<< \"{}\"", request.text);
  try {
    std::vector<std::uint8_t> wav = run_speech_command(args, request.text + "\n", what);
    repair_streamed_wav(wav);
    return parse_speech_wav(wav, what);
  } catch (const SpeechError& e) {
    throw SpeechError(fmt::format("{} (festival's voice {} comes from Debian package {})", e.what(), request.voice,
                                  voice->package));
  }
}

}  // namespace picospice::kws
