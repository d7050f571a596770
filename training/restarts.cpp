#include "training/restarts.hpp"

#include <filesystem>
#include <stdexcept>

#include "base/counter_rng.hpp"

namespace picospice::training {

std::uint64_t restart_seed(std::uint64_t seed, int restart) {
  if (restart == 0) return seed;
  return random::mix_stream(static_cast<std::uint64_t>(restart), random::splitmix64(seed ^ random::fnv1a64("restart")));
}

RestartsResult train_with_restarts(const Dataset& d, const TrainOptions& options, int restarts,
                                   const TrainCallbacks& callbacks,
                                   const std::function<void(const RestartReport&)>& restart_done,
                                   const std::atomic<bool>* stop) {
  if (restarts < 1) throw std::invalid_argument("--restarts must be at least 1");
  if (restarts == 1) {
    RestartsResult result;
    result.kept = train(d, options, callbacks, stop);
    RestartReport report{0, options.seed, result.kept.best_epoch, {}, result.kept.interrupted, result.kept.network};
    report.validation =
        evaluate(result.kept.network, d.validation, options.threads, options.loss_on_voted_frames, options.keyword_frames());
    result.restarts.push_back(report);
    if (restart_done) restart_done(report);
    return result;
  }
  if (options.resume)
    throw std::invalid_argument("--restarts N > 1 starts new runs; it cannot be combined with --resume or --init-from "
                                "(resume one restart's CHECKPOINT.restartK instead)");
  RestartsResult result;
  bool have_kept = false;
  SplitScore kept_score;
  for (int k = 0; k < restarts; ++k) {
    if (stop && stop->load()) break;
    TrainOptions o = options;
    o.seed = restart_seed(options.seed, k);
    if (!options.checkpoint.empty()) o.checkpoint = options.checkpoint + ".restart" + std::to_string(k);
    TrainResult run = train(d, o, callbacks, stop);
    if (run.epochs_done == 0) break;  // stopped before its first epoch: nothing to compare
    RestartReport report{k, o.seed, run.best_epoch, {}, run.interrupted, run.network};
    // The choice uses the validation split only (the training split's running score when there is none).
    report.validation = d.validation.empty() ? run.history.at(std::size_t(run.best_epoch - 1)).train
                                             : evaluate(run.network, d.validation, o.threads,
                                                        o.loss_on_voted_frames, o.keyword_frames());
    result.restarts.push_back(report);
    if (restart_done) restart_done(report);
    if (!have_kept || ranks_above(report.validation, kept_score)) {
      have_kept = true;
      kept_score = report.validation;
      result.kept = std::move(run);
      result.kept_restart = k;
      if (!options.checkpoint.empty())
        std::filesystem::copy_file(o.checkpoint, options.checkpoint, std::filesystem::copy_options::overwrite_existing);
    } else if (run.interrupted) {
      result.kept.interrupted = true;
    }
    if (report.interrupted) {
      result.kept.interrupted = true;
      break;
    }
  }
  return result;
}

}  // namespace picospice::training
