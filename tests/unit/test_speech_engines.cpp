// The speech engines of the keyword-spotting set (training/kws/speech_engine.hpp): the voices of
// several engines split three ways, an engine held out of train and validation, the audio each
// engine renders, and the errors for a missing program or bad options. Tests that need an engine's
// program skip when it is missing (tests/skip_test.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <map>
#include <tuple>
#include <set>
#include <string>

#include "training/kws/clip_recipe.hpp"
#include "training/kws/kws_dataset.hpp"
#include "training/kws/resample.hpp"
#include "training/kws/speech_engine.hpp"
#include "training/kws/voices.hpp"
#include "tests/run_command.hpp"
#include "tests/skip_test.hpp"

using namespace picospice::kws;

namespace {

std::set<std::string> names(const std::vector<Voice>& voices) {
  std::set<std::string> out;
  for (const auto& v : voices) out.insert(v.name());
  return out;
}

double rms(const std::vector<double>& x, std::size_t first, std::size_t last) {
  double power = 0;
  for (std::size_t i = first; i < last; ++i) power += x[i] * x[i];
  return last > first ? std::sqrt(power / double(last - first)) : 0.0;
}

// Sets PATH for the scope and restores it.
struct PathOverride {
  std::string saved;
  explicit PathOverride(const char* path) : saved(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", path, 1);
  }
  ~PathOverride() { ::setenv("PATH", saved.c_str(), 1); }
};

}  // namespace

TEST_CASE("speech engines: voices split per engine, espeak's as before, a test engine only in test", "[kws]") {
  for (std::uint64_t seed : {1, 2, 9}) {
    const VoiceSplit espeak = split_voices(seed, 0.15, 0.15);
    const VoiceSplit alone = split_engine_voices(seed, {"espeak"}, 0.15, 0.15);
    CHECK(alone.train == espeak.train);  // espeak alone: the split of before
    CHECK(alone.test == espeak.test);

    const VoiceSplit mixed = split_engine_voices(seed, {"espeak", "flite", "festival"}, 0.15, 0.15);
    const auto tr = names(mixed.train), va = names(mixed.validation), te = names(mixed.test);
    REQUIRE(tr.size() + va.size() + te.size() == all_voices().size() + 4 + 3);
    for (const auto& n : te) CHECK((tr.count(n) == 0 && va.count(n) == 0));
    for (const auto& n : va) CHECK(tr.count(n) == 0);
    for (const std::string engine : {"flite", "festival"}) {  // each engine in every split
      int in[3] = {0, 0, 0};
      const std::vector<Voice>* splits[3] = {&mixed.train, &mixed.validation, &mixed.test};
      for (int s = 0; s < 3; ++s)
        for (const auto& v : *splits[s]) in[s] += v.engine == engine;
      CHECK((in[0] >= 1 && in[1] >= 1 && in[2] >= 1));
    }

    const VoiceSplit held = split_engine_voices(seed, {"espeak", "flite"}, 0.15, 0.15, "flite");
    for (const auto& v : held.train) CHECK(v.engine == "espeak");
    for (const auto& v : held.validation) CHECK(v.engine == "espeak");
    int flite_in_test = 0;
    for (const auto& v : held.test) flite_in_test += v.engine == "flite";
    CHECK(flite_in_test == 4);
    CHECK(held.train == espeak.train);  // holding flite out leaves espeak's split alone
  }
  CHECK_THROWS_AS(split_engine_voices(1, {"espeak"}, 0.15, 0.15, "flite"), std::invalid_argument);
  CHECK_THROWS_AS(split_engine_voices(1, {"flite"}, 0.15, 0.15, "flite"), std::invalid_argument);
  CHECK_THROWS_AS(split_engine_voices(1, {"espeak", "espeak"}, 0.15, 0.15), std::invalid_argument);
  CHECK_THROWS_AS(split_engine_voices(1, {"espeak", "nosuch"}, 0.15, 0.15), std::invalid_argument);
}

