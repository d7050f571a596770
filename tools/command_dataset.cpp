// `picospice dataset kws -o DIR [--seed S] [--clips N]`: synthesizes the keyword-spotting dataset
// offline with espeak-ng, and with --engines also flite and festival (training/kws/kws_dataset.hpp) and writes it in the
// picospice-dataset/1 format (training/DATASET.md) for `picospice train --task DIR`.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <memory>

#include "training/kws/front_end.hpp"
#include "training/kws/kws_dataset.hpp"
#include "training/kws/voices.hpp"
#include "training/dataset.hpp"
#include "training/digits.hpp"
#include "tools/command.hpp"
#include "tools/number_pair_option.hpp"
#include "tools/progress_bar.hpp"

namespace picospice::tools {
namespace {

struct KwsCommandOptions {
  std::string output;
  std::string encoding_file;  // --encoding
  std::string features;       // --features: mfcc, pcen or mfcc+pcen (empty: mfcc, or --encoding's)
  kws::KwsDatasetOptions dataset;
};

std::string kws_command_line(const KwsCommandOptions& o) {
  const kws::KwsDatasetOptions& d = o.dataset;
  const kws::RecipeRanges& r = d.ranges;
  std::string line = fmt::format("picospice dataset kws -o {} --seed {} --clips {} --offset {} --scale {} --snr {} {}", o.output,
                                 d.seed, d.clips, d.offset, d.scale, r.min_snr_db, r.max_snr_db);
  if (d.test_clip_fraction > 0) line += fmt::format(" --test-fraction {}", d.test_clip_fraction);
  if (r.min_onset_s != kws::RecipeRanges{}.min_onset_s || r.max_onset_s != kws::RecipeRanges{}.max_onset_s)
    line += fmt::format(" --onset {} {}", r.min_onset_s, r.max_onset_s);
  if (r.confusable_fraction > 0) line += fmt::format(" --confusables {}", r.confusable_fraction);
  if (r.near_miss_fraction > 0) line += fmt::format(" --near-misses {}", r.near_miss_fraction);
  if (r.babble_fraction > 0) line += fmt::format(" --babble {} --babble-talkers {}", r.babble_fraction, r.babble_talkers);
  if (r.babble_snr) line += fmt::format(" --babble-snr {} {}", r.min_babble_snr_db, r.max_babble_snr_db);
  if (r.modulated_fraction > 0) line += fmt::format(" --modulated {}", r.modulated_fraction);
  if (r.warp > 0) line += fmt::format(" --warp {}", r.warp);
  if (d.engines != std::vector<std::string>{"espeak"}) line += fmt::format(" --engines {}", fmt::join(d.engines, ","));
  if (!d.test_engine.empty()) line += " --test-engine " + d.test_engine;
  if (d.test_engine_only) line += " --test-engine-only";
  if (!o.features.empty()) line += " --features " + o.features;
  if (!o.encoding_file.empty()) line += " --encoding " + o.encoding_file;
  return line;
}

int run_dataset_kws(KwsCommandOptions o) {
  try {  // the engines are checked here, before any clip is drawn, so the error names the options
    kws::split_engine_voices(o.dataset.seed, o.dataset.engines, o.dataset.validation_fraction, o.dataset.test_fraction,
                             o.dataset.test_engine, o.dataset.test_engine_only);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("dataset kws --engines/--test-engine{}: {}",
                                            o.dataset.test_engine_only ? "/--test-engine-only" : "", e.what()));
  }
  o.dataset.command = kws_command_line(o);
  o.dataset.features = kws::front_end_from_option(o.features.empty() ? "mfcc" : o.features);
  if (!o.encoding_file.empty()) {
    o.dataset.encoding = kws::load_encoding(o.encoding_file);
    // Clips for a trained network need its front end too: the encoding's file names it.
    const kws::MfccOptions front_end = kws::load_front_end(o.encoding_file);
    if (!o.features.empty() && front_end.compression != o.dataset.features.compression)
      throw std::invalid_argument(fmt::format("dataset kws: --features {} differs from the front end of {} ({})",
                                              o.features, o.encoding_file, kws::front_end_type(front_end)));
    o.dataset.features = front_end;
  }
  const auto start = std::chrono::steady_clock::now();
  training::Dataset dataset;
  {
    ProgressBar bar;
    dataset = kws::build_kws_dataset(o.dataset, [&](std::size_t done, std::size_t total) {
      bar.update("clips", double(done) / double(total));
    });
  }
  training::save_dataset(dataset, o.output);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& voices = dataset.provenance["voices"];
  fmt::print("kws dataset in {}: {} train, {} validation, {} test clips of {} frames x {} inputs ({:.1f} s)\n", o.output,
             dataset.train.size(), dataset.validation.size(), dataset.test.size(), dataset.train.front().frames.size(),
             dataset.inputs, seconds);
  if (o.dataset.engines == std::vector<std::string>{"espeak"})
    fmt::print("held-out voices: {} train, {} validation, {} test (accent+variant combinations)\n", voices["train"].size(),
               voices["validation"].size(), voices["test"].size());
  else
    fmt::print("held-out voices: {} train, {} validation, {} test (engines {}{})\n", voices["train"].size(),
               voices["validation"].size(), voices["test"].size(), fmt::join(o.dataset.engines, ","),
               o.dataset.test_engine.empty() ? ""
               : o.dataset.test_engine_only ? "; test: " + o.dataset.test_engine + " alone"
                                            : "; " + o.dataset.test_engine + " only in test");
  fmt::print("reproduce: {}\n", o.dataset.command);
  return 0;
}

struct DigitsCommandOptions {
  std::string output, source, scan = "columns";
};

int run_dataset_digits(const DigitsCommandOptions& o) {
  const training::Dataset dataset = training::load_digits(o.source, training::parse_digits_scan(o.scan));
  training::save_dataset(dataset, o.output);
  fmt::print("digits dataset in {}: {} train, {} validation, {} test clips of 8 frames x 8 inputs ({})\n", o.output,
             dataset.train.size(), dataset.validation.size(), dataset.test.size(), o.scan);
  return 0;
}

}  // namespace

