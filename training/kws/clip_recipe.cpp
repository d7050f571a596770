#include "training/kws/clip_recipe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <tuple>

#include "training/kws/draws.hpp"
#include "training/kws/speech_engine.hpp"
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

const std::vector<std::string>& confusable_words() {
  // Minimal pairs of "yes" (/jEs/: y-words with another coda, -ess/-est words with another onset)
  // and near-rhymes.
  static const std::vector<std::string> words = {"yet",   "yeah",  "yep",  "yell", "yen",   "yak",  "yam",   "yolk",
                                                 "less",  "guess", "chess", "mess", "bless", "press", "dress", "guest",
                                                 "nest",  "west",  "rest", "test", "kiss",  "this",  "ask",   "set"};
  return words;
}

const std::vector<std::string>& held_out_confusable_words() {
  static const std::vector<std::string> words = {"jest", "vest", "best", "stress", "yeast",
                                                 "yelp", "lest", "fest", "chest", "yank"};
  return words;
}

// Networks trained on the mix accepted nearly every one of these while rejecting most -ess words
// (issue 22's note): they decide on "ye" before the coda.
const std::vector<std::string>& near_miss_words() {
  static const std::vector<std::string> words = {"yet", "yeah", "yep", "yell", "yen"};
  return words;
}

const std::vector<std::string>& held_out_near_miss_words() {
  static const std::vector<std::string> words = {"yelp"};
  return words;
}

namespace {

// A voice of the pool. With one engine (espeak alone, the default) it is the draw of before; with
// several, the engine is drawn first, each equally likely, then a voice of it, so an engine with
// few voices (flite, festival) is not drowned by espeak's 112.
Voice draw_voice(Draws& draws, const std::vector<Voice>& voices) {
  std::vector<std::string> engines;
  for (const Voice& v : voices)
    if (std::find(engines.begin(), engines.end(), v.engine) == engines.end()) engines.push_back(v.engine);
  if (engines.size() == 1) return voices[std::size_t(draws.below(int(voices.size())))];
  const std::string& engine = engines[std::size_t(draws.below(int(engines.size())))];
  std::vector<const Voice*> of_engine;
  for (const Voice& v : voices)
    if (v.engine == engine) of_engine.push_back(&v);
  return *of_engine[std::size_t(draws.below(int(of_engine.size())))];
}

// The draws of the harder mix come after the basic ones (their counters are higher), so with every
// fraction at 0 a recipe is exactly the one drawn before they existed.
void draw_mix(Draws& draws, const std::string& split, const std::vector<Voice>& voices, const RecipeRanges& r,
              ClipRecipe& recipe) {
  if (r.confusable_fraction > 0) {
    const double u = draws.uniform();
    const bool held_out = split == "test";
    const auto& common = confusable_words();
    const auto& extra = held_out_confusable_words();
    const int n = int(common.size() + (held_out ? extra.size() : 0));
    const int k = draws.below(n);
    if (recipe.label == 0 && u < r.confusable_fraction) {
      recipe.word = k < int(common.size()) ? common[std::size_t(k)] : extra[std::size_t(k) - common.size()];
      // Drawn only when asked for, so that a mix without near misses draws the clips of before.
      if (r.near_miss_fraction > 0 && draws.uniform() < r.near_miss_fraction) {
        const auto& near = near_miss_words();
        const auto& near_extra = held_out_near_miss_words();
        const int m = draws.below(int(near.size() + (held_out ? near_extra.size() : 0)));
        recipe.word = m < int(near.size()) ? near[std::size_t(m)] : near_extra[std::size_t(m) - near.size()];
      }
    }
  }
  if (r.babble_fraction > 0 && draws.uniform() < r.babble_fraction) {
    for (int t = 0; t < r.babble_talkers; ++t) {
      BabbleTalker talker;
      const int pool = int(other_words().size() + confusable_words().size());
      const int k = draws.below(pool);
      talker.word = k < int(other_words().size()) ? other_words()[std::size_t(k)]
                                                  : confusable_words()[std::size_t(k) - other_words().size()];
      talker.voice = draw_voice(draws, voices);
      talker.words_per_minute = r.min_wpm + draws.below(r.max_wpm - r.min_wpm + 1);
      talker.pitch = r.min_pitch + draws.below(r.max_pitch - r.min_pitch + 1);
      talker.start_s = draws.uniform(0.0, 1.0);
      recipe.babble.push_back(talker);
    }
  }
  if (r.modulated_fraction > 0 && draws.uniform() < r.modulated_fraction) {
    recipe.modulation_depth = draws.uniform(0.5, 1.0);
    recipe.modulation_hz = draws.uniform(1.0, 8.0);
    recipe.modulation_phase = draws.uniform(0.0, 2 * std::numbers::pi);
  }
  if (r.warp > 0) recipe.warp = draws.uniform(1 - r.warp, 1 + r.warp);
}

}  // namespace

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
  recipe.voice = draw_voice(draws, voices);
  recipe.words_per_minute = r.min_wpm + draws.below(r.max_wpm - r.min_wpm + 1);
  recipe.pitch = r.min_pitch + draws.below(r.max_pitch - r.min_pitch + 1);
  recipe.level_db = draws.uniform(r.min_level_db, r.max_level_db);
  const double snr_draw = draws.uniform();  // as draws.uniform(min, max) draws it
  recipe.snr_db = r.min_snr_db + (r.max_snr_db - r.min_snr_db) * snr_draw;
  recipe.noise = static_cast<NoiseColor>(draws.below(3));
  recipe.onset_s = draws.uniform(r.min_onset_s, r.max_onset_s);
  draw_mix(draws, split, voices, r, recipe);
  if (r.babble_snr && !recipe.babble.empty())
    recipe.snr_db = r.min_babble_snr_db + (r.max_babble_snr_db - r.min_babble_snr_db) * snr_draw;
  return recipe;
}

