// One keyword-spotting clip: what is said, by whom, how, over which noise (the recipe, drawn from
// the seed), and the 1 s of 16 kHz audio it renders to.
//
// Rendering: the voice's speech engine (speech_engine.hpp; espeak-ng by default) says the word at
// its own rate (espeak-ng 22050 Hz, flite 16 kHz, festival 16 or 32 kHz), it is resampled to
// 16 kHz, trimmed to the span of 10 ms blocks within 40 dB of its loudest block (the engines pad
// words with silence), scaled to the
// drawn speech level (RMS over that span, in dB relative to full scale), and placed in a 1 s clip
// starting at a random onset between 50 and 350 ms (earlier if it would not fit; cut to 1 s if
// longer). Why not anywhere in the second: the decision is a majority vote over all 101 frames
// (docs/requirements.md, 'Training and the keyword-spotting dataset'), and frames before the word
// cannot know what will be said, so a recurrent network can only win the vote for "yes" if it hears
// the word before mid-clip and holds its state afterwards. Speech Commands recordings, the
// reference design's data, likewise hold the word near the start or the middle of the second. Noise
// of the drawn color is added at the drawn signal-to-noise ratio relative to the speech RMS. A
// silence clip holds only the noise, at the level it would have had under a word (speech level -
// SNR), so its level says nothing of the class.
//
// The harder mix (RecipeRanges' fractions, all 0 by default, which draws and renders exactly the
// clips of before; issue 22):
// - confusable words: a share of the "other" clips says a word that sounds like "yes" (minimal pairs
//   and near-rhymes, confusable_words()); the held-out ones (held_out_confusable_words()) are said
//   only in the test split, so no training or validation clip ever contains them. A share of those
//   clips (near_miss_fraction) says a near miss instead (near_miss_words()): a word that begins as
//   "yes" does and differs only in its last sound, the pairs a network that decides on "ye" gets
//   wrong.
// - babble: the background is `babble_talkers` other synthesized utterances (other words and
//   training confusables, never the keyword, voices of the clip's split), each at unit RMS over its
//   sound and starting at a random point of the second (wrapping around its end), summed.
// - amplitude modulation: the background (any kind) is multiplied by 1 + m sin(2 pi f t + phi),
//   depth m in [0.5, 1], f in [1, 8] Hz (syllable rates), so its level swings by up to the whole
//   range within the word.
// - onsets: min_onset_s/max_onset_s can spread the word across the clip (`dataset kws --onset`).
// - warp: the word's audio is read as if recorded at rate * w, w uniform in [1 - warp, 1 + warp],
//   and resampled to 16 kHz: every frequency (formants, pitch) times w, the duration over w. This is
//   speed perturbation (Ko et al., "Audio augmentation for speech recognition", Interspeech 2015),
//   a stand-in for the vocal-tract lengths of speakers the engines do not have: with 2-4 voices
//   per added engine, networks trained without it missed nearly every unseen voice (issue 22's
//   note; with it, one run heard most of them and another did not: not yet shown to help).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "training/kws/noise.hpp"
#include "training/kws/voices.hpp"

namespace picospice::kws {

inline constexpr int kClipRate = 16000;     // Hz
inline constexpr int kClipSamples = 16000;  // 1 s

// The words of the set: the keyword first, then the other words. A clip of class "other" says one
// of the other words or nothing (silence), with equal probability each.
const std::string& keyword();
const std::vector<std::string>& other_words();
// Words that sound like "yes": said in every split (train/validation/test) when the mix asks for them,
const std::vector<std::string>& confusable_words();
// and those said only in the test split (held out of training and validation entirely).
const std::vector<std::string>& held_out_confusable_words();
// The confusable words that share "yes"'s onset and vowel (/jE/) and differ in the coda, then the
// held-out ones of that kind (test split only).
const std::vector<std::string>& near_miss_words();
const std::vector<std::string>& held_out_near_miss_words();

struct RecipeRanges {
  int min_wpm = 130, max_wpm = 210;     // espeak-ng -s
  int min_pitch = 20, max_pitch = 80;   // espeak-ng -p
  double min_level_db = -30, max_level_db = -12;  // speech RMS, dB full scale
  double min_snr_db = 10, max_snr_db = 30;
  double min_onset_s = 0.05, max_onset_s = 0.35;  // where the word starts in the clip
  double confusable_fraction = 0;  // share of the "other" clips that say a confusable word
  double near_miss_fraction = 0;   // share of those that say a near miss (near_miss_words())
  double babble_fraction = 0;      // share of all clips whose background is babble
  double modulated_fraction = 0;   // share of all clips whose background is amplitude-modulated
  double warp = 0;                 // the word's rate factor w is drawn in [1 - warp, 1 + warp] (0: none)
  int babble_talkers = 4;
  // A babble clip's SNR from its own range: the clip's SNR draw u (the same draw as for any clip)
  // maps to min + u (max - min) of this range instead of the common one, so the other clips, and
  // every clip when it is off, stay those of before.
  bool babble_snr = false;
  double min_babble_snr_db = 0, max_babble_snr_db = 0;
};

// One voice of a babble background.
struct BabbleTalker {
  std::string word;
  Voice voice;
  int words_per_minute = 175, pitch = 50;
  double start_s = 0;  // where its sound starts in the clip (wrapping around the end)
};

struct ClipRecipe {
  int label = 0;             // 1: the keyword, 0: anything else
  std::string word;          // empty: silence
  Voice voice;
  int words_per_minute = 175, pitch = 50;
  double level_db = -20, snr_db = 20;
  NoiseColor noise = NoiseColor::white;
  double onset_s = 0.2;      // where the word starts in the clip (moved earlier if it would not fit)
  std::vector<BabbleTalker> babble;  // non-empty: the background is their sum instead of colored noise
  double modulation_depth = 0, modulation_hz = 0, modulation_phase = 0;  // depth 0: no modulation
  double warp = 1;           // the word's audio is read at rate * warp (1: as synthesized)
  std::uint64_t seed = 0, stream = 0;  // the noise samples' address
};

// Draws clip `index` of a split for a seed. `label` is chosen by the caller (to balance classes);
// the voice is drawn from `voices` (the split's held-out group; with several engines in it, the
// engine first, each equally likely, then one of its voices).
ClipRecipe draw_clip_recipe(std::uint64_t seed, const std::string& split, std::size_t index, int label,
                            const std::vector<Voice>& voices, const RecipeRanges& ranges = {});

// "yes_en-us+f2_s150_p40_pink_snr12" (silence: "silence_pink_...") - no commas, no spaces. The
// voice is Voice::name(): another engine's carries the engine ("yes_flite-slt_s150_p40_...").
std::string describe_recipe(const ClipRecipe& recipe);

// Renders the recipe: kClipSamples samples at kClipRate. Throws SpeechError when the engine fails.
std::vector<double> render_clip(const ClipRecipe& recipe);

// The same clip, and where its word's sound lies: samples [word_begin, word_end), the span
// active_span found, as placed (empty, begin == end, for silence or a word the engine rendered as
// digital silence).
struct RenderedClip {
  std::vector<double> samples;
  std::size_t word_begin = 0, word_end = 0;
};
RenderedClip render_clip_and_word(const ClipRecipe& recipe);

// The span [first, last) of `samples` holding the 10 ms blocks within 40 dB of the loudest one;
// empty for digital silence.
std::pair<std::size_t, std::size_t> active_span(const std::vector<double>& samples, int rate);

}  // namespace picospice::kws
