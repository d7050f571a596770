// The keyword-spotting dataset pieces (training/kws/): MFCC against an independent
// reference, WAV round trip, resampling, the input encoding, held-out voices, and reproducible
// synthesis with espeak-ng.
#include <catch2/catch.hpp>

#include <cstdio>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <set>
#include <sstream>

#include "training/kws/clip_recipe.hpp"
#include "training/kws/espeak.hpp"
#include "training/kws/front_end.hpp"
#include "training/kws/input_encoding.hpp"
#include "training/kws/kws_dataset.hpp"
#include "training/kws/mfcc.hpp"
#include "training/kws/resample.hpp"
#include "training/kws/voices.hpp"
#include "training/kws/wav.hpp"
#include "tests/skip_test.hpp"

using namespace picospice::kws;

namespace {

constexpr double kPi = std::numbers::pi;

// A deterministic test signal: two tones and a little LCG noise.
std::vector<double> test_signal(std::size_t n, int rate) {
  std::vector<double> x(n);
  std::uint32_t lcg = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    lcg = lcg * 1664525u + 1013904223u;
    const double t = double(i) / rate;
    x[i] = 0.3 * std::sin(2 * kPi * 440 * t) + 0.1 * std::sin(2 * kPi * 2500 * t + 0.3) +
           0.01 * (double(lcg >> 8) / double(1 << 24) - 0.5);
  }
  return x;
}

// The reference MFCC of one frame, written out from the equations with a direct O(N^2) DFT and its
// own filterbank, independently of mfcc.cpp (sharing no code with it).
std::vector<double> reference_mfcc_frame(const std::vector<double>& x, int t, std::vector<double>* log_mel_out = nullptr) {
  const int N = 400, hop = 160, nfft = 512, filters = 40, rate = 16000, coefficients = 13;
  const long n = long(x.size());
  std::vector<double> frame(nfft, 0.0);
  for (int i = 0; i < N; ++i) {
    long j = long(t) * hop - N / 2 + i;
    if (j < 0) j = -j;
    if (j >= n) j = 2 * (n - 1) - j;
    frame[i] = x[j] * (0.54 - 0.46 * std::cos(2 * kPi * i / N));
  }
  std::vector<double> power(nfft / 2 + 1);
  for (int k = 0; k <= nfft / 2; ++k) {
    double re = 0, im = 0;
    for (int i = 0; i < nfft; ++i) {
      re += frame[i] * std::cos(2 * kPi * k * i / nfft);
      im -= frame[i] * std::sin(2 * kPi * k * i / nfft);
    }
    power[k] = re * re + im * im;
  }
  auto mel = [](double f) { return 2595 * std::log10(1 + f / 700); };
  auto hz = [](double m) { return 700 * (std::pow(10, m / 2595) - 1); };
  std::vector<double> log_mel(filters);
  for (int m = 0; m < filters; ++m) {
    const double lo = hz(mel(20) + (mel(8000) - mel(20)) * m / (filters + 1));
    const double mid = hz(mel(20) + (mel(8000) - mel(20)) * (m + 1) / (filters + 1));
    const double hi = hz(mel(20) + (mel(8000) - mel(20)) * (m + 2) / (filters + 1));
    double e = 0;
    for (int k = 0; k <= nfft / 2; ++k) {
      const double f = double(k) * rate / nfft;
      double w = 0;
      if (f > lo && f <= mid) w = (f - lo) / (mid - lo);
      else if (f > mid && f < hi) w = (hi - f) / (hi - mid);
      e += w * power[k];
    }
    log_mel[m] = std::log(std::max(e, 1e-10));
  }
  if (log_mel_out) *log_mel_out = log_mel;
  std::vector<double> c(coefficients);
  for (int q = 0; q < coefficients; ++q) {
    double s = 0;
    for (int m = 0; m < filters; ++m) s += log_mel[m] * std::cos(kPi * q * (2 * m + 1) / (2.0 * filters));
    c[q] = s * (q == 0 ? std::sqrt(1.0 / filters) : std::sqrt(2.0 / filters));
  }
  return c;
}

}  // namespace

