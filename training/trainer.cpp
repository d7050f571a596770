// The training loop (see trainer.hpp).
#include "training/trainer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "base/counter_rng.hpp"
#include "training/bptt.hpp"
#include "training/checkpoint.hpp"
#include "training/two_halves.hpp"

namespace picospice::training {
namespace {

using nlohmann::json;

// Running totals of one shard of a minibatch.
struct Tally {
  double loss = 0;
  long long frames = 0, frames_correct = 0;
  int clips = 0, votes_correct = 0;
  void add(const ClipOutcome& o) {
    loss += o.loss;
    frames += o.frames;
    frames_correct += o.frames_correct;
    ++clips;
    votes_correct += o.vote_correct;
  }
  void add(const Tally& t) {
    loss += t.loss;
    frames += t.frames;
    frames_correct += t.frames_correct;
    clips += t.clips;
    votes_correct += t.votes_correct;
  }
  SplitScore score() const {
    SplitScore s;
    s.clips = clips;
    s.frames = frames;
    s.loss = clips ? loss / clips : 0;
    s.frame_accuracy = frames ? static_cast<double>(frames_correct) / frames : 0;
    s.vote_accuracy = clips ? static_cast<double>(votes_correct) / clips : 0;
    return s;
  }
};

// One half of a minibatch: its summed gradient and its tally.
struct ShardSum {
  Eigen::VectorXd gradient;
  Tally tally;
};

// This epoch's order of the training clips: Fisher-Yates with addressed draws.
std::vector<std::size_t> epoch_order(std::size_t n, std::uint64_t seed, int epoch) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const std::uint64_t stream = random::mix_stream(static_cast<std::uint64_t>(epoch), random::fnv1a64("shuffle"));
  for (std::size_t i = n; i-- > 1;) {
    const auto j = static_cast<std::size_t>(random::unit_uniform(seed, stream, i) * static_cast<double>(i + 1));
    std::swap(order[i], order[std::min(j, i)]);
  }
  return order;
}

json score_json(const SplitScore& s) {
  return {{"clips", s.clips}, {"loss", s.loss}, {"frame_accuracy", s.frame_accuracy}, {"vote_accuracy", s.vote_accuracy}};
}

// The ranking of epochs (ranks_above) against the best so far, kept as score_json in the checkpoint.
bool better(const SplitScore& a, const json& best) {
  if (best.is_null()) return true;
  SplitScore kept;
  kept.vote_accuracy = best.at("vote_accuracy").get<double>();
  kept.frame_accuracy = best.at("frame_accuracy").get<double>();
  return ranks_above(a, kept);
}

// `--choose-run`: the run length with the best accuracy (accuracy[j] is K = first + j); on a tie the
// K nearest the training run `preferred`, then the shorter.
int best_run(const std::vector<double>& accuracy, int first, int preferred) {
  int best = first;
  for (int j = 0; j < static_cast<int>(accuracy.size()); ++j) {
    const int run = first + j;
    const double a = accuracy[static_cast<std::size_t>(j)], b = accuracy[static_cast<std::size_t>(best - first)];
    if (a > b || (a == b && std::abs(run - preferred) < std::abs(best - preferred))) best = run;
  }
  return best;
}

}  // namespace