TEST_CASE("speech engines: with test_engine_only the test split is the held-out engine alone", "[kws]") {
  for (std::uint64_t seed : {1, 2, 9}) {
    const VoiceSplit usual = split_engine_voices(seed, {"espeak", "flite", "festival"}, 0.15, 0.15, "festival");
    const VoiceSplit only = split_engine_voices(seed, {"espeak", "flite", "festival"}, 0.15, 0.15, "festival", true);
    REQUIRE(only.test.size() == 3);
    for (const auto& v : only.test) CHECK(v.engine == "festival");
    int flite[2] = {0, 0};
    for (const auto& v : only.train) flite[0] += v.engine == "flite";
    for (const auto& v : only.validation) flite[1] += v.engine == "flite";
    CHECK(flite[0] == 3);  // of flite's four voices, one validates and none is kept for test
    CHECK(flite[1] == 1);
    // every voice of the training engines is still used, each in one split
    const auto tr = names(only.train), va = names(only.validation);
    CHECK(tr.size() + va.size() == all_voices().size() + 4);
    for (const auto& n : va) CHECK(tr.count(n) == 0);
    CHECK(only.train.size() > usual.train.size());
    CHECK(only.validation.size() == usual.validation.size());
  }
  CHECK_THROWS_AS(split_engine_voices(1, {"espeak", "flite"}, 0.15, 0.15, "", true), std::invalid_argument);
}

TEST_CASE("speech engines: a clip draws an engine, then one of its voices; names carry the engine", "[kws]") {
  const VoiceSplit split = split_engine_voices(4, {"espeak", "flite", "festival"}, 0.15, 0.15);
  const auto pool = names(split.train);
  std::map<std::string, int> per_engine;
  for (std::size_t i = 0; i < 300; ++i) {
    const ClipRecipe r = draw_clip_recipe(4, "train", i, 1, split.train);
    REQUIRE(pool.count(r.voice.name()) == 1);
    ++per_engine[r.voice.engine];
    const std::string id = describe_recipe(r);
    if (r.voice.engine == "espeak") CHECK(id.find(r.voice.espeak_name()) != std::string::npos);
    else CHECK(id.find(r.voice.engine + "-" + r.voice.accent) != std::string::npos);
  }
  // Equally likely engines (112 espeak voices against 2-3 of the others): each near 100 of 300;
  // the bounds are loose (binomial sd ~8), so this checks the rule, not the generator.
  for (const char* e : {"espeak", "flite", "festival"}) CHECK((per_engine[e] > 60 && per_engine[e] < 140));
}

TEST_CASE("speech engines: unknown engine or voice and a missing program are clear errors", "[kws]") {
  CHECK_THROWS_AS(speech_engine("say"), std::invalid_argument);
  CHECK_THROWS_AS(speech_engine("flite").synthesize({"nosuch", "yes", 175, 50}), SpeechError);
  CHECK_THROWS_AS(speech_engine("festival").synthesize({"nosuch", "yes", 175, 50}), SpeechError);
  CHECK_THROWS_AS(speech_engine("flite").synthesize({"slt", "-v", 175, 50}), SpeechError);
  PathOverride empty("/nonexistent");
  for (const auto& [engine, voice, package] : {std::tuple{"espeak", "en-us", "espeak-ng"}, std::tuple{"flite", "slt", "flite"},
                                               std::tuple{"festival", "kal", "festival"}}) {
    try {
      speech_engine(engine).synthesize({voice, "yes", 175, 50});
      FAIL("no error for a missing " << engine);
    } catch (const SpeechError& e) {
      CHECK_THAT(e.what(), Catch::Contains(std::string("Debian package")) && Catch::Contains(std::string(package)));
    }
  }
}