TEST_CASE("MFCC: 101 frames per second and the direct-DFT reference", "[kws]") {
  const auto x = test_signal(16000, 16000);
  MfccExtractor mfcc;
  const auto features = mfcc.compute(x);
  REQUIRE(features.size() == 101);
  REQUIRE(features[0].size() == 13);
  for (int t : {0, 1, 37, 100}) {  // both padded edges and the middle
    const auto reference = reference_mfcc_frame(x, t);
    for (int q = 0; q < 13; ++q) {
      INFO("frame " << t << " coefficient " << q);
      CHECK(features[t][q] == Approx(reference[q]).margin(1e-9).epsilon(1e-9));
    }
  }
}

TEST_CASE("PCEN cepstra: the documented formula on the mel energies, then the same DCT; level-invariant", "[kws]") {
  const auto x = test_signal(16000, 16000);
  MfccOptions options;
  options.compression = MfccOptions::Compression::pcen;
  MfccExtractor pcen(options);
  const auto features = pcen.compute(x);
  REQUIRE(features.size() == 101);
  // Independently: M_0 = E_0, M_t = (1 - s) M_{t-1} + s E_t, (E / (eps + M)^alpha + delta)^r - delta^r.
  const auto energy = pcen.mel_energies(x);
  std::vector<double> smoothed = energy[0];
  for (int t = 0; t < 101; ++t) {
    std::vector<double> normalized(40);
    for (int m = 0; m < 40; ++m) {
      smoothed[m] = 0.975 * smoothed[m] + 0.025 * energy[t][m];
      normalized[m] = std::sqrt(energy[t][m] / std::pow(1e-6 + smoothed[m], 0.98) + 2) - std::sqrt(2.0);
    }
    if (t != 0 && t != 50 && t != 100) continue;
    for (int q = 0; q < 13; ++q) {
      double sum = 0;
      for (int m = 0; m < 40; ++m) sum += normalized[m] * std::cos(kPi * q * (m + 0.5) / 40);
      INFO("frame " << t << " coefficient " << q);
      CHECK(features[t][q] == Approx(sum * std::sqrt((q == 0 ? 1.0 : 2.0) / 40)).margin(1e-12).epsilon(1e-12));
    }
  }
  // 20 dB louder: the log's c0 moves by ln(100) sqrt(40) ~ 29; PCEN's by a factor 100^0.02 at most.
  std::vector<double> louder = x;
  for (double& v : louder) v *= 10;
  const auto loud = pcen.compute(louder);
  MfccExtractor mfcc;
  CHECK(mfcc.compute(louder)[50][0] - mfcc.compute(x)[50][0] == Approx(std::log(100.0) * std::sqrt(40.0)).epsilon(1e-6));
  for (int t : {0, 50, 100}) CHECK(std::abs(loud[t][0] - features[t][0]) < 0.1 * std::abs(features[t][0]));
  // Both: the 13 MFCCs, then the 13 PCEN cepstra, each exactly as alone.
  options.compression = MfccOptions::Compression::log_and_pcen;
  MfccExtractor both(options);
  const auto joint = both.compute(x);
  const auto mfccs = mfcc.compute(x);
  REQUIRE(joint[50].size() == 26);
  for (int t : {0, 50, 100})
    for (int q = 0; q < 13; ++q) {
      CHECK(joint[t][q] == mfccs[t][q]);
      CHECK(joint[t][13 + q] == features[t][q]);
    }
}

TEST_CASE("The front end's description: MFCCs as before, PCEN with its settings, unknown types refused", "[kws]") {
  const nlohmann::json mfcc = front_end_to_json(MfccOptions{});
  CHECK(mfcc.at("type") == "mfcc");
  CHECK(mfcc.contains("log"));
  CHECK_FALSE(mfcc.contains("pcen"));
  CHECK_FALSE(front_end_from_json(mfcc, "m").uses_pcen());
  MfccOptions p;
  p.compression = MfccOptions::Compression::pcen;
  p.pcen_smoothing = 0.04;
  const MfccOptions back = front_end_from_json({{"provenance", {{"features", front_end_to_json(p)}}}}, "dataset.json");
  CHECK(back.compression == MfccOptions::Compression::pcen);
  CHECK(back.pcen_smoothing == 0.04);
  CHECK(back.pcen_gain == p.pcen_gain);
  CHECK(front_end_from_json({{"features", front_end_to_json(p)}}, "encoding.json").uses_pcen());  // an encoding.json
  CHECK_FALSE(front_end_from_json({{"encoding", {}}}, "old.json").uses_pcen());  // written before the choice: MFCCs
  p.compression = MfccOptions::Compression::log_and_pcen;
  CHECK(front_end_from_json(front_end_to_json(p), "both").compression == MfccOptions::Compression::log_and_pcen);
  CHECK_THROWS_WITH(front_end_from_json({{"features", {{"type", "plp"}}}}, "x.json"),
                    Catch::Contains("x.json") && Catch::Contains("unknown type \"plp\""));
  nlohmann::json broken = front_end_to_json(p);
  broken["pcen"]["smoothing"] = 0;
  CHECK_THROWS_WITH(front_end_from_json(broken, "y.json"), Catch::Contains("y.json: features.pcen"));
}