void check_options(const Dataset& d, const TrainOptions& o) {
  const auto require = [](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
  };
  require(o.layers >= 1 && o.layers <= 16, fmt::format("--layers must be 1..16, got {}", o.layers));
  require(o.units >= 1 && o.units <= 4096, fmt::format("--units must be 1..4096, got {}", o.units));
  require(o.linear >= 0 && o.linear <= 4096, fmt::format("--linear must be 0..4096, got {}", o.linear));
  require(o.projection >= 0 && o.projection <= 4096,
          fmt::format("--projection must be 0..4096, got {}", o.projection));
  require(o.epochs >= 1, fmt::format("--epochs must be >= 1, got {}", o.epochs));
  require(o.batch >= 1, fmt::format("--batch must be >= 1, got {}", o.batch));
  require(o.learning_rate > 0 && std::isfinite(o.learning_rate), "--lr must be a positive number");
  require(o.final_learning_rate >= 0 && o.final_learning_rate <= o.learning_rate,
          "the final learning rate must lie in [0, --lr]");
  require(o.surrogate_a > 0 && std::isfinite(o.surrogate_a), "--surrogate-a must be a positive number");
  require((o.relax_from == 0 && o.relax_to == 0) ||
              (std::isfinite(o.relax_from) && o.relax_to > 0 && o.relax_to <= o.relax_from),
          "--relax TAU0 TAU1 needs 0 < TAU1 <= TAU0 (step widths in model units)");
  require(o.vote_last >= 0, "--vote-last must be >= 0");
  require(o.detect_run >= 0, "--detect-run must be >= 0");
  require(o.detect_run == 0 || (o.vote_last == 0 && !o.loss_on_voted_frames),
          "--detect-run replaces the vote: it cannot be combined with --vote-last or --loss-on-voted-frames");
  require(!o.choosing_run() || (o.detect_run > 0 && o.choose_run_from <= o.choose_run_to),
          "--choose-run KMIN KMAX needs 1 <= KMIN <= KMAX and --detect-run K (the run the loss scores, and the\n"
          "rule of the epochs before one is chosen)");
  require(!o.choosing_run() || !d.validation.empty(), "--choose-run chooses on the validation split, and it is empty");
  require(!o.loss_on_best_run || o.detect_run > 0, "--loss-on-best-run needs --detect-run K (the run it scores)");
  require(!o.freeze_linear || o.linear > 0, "--freeze-linear needs a linear layer (--linear N)");
  require(o.detect_decrement >= 0, "--detect-decrement must be >= 0");
  require(o.detect_decrement == 0 || o.detect_run > 0, "--detect-decrement changes the run of --detect-run K: give K too");
  require(o.loss_after_word < 0 || (!o.loss_on_best_run && !o.loss_on_voted_frames),
          "--loss-after-word chooses a keyword clip's scored frames itself: not with --loss-on-best-run or "
          "--loss-on-voted-frames");
  // The validation and test scores use the same frames, so every split needs the spans.
  if (o.loss_after_word >= 0)
    for (const auto& [split, name] : {std::pair{&d.train, "training"}, {&d.validation, "validation"}, {&d.test, "test"}})
      for (const Clip& clip : *split)
        if (clip.label > 0 && !clip.has_word_span())
          throw std::invalid_argument(
              fmt::format("--loss-after-word needs the word span of every keyword clip; {} clip \"{}\" has none "
                          "(the dataset's word_spans: `picospice dataset kws` writes them)", name, clip.id));
  require(o.margin.relative >= 0 && o.margin.relative < 1, "--margin must lie in [0, 1)");
  require(o.margin.weight >= 0 && std::isfinite(o.margin.weight), "--margin-weight must be >= 0");
  require(o.hardware.grid >= 1, "the weight grid must be >= 1");
  require(o.unit_current > 0 && o.frame > 0, "unit_current and frame must be positive");
  require(!o.resume || !o.checkpoint.empty(), "--resume needs a checkpoint file");
  require(!d.train.empty(), "the dataset's train split holds no clips");
  if (o.detect_run > 0) {  // a run longer than every clip could never be detected: every decision would be class 0
    std::size_t longest = 0;
    for (const Clip& clip : d.train) longest = std::max(longest, clip.frames.size());
    require(static_cast<std::size_t>(o.detect_run) <= longest,
            fmt::format("--detect-run {} is longer than every training clip ({} frames at most)", o.detect_run, longest));
  }
}

double TrainOptions::relax_width(int epoch) const {
  if (!relaxed()) return 0;
  const double f = epochs > 1 ? static_cast<double>(epoch) / (epochs - 1) : 1.0;
  return relax_from * std::pow(relax_to / relax_from, f);
}