std::string describe_recipe(const ClipRecipe& r) {
  std::string background = r.babble.empty() ? noise_color_name(r.noise) : fmt::format("babble{}", r.babble.size());
  if (r.modulation_depth > 0) background += fmt::format("-am{:.0f}hz", r.modulation_hz);
  if (r.word.empty()) return fmt::format("silence_{}_{:.0f}dB", background, r.level_db - r.snr_db);
  const std::string warp = r.warp != 1 ? fmt::format("_w{:.2f}", r.warp) : "";
  return fmt::format("{}_{}_s{}_p{}{}_{}_snr{:.0f}", r.word, r.voice.name(), r.words_per_minute, r.pitch, warp,
                     background, r.snr_db);
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

namespace {

// A word at 16 kHz (read at `warp` times the engine's rate) and its sound: the span active_span
// finds, at most 1 s (its middle second), and the RMS over that span (0 when the engine renders
// digital silence).
struct WordSound {
  std::vector<double> samples;
  std::size_t first = 0, last = 0;
  double rms = 0;
};

WordSound word_sound(const Voice& voice, const std::string& word, int words_per_minute, int pitch, double warp) {
  const Audio speech = speech_engine(voice.engine).synthesize({voice.engine_voice(), word, words_per_minute, pitch});
  const int read_rate = warp != 1 ? int(std::lround(speech.sample_rate * warp)) : speech.sample_rate;
  WordSound w;
  w.samples = resample(speech.samples, read_rate, kClipRate);
  std::tie(w.first, w.last) = active_span(w.samples, kClipRate);
  if (w.last - w.first > std::size_t(kClipSamples)) {  // too long for the clip: keep its middle second
    w.first += (w.last - w.first - kClipSamples) / 2;
    w.last = w.first + kClipSamples;
  }
  double power = 0;
  for (std::size_t i = w.first; i < w.last; ++i) power += w.samples[i] * w.samples[i];
  w.rms = w.last > w.first ? std::sqrt(power / double(w.last - w.first)) : 0.0;
  return w;
}

// A babble talker's word: its sound alone, scaled to unit RMS; empty for digital silence.
std::vector<double> spoken_word(const Voice& voice, const std::string& word, int words_per_minute, int pitch) {
  const WordSound w = word_sound(voice, word, words_per_minute, pitch, 1.0);
  if (!(w.rms > 0)) return {};
  std::vector<double> out(w.samples.begin() + long(w.first), w.samples.begin() + long(w.last));
  for (double& v : out) v /= w.rms;
  return out;
}

void normalize_rms(std::vector<double>& x) {
  double power = 0;
  for (double v : x) power += v * v;
  const double rms = x.empty() ? 0.0 : std::sqrt(power / double(x.size()));
  if (rms > 0)
    for (double& v : x) v /= rms;
}

// The background at unit RMS: colored noise or babble, then the amplitude modulation.
std::vector<double> background(const ClipRecipe& r) {
  std::vector<double> noise;
  if (r.babble.empty()) {
    Draws noise_draws(r.seed, random::mix_stream(r.stream, random::fnv1a64("noise")));
    noise = make_noise(r.noise, kClipSamples, noise_draws);
  } else {
    noise.assign(kClipSamples, 0.0);
    for (const BabbleTalker& t : r.babble) {
      const std::vector<double> word = spoken_word(t.voice, t.word, t.words_per_minute, t.pitch);
      const auto start = static_cast<std::size_t>(std::clamp(t.start_s, 0.0, 1.0) * (kClipSamples - 1));
      for (std::size_t i = 0; i < word.size(); ++i) noise[(start + i) % kClipSamples] += word[i];
    }
    normalize_rms(noise);
  }
  if (r.modulation_depth > 0) {
    for (std::size_t i = 0; i < noise.size(); ++i)
      noise[i] *= 1 + r.modulation_depth * std::sin(2 * std::numbers::pi * r.modulation_hz * double(i) / kClipRate + r.modulation_phase);
    normalize_rms(noise);
  }
  return noise;
}

}  // namespace

std::vector<double> render_clip(const ClipRecipe& r) { return render_clip_and_word(r).samples; }

RenderedClip render_clip_and_word(const ClipRecipe& r) {
  RenderedClip out;
  std::vector<double>& clip = out.samples;
  clip.assign(kClipSamples, 0.0);
  const double speech_rms = std::pow(10.0, r.level_db / 20.0);
  const double noise_rms = speech_rms * std::pow(10.0, -r.snr_db / 20.0);
  if (!r.word.empty()) {
    const WordSound w = word_sound(r.voice, r.word, r.words_per_minute, r.pitch, r.warp);
    if (w.rms > 0) {
      const std::size_t room = kClipSamples - (w.last - w.first);
      const auto start = std::min(room, static_cast<std::size_t>(std::max(0.0, std::floor(r.onset_s * kClipRate))));
      for (std::size_t i = w.first; i < w.last; ++i) clip[start + (i - w.first)] = w.samples[i] * (speech_rms / w.rms);
      out.word_begin = start;
      out.word_end = start + (w.last - w.first);
    }
  }
  const std::vector<double> noise = background(r);
  for (std::size_t i = 0; i < clip.size(); ++i) clip[i] += noise_rms * noise[i];
  return out;
}

}  // namespace picospice::kws