CommandAction add_dataset_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("dataset", "Generate a training dataset (picospice-dataset/1, see training/DATASET.md).");
  cmd->require_subcommand(1);
  auto kws = std::make_shared<KwsCommandOptions>();
  auto* k = cmd->add_subcommand(
      "kws",
      "Keyword spotting, synthesized offline: espeak-ng's English voices (7 accents x 16 variants), speeds and\n"
      "pitches say \"yes\" (class 1) or one of no/up/down/left/right/stop/go/on/off or nothing (class 0), half\n"
      "of each; white/pink/brown noise at a random SNR; 1 s at 16 kHz; 13 MFCCs (25 ms Hamming window, 10 ms\n"
      "hop, centred reflect padding: 101 frames), encoded as x = scale * max(0, z + offset) with z the MFCC's\n"
      "z-score over the training split. Test and validation voices are held out of training.\n"
      "The harder mix (--confusables, --babble, --modulated, --onset, --snr down to 0, --warp) keeps the format.");
  k->add_option("-o,--output", kws->output, "output directory (dataset.json + train/validation/test.csv)")->required();
  k->add_option("--seed", kws->dataset.seed, "seed of every random choice (default 1)");
  k->add_option("--clips", kws->dataset.clips, "clips over all splits: 70% train, 15% validation, 15% test unless --test-fraction (default 4000)")
      ->check(CLI::Range(6, 1000000));
  k->add_option("--test-fraction", kws->dataset.test_clip_fraction,
                "share of the clips in the test split (default 0.15; validation keeps 0.15, training the rest). The\n"
                "voices are split as without it, and each clip is drawn from its own index, so the training split\n"
                "only gains clips: for a held-out engine that synthesizes slowly (festival)")
      ->check(CLI::Range(0.01, 0.5));
  k->add_option("--jobs", kws->dataset.jobs, "synthesis threads (default 2; the result does not depend on it)")
      ->check(CLI::Range(1, 64));
  k->add_option("--offset", kws->dataset.offset, "encoding offset, in standard deviations (default 2)");
  k->add_option("--scale", kws->dataset.scale, "encoding scale, model units per standard deviation (default 0.25)")
      ->check(CLI::PositiveNumber);
  kws::RecipeRanges& r = kws->dataset.ranges;
  add_range_option(k, "--snr", r.min_snr_db, r.max_snr_db, "signal-to-noise range in dB, MIN MAX (default 10 30)");
  add_range_option(k, "--onset", r.min_onset_s, r.max_onset_s,
                   "where the word starts in the clip, s, MIN MAX (default 0.05 0.35; 0 <= MIN, MAX < 1; a word that\n"
                   "would not fit starts earlier)");
  k->add_option("--confusables", r.confusable_fraction,
                "share of the \"other\" clips that say a word sounding like \"yes\" (yet, yeah, less, guess, chess, ...;\n"
                "10 more only in the test split: held out of training) (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  k->add_option("--near-misses", r.near_miss_fraction,
                "share of those confusable clips that say a near miss instead: a word that begins as \"yes\" does\n"
                "(yet, yeah, yep, yell, yen; yelp only in the test split), the pairs networks decide wrongly on \"ye\"\n"
                "(default 0)")
      ->check(CLI::Range(0.0, 1.0));
  k->add_option("--babble", r.babble_fraction,
                "share of the clips whose background is babble: other synthesized words of the split's voices\n"
                "(default 0)")
      ->check(CLI::Range(0.0, 1.0));
  k->add_option("--babble-talkers", r.babble_talkers, "utterances summed into one babble background (default 4)")
      ->check(CLI::Range(1, 16));
  add_range_option(k, "--babble-snr", r.min_babble_snr_db, r.max_babble_snr_db,
                   "SNR range in dB of the babble clips, MIN MAX (default: --snr's); each clip keeps its SNR draw u,\n"
                   "so a babble clip is the same clip at MIN + u (MAX - MIN) and the others are unchanged");
  k->add_option("--modulated", r.modulated_fraction,
                "share of the clips whose background is amplitude-modulated, 1 + m sin(2 pi f t), m 0.5-1, f 1-8 Hz\n"
                "(default 0)")
      ->check(CLI::Range(0.0, 1.0));
  k->add_option("--warp", r.warp,
                "speed perturbation: each word is read at its rate x w, w uniform in [1 - W, 1 + W], so its\n"
                "frequencies scale by w and its duration by 1/w (other vocal-tract lengths than the voices have;\n"
                "default 0: none)")
      ->check(CLI::Range(0.0, 0.5));
  k->add_option("--engines", kws->dataset.engines,
                "speech engines, comma-separated: espeak (espeak-ng), flite, festival (text2wave); each engine's\n"
                "voices are split three ways, and each clip draws an engine, then a voice (default espeak)")
      ->delimiter(',')
      ->check(CLI::IsMember({"espeak", "flite", "festival"}));
  k->add_option("--test-engine", kws->dataset.test_engine,
                "hold this engine (one of --engines) out of train and validation: its voices speak only in test")
      ->check(CLI::IsMember({"espeak", "flite", "festival"}));
  k->add_flag("--test-engine-only", kws->dataset.test_engine_only,
              "with --test-engine: the test split is that engine alone, and the other engines' voices go to train\n"
              "and validation only (flite's four voices: three train instead of two)");
  k->add_option("--features", kws->features,
                "the front end: mfcc (13 MFCCs, the default) or pcen (13 cepstra of per-channel energy\n"
                "normalized mel energies in place of their log: a per-channel gain control that normalizes\n"
                "steady backgrounds and levels away; training/kws/mfcc.hpp), or mfcc+pcen (both, 26 inputs).\n"
                "With --encoding, the encoding's")
      ->check(CLI::IsMember({"mfcc", "pcen", "mfcc+pcen"}));
  k->add_option("--encoding", kws->encoding_file,
                "encode every split with this encoding (an encoding.json or a dataset.json) instead of the training\n"
                "split's statistics: an evaluation set for a trained network")
      ->check(CLI::ExistingFile);
  auto digits = std::make_shared<DigitsCommandOptions>();
  auto* g = cmd->add_subcommand(
      "digits",
      "Writes the built-in digits task (training/DATASET.md: Debian python3-sklearn's 8x8 digits, 8 frames of 8\n"
      "pixel currents, the fixed split) as a picospice-dataset/1 directory, exactly as `train --task digits`\n"
      "reads it: for other tools (benchmarks/digits_baseline trains a float RNN on it).");
  g->add_option("-o,--output", digits->output, "output directory (dataset.json + train/validation/test.csv)")->required();
  g->add_option("--data", digits->source, "digits.csv.gz or its directory (default: python3-sklearn's)");
  g->add_option("--scan", digits->scan, "columns (default) or rows, as `train --scan`")
      ->check(CLI::IsMember({"columns", "rows"}));
  return [cmd, k, kws, g, digits] {
    if (k->parsed()) {
      kws::RecipeRanges& ranges = kws->dataset.ranges;
      ranges.babble_snr = k->count("--babble-snr") > 0;
      if (ranges.babble_snr && !(ranges.babble_fraction > 0))
        throw std::invalid_argument("dataset kws: --babble-snr sets the SNR of babble clips; it needs --babble F > 0");
      if (ranges.near_miss_fraction > 0 && !(ranges.confusable_fraction > 0))
        throw std::invalid_argument(
            "dataset kws: --near-misses is a share of the confusable clips; it needs --confusables F > 0");
      return run_dataset_kws(*kws);
    }
    if (g->parsed()) return run_dataset_digits(*digits);
    throw std::runtime_error(fmt::format("picospice dataset: unknown dataset; see `picospice dataset --help`"));
  };
}

}  // namespace picospice::tools
