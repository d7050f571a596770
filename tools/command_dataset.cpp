// `picospice dataset kws -o DIR [--seed S] [--clips N]`: synthesizes the keyword-spotting dataset
// offline with espeak-ng (training/kws/kws_dataset.hpp) and writes it in the
// picospice-dataset/1 format (training/DATASET.md) for `picospice train --task DIR`.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <memory>

#include "training/kws/kws_dataset.hpp"
#include "training/dataset.hpp"
#include "tools/command.hpp"
#include "tools/progress_bar.hpp"

namespace picospice::tools {
namespace {

struct KwsCommandOptions {
  std::string output;
  kws::KwsDatasetOptions dataset;
};

std::string kws_command_line(const KwsCommandOptions& o) {
  const kws::KwsDatasetOptions& d = o.dataset;
  return fmt::format("picospice dataset kws -o {} --seed {} --clips {} --offset {} --scale {} --snr {} {}", o.output, d.seed,
                     d.clips, d.offset, d.scale, d.ranges.min_snr_db, d.ranges.max_snr_db);
}

int run_dataset_kws(KwsCommandOptions o) {
  o.dataset.command = kws_command_line(o);
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
  fmt::print("kws dataset in {}: {} train, {} validation, {} test clips of 101 frames x 13 inputs ({:.1f} s)\n", o.output,
             dataset.train.size(), dataset.validation.size(), dataset.test.size(), seconds);
  fmt::print("held-out voices: {} train, {} validation, {} test (accent+variant combinations)\n", voices["train"].size(),
             voices["validation"].size(), voices["test"].size());
  fmt::print("reproduce: {}\n", o.dataset.command);
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
      "z-score over the training split. Test and validation voices are held out of training.");
  k->add_option("-o,--output", kws->output, "output directory (dataset.json + train/validation/test.csv)")->required();
  k->add_option("--seed", kws->dataset.seed, "seed of every random choice (default 1)");
  k->add_option("--clips", kws->dataset.clips, "clips over all splits: 70% train, 15% validation, 15% test (default 4000)")
      ->check(CLI::Range(6, 1000000));
  k->add_option("--jobs", kws->dataset.jobs, "synthesis threads (default 2; the result does not depend on it)")
      ->check(CLI::Range(1, 64));
  k->add_option("--offset", kws->dataset.offset, "encoding offset, in standard deviations (default 2)");
  k->add_option("--scale", kws->dataset.scale, "encoding scale, model units per standard deviation (default 0.25)")
      ->check(CLI::PositiveNumber);
  k->add_option("--snr", [kws](const std::vector<std::string>& v) {
        double low = 0, high = 0;
        if (v.size() != 2 || !CLI::detail::lexical_cast(v[0], low) || !CLI::detail::lexical_cast(v[1], high) ||
            !std::isfinite(low) || !std::isfinite(high) || low > high)
          return false;  // CLI11 reports "--snr: ... could not be converted"
        kws->dataset.ranges.min_snr_db = low;
        kws->dataset.ranges.max_snr_db = high;
        return true;
      }, "signal-to-noise range in dB, MIN MAX (default 10 30)")
      ->expected(2)
      ->type_name("MIN MAX");
  return [cmd, k, kws] {
    if (k->parsed()) return run_dataset_kws(*kws);
    throw std::runtime_error(fmt::format("picospice dataset: unknown dataset; see `picospice dataset --help`"));
  };
}

}  // namespace picospice::tools