json train_config(const Dataset& d, const TrainOptions& o) {
  const MismatchSigmas s = o.hardware.resolved_sigmas();
  json config = {{"dataset", d.name},
          {"inputs", d.inputs},
          {"classes", d.classes},
          {"train_clips", d.train.size()},
          {"layers", o.layers},
          {"units", o.units},
          {"linear", o.linear},
          {"projection", o.projection},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"seed", o.seed},
          {"learning_rate", o.learning_rate},
          {"final_learning_rate", o.final_learning_rate},
          {"weight_decay", o.adamw.weight_decay},
          {"clip_norm", o.adamw.clip_norm},
          {"surrogate_a", o.surrogate_a},
          {"vote_last", o.vote_last},
          {"loss_on_voted_frames", o.loss_on_voted_frames},
          {"hardware_aware", o.hardware.enabled},
          {"grid", o.hardware.grid},
          {"sigmas", {s.weight, s.bias, s.threshold, s.gain}},
          {"unit_current", o.unit_current},
          {"frame", o.frame}};
  // Only when on, so that checkpoints from before the option still resume.
  if (o.margin.enabled()) config["margin"] = {o.margin.relative, o.margin.weight};
  if (o.detect_run > 0) config["detect_run"] = o.detect_run;  // only when on, as the margin
  if (o.detect_decrement > 0) config["detect_decrement"] = o.detect_decrement;
  if (o.loss_on_best_run) config["loss_on_best_run"] = true;
  if (o.relaxed()) config["relax"] = {o.relax_from, o.relax_to};  // only when on, as the margin
  if (o.choosing_run()) config["choose_run"] = {o.choose_run_from, o.choose_run_to};  // only when on, as the margin
  if (o.loss_after_word >= 0) config["loss_after_word"] = o.loss_after_word;  // only when on, as the margin
  if (o.freeze_linear) config["freeze_linear"] = true;  // only when on, as the margin
  // How the dataset was encoded (digits: its scan), so that a run is not resumed on other frames.
  if (d.provenance.contains("encoding")) config["encoding"] = d.provenance["encoding"];
  return config;
}

void write_start_checkpoint(const Dataset& d, const TrainOptions& o, const std::string& source_path) {
  const Checkpoint source = load_checkpoint(source_path);
  if (source.best_epoch == 0) throw std::runtime_error(source_path + ": the checkpoint holds no finished epoch");
  const json config = train_config(d, o);
  for (const char* key : {"inputs", "classes", "layers", "units", "linear", "projection"})
    if (!source.config.contains(key) || source.config[key] != config[key])
      throw std::runtime_error(fmt::format("{}: the checkpoint's network has another {} ({}, now {})", source_path, key,
                                           source.config.contains(key) ? source.config[key].dump() : "missing",
                                           config[key].dump()));
  Checkpoint start;
  start.config = config;
  start.theta = source.best_theta;
  start.best_theta = source.best_theta;
  start.adam.m = Eigen::VectorXd::Zero(start.theta.size());  // a fresh optimizer (as at step 0)
  start.adam.v = Eigen::VectorXd::Zero(start.theta.size());
  save_checkpoint(start, o.checkpoint);
}

network::Network network_for(const ModelLayout& layout, const Eigen::VectorXd& theta, const TrainOptions& o) {
  Realized r = realize(layout, theta);
  apply_hardware(layout, o.hardware, o.seed, 0, r.values, r.derivative);
  return to_network(layout, r.values, o.vote_last, o.unit_current, o.frame, o.detect_run, o.detect_decrement);
}

