// Training a BMRU network on a dataset: minibatch BPTT (bptt.hpp) with AdamW, gradient clipping
// and a cosine schedule (adamw.hpp), optionally hardware-aware (hardware_aware.hpp).
//
// Determinism. Every random choice is an addressed draw of the counter-based generator
// (base/counter_rng.hpp) keyed by the seed: the initial parameters, each epoch's
// shuffle (stream mix_stream(epoch, "shuffle")), each training clip's mismatch sample (stream
// mix_stream(epoch * train_clips + position, "noise")). A minibatch is always cut into the same two
// halves, each summed in clip order (on its own thread) and the halves added in order, so the result
// is bit-identical for a seed whatever the thread count, and a resumed run equals an uninterrupted one.
//
// Each epoch ends with the clean network (quantized, without noise, when hardware-aware) scored on
// the validation split; the best epoch (validation vote accuracy, then frame accuracy; the
// running training scores when there is no validation split) is the result. A checkpoint is written
// after every epoch. A stop request (Ctrl-C) is honoured between minibatches: the unfinished epoch
// is dropped and the finished ones are kept.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codesign/network.hpp"
#include "training/adamw.hpp"
#include "training/bptt.hpp"
#include "training/dataset.hpp"
#include "training/evaluation.hpp"
#include "training/hardware_aware.hpp"
#include "training/model.hpp"

namespace picospice::training {

struct TrainOptions {
  int layers = 1, units = 8;
  int linear = 0;                    // width of a linear ReLU layer before the BMRU layers (0: none)
  // The linear layer keeps its starting parameters (with --init-from, the other run's): a fine-tune
  // then moves only the BMRU layers and the readout. Why: the hardware-aware fine-tune refits the
  // whole network to the training voices, and the front layer is where a network that hears an
  // unseen speech engine may carry that (issue 22).
  bool freeze_linear = false;
  int projection = 0;                // width of each BMRU layer's trained W_p (0: W_p = I; model.hpp)
  int epochs = 30;
  int batch = 32;
  std::uint64_t seed = 0;
  double learning_rate = 0.01;       // the cosine schedule's start
  double final_learning_rate = 1e-4; // and its end
  AdamWSettings adamw;
  double surrogate_a = 1.0;
  // > 0: train on a graded state instead of the exact step and its surrogate (`train --relax`):
  // each step is a sigmoid 1 / (1 + exp(-(c - beta) / tau)) (network::StateStep), its width tau
  // shrinking geometrically from relax_from in the first epoch to relax_to in the last, so the
  // trained cell ends close to the latch the chip has. Validation (the epoch kept) and everything
  // after training use the exact step. With hardware-aware training each noisy copy is relaxed
  // alike. 0: off.
  double relax_from = 0, relax_to = 0;
  bool relaxed() const { return relax_from > 0; }
  double relax_width(int epoch) const;  // tau in epoch (0-based) of `epochs`
  int vote_last = 0;                 // stored in the network: 0 = vote over all frames
  int detect_run = 0;                // stored in the network: > 0 = run detection (inference.hpp)
  int detect_decrement = 0;          // stored in the network: with detect_run, > 0 = an up/down count
  // > 0 (`train --choose-run KMIN KMAX`): each epoch is scored on validation with the best run
  // length K in [choose_run_from, choose_run_to] (evaluation.hpp run_rule_accuracies), and the epoch
  // kept stores its K in the network; detect_run stays the K the loss scores (loss_on_best_run).
  // Epoch and rule are then chosen together, as a rule chosen after training cannot be. 0: off.
  int choose_run_from = 0, choose_run_to = 0;
  bool choosing_run() const { return choose_run_from > 0; }
  bool loss_on_voted_frames = false; // cross-entropy on the last vote_last frames only (bptt.hpp)
  bool loss_on_best_run = false;     // with detect_run K: a keyword clip's loss on its best K-frame run (bptt.hpp)
  int loss_after_word = -1;          // >= 0: a keyword clip's loss after its word (KeywordFrames::after_word)
  KeywordFrames keyword_frames() const { return {loss_on_best_run ? detect_run : 0, loss_after_word}; }
  ThresholdMargin margin;            // the threshold-margin term (bptt.hpp); off when relative or weight is 0
  HardwareAware hardware;
  double unit_current = 1e-9;        // A per model unit (as netlists/examples/kws_2x4.json)
  double frame = 0.01;               // s per frame
  int threads = 2;
  std::string checkpoint;            // empty: no checkpoint
  bool resume = false;               // continue from `checkpoint`
};

struct EpochReport {
  int epoch = 0;  // 1-based
  double learning_rate = 0;  // at the epoch's end
  SplitScore train;          // running: the training passes themselves (with noise when hardware-aware)
  SplitScore validation;     // the clean network after the epoch (with --choose-run: its vote accuracy at detect_run)
  int detect_run = 0;        // the network's run length for this epoch (with --choose-run: the best on validation)
  bool best = false;
  double seconds = 0;
};

struct TrainCallbacks {
  std::function<void(double fraction, const std::string& status)> progress;  // within the whole run
  std::function<void(const EpochReport&)> epoch_done;
};

struct TrainResult {
  network::Network network;  // the best epoch's network
  int best_epoch = 0;        // 0: no epoch finished
  int epochs_done = 0;
  bool interrupted = false;
  std::vector<EpochReport> history;  // this run's epochs (not those before a resume)
};

// The run's settings as JSON (what a checkpoint must match to be resumed).
nlohmann::json train_config(const Dataset& dataset, const TrainOptions& options);

// The network for parameters theta: realized, and quantized when hardware-aware (no noise).
network::Network network_for(const ModelLayout& layout, const Eigen::VectorXd& theta, const TrainOptions& options);

// `train --init-from`: a fine-tuning run starts from another run's best parameters. Writes to
// options.checkpoint a checkpoint of this run's settings with no epoch done, a fresh optimizer and
// `source`'s best parameters, which train() then resumes (options.resume), so the new run is as
// deterministic and as resumable as any other. Throws std::runtime_error when `source` cannot be
// read, holds no finished epoch, or was made for another network shape.
void write_start_checkpoint(const Dataset& dataset, const TrainOptions& options, const std::string& source);

// Throws std::invalid_argument for options train() would refuse (train() calls it first): a command
// checks before it prints what it is about to do.
void check_options(const Dataset& dataset, const TrainOptions& options);

// Throws std::invalid_argument for bad options or a dataset without training clips, and
// std::runtime_error for a checkpoint that cannot be read or does not match.
TrainResult train(const Dataset& dataset, const TrainOptions& options, const TrainCallbacks& callbacks = {},
                  const std::atomic<bool>* stop = nullptr);

}  // namespace picospice::training