TEST_CASE("speech engines: flite and festival say the word at their rate, and the clip is sane", "[kws]") {
  // Festival takes about 1.5 s a call, so the slower checks run once per speed mechanism (flite's
  // diphone and clustergen voices, festival's diphone and HTS voices) and the clip once per engine.
  struct Case {
    const char* engine;
    const char* voice;
    int rate;
    bool speed, clip;
  };
  const Case cases[] = {{"flite", "kal16", 16000, true, false},   {"flite", "awb", 16000, false, false},
                        {"flite", "rms", 16000, false, false},    {"flite", "slt", 16000, true, true},
                        {"festival", "kal", 16000, true, true},   {"festival", "ked", 16000, false, false},
                        {"festival", "slt", 32000, true, false}};
  bool any = false;
  for (const Case& c : cases) {
    const SpeechEngine& engine = speech_engine(c.engine);
    if (!engine.available()) continue;
    any = true;
    INFO(c.engine << " " << c.voice);
    const Audio normal = engine.synthesize({c.voice, "yes", 175, 50});
    CHECK(normal.sample_rate == c.rate);
    CHECK((normal.seconds() > 0.2 && normal.seconds() < 2.0));
    CHECK(rms(normal.samples, 0, normal.samples.size()) > 0.01);
    // The word ends quietly: no header bytes read as samples at the end (festival writes its
    // finished header after the samples when it streams; festival.cpp).
    {
      const std::size_t n = normal.samples.size();
      double peak = 0, last = 0;  // before the last 64 samples, and in them
      for (std::size_t i = 0; i < n; ++i) {
        double& m = i + 64 >= n ? last : peak;
        m = std::max(m, std::fabs(normal.samples[i]));
      }
      CHECK(last < 0.1 * peak);
    }
    if (!c.speed) continue;
    // Slower speech is longer (speech_engine.hpp's duration scale reaches every engine).
    const Audio slow = engine.synthesize({c.voice, "yes", 110, 50});
    CHECK(slow.seconds() > 1.2 * normal.seconds());
    // The same request gives the same samples (the dataset's reproducibility rests on it).
    CHECK(engine.synthesize({c.voice, "yes", 175, 50}).samples == normal.samples);
    if (!c.clip) continue;

    ClipRecipe r;
    r.word = "yes";
    r.voice = {c.voice, "", c.engine};
    r.level_db = -20;
    r.snr_db = 30;
    r.onset_s = 0.2;
    r.seed = 1;
    const std::vector<double> clip = render_clip(r);
    REQUIRE(clip.size() == std::size_t(kClipSamples));  // 1 s at 16 kHz after resampling
    const double speech = rms(clip, 3200, 3200 + 3200), lead = rms(clip, 0, 3000);  // the word starts at 0.2 s
    CHECK(speech > 10 * lead);  // 30 dB SNR: the word stands far above the noise before it
  }
  if (!any) SKIP_TEST("neither flite nor festival is installed (Debian packages flite, festival)");
}

TEST_CASE("dataset kws --test-engine: the held-out engine speaks only in test", "[kws]") {
  if (!speech_engine("espeak").available() || !speech_engine("flite").available())
    SKIP_TEST("needs espeak-ng and flite (Debian packages espeak-ng, flite)");
  KwsDatasetOptions o;
  o.clips = 24;
  o.seed = 5;
  o.engines = {"espeak", "flite"};
  o.test_engine = "flite";
  const auto d = build_kws_dataset(o);
  for (const auto& clip : d.train) CHECK(clip.id.find("flite-") == std::string::npos);
  for (const auto& clip : d.validation) CHECK(clip.id.find("flite-") == std::string::npos);
  int flite_in_test = 0;
  for (const auto& clip : d.test) flite_in_test += clip.id.find("_flite-") != std::string::npos;
  CHECK(flite_in_test >= 1);  // 4 test clips, each flite with probability 1/2 (silence aside): seed 5 has some
  CHECK(d.provenance["voices"]["test_engine"] == "flite");
  for (const auto& v : d.provenance["voices"]["train"]) CHECK(v.get<std::string>().rfind("flite-", 0) == std::string::npos);
  CHECK_FALSE(d.provenance["voices"].contains("test_engine_only"));

  o.engines = {"espeak", "flite", "festival"};
  o.test_engine = "festival";
  o.test_engine_only = true;
  o.clips = 6;  // the voice split is what is checked; festival is slow
  if (!speech_engine("festival").available()) SKIP_TEST("--test-engine-only part needs festival");
  const auto only = build_kws_dataset(o);
  CHECK(only.provenance["voices"]["test_engine_only"] == true);
  for (const auto& v : only.provenance["voices"]["test"]) CHECK(v.get<std::string>().rfind("festival-", 0) == 0);
  int flite_training = 0;
  for (const auto& v : only.provenance["voices"]["train"]) flite_training += v.get<std::string>().rfind("flite-", 0) == 0;
  CHECK(flite_training == 3);
  for (const auto& clip : only.test)  // a word is festival's; an "other" clip may be silence
    CHECK((clip.id.find("_festival-") != std::string::npos || clip.id.find("_silence_") != std::string::npos));
}

