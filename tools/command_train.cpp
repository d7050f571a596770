// `picospice train`: trains a BMRU network (training/trainer.hpp) on the digits
// task, the synthesized keyword-spotting set, or a user's own picospice-dataset/1 directory, and
// writes a picospice-bmru/1 network that `infer`, `lower` and `agree` read.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/atomic_file.hpp"
#include "training/restarts.hpp"
#include "training/trainer.hpp"
#include "tools/command.hpp"
#include "tools/number_pair_option.hpp"
#include "tools/dataset_task.hpp"
#include "tools/mismatch_report.hpp"
#include "tools/progress_bar.hpp"
#include "tools/stop_on_signal.hpp"

namespace picospice::tools {
namespace {

using namespace picospice::training;

struct TrainCommandOptions {
  DatasetTask task;
  std::string output;
  MismatchOptions mismatch;  // --sigma / --area
  std::string init_from;  // a finished run's checkpoint: start from its best parameters
  int mismatch_check = 20;  // perturbed software copies in the closing mismatch check (0: none)
  std::vector<int> choose_run;  // --choose-run KMIN KMAX (TrainOptions::choose_run_from, choose_run_to)
  int restarts = 1;         // training runs from different initializations; the best on validation is kept
  bool quiet = false;
  TrainOptions train;
};

std::string percent(double fraction) { return fmt::format("{:5.1f}%", 100 * fraction); }

int run_train(TrainCommandOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  const Dataset data = load_task(o.task);
  TrainOptions& t = o.train;
  if (o.choose_run.size() == 2) {
    t.choose_run_from = o.choose_run[0];
    t.choose_run_to = o.choose_run[1];
  }
  t.hardware.sigmas = o.mismatch.sigmas();
  if (t.checkpoint.empty()) t.checkpoint = o.output + ".checkpoint";
  check_options(data, t);  // a bad option is refused before anything is printed or written
  if (o.restarts > 1 && (t.resume || !o.init_from.empty()))
    throw std::runtime_error("--restarts N > 1 starts N new runs; it cannot be combined with --resume or --init-from");
  if (t.resume && !std::filesystem::exists(t.checkpoint))
    throw std::runtime_error(t.checkpoint + ": no checkpoint to resume from");
  if (!o.init_from.empty()) {
    if (t.resume) throw std::runtime_error("--init-from starts a new run; it cannot be combined with --resume");
    write_start_checkpoint(data, t, o.init_from);
    t.resume = true;
  }

  fmt::print("task {}: {} inputs, {} classes; {} / {} / {} clips (train / validation / test)\n",
             data.name.empty() ? o.task.task : data.name, data.inputs, data.classes, data.train.size(),
             data.validation.size(), data.test.size());
  fmt::print("network: {}{} BMRU layer{} of {} units, readout of {}; decision: {}; seed {}{}\n",
             t.linear > 0 ? fmt::format("linear layer of {}, ", t.linear) : std::string(), t.layers,
             t.layers > 1 ? "s" : "", t.units, data.classes,
             network::decision_rule_text(t.vote_last, t.detect_run, t.detect_decrement), t.seed,
             t.resume ? fmt::format("; resuming from {}", t.checkpoint)
                      : o.restarts > 1 ? fmt::format("; {} restarts, the best on validation kept", o.restarts) : "");
  if (t.choosing_run())
    fmt::print("run length chosen on validation each epoch from {} to {} frames (the loss scores {})\n",
               t.choose_run_from, t.choose_run_to, t.detect_run);
  if (t.freeze_linear) fmt::print("frozen: the linear layer keeps its starting parameters\n");
  if (t.relaxed())
    fmt::print("relaxed: a graded state, step width tau {} -> {} over the epochs; the epoch kept is chosen with the "
               "exact step\n", t.relax_from, t.relax_to);
  if (t.hardware.enabled) {
    const training::MismatchSigmas s = t.hardware.resolved_sigmas();
    fmt::print("hardware-aware: weights on the 1/{} mirror grid; mismatch noise sigma weight {:.1f}%, bias {:.1f}%, "
               "threshold {:.1f}%, gain {:.1f}% ({})\n",
               t.hardware.grid, 100 * s.weight, 100 * s.bias, 100 * s.threshold, 100 * s.gain,
               o.mismatch.source());
  }
  fmt::print("{:>6}  {:>7}  {:>8} {:>7} {:>7}  {:>8} {:>7} {:>7}  {:>6}\n", "epoch", "lr", "loss", "frame", "vote",
             "val loss", "frame", "vote", "time");

  ProgressBar bar;
  TrainCallbacks callbacks;
  callbacks.progress = [&](double fraction, const std::string& s) { bar.update(s, fraction); };
  callbacks.epoch_done = [&](const EpochReport& r) {
    bar.finish();
    fmt::print("{:>6}  {:7.1e}  {:8.4f} {} {}  {:8.4f} {} {}  {:5.1f}s{}\n", r.epoch, r.learning_rate, r.train.loss,
               percent(r.train.frame_accuracy), percent(r.train.vote_accuracy), r.validation.loss,
               percent(r.validation.frame_accuracy), percent(r.validation.vote_accuracy), r.seconds,
               (t.choosing_run() ? fmt::format("  K {}", r.detect_run) : std::string()) + (r.best ? "  best" : ""));
    std::fflush(stdout);
  };
  TrainResult result;
  {
    StopOnSignal signals;
    const auto restart_done = [&](const RestartReport& r) {
      if (o.restarts == 1) return;
      bar.finish();
      // Test is printed for information only; the choice below reads validation alone.
      const SplitScore test = evaluate(r.network, data.test, t.threads, t.loss_on_voted_frames, t.keyword_frames());
      fmt::print("restart {}/{} (seed {}): best epoch {}, validation vote {}, test vote {}\n", r.restart + 1, o.restarts,
                 r.seed, r.best_epoch, percent(r.validation.vote_accuracy), percent(test.vote_accuracy));
      std::fflush(stdout);
    };
    const RestartsResult restarts = train_with_restarts(data, t, o.restarts, callbacks, restart_done, &stop_requested());
    result = restarts.kept;
    if (o.restarts > 1)
      fmt::print("kept restart {} of {} (best validation)\n", restarts.kept_restart + 1, restarts.restarts.size());
  }
  bar.finish();
  if (result.interrupted) {
    if (result.epochs_done == 0) {
      fmt::print(stderr, "interrupted before the first epoch finished: nothing written\n");
      return 130;
    }
    fmt::print(stderr, "interrupted: keeping the {} finished epoch{} (checkpoint {}; continue with --resume)\n",
               result.epochs_done, result.epochs_done > 1 ? "s" : "", t.checkpoint);
  }

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const SplitScore validation =
      evaluate(result.network, data.validation, t.threads, t.loss_on_voted_frames, t.keyword_frames());
  const SplitScore test = evaluate(result.network, data.test, t.threads, t.loss_on_voted_frames, t.keyword_frames());
  write_file_atomically(o.output, [&](std::ostream& out) { out << network::network_to_json(result.network).dump(2) << '\n'; });
  fmt::print("best epoch {} of {}: validation frame {} vote {}\n", result.best_epoch, result.epochs_done,
             percent(validation.frame_accuracy), percent(validation.vote_accuracy));
  if (test.clips > 0)
    fmt::print("test ({} clips): frame accuracy {}, vote accuracy {}\n", test.clips, percent(test.frame_accuracy),
               percent(test.vote_accuracy));
  if (o.mismatch_check > 0)  // the software proxy of `agree --mc` at the planned device area
    print_software_mismatch(result.network, {{"validation", &data.validation}, {"test", &data.test}},
                            o.mismatch, t.hardware.grid, o.mismatch_check, t.seed, t.threads);
  fmt::print("wrote {} ({:.1f} s)\n", o.output, seconds);
  return result.interrupted ? 130 : 0;
}

}  // namespace

CommandAction add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainCommandOptions>();
  auto* cmd = app.add_subcommand(
      "train",
      "Train a BMRU network and write it as picospice-bmru/1 JSON (for infer, lower, agree).\n"
      "\n"
      "The network: --layers BMRU layers of --units units, then a linear readout. Each frame, each\n"
      "unit's candidate c = max(W_c x + b_c, 0) sets its state high above beta1 + delta, low below\n"
      "beta1, and holds in between; the unit outputs alpha * state. The readout's argmax is the\n"
      "frame's class; the clip's decision is the majority vote over frames (or the last --vote-last),\n"
      "or, with --detect-run K, a class > 0 held on K frames in a row (streaming, onset-independent).\n"
      "\n"
      "Training: backpropagation through time with the exact step forward and the surrogate\n"
      "dH/dx = 1/(1+(pi a x)^2) backward (or, with --relax, through a graded state annealed to the step); cross-entropy on every frame (or, with\n"
      "--loss-on-voted-frames, on the frames the vote counts); AdamW with gradient\n"
      "clipping and a cosine learning-rate schedule over minibatches split across two threads.\n"
      "--margin adds a term that keeps candidates clear of the switching points. After training, a\n"
      "software mismatch check runs copies of the network with the circuit's mismatch (--area).\n"
      "--restarts N trains N initializations and keeps the best on validation.\n"
      "Deterministic for a --seed. After every epoch the validation split is scored, the best epoch\n"
      "is kept, and a checkpoint is written; Ctrl-C stops after the current minibatch and keeps the\n"
      "finished epochs (--resume continues the run).\n"
      "\n"
      "Tasks:\n"
      "  digits  8x8 handwritten digits from Debian's python3-sklearn (8 frames of 8 pixel currents:\n"
      "          the image's columns, or its rows with --scan rows).\n"
      "  kws     the keyword-spotting set of `picospice dataset kws -o DIR` (--data DIR, default data/kws).\n"
      "  FILE    your own data: a picospice-dataset/1 directory or its dataset.json\n"
      "          (format: training/DATASET.md).\n"
      "\n"
      "Examples:\n"
      "  picospice train --task digits --layers 1 --units 32 --vote-last 3 --loss-on-voted-frames --epochs 150 \\\n"
      "      --batch 16 --lr 0.03 --surrogate-a 2 --hardware-aware --seed 1 -o digits.json\n"
      "  picospice train --task kws --layers 2 --units 4 --seed 1 -o kws_2x4.json\n"
      "  # a single run can stall (9 of 18 runs >= 90% test); this reached 18 of 18 (README, training):\n"
      "  picospice train --task kws --layers 2 --units 4 --seed 1 --batch 16 --restarts 6 -o kws_2x4.json\n"
      "  # then keep every candidate clear of the switching points (robust to the circuit's mismatch):\n"
      "  picospice train --task kws --layers 2 --units 4 --seed 1 --init-from kws_2x4.json.checkpoint \\\n"
      "      --margin 0.2 --margin-weight 0.3 --epochs 15 --lr 0.003 --area 4 -o kws_2x4_margin.json\n"
      "  # keyword detection wherever the word falls (the demo network's rule; its README has the curriculum):\n"
      "  picospice train --task data/kws_hard --layers 2 --units 4 --seed 1 --batch 16 --detect-run 30 \\\n"
      "      --init-from stage1.json.checkpoint -o stage2.json\n"
      "  # hardware-aware in two stages (from scratch, the noise stalls kws training): the grid, then noise:\n"
      "  picospice train --task kws --layers 2 --units 4 --seed 1 --hardware-aware --sigma 0 -o q.json\n"
      "  picospice train --task kws --layers 2 --units 4 --seed 1 --hardware-aware --area 4 \\\n"
      "      --init-from q.json.checkpoint --epochs 15 --lr 0.003 -o kws_2x4_hw_a4.json\n"
      "  picospice infer kws_2x4.json --input clip.csv");
  add_dataset_task_options(cmd, o->task);
  cmd->add_option("--layers", o->train.layers, "number of BMRU layers")->required()->check(CLI::Range(1, 16));
  cmd->add_option("--units", o->train.units, "units (states) per BMRU layer")->required()->check(CLI::Range(1, 4096));
  cmd->add_option("--linear", o->train.linear,
                  "width of a trainable linear ReLU layer y = max(W x + b, 0) before the BMRU layers\n"
                  "(stateless neurons, not counted in --units; 0: none)")
      ->capture_default_str()->check(CLI::Range(0, 4096));
  cmd->add_option("--projection", o->train.projection,
                  "train each BMRU layer's output projection y = max(W_p h + b_p, 0) with this many outputs\n"
                  "(stateless ReLUs over the units' states, not counted in --units; 0: W_p = I, fixed)")
      ->capture_default_str()->check(CLI::Range(0, 4096));
  cmd->add_option("--epochs", o->train.epochs, "passes over the training split")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->train.seed, "seed of every random choice (initialization, shuffles, noise)")->capture_default_str();
  cmd->add_option("--batch", o->train.batch, "clips per minibatch")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--lr", o->train.learning_rate, "initial learning rate (cosine schedule down to --lr-final)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--lr-final", o->train.final_learning_rate, "learning rate at the last step")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--weight-decay", o->train.adamw.weight_decay, "AdamW's decoupled weight decay (on the weights)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--clip-norm", o->train.adamw.clip_norm, "largest gradient norm (0: no clipping)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--surrogate-a", o->train.surrogate_a, "sharpness a of the surrogate derivative 1/(1+(pi a x)^2)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  add_number_pair_option(
      cmd, "--relax", o->train.relax_from, o->train.relax_to,
      "train on a graded state instead of the exact step and its surrogate: each switch a sigmoid of width\n"
      "tau (model units), tau shrinking geometrically from TAU0 in the first epoch to TAU1 in the last, so the\n"
      "cell ends near the latch; the epoch kept is chosen with the exact step (e.g. --relax 0.1 0.002)",
      "TAU0 TAU1");  // 0 < TAU1 <= TAU0 is checked with the other options (trainer.cpp)
  cmd->add_option("--vote-last", o->train.vote_last, "decide by majority over the last K frames (0: all); saved in the network")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--detect-run", o->train.detect_run,
                  "keyword detection instead of a vote: class 0 is the background, and a class k > 0 is the decision\n"
                  "when the readout says k on K consecutive frames anywhere in the clip (0: off); saved in the network.\n"
                  "Onset-independent and streaming; the loss stays on every frame (see --loss-on-best-run)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--detect-decrement", o->train.detect_decrement,
                  "with --detect-run K: count instead of requiring K consecutive frames: +1 on a frame of class k,\n"
                  "-D (not below 0) on any other, k decided when its count reaches K; a dip of a frame or two inside\n"
                  "a long run (babble) no longer restarts it. 0: the run (default); saved in the network. The loss is\n"
                  "the same (--loss-on-best-run scores the best K consecutive frames)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--choose-run", o->choose_run,
                  "with --detect-run K: score every epoch on validation with the best run length in KMIN..KMAX\n"
                  "(the count rule's K with --detect-decrement) and keep the epoch and its length together; the\n"
                  "network stores the chosen length, the loss still scores K frames (e.g. --choose-run 10 36)")
      ->expected(2)->type_name("KMIN KMAX")->check(CLI::Range(1, 100000));
  cmd->add_flag("--loss-on-best-run", o->train.loss_on_best_run,
                "with --detect-run K: a clip of a class k > 0 is scored only on its K consecutive frames where the\n"
                "network already finds k most likely (max-pooling loss), not on every frame: the frames before the\n"
                "word are background and those early in it cannot know the word yet. Background clips keep every\n"
                "frame. Fine-tune with it (--init-from): from scratch the chosen run is arbitrary");
  cmd->add_option("--loss-after-word", o->train.loss_after_word,
                  "N >= 0: a clip of a class k > 0 is scored against its word span (the dataset's word_spans;\n"
                  "`dataset kws` writes them): class 0 before the word, k from the word's last N frames on, nothing\n"
                  "in between, so the keyword is asked for only once its end has been heard (a word that begins\n"
                  "like it, \"yeah\" for \"yes\", is told apart there). Background clips keep every frame. Not with\n"
                  "--loss-on-best-run or --loss-on-voted-frames (-1: off). On the kws mix it measured worse than\n"
                  "--loss-on-best-run (README, training section)")
      ->check(CLI::Range(-1, 1000000));
  cmd->add_flag("--loss-on-voted-frames", o->train.loss_on_voted_frames,
                "with --vote-last K: the cross-entropy covers only the last K frames, the ones the vote counts\n"
                "(default: every frame)");
  cmd->add_option("--margin", o->train.margin.relative,
                  "threshold margin rho: penalize every unit-frame whose candidate lies within rho * beta of a\n"
                  "switching point beta (beta1 or beta1 + delta), so that no decision rests on the circuit's offsets\n"
                  "(training/bptt.hpp; 0: off). Use it to fine-tune a trained network (--init-from):\n"
                  "from the first step it holds back learning (kws 2x4: 91% instead of 94% at weight 0.3, chance at 1)")
      ->capture_default_str()->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--margin-weight", o->train.margin.weight,
                  "the margin term's weight: the penalty of one unit on a threshold for a whole clip (0: off)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_flag("--hardware-aware", o->train.hardware.enabled,
                "train with weights on the lowering's mirror grid (straight-through gradient) and multiplicative\n"
                "mismatch noise on every parameter, sigma from the cell library's Pelgrom coefficients");
  add_mismatch_options(cmd, o->mismatch, "hardware-aware noise and --mismatch-check");
  cmd->add_option("--restarts", o->restarts,
                  "train this many times from different initializations (restart 0: --seed; restart k: a seed mixed\n"
                  "from --seed and k) and keep the run with the best validation vote accuracy; each restart's\n"
                  "checkpoint is OUTPUT.checkpoint.restartK, the kept one is copied to OUTPUT.checkpoint")
      ->capture_default_str()->check(CLI::Range(1, 100));
  cmd->add_option("--init-from", o->init_from,
                  "start from the best parameters of another run's checkpoint (same network shape), e.g. to\n"
                  "fine-tune a trained network with --hardware-aware (use a smaller --lr)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--freeze-linear", o->train.freeze_linear,
                "the linear layer (--linear) keeps its starting parameters, with --init-from the other run's:\n"
                "a fine-tune moves only the BMRU layers and the readout");
  cmd->add_option("--mismatch-check", o->mismatch_check,
                  "after training, run this many software copies of the network with the circuit's mismatch\n"
                  "(sigmas of --area or --sigma, weights on --grid) over the validation and test clips and print\n"
                  "the share that keeps the decision: a fast proxy for `agree --mc` (0: skip)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--grid", o->train.hardware.grid, "the mirror grid (as `lower --grid`): hardware-aware training and the\n"
                  "mismatch check round weights to it")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--checkpoint", o->train.checkpoint, "checkpoint file (default: OUTPUT.checkpoint)");
  cmd->add_flag("--resume", o->train.resume, "continue from the checkpoint (same settings required)");
  cmd->add_option("--threads", o->train.threads, "threads (1 or 2; the result does not depend on it)")
      ->capture_default_str()->check(CLI::Range(1, 2));
  cmd->add_option("-o,--output", o->output, "the trained network (picospice-bmru/1 JSON)")->required();
  return [o] { return run_train(*o); };
}

}  // namespace picospice::tools