TEST_CASE("MFCC: a pure tone's energy lands in the mel band centred on it", "[kws]") {
  MfccExtractor mfcc;
  const auto centre = [](int m) {  // centre of filter m, Hz
    return mel_to_hz(hz_to_mel(20) + (hz_to_mel(8000) - hz_to_mel(20)) * (m + 1) / 41.0);
  };
  for (double f : {300.0, 1000.0, 3000.0, 6000.0}) {
    std::vector<double> x(16000);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5 * std::sin(2 * kPi * f * double(i) / 16000);
    const auto log_mel = mfcc.log_mel_energies(x);
    const auto& middle = log_mel[50];
    const int loudest = int(std::max_element(middle.begin(), middle.end()) - middle.begin());
    // The loudest filter is one of the two whose centres bracket the tone.
    int below = 0;
    while (below + 1 < 40 && centre(below + 1) <= f) ++below;
    INFO("tone " << f << " Hz, loudest filter " << loudest << " centred at " << centre(loudest) << " Hz");
    CHECK((loudest == below || loudest == below + 1));
    // And it stands far above the filters away from the tone (the window's sidelobes are > 40 dB down).
    CHECK(middle[loudest] - middle[(loudest + 20) % 40] > std::log(1e4));
  }
  CHECK_THROWS_AS(mfcc.compute(std::vector<double>(150, 0.0)), std::invalid_argument);
}

TEST_CASE("WAV: 16-bit round trip and the streamed espeak-ng header", "[kws]") {
  Audio audio{16000, test_signal(1234, 16000)};
  const auto path = std::filesystem::temp_directory_path() / "picospice_test_kws_roundtrip.wav";
  write_wav16(audio, path);
  const Audio back = read_wav(path);
  std::filesystem::remove(path);
  REQUIRE(back.sample_rate == 16000);
  REQUIRE(back.samples.size() == audio.samples.size());
  for (std::size_t i = 0; i < audio.samples.size(); ++i) REQUIRE(std::abs(back.samples[i] - audio.samples[i]) <= 0.5 / 32768 + 1e-12);

  // espeak-ng --stdout writes a placeholder data size: the reader stops at the end of the bytes.
  auto bytes = encode_wav16(audio);
  for (int i = 0; i < 4; ++i) bytes[40 + i] = i == 3 ? 0x7f : 0xf0;
  CHECK(parse_wav(bytes, "streamed").samples.size() == audio.samples.size());

  std::vector<std::uint8_t> junk(50, 'x');
  CHECK_THROWS_WITH(parse_wav(junk, "junk.wav"), Catch::Contains("junk.wav") && Catch::Contains("not a WAV"));
  bytes[20] = 2;  // format tag 2 (ADPCM)
  CHECK_THROWS_WITH(parse_wav(bytes, "adpcm.wav"), Catch::Contains("unsupported sample format"));
}

TEST_CASE("Resampling 22050 Hz to 16 kHz keeps a tone and removes what 16 kHz cannot hold", "[kws]") {
  const int from = 22050, to = 16000;
  std::vector<double> tone(from), alias(from);
  for (int i = 0; i < from; ++i) {
    tone[i] = std::sin(2 * kPi * 1000 * i / from);
    alias[i] = std::sin(2 * kPi * 10000 * i / from);  // above 8 kHz: must not fold down to 6 kHz
  }
  const auto out = resample(tone, from, to);
  REQUIRE(out.size() == 16000);
  double worst = 0;
  for (int i = 200; i < 15800; ++i) worst = std::max(worst, std::abs(out[i] - std::sin(2 * kPi * 1000 * i / to)));
  CHECK(worst < 1e-3);
  const auto folded = resample(alias, from, to);
  double rms = 0;
  for (int i = 200; i < 15800; ++i) rms += folded[i] * folded[i];
  CHECK(std::sqrt(rms / 15600) < 1e-3);
}

