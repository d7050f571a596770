// `picospice evaluate`: scores a trained network file on a dataset split through the software
// model (accuracy, loss, how close its candidates come to the switching points) and runs the
// software mismatch check (training/software_mismatch.hpp) at a device area.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>

#include "codesign/inference.hpp"
#include "training/evaluation.hpp"
#include "tools/command.hpp"
#include "tools/dataset_task.hpp"
#include "tools/mismatch_report.hpp"

namespace picospice::tools {
namespace {

struct EvaluateOptions {
  std::string network;
  DatasetTask task;
  std::string split = "test";
  MismatchOptions mismatch;
  int mismatch_check = 100;
  int grid = 32;
  std::uint64_t seed = 1;
  int threads = 2;
  std::string clip_results;  // CSV of every clip's decision
  int detect_run = -1;       // >= 0: score with this run-detection rule (0: the vote) instead of the network's
  int detect_decrement = -1;  // >= 0: with it, the run's up/down decrement (0: consecutive frames)
  bool loss_on_best_run = false;  // the printed loss is train --loss-on-best-run's
};

// Per class: clips of that label and how many the vote got right (its recall); optionally every
// clip's decision as CSV lines "split,id,label,decision,readout", the readout being the class of
// every frame (argmax of the logits), space-separated: what a decision rule other than the
// network's own would see.
std::vector<std::pair<int, int>> class_recall(const network::Network& net, const std::string& split,
                                              const std::vector<training::Clip>& clips, std::ostream* csv) {
  std::vector<std::pair<int, int>> recall(std::size_t(net.classes()), {0, 0});
  for (const training::Clip& clip : clips) {
    const network::InferenceResult result = network::infer(net, clip.frames);
    const int decision = result.vote.decision;
    auto& [total, right] = recall.at(std::size_t(clip.label));
    ++total;
    right += decision == clip.label;
    if (csv) *csv << split << ',' << clip.id << ',' << clip.label << ',' << decision << ','
                  << fmt::format("{}", fmt::join(result.frame_class, " ")) << '\n';
  }
  return recall;
}

// Borderline unit-frames (docs/design.md, 'Borderline': candidate within max(2% of the threshold,
// 0.01 units) of beta1 or beta2) among all unit-frames of the clips.
struct BorderlineCount {
  long long frames = 0, borderline = 0;
};

BorderlineCount count_borderline(const network::Network& net, const std::vector<training::Clip>& clips) {
  BorderlineCount count;
  for (const training::Clip& clip : clips)
    network::for_each_candidate(net, network::infer(net, clip.frames),
                                [&](const network::BmruLayer& layer, std::size_t u, double c) {
                                  ++count.frames;
                                  count.borderline += network::is_borderline(layer, u, c);
                                });
  return count;
}

int run_evaluate(const EvaluateOptions& o) {
  network::Network net = network::load_network(o.network);
  if (o.detect_run >= 0) {  // another decision rule for the same network (nothing is written)
    net.detect_run = o.detect_run;
    net.detect_decrement = 0;
    if (o.detect_run > 0) net.vote_last = 0;
  }
  if (o.detect_decrement >= 0) {
    if (net.detect_run <= 0)
      throw std::runtime_error(o.network + ": --detect-decrement changes run detection, and this network decides by a "
                               "vote; give --detect-run K");
    net.detect_decrement = o.detect_decrement;
  }
  if (o.loss_on_best_run && net.detect_run <= 0)
    throw std::runtime_error(o.network + ": --loss-on-best-run scores a keyword clip on its best run of the "
                             "run-detection rule's K frames, and this network decides by a vote; give --detect-run K");
  const training::Dataset data = load_task(o.task);
  if (data.inputs != net.inputs)
    throw std::runtime_error(fmt::format("{}: the network has {} inputs, the dataset's frames {}", o.network,
                                         net.inputs, data.inputs));
  if (data.classes != net.classes())
    throw std::runtime_error(fmt::format("{}: the network has {} classes, the dataset {}", o.network, net.classes(),
                                         data.classes));
  std::vector<NamedSplit> splits;
  for (const auto& [name, clips] : {NamedSplit{"train", &data.train}, NamedSplit{"validation", &data.validation},
                                    NamedSplit{"test", &data.test}})
    if ((o.split == "all" || o.split == name) && !clips->empty()) splits.push_back({name, clips});
  if (splits.empty()) throw std::runtime_error(fmt::format("the dataset has no {} clips", o.split));

  fmt::print("network {}: {} inputs, {} classes, decision: {}\n", o.network, net.inputs, net.classes(),
             network::decision_rule_text(net));
  std::ofstream csv;
  if (!o.clip_results.empty()) {
    csv.open(o.clip_results);
    if (!csv) throw std::runtime_error(o.clip_results + ": cannot write");
    csv << "split,id,label,decision,readout\n";
  }
  for (const NamedSplit& split : splits) {
    const training::SplitScore s =
        training::evaluate(net, *split.clips, o.threads, false, training::KeywordFrames{o.loss_on_best_run ? net.detect_run : 0});
    const auto recall = class_recall(net, split.name, *split.clips, csv.is_open() ? &csv : nullptr);
    const BorderlineCount b = count_borderline(net, *split.clips);
    fmt::print("{} ({} clips): frame accuracy {:5.1f}%, vote accuracy {:5.1f}%, loss {:.4f}; borderline unit-frames "
               "{:.2f}% ({} of {})\n",
               split.name, s.clips, 100 * s.frame_accuracy, 100 * s.vote_accuracy, s.loss,
               b.frames ? 100.0 * static_cast<double>(b.borderline) / static_cast<double>(b.frames) : 0.0, b.borderline,
               b.frames);
    std::string per_class;
    for (std::size_t k = 0; k < recall.size(); ++k)
      per_class += fmt::format("{}class {}: {} of {}", k ? ", " : "", k, recall[k].second, recall[k].first);
    fmt::print("  decided right per class: {}\n", per_class);
  }
  if (o.mismatch_check > 0) print_software_mismatch(net, splits, o.mismatch, o.grid, o.mismatch_check, o.seed, o.threads);
  return 0;
}

}  // namespace

CommandAction add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<EvaluateOptions>();
  auto* cmd = app.add_subcommand(
      "evaluate",
      "Score a trained BMRU network (picospice-bmru/1 JSON) on a dataset split with the software model.\n"
      "\n"
      "Prints the frame and vote accuracy, the mean cross-entropy, and the share of unit-frames whose\n"
      "candidate is borderline (within max(2% of the threshold, 0.01 units) of a switching point,\n"
      "where the circuit's offsets decide the state). Then the software mismatch check: --mismatch-check\n"
      "copies of the network, weights on the mirror grid and every parameter scaled by (1 + sigma z)\n"
      "with the library's Pelgrom spreads at --area K, and the share of (copy, clip) pairs that keep\n"
      "the network's decision on the clips whose vote is not borderline. It is a fast proxy for\n"
      "`agree --mc` (no offsets, no settling); `agree` simulates the circuit.\n"
      "\n"
      "Examples:\n"
      "  picospice evaluate netlists/examples/kws_trained/network.json --task kws --data data/kws --area 4\n"
      "  picospice evaluate digits.json --task digits --split all --mismatch-check 0");
  cmd->add_option("network", o->network, "the network (picospice-bmru/1 JSON)")->required()->check(CLI::ExistingFile);
  add_dataset_task_options(cmd, o->task);
  cmd->add_option("--split", o->split, "the split to score")
      ->capture_default_str()->check(CLI::IsMember({"train", "validation", "test", "all"}));
  add_mismatch_options(cmd, o->mismatch, "the mismatch check");
  cmd->add_option("--mismatch-check", o->mismatch_check, "perturbed copies of the network (0: skip the check)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--grid", o->grid, "the mirror grid weights are rounded to (as `lower --grid`)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--clip-results", o->clip_results,
                  "write every clip's decision and per-frame readout class as CSV (split,id,label,decision,readout;\n"
                  "readout: the class of each frame, space-separated)");
  cmd->add_option("--threads", o->threads, "threads (1 or 2; the result does not depend on it)")
      ->capture_default_str()->check(CLI::Range(1, 2));
  cmd->add_option("--detect-run", o->detect_run,
                  "score with run detection instead of the network's own rule: a class k > 0 is the decision when\n"
                  "the readout says k on K consecutive frames (`train --detect-run`); 0: the network's vote")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--detect-decrement", o->detect_decrement,
                  "score run detection as an up/down count instead (`train --detect-decrement`): +1 on a frame of\n"
                  "class k, -D on others, k decided at a count of K; 0: consecutive frames (the network's own if not given)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--loss-on-best-run", o->loss_on_best_run,
                "print the loss `train --loss-on-best-run` minimizes (a keyword clip scored on its best K consecutive\n"
                "frames, K the run-detection rule's) instead of the every-frame cross-entropy; accuracies are the same");
  return [o] { return run_evaluate(*o); };
}

}  // namespace picospice::tools
