// `train --restarts N`: N training runs of the same settings from N initializations, the one with
// the best validation score kept (issue 22: the kws 2x4 recipe reached >= 90% test in only 9 of 18
// single runs; a run that collapses is visible on validation and can simply be discarded).
//
// Restart 0 uses --seed itself, so `--restarts 1` is exactly the plain run; restart k > 0 uses
// restart_seed(seed, k), a SplitMix64 mix of the seed and k (every random choice of the run -
// initialization, shuffles, hardware noise - follows its seed). The choice among restarts uses only
// the validation split (the best epoch's vote accuracy, then frame accuracy; ties keep the earlier
// restart), never the test split. Each restart writes its own checkpoint, CHECKPOINT.restartK; the
// chosen one is copied to CHECKPOINT so that `--init-from CHECKPOINT` fine-tunes the kept network.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "training/trainer.hpp"

namespace picospice::training {

struct RestartReport {
  int restart = 0;           // 0-based
  std::uint64_t seed = 0;
  int best_epoch = 0;
  SplitScore validation;     // the best epoch's network on the validation split
  bool interrupted = false;
  network::Network network;  // the restart's best network
};

struct RestartsResult {
  TrainResult kept;          // the chosen restart's result
  int kept_restart = 0;
  std::vector<RestartReport> restarts;  // those that ran (fewer when interrupted)
};

// The seed of restart k (k = 0: the seed itself).
std::uint64_t restart_seed(std::uint64_t seed, int restart);

// Runs `restarts` >= 1 trainings; `restart_done` is called after each. Throws std::invalid_argument
// for restarts < 1 or for restarts > 1 combined with options.resume (a resumed run continues one
// checkpoint; resume the restart you want with its own CHECKPOINT.restartK instead). A stop request
// ends the current restart as train() does and starts no other; the best finished one is kept.
RestartsResult train_with_restarts(const Dataset& dataset, const TrainOptions& options, int restarts,
                                   const TrainCallbacks& callbacks = {},
                                   const std::function<void(const RestartReport&)>& restart_done = {},
                                   const std::atomic<bool>* stop = nullptr);

}  // namespace picospice::training