TEST_CASE("Input encoding: z-score from training statistics, offset, clipped at zero", "[kws]") {
  std::vector<std::vector<std::vector<double>>> clips = {{{1.0, 10.0}, {3.0, 10.0}}, {{5.0, 10.0}, {7.0, 10.0}}};
  const InputEncoding e = fit_encoding(clips, 2.0, 0.25);
  CHECK(e.means[0] == Approx(4.0));
  CHECK(e.stds[0] == Approx(std::sqrt(5.0)));
  CHECK(e.stds[1] == 1.0);  // no spread: std 1, not a division by zero
  const auto x = e.encode({{4.0, 10.0}, {4.0 + 2 * std::sqrt(5.0), 10.0}, {-100.0, 10.0}});
  CHECK(x[0][0] == Approx(0.5));
  CHECK(x[1][0] == Approx(1.0));
  CHECK(x[2][0] == 0.0);
  CHECK(x[0][1] == Approx(0.5));
  const InputEncoding back = encoding_from_json(nlohmann::json{{"encoding", encoding_to_json(e)}}, "test");
  CHECK(back.means == e.means);
  CHECK(back.stds == e.stds);
  CHECK_THROWS_WITH(encoding_from_json(nlohmann::json::object(), "enc.json"), Catch::Contains("enc.json"));
}

TEST_CASE("Held-out voices: every (accent, variant) combination belongs to exactly one split", "[kws]") {
  const auto all = all_voices();
  REQUIRE(all.size() == kws_accents().size() * kws_variants().size());
  for (std::uint64_t seed : {1u, 2u, 99u}) {
    const VoiceSplit split = split_voices(seed, 0.15, 0.15);
    std::set<std::string> train, validation, test;
    for (const auto& v : split.train) train.insert(v.espeak_name());
    for (const auto& v : split.validation) validation.insert(v.espeak_name());
    for (const auto& v : split.test) test.insert(v.espeak_name());
    CHECK(train.size() + validation.size() + test.size() == all.size());
    for (const auto& name : test) CHECK(train.count(name) == 0);
    for (const auto& name : test) CHECK(validation.count(name) == 0);
    for (const auto& name : validation) CHECK(train.count(name) == 0);
    CHECK(test.size() >= 10);
    // A recipe for a split only ever draws that split's voices.
    for (std::size_t i = 0; i < 200; ++i) {
      const ClipRecipe r = draw_clip_recipe(seed, "test", i, 1, split.test);
      CHECK(test.count(r.voice.espeak_name()) == 1);
    }
  }
  CHECK(split_voices(1, 0.15, 0.15).test != split_voices(2, 0.15, 0.15).test);
}

TEST_CASE("kws dataset: reproducible for a seed, balanced, held-out voices, valid inputs", "[kws]") {
  if (!espeak_available()) SKIP_TEST("espeak-ng is not installed (Debian package espeak-ng)");
  KwsDatasetOptions o;
  o.clips = 8;  // 4 train, 2 validation, 2 test: espeak-ng runs 8 times per build
  o.seed = 7;
  o.jobs = 2;
  const auto a = build_kws_dataset(o);
  o.jobs = 1;  // the thread count must not matter
  const auto b = build_kws_dataset(o);
  REQUIRE(a.train.size() + a.validation.size() + a.test.size() == 8);
  const std::vector<picospice::training::Clip>* sa[3] = {&a.train, &a.validation, &a.test};
  const std::vector<picospice::training::Clip>* sb[3] = {&b.train, &b.validation, &b.test};
  for (int s = 0; s < 3; ++s) {
    REQUIRE(sa[s]->size() == sb[s]->size());
    int yes = 0;
    for (std::size_t i = 0; i < sa[s]->size(); ++i) {
      const auto& ca = (*sa[s])[i];
      CHECK(ca.id == (*sb[s])[i].id);
      CHECK(ca.frames == (*sb[s])[i].frames);  // bit for bit
      REQUIRE(ca.frames.size() == 101);
      for (const auto& f : ca.frames) {
        REQUIRE(f.size() == 13);
        for (double x : f) REQUIRE((std::isfinite(x) && x >= 0));
      }
      yes += ca.label;
    }
    CHECK(2 * yes == int(sa[s]->size()));
  }
  // Each clip's speaker (the third field of its id) is one of its split's held-out voices.
  const char* names[3] = {"train", "validation", "test"};
  for (int s = 0; s < 3; ++s) {
    std::set<std::string> voices;
    for (const auto& v : a.provenance["voices"][names[s]]) voices.insert(v.get<std::string>());
    for (const auto& clip : *sa[s]) {
      std::vector<std::string> fields;
      std::stringstream ss(clip.id);
      for (std::string f; std::getline(ss, f, '_');) fields.push_back(f);
      // A spoken word has its span of frames (train --loss-after-word); silence has none.
      CHECK(clip.has_word_span() == (fields.at(1) != "silence"));
      if (fields.at(1) == "silence") continue;
      CHECK(voices.count(fields.at(2)) == 1);
      CHECK(clip.word_end <= 101);
      CHECK(clip.word_end - clip.word_begin >= 10);  // a word lasts more than 0.1 s
    }
  }
  // Another seed gives other clips.
  o.seed = 8;
  o.clips = 6;
  const auto c = build_kws_dataset(o);
  CHECK(c.train[0].frames != a.train[0].frames);
  // The stored encoding reproduces the stored inputs from the features.
  const InputEncoding e = encoding_from_json(a.provenance, "provenance");
  CHECK(e.means.size() == 13);
}