namespace {

// Where training starts: the checkpoint to resume (made with the same settings), or a fresh
// initialization.
Checkpoint starting_state(const ModelLayout& layout, const json& config, const TrainOptions& o) {
  Checkpoint state;
  if (o.resume) {
    state = load_checkpoint(o.checkpoint, JsonFileRole::run_state);  // rewritten after every epoch
    if (state.config != config) {
      std::string differences;
      for (const auto& [key, value] : config.items())
        if (!state.config.contains(key) || state.config[key] != value)
          differences += fmt::format(" {} (checkpoint {}, now {})", key,
                                     state.config.contains(key) ? state.config[key].dump() : "missing", value.dump());
      throw std::runtime_error(fmt::format("{}: the checkpoint was made with other settings:{}", o.checkpoint,
                                           differences.empty() ? " (unknown keys)" : differences));
    }
    if (state.theta.size() != layout.size())
      throw std::runtime_error(o.checkpoint + ": the checkpoint's parameter count does not match the network shape");
  } else {
    state.config = config;
    state.theta = initial_theta(layout, o.seed);
    project(layout, state.theta);
    state.best_theta = state.theta;
  }
  return state;
}

}  // namespace

TrainResult train(const Dataset& d, const TrainOptions& o, const TrainCallbacks& callbacks,
                  const std::atomic<bool>* stop) {
  check_options(d, o);
  const ModelLayout layout(ModelShape{d.inputs, d.classes, o.layers, o.units, o.linear, o.projection});
  const json config = train_config(d, o);

  Checkpoint state = starting_state(layout, config, o);

  Eigen::VectorXd decay_mask(layout.size());
  for (int i = 0; i < layout.size(); ++i) decay_mask[i] = layout.is_weight(i) ? 1.0 : 0.0;
  // --freeze-linear: the linear layer's W and b (contiguous, W first) are put back after every step.
  const int frozen_begin = o.freeze_linear ? layout.linear_W() : 0;
  const int frozen_count = o.freeze_linear ? layout.linear_b() + o.linear - layout.linear_W() : 0;
  const Eigen::VectorXd frozen = state.theta.segment(frozen_begin, frozen_count);
  const std::size_t n_train = d.train.size();
  const std::size_t batch = static_cast<std::size_t>(o.batch);
  const long long steps_per_epoch = static_cast<long long>((n_train + batch - 1) / batch);
  const long long total_steps = steps_per_epoch * o.epochs;
  const auto backward_in = [&](int epoch) {
    network::StateStep step;  // the exact step unless relaxed
    if (o.relaxed()) step.sigmoid_steepness = 1.0 / o.relax_width(epoch);
    return BackwardOptions{step, o.surrogate_a, o.loss_on_voted_frames, o.margin, o.keyword_frames()};
  };
  const std::uint64_t noise_name = random::fnv1a64("noise");

  TrainResult result;
  for (int epoch = state.epochs_done; epoch < o.epochs && !result.interrupted; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    const std::vector<std::size_t> order = epoch_order(n_train, o.seed, epoch);
    const BackwardOptions backward = backward_in(epoch);
    Tally running;
    double learning_rate = o.learning_rate;
    for (long long b = 0; b < steps_per_epoch; ++b) {
      if (stop && stop->load()) {
        result.interrupted = true;
        break;
      }
      const std::size_t begin = static_cast<std::size_t>(b) * batch, end = std::min(begin + batch, n_train);
      const double scale = 1.0 / static_cast<double>(end - begin);
      const Realized realized = realize(layout, state.theta);
      // Without hardware noise one network serves the whole minibatch.
      const bool shared = !o.hardware.enabled;
      network::Network shared_net;
      if (shared) shared_net = to_network(layout, realized.values, o.vote_last, o.unit_current, o.frame, o.detect_run, o.detect_decrement);

      // d loss / d theta summed over clips [lo, hi) of this minibatch, and their tally.
      const auto shard = [&](std::size_t lo, std::size_t hi) {
        ShardSum sum;
        sum.gradient = Eigen::VectorXd::Zero(layout.size());
        Eigen::VectorXd clip_gradient_values;
        for (std::size_t i = lo; i < hi; ++i) {
          const Clip& clip = d.train[order[i]];
          if (shared) {
            sum.tally.add(clip_gradient(layout, realized.values, shared_net, clip, backward, scale, sum.gradient));
            continue;
          }
          // `factor` collects the noise factors (d noisy value / d value); the softplus part of
          // the chain rule is applied to the whole minibatch below.
          Eigen::VectorXd values = realized.values, factor = Eigen::VectorXd::Ones(layout.size());
          const std::uint64_t sample = static_cast<std::uint64_t>(epoch) * n_train + i;
          apply_hardware(layout, o.hardware, o.seed, random::mix_stream(sample, noise_name), values, factor);
          const network::Network net = to_network(layout, values, o.vote_last, o.unit_current, o.frame, o.detect_run, o.detect_decrement);
          clip_gradient_values = Eigen::VectorXd::Zero(layout.size());
          sum.tally.add(clip_gradient(layout, values, net, clip, backward, scale, clip_gradient_values));
          sum.gradient += clip_gradient_values.cwiseProduct(factor);
        }
        return sum;
      };
      // The two halves are summed in a fixed order, so the step is the same for any thread count.
      const auto [first, second] = in_two_halves(end - begin, o.threads, [&](std::size_t lo, std::size_t hi) {
        return shard(begin + lo, begin + hi);
      });
      Eigen::VectorXd gradient = (first.gradient + second.gradient).cwiseProduct(realized.derivative);
      running.add(first.tally);
      running.add(second.tally);
      learning_rate = cosine_learning_rate(o.learning_rate, o.final_learning_rate, state.adam.step, total_steps);
      adamw_step(o.adamw, learning_rate, decay_mask, gradient, state.theta, state.adam);
      project(layout, state.theta);
      state.theta.segment(frozen_begin, frozen_count) = frozen;
      if (callbacks.progress) {
        const SplitScore s = running.score();
        callbacks.progress(static_cast<double>(epoch * steps_per_epoch + b + 1) / static_cast<double>(total_steps),
                           fmt::format("epoch {}/{} loss {:.3f} frame {:.1f}% vote {:.1f}%", epoch + 1, o.epochs,
                                       s.loss, 100 * s.frame_accuracy, 100 * s.vote_accuracy));
      }
    }
    if (result.interrupted) break;

    EpochReport report;
    report.epoch = epoch + 1;
    report.learning_rate = learning_rate;
    report.train = running.score();
    // With --choose-run the same pass also scores every run length.
    report.validation = evaluate(network_for(layout, state.theta, o), d.validation, o.threads, o.loss_on_voted_frames,
                                 o.keyword_frames(), RunLengths{o.choose_run_from, o.choose_run_to});
    report.detect_run = o.detect_run;
    if (o.choosing_run()) {
      const std::vector<double>& accuracy = report.validation.run_accuracy;
      report.detect_run = best_run(accuracy, o.choose_run_from, o.detect_run);
      report.validation.vote_accuracy = accuracy[static_cast<std::size_t>(report.detect_run - o.choose_run_from)];
    }
    const SplitScore& ranked = d.validation.empty() ? report.train : report.validation;
    report.best = better(ranked, state.best_score);
    if (report.best) {
      state.best_epoch = report.epoch;
      state.best_theta = state.theta;
      state.best_score = score_json(ranked);
      if (o.choosing_run()) state.best_score["detect_run"] = report.detect_run;
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    state.epochs_done = epoch + 1;
    state.history.push_back({{"epoch", report.epoch},
                             {"learning_rate", report.learning_rate},
                             {"train", score_json(report.train)},
                             {"validation", score_json(report.validation)},
                             {"best", report.best}});
    if (o.choosing_run()) state.history.back()["detect_run"] = report.detect_run;
    if (!o.checkpoint.empty()) save_checkpoint(state, o.checkpoint);
    result.history.push_back(report);
    if (callbacks.epoch_done) callbacks.epoch_done(report);
  }
  result.epochs_done = state.epochs_done;
  result.best_epoch = state.best_epoch;
  result.network = network_for(layout, state.best_theta, o);
  if (o.choosing_run() && state.best_score.contains("detect_run"))
    result.network.detect_run = state.best_score["detect_run"].get<int>();
  return result;
}

}  // namespace picospice::training