TEST_CASE("dataset kws --test-fraction: a smaller test split, the same training clips and more of them", "[kws]") {
  if (!speech_engine("espeak").available()) SKIP_TEST("needs espeak-ng (Debian package espeak-ng)");
  KwsDatasetOptions o;
  o.clips = 40;
  o.seed = 3;
  const auto standard = build_kws_dataset(o);
  o.test_clip_fraction = 0.05;
  const auto small_test = build_kws_dataset(o);
  REQUIRE(standard.test.size() == 6);
  CHECK(small_test.test.size() == 2);
  CHECK(small_test.validation.size() == standard.validation.size());
  REQUIRE(small_test.train.size() == standard.train.size() + 4);
  for (std::size_t i = 0; i < standard.train.size(); ++i) CHECK(small_test.train[i].id == standard.train[i].id);
  o.test_clip_fraction = -0.1;  // refused by the library too, not silently read as unset
  CHECK_THROWS_WITH(build_kws_dataset(o), Catch::Contains("test split's share"));
  o.test_clip_fraction = 0.8;
  CHECK_THROWS_WITH(build_kws_dataset(o), Catch::Contains("test split's share"));

  using picospice::testing::run_picospice;
  const auto dir = picospice::testing::scratch_directory("kws_test_fraction_cli");
  const auto run = run_picospice("dataset kws -o " + (dir / "a").string() + " --clips 20 --test-fraction 0.1");
  CHECK(run.exit_status == 0);
  CHECK_THAT(run.output, Catch::Contains("15 train, 3 validation, 2 test"));
  CHECK_THAT(run.output, Catch::Contains("--test-fraction 0.1"));  // in the reproduce line
  const auto refused = run_picospice("dataset kws -o " + (dir / "b").string() + " --clips 20 --test-fraction 0.7");
  CHECK(refused.exit_status != 0);
  CHECK_THAT(refused.output, Catch::Contains("--test-fraction"));
}

TEST_CASE("dataset kws --engines/--test-engine: bad combinations are refused with the option named", "[kws]") {
  using picospice::testing::run_picospice;
  const auto dir = picospice::testing::scratch_directory("kws_engines_cli");
  const auto a = run_picospice("dataset kws -o " + (dir / "a").string() + " --clips 6 --engines flite --test-engine flite");
  CHECK(a.exited);
  CHECK(a.exit_status != 0);
  CHECK_THAT(a.output, Catch::Contains("--test-engine"));
  const auto b = run_picospice("dataset kws -o " + (dir / "b").string() + " --clips 6 --engines espeak,say");
  CHECK(b.exited);
  CHECK(b.exit_status != 0);
  CHECK_THAT(b.output, Catch::Contains("--engines"));
  const auto c = run_picospice("dataset kws -o " + (dir / "c").string() + " --clips 6 --test-engine flite");
  CHECK(c.exited);
  CHECK(c.exit_status != 0);
  CHECK_THAT(c.output, Catch::Contains("not among the engines"));
  const auto d = run_picospice("dataset kws -o " + (dir / "d").string() + " --clips 6 --engines espeak,flite --test-engine-only");
  CHECK(d.exited);
  CHECK(d.exit_status != 0);
  CHECK_THAT(d.output, Catch::Contains("--test-engine-only"));
  CHECK_THAT(d.output, Catch::Contains("needs a test engine"));
}