TEST_CASE("kws mix: confusable words, held-out words only in test, babble without the keyword, modulation", "[kws]") {
  const VoiceSplit voices = split_voices(3, 0.15, 0.15);
  // With the default (empty) mix the recipes are those drawn before the mix existed: no babble, no
  // modulation, and the words of the old list.
  for (std::size_t i = 0; i < 50; ++i) {
    const ClipRecipe r = draw_clip_recipe(3, "train", i, int(i % 2), voices.train);
    CHECK(r.babble.empty());
    CHECK(r.modulation_depth == 0);
    CHECK(r.warp == 1);
    if (r.label == 0 && !r.word.empty())
      CHECK(std::count(other_words().begin(), other_words().end(), r.word) == 1);
  }
  RecipeRanges mix;
  mix.confusable_fraction = 1;
  mix.babble_fraction = 0.5;
  mix.modulated_fraction = 0.5;
  const std::set<std::string> held_out(held_out_confusable_words().begin(), held_out_confusable_words().end());
  const std::set<std::string> common(confusable_words().begin(), confusable_words().end());
  int held_out_in_test = 0, babble = 0, modulated = 0;
  for (const char* split : {"train", "validation", "test"})
    for (std::size_t i = 0; i < 400; ++i) {
      const ClipRecipe r = draw_clip_recipe(3, split, i, int(i % 2), voices.train, mix);
      // Equal with and without the mix up to the basic draws (the mix's draws come after them).
      const ClipRecipe plain = draw_clip_recipe(3, split, i, int(i % 2), voices.train);
      CHECK(r.voice == plain.voice);
      CHECK(r.onset_s == plain.onset_s);
      if (r.label == 1) CHECK(r.word == keyword());
      else {
        const bool is_held_out = held_out.count(r.word) == 1;
        CHECK((common.count(r.word) == 1 || is_held_out));  // every "other" clip is confusable at fraction 1
        if (std::string(split) != "test") CHECK_FALSE(is_held_out);
        held_out_in_test += is_held_out;
      }
      if (!r.babble.empty()) {
        ++babble;
        CHECK(r.babble.size() == 4);
        for (const BabbleTalker& t : r.babble) CHECK(t.word != keyword());
      }
      if (r.modulation_depth > 0) {
        ++modulated;
        CHECK((r.modulation_depth >= 0.5 && r.modulation_depth <= 1 && r.modulation_hz >= 1 && r.modulation_hz <= 8));
      }
    }
  CHECK(held_out_in_test > 10);             // about 200 * 10/34 expected
  CHECK((babble > 450 && babble < 750));    // 1200 clips at 0.5
  CHECK((modulated > 450 && modulated < 750));
}

