#include "training/kws/kws_dataset.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/worker_pool.hpp"
#include "training/kws/speech_engine.hpp"
#include "training/kws/front_end.hpp"
#include "training/kws/mfcc.hpp"

namespace picospice::kws {
namespace {

struct PendingClip {
  int split = 0;  // 0 train, 1 validation, 2 test
  ClipRecipe recipe;
  std::vector<std::vector<double>> mfcc;
  int word_begin = -1, word_end = -1;  // frames, as training::Clip's
};

// The frames whose window centre (frame t at sample t * hop: the frames are centred) lies in the
// word's samples [begin, end); -1, -1 when there is no word or no frame centre falls in it.
std::pair<int, int> word_frames(const RenderedClip& clip, int hop, int frames) {
  const auto first = static_cast<int>((clip.word_begin + hop - 1) / hop);
  const auto end = std::min(frames, static_cast<int>((clip.word_end + hop - 1) / hop));
  if (clip.word_end <= clip.word_begin || first >= end) return {-1, -1};
  return {first, end};
}

constexpr const char* kSplitNames[3] = {"train", "validation", "test"};

nlohmann::json voices_json(const std::vector<Voice>& voices) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : voices) out.push_back(v.name());
  return out;
}

}  // namespace

training::Dataset build_kws_dataset(const KwsDatasetOptions& o, const ProgressCallback& progress) {
  if (o.clips < 6) throw std::invalid_argument("dataset kws: need at least 6 clips (each split needs both classes)");
  if (o.jobs < 1) throw std::invalid_argument("dataset kws: jobs must be at least 1");
  if (!(o.test_clip_fraction >= 0 && o.test_clip_fraction <= 0.5))  // 0: unset (test_fraction)
    throw std::invalid_argument("dataset kws: the test split's share of the clips must lie in (0, 0.5]");
  const RecipeRanges& mix = o.ranges;
  for (double f : {mix.confusable_fraction, mix.near_miss_fraction, mix.babble_fraction, mix.modulated_fraction})
    if (!(f >= 0 && f <= 1)) throw std::invalid_argument("dataset kws: the mix's fractions must lie in [0, 1]");
  if (!(mix.min_onset_s >= 0 && mix.min_onset_s <= mix.max_onset_s && mix.max_onset_s < 1))
    throw std::invalid_argument("dataset kws: the onset range must satisfy 0 <= MIN <= MAX < 1 s");
  if (!(mix.warp >= 0 && mix.warp <= 0.5)) throw std::invalid_argument("dataset kws: the warp must lie in [0, 0.5]");
  if (mix.babble_talkers < 1 || mix.babble_talkers > 16)
    throw std::invalid_argument("dataset kws: babble talkers must be 1..16");
  const VoiceSplit voices =
      split_engine_voices(o.seed, o.engines, o.validation_fraction, o.test_fraction, o.test_engine, o.test_engine_only);
  for (const std::string& engine : o.engines) require_engine(speech_engine(engine));
  const std::vector<Voice>* pools[3] = {&voices.train, &voices.validation, &voices.test};

  // Clips per split, each at least 2 so that both classes appear.
  int counts[3];
  counts[1] = std::max(2, int(std::lround(o.validation_fraction * o.clips)));
  const double test_share = o.test_clip_fraction > 0 ? o.test_clip_fraction : o.test_fraction;
  counts[2] = std::max(2, int(std::lround(test_share * o.clips)));
  counts[0] = o.clips - counts[1] - counts[2];
  if (counts[0] < 2) throw std::invalid_argument("dataset kws: too few clips left for the training split");

  std::vector<PendingClip> pending;
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < counts[s]; ++i) {
      const int label = i % 2 == 0 ? 1 : 0;
      pending.push_back({s, draw_clip_recipe(o.seed, kSplitNames[s], std::size_t(i), label, *pools[s], o.ranges), {}});
    }

  // Each clip is a pure function of its recipe, so the thread count does not matter.
  OrderedRunSettings run;
  run.end = pending.size();
  run.jobs = o.jobs;
  run_in_order(
      run,
      [&] {
        return [&, mfcc = MfccExtractor(o.features)](std::uint64_t i) mutable {
          const RenderedClip clip = render_clip_and_word(pending[i].recipe);
          std::vector<std::vector<double>> features = mfcc.compute(clip.samples);
          const auto span = word_frames(clip, o.features.hop, static_cast<int>(features.size()));
          return std::make_pair(std::move(features), span);
        };
      },
      [&](std::uint64_t i, std::pair<std::vector<std::vector<double>>, std::pair<int, int>>&& result) {
        pending[i].mfcc = std::move(result.first);
        std::tie(pending[i].word_begin, pending[i].word_end) = result.second;
        if (progress) progress(i + 1, pending.size());
      });

  std::vector<std::vector<std::vector<double>>> train_features;
  for (const auto& p : pending)
    if (p.split == 0) train_features.push_back(p.mfcc);
  const InputEncoding encoding = o.encoding ? *o.encoding : fit_encoding(train_features, o.offset, o.scale);

  training::Dataset d;
  d.name = "kws";
  d.inputs = o.features.features();
  d.classes = 2;
  d.class_names = {"other", keyword()};
  std::vector<training::Clip>* splits[3] = {&d.train, &d.validation, &d.test};
  std::vector<int> index_in_split(3, 0);
  for (const auto& p : pending) {
    training::Clip clip;
    clip.id = fmt::format("{}{:05d}_{}", std::string(kSplitNames[p.split]).substr(0, 2), index_in_split[p.split]++,
                          describe_recipe(p.recipe));
    clip.label = p.recipe.label;
    clip.frames = encoding.encode(p.mfcc);
    clip.word_begin = p.word_begin;
    clip.word_end = p.word_end;
    splits[p.split]->push_back(std::move(clip));
  }
  const RecipeRanges& r = o.ranges;
  nlohmann::json other = other_words();
  other.push_back("(silence)");
  d.provenance = {
      {"generator", "picospice dataset kws"},
      {"command", o.command},
      {"seed", o.seed},
      {"clips", {{"train", counts[0]}, {"validation", counts[1]}, {"test", counts[2]}}},
      {"task", fmt::format("binary: class 1 \"{}\" against class 0 (other words and silence); half of each split is \"{}\"",
                           keyword(), keyword())},
      {"keyword", keyword()},
      {"other", other},
      {"speech", {{"synthesizer", "espeak-ng --stdout (22050 Hz), resampled to 16 kHz by windowed sinc"},
                  {"words_per_minute", {r.min_wpm, r.max_wpm}},
                  {"pitch", {r.min_pitch, r.max_pitch}},
                  {"level_dbfs", {r.min_level_db, r.max_level_db}},
                  {"placement", "trimmed to within 40 dB of its loudest 10 ms, starting at a uniform random onset in a 1 s clip"},
                  {"onset_s", {r.min_onset_s, r.max_onset_s}}}},
      {"noise", {{"colors", {"white", "pink", "brown"}}, {"snr_db", {r.min_snr_db, r.max_snr_db}},
                 {"silence_clips", "noise alone at speech level minus SNR"}}},
      {"mix", {{"confusable_fraction", r.confusable_fraction},
               {"confusable_words", confusable_words()},
               {"held_out_confusable_words_test_only", held_out_confusable_words()},
               {"babble_fraction", r.babble_fraction},
               {"babble_talkers", r.babble_talkers},
               {"modulated_fraction", r.modulated_fraction},
               {"modulation", "background x (1 + m sin(2 pi f t + phi)), m in [0.5, 1], f in [1, 8] Hz"},
               {"encoding_fitted_on", o.encoding ? "given (--encoding)" : "the training split"}}},
      {"voices", {{"rule", "held out: each (accent, variant) combination belongs to one split only"},
                  {"train", voices_json(voices.train)},
                  {"validation", voices_json(voices.validation)},
                  {"test", voices_json(voices.test)}}},
      {"features", front_end_to_json(o.features)},
      {"encoding", encoding_to_json(encoding)}};
  // Only when asked for, so that a dataset without them is byte for byte the one of before.
  if (r.near_miss_fraction > 0) {
    d.provenance["mix"]["near_miss_fraction"] = r.near_miss_fraction;
    d.provenance["mix"]["near_miss_words"] = near_miss_words();
    d.provenance["mix"]["held_out_near_miss_words_test_only"] = held_out_near_miss_words();
  }
  // Only with their own range, so that a dataset without one is byte for byte the one of before.
  if (r.babble_snr) d.provenance["mix"]["babble_snr_db"] = {r.min_babble_snr_db, r.max_babble_snr_db};
  // Only with a warp, so that a dataset without one is byte for byte the one of before.
  if (r.warp > 0) {
    d.provenance["mix"]["warp"] = r.warp;
    d.provenance["mix"]["warping"] = "the word read at rate x w, w uniform in [1 - warp, 1 + warp], resampled to 16 kHz";
  }
  // Only with other engines, so that an espeak-only dataset is byte for byte the one of before.
  if (o.engines != std::vector<std::string>{"espeak"} || !o.test_engine.empty()) {
    nlohmann::json engines = nlohmann::json::array();
    for (const std::string& name : o.engines) {
      const SpeechEngine& e = speech_engine(name);
      engines.push_back({{"name", name}, {"program", e.program()}, {"packages", e.packages()}});
    }
    d.provenance["speech"]["synthesizer"] =
        "the voice's engine (espeak-ng --stdout, flite, festival text2wave), resampled to 16 kHz by windowed sinc";
    d.provenance["speech"]["engines"] = engines;
    d.provenance["speech"]["engine_choice"] = "per clip: an engine of the split's voices, each equally likely, then one of its voices";
    d.provenance["speech"]["speed_and_pitch"] =
        "espeak-ng units; other engines: duration x 175/wpm, F0 x 2^((pitch - 50)/120) (training/kws/speech_engine.hpp)";
    d.provenance["voices"]["rule"] = "held out: each voice belongs to one split only";
    d.provenance["voices"]["test_engine"] = o.test_engine.empty() ? nlohmann::json() : nlohmann::json(o.test_engine);
    // Only when asked for, so that the datasets of before keep their bytes.
    if (o.test_engine_only) d.provenance["voices"]["test_engine_only"] = true;
  }
  return d;
}

}  // namespace picospice::kws
