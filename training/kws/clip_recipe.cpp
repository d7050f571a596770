#include "training/kws/clip_recipe.hpp"

#include <fmt/format.h>

#include <cmath>

#include "training/kws/draws.hpp"
#include "training/kws/espeak.hpp"
#include "training/kws/resample.hpp"

namespace picospice::kws {

const std::string& keyword() {
  static const std::string word = "yes";
  return word;
}

const std::vector<std::string>& other_words() {
  static const std::vector<std::string> words = {"no", "up", "down", "left", "right", "stop", "go", "on", "off"};
  return words;
}

ClipRecipe draw_clip_recipe(std::uint64_t seed, const std::string& split, std::size_t index, int label,
                            const std::vector<Voice>& voices, const RecipeRanges& r) {
  if (voices.empty()) throw std::invalid_argument("draw_clip_recipe: no voices to draw from");
  ClipRecipe recipe;
  recipe.seed = seed;
  recipe.stream = random::mix_stream(index, random::fnv1a64("kws clip " + split));
  Draws draws(seed, recipe.stream);
  recipe.label = label;
  if (label == 1) recipe.word = keyword();
  else {
    const int choice = draws.below(int(other_words().size()) + 1);  // the last choice: silence
    recipe.word = choice < int(other_words().size()) ? other_words()[choice] : "";
  }
  recipe.voice = voices[draws.below(int(voices.size()))];
  recipe.words_per_minute = r.min_wpm + draws.below(r.max_wpm - r.min_wpm + 1);
  recipe.pitch = r.min_pitch + draws.below(r.max_pitch - r.min_pitch + 1);
  recipe.level_db = draws.uniform(r.min_level_db, r.max_level_db);
  recipe.snr_db = draws.uniform(r.min_snr_db, r.max_snr_db);
  recipe.noise = static_cast<NoiseColor>(draws.below(3));
  recipe.onset_s = draws.uniform(r.min_onset_s, r.max_onset_s);
  return recipe;
}

std::string describe_recipe(const ClipRecipe& r) {
  if (r.word.empty()) return fmt::format("silence_{}_{:.0f}dB", noise_color_name(r.noise), r.level_db - r.snr_db);
  return fmt::format("{}_{}_s{}_p{}_{}_snr{:.0f}", r.word, r.voice.espeak_name(), r.words_per_minute, r.pitch,
                     noise_color_name(r.noise), r.snr_db);
}

std::pair<std::size_t, std::size_t> active_span(const std::vector<double>& samples, int rate) {
  const std::size_t block = std::max(1, rate / 100);
  const std::size_t blocks = (samples.size() + block - 1) / block;
  std::vector<double> power(blocks, 0.0);
  double loudest = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t end = std::min(samples.size(), (b + 1) * block);
    for (std::size_t i = b * block; i < end; ++i) power[b] += samples[i] * samples[i];
    power[b] /= double(end - b * block);
    loudest = std::max(loudest, power[b]);
  }
  if (!(loudest > 0)) return {0, 0};
  const double threshold = loudest * 1e-4;  // 40 dB below the loudest block
  std::size_t first = 0, last = blocks;
  while (power[first] < threshold) ++first;
  while (power[last - 1] < threshold) --last;
  return {first * block, std::min(samples.size(), last * block)};
}

std::vector<double> render_clip(const ClipRecipe& r) {
  std::vector<double> clip(kClipSamples, 0.0);
  const double speech_rms = std::pow(10.0, r.level_db / 20.0);
  const double noise_rms = speech_rms * std::pow(10.0, -r.snr_db / 20.0);
  if (!r.word.empty()) {
    const Audio speech = synthesize_speech({r.voice.espeak_name(), r.word, r.words_per_minute, r.pitch});
    const std::vector<double> at_rate = resample(speech.samples, speech.sample_rate, kClipRate);
    auto [first, last] = active_span(at_rate, kClipRate);
    if (last - first > std::size_t(kClipSamples)) {  // too long for the clip: keep its middle second
      first += (last - first - kClipSamples) / 2;
      last = first + kClipSamples;
    }
    double power = 0;
    for (std::size_t i = first; i < last; ++i) power += at_rate[i] * at_rate[i];
    const double rms = last > first ? std::sqrt(power / double(last - first)) : 0.0;
    if (rms > 0) {
      const std::size_t room = kClipSamples - (last - first);
      const auto start = std::min(room, static_cast<std::size_t>(std::max(0.0, std::floor(r.onset_s * kClipRate))));
      for (std::size_t i = first; i < last; ++i) clip[start + (i - first)] = at_rate[i] * (speech_rms / rms);
    }
  }
  Draws noise_draws(r.seed, random::mix_stream(r.stream, random::fnv1a64("noise")));
  const std::vector<double> noise = make_noise(r.noise, kClipSamples, noise_draws);
  for (std::size_t i = 0; i < clip.size(); ++i) clip[i] += noise_rms * noise[i];
  return clip;
}

}  // namespace picospice::kws