TEST_CASE("kws babble SNR: babble clips take their own range from the same draw; the others are unchanged", "[kws]") {
  const VoiceSplit voices = split_voices(3, 0.15, 0.15);
  RecipeRanges mix;
  mix.babble_fraction = 0.5;
  RecipeRanges low = mix;
  low.babble_snr = true;
  low.min_babble_snr_db = 5;
  low.max_babble_snr_db = 15;
  int babble = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    const ClipRecipe r = draw_clip_recipe(3, "train", i, int(i % 2), voices.train, low);
    const ClipRecipe plain = draw_clip_recipe(3, "train", i, int(i % 2), voices.train, mix);
    // The same clip: word, voice, level, onset, talkers; only a babble clip's SNR moves.
    CHECK(r.word == plain.word);
    CHECK(r.voice == plain.voice);
    CHECK(r.level_db == plain.level_db);
    CHECK(r.onset_s == plain.onset_s);
    REQUIRE(r.babble.size() == plain.babble.size());
    if (r.babble.empty()) {
      CHECK(r.snr_db == plain.snr_db);
      continue;
    }
    ++babble;
    CHECK(r.babble[0].word == plain.babble[0].word);
    // plain.snr_db = 10 + 20 u (the default range), r.snr_db = 5 + 10 u: the same u.
    CHECK((r.snr_db >= 5 && r.snr_db <= 15));
    CHECK(r.snr_db == Approx(5 + 10 * (plain.snr_db - 10) / 20).margin(1e-12));
  }
  CHECK((babble > 100 && babble < 200));  // 300 clips at 0.5
}

TEST_CASE("kws near misses: a share of the confusable clips says a /jE/ word; yelp only in test; others unchanged", "[kws]") {
  const VoiceSplit voices = split_voices(3, 0.15, 0.15);
  RecipeRanges mix;
  mix.confusable_fraction = 0.5;
  RecipeRanges near = mix;
  near.near_miss_fraction = 0.6;
  const std::set<std::string> near_words(near_miss_words().begin(), near_miss_words().end());
  int confusable = 0, near_in_mix = 0, near_in_near = 0, yelp = 0;
  for (const char* split : {"train", "validation", "test"})
    for (std::size_t i = 0; i < 600; ++i) {
      const ClipRecipe r = draw_clip_recipe(3, split, i, int(i % 2), voices.train, near);
      const ClipRecipe plain = draw_clip_recipe(3, split, i, int(i % 2), voices.train, mix);
      CHECK(r.voice == plain.voice);
      CHECK(r.onset_s == plain.onset_s);
      const bool was_confusable = plain.label == 0 && std::count(other_words().begin(), other_words().end(),
                                                                 plain.word) == 0 && !plain.word.empty();
      if (!was_confusable) {  // keyword, ordinary word or silence: the same clip, draw for draw
        CHECK(r.word == plain.word);
        CHECK(r.snr_db == plain.snr_db);
        continue;
      }
      ++confusable;
      near_in_mix += near_words.count(plain.word) == 1;
      near_in_near += near_words.count(r.word) == 1;
      if (r.word == "yelp") {
        ++yelp;
        CHECK(std::string(split) == "test");
      }
    }
  // Without the option 5 of the 24 (34 in test) confusable words are near misses (about 19%); with
  // 0.6, 0.6 + 0.4 * 19%, about 68%.
  REQUIRE(confusable > 300);
  CHECK(near_in_mix < 0.3 * confusable);
  CHECK(near_in_near > 0.55 * confusable);
  CHECK(near_in_near < 0.8 * confusable);
  CHECK(yelp > 5);
}

