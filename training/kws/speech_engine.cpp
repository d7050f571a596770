#include "training/kws/speech_engine.hpp"

#include <fmt/format.h>

#include <cmath>

#include "training/kws/espeak.hpp"
#include "training/kws/festival.hpp"
#include "training/kws/flite.hpp"
#include "training/kws/run_program.hpp"

namespace picospice::kws {

bool SpeechEngine::available() const { return program_on_path(program()); }

const std::vector<std::string>& speech_engine_names() {
  static const std::vector<std::string> names = {"espeak", "flite", "festival"};
  return names;
}

const SpeechEngine& speech_engine(const std::string& name) {
  static const EspeakEngine espeak;
  static const FliteEngine flite;
  static const FestivalEngine festival;
  if (name == "espeak") return espeak;
  if (name == "flite") return flite;
  if (name == "festival") return festival;
  throw std::invalid_argument(fmt::format("unknown speech engine \"{}\" (known: {})", name,
                                          fmt::join(speech_engine_names(), ", ")));
}

double duration_scale(int words_per_minute) { return 175.0 / std::max(1, words_per_minute); }
double pitch_factor(int pitch) { return std::exp2((pitch - 50) / 120.0); }

void check_speech_text(const std::string& text) {
  if (text.empty()) throw SpeechError("speech synthesis: empty text");
  if (text.front() == '-') throw SpeechError(fmt::format("speech synthesis: text \"{}\" starts with '-'", text));
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) throw SpeechError("speech synthesis: text holds a control character");
}

void require_engine(const SpeechEngine& engine) {
  if (!engine.available())
    throw SpeechError(fmt::format("the {} speech engine needs the {} program (Debian package{} {}; tools/setup installs {})",
                                  engine.name(), engine.program(),
                                  engine.packages().find(' ') != std::string::npos ? "s" : "", engine.packages(),
                                  engine.packages().find(' ') != std::string::npos ? "them" : "it"));
}

std::vector<std::uint8_t> run_speech_command(const std::vector<std::string>& args, const std::string& input,
                                             const std::string& what) {
  ProgramOutput output;
  try {
    output = run_program(args, input);
  } catch (const std::runtime_error& e) {
    throw SpeechError(e.what());
  }
  if (output.exit_status != 0)
    throw SpeechError(fmt::format("{} failed (exit status {}): {}", what, output.exit_status,
                                  output.errors.empty() ? "no message" : output.errors));
  if (output.out.empty())
    throw SpeechError(fmt::format("{} wrote nothing{}{}", what, output.errors.empty() ? "" : ": ", output.errors));
  return std::move(output.out);
}

Audio parse_speech_wav(const std::vector<std::uint8_t>& bytes, const std::string& what) {
  Audio audio;
  try {
    audio = parse_wav(bytes, what);
  } catch (const std::runtime_error& e) {  // WavError: a malformed WAV
    throw SpeechError(e.what());
  }
  if (audio.samples.empty()) throw SpeechError(fmt::format("{} produced no audio", what));
  return audio;
}

Audio run_speech_program(const std::vector<std::string>& args, const std::string& input, const std::string& what) {
  return parse_speech_wav(run_speech_command(args, input, what), what);
}

}  // namespace picospice::kws