TEST_CASE("kws warp: drawn in [1 - W, 1 + W] after the other draws; a warped word is shorter and higher", "[kws]") {
  const VoiceSplit voices = split_voices(3, 0.15, 0.15);
  RecipeRanges mix;
  mix.babble_fraction = 0.5;
  RecipeRanges warped = mix;
  warped.warp = 0.15;
  double lowest = 2, highest = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    const ClipRecipe r = draw_clip_recipe(3, "train", i, int(i % 2), voices.train, warped);
    const ClipRecipe plain = draw_clip_recipe(3, "train", i, int(i % 2), voices.train, mix);
    // Everything drawn before the warp is unchanged (so a set without --warp is as before).
    CHECK(r.voice == plain.voice);
    CHECK(r.onset_s == plain.onset_s);
    CHECK(r.babble.size() == plain.babble.size());
    // The clip id names the warp (as _w0.93 after the pitch) only when there is one.
    char tag[16];
    std::snprintf(tag, sizeof tag, "_p%d_w%.2f_", r.pitch, r.warp);
    if (!r.word.empty()) CHECK(describe_recipe(r).find(tag) != std::string::npos);
    CHECK(describe_recipe(plain).find(tag) == std::string::npos);
    lowest = std::min(lowest, r.warp);
    highest = std::max(highest, r.warp);
  }
  CHECK((lowest >= 0.85 && lowest < 0.87));
  CHECK((highest <= 1.15 && highest > 1.13));

  if (!espeak_available()) SKIP_TEST("espeak-ng is not installed (Debian package espeak-ng)");
  ClipRecipe r;
  r.word = "yes";
  r.voice = {"en-us", ""};
  r.level_db = -20;
  r.snr_db = 60;  // the word's span stands out of the noise
  r.onset_s = 0.1;
  const auto span_of = [](const std::vector<double>& clip) {
    const auto [first, last] = active_span(clip, kClipRate);
    return double(last - first);
  };
  const std::vector<double> plain = render_clip(r);
  r.warp = 1.2;  // read at 1.2 x its rate: 1/1.2 as long
  const std::vector<double> fast = render_clip(r);
  CHECK(span_of(fast) / span_of(plain) == Approx(1 / 1.2).epsilon(0.05));
  // Frequencies rise by the same factor: more zero crossings per second of sound.
  const auto crossings_per_sample = [](const std::vector<double>& clip) {
    const auto [first, last] = active_span(clip, kClipRate);
    int n = 0;
    for (std::size_t i = first + 1; i < last; ++i) n += (clip[i] >= 0) != (clip[i - 1] >= 0);
    return double(n) / double(last - first);
  };
  CHECK(crossings_per_sample(fast) / crossings_per_sample(plain) == Approx(1.2).epsilon(0.1));
}

TEST_CASE("kws clip: the word's span is where the word's samples were placed", "[kws]") {
  if (!espeak_available()) SKIP_TEST("espeak-ng is not installed (Debian package espeak-ng)");
  ClipRecipe r;
  r.word = "yes";
  r.voice = {"en-us", ""};
  r.onset_s = 0.3;
  r.snr_db = 20;
  const RenderedClip with_word = render_clip_and_word(r);
  CHECK(with_word.samples == render_clip(r));
  CHECK(with_word.word_begin == 4800);  // floor(0.3 s x 16 kHz): the clip has room for the word there
  REQUIRE(with_word.word_end > with_word.word_begin + 1600);
  // The same clip without the word is the noise alone: the two differ exactly inside the span.
  ClipRecipe silent = r;
  silent.word.clear();
  const RenderedClip noise = render_clip_and_word(silent);
  CHECK(noise.word_begin == noise.word_end);
  std::size_t first_diff = kClipSamples, last_diff = 0;
  for (std::size_t i = 0; i < noise.samples.size(); ++i)
    if (noise.samples[i] != with_word.samples[i]) {
      first_diff = std::min(first_diff, i);
      last_diff = i;
    }
  CHECK(first_diff >= with_word.word_begin);
  CHECK(last_diff < with_word.word_end);
  CHECK(first_diff < with_word.word_begin + 160);  // the span is the word's sound, not padding
  CHECK(last_diff + 160 >= with_word.word_end);
}

TEST_CASE("kws mix: babble and modulated backgrounds render at the drawn SNR", "[kws]") {
  if (!espeak_available()) SKIP_TEST("espeak-ng is not installed (Debian package espeak-ng)");
  ClipRecipe r;
  r.word = "";  // silence: the clip is the background alone, at speech level - SNR
  r.level_db = -20;
  r.snr_db = 10;
  r.babble = {{"no", {"en-us", ""}, 170, 50, 0.1}, {"chess", {"en", "f2"}, 150, 40, 0.7}};
  r.modulation_depth = 1;
  r.modulation_hz = 2;
  const std::vector<double> clip = render_clip(r);
  REQUIRE(clip.size() == std::size_t(kClipSamples));
  double power = 0;
  for (double x : clip) power += x * x;
  CHECK(10 * std::log10(power / double(clip.size())) == Approx(-30).margin(0.01));
  CHECK(render_clip(r) == clip);  // deterministic
  r.modulation_depth = 0;         // the modulation changes the background
  CHECK(render_clip(r) != clip);
}
