// Scoring a network on a split (see evaluation.hpp).
#include "training/evaluation.hpp"

#include <stdexcept>

#include "codesign/inference.hpp"
#include "training/bptt.hpp"
#include "training/two_halves.hpp"

namespace picospice::training {
namespace {

struct Tally {
  double loss = 0;
  long long frames = 0, frames_correct = 0;
  int votes_correct = 0;
  std::vector<int> run_correct;  // with RunLengths: clips right under each K
};

// Adds one clip's decisions under run detection with each K of `runs` to `correct`.
void add_run_decisions(const network::Network& net, const std::vector<int>& frame_class, int label,
                       const RunLengths& runs, std::vector<int>& correct) {
  // The counts (each class's longest run or highest count) are the same for every K.
  const network::Vote v = network::run_detection(frame_class, net.classes(), runs.first, net.detect_decrement);
  int longest = 0;  // as run_detection: the keyword class with the longest run, the lowest on ties
  for (int k = 1; k < net.classes(); ++k)
    if (longest == 0 || v.counts[k] > v.counts[longest]) longest = k;
  for (std::size_t j = 0; j < correct.size(); ++j) {
    const int run = runs.first + static_cast<int>(j);
    const int decision = (longest > 0 && v.counts[longest] >= run) ? longest : 0;
    correct[j] += decision == label;
  }
}

Tally tally(const network::Network& net, const std::vector<Clip>& clips, std::size_t begin, std::size_t end,
            bool voted, const KeywordFrames& keyword, const RunLengths& runs) {
  Tally t;
  if (runs.enabled()) t.run_correct.assign(static_cast<std::size_t>(runs.last - runs.first + 1), 0);
  std::vector<int> frame_class;
  for (std::size_t i = begin; i < end; ++i) {
    const ClipOutcome o = clip_outcome(net, clips[i], {}, voted, {}, keyword, runs.enabled() ? &frame_class : nullptr);
    t.loss += o.loss;
    t.frames += o.frames;
    t.frames_correct += o.frames_correct;
    t.votes_correct += o.vote_correct;
    if (runs.enabled()) add_run_decisions(net, frame_class, clips[i].label, runs, t.run_correct);
  }
  return t;
}

}  // namespace

SplitScore evaluate(const network::Network& net, const std::vector<Clip>& clips, int threads, bool voted,
                    const KeywordFrames& keyword, const RunLengths& runs) {
  if (runs.first < 0 || (runs.enabled() && runs.last < runs.first))
    throw std::invalid_argument("evaluate: run lengths need 1 <= first <= last");
  SplitScore score;
  score.clips = static_cast<int>(clips.size());
  if (runs.enabled()) score.run_accuracy.assign(static_cast<std::size_t>(runs.last - runs.first + 1), 0.0);
  if (clips.empty()) return score;
  const auto [first, second] = in_two_halves(
      clips.size(), threads,
      [&](std::size_t begin, std::size_t end) { return tally(net, clips, begin, end, voted, keyword, runs); });
  score.frames = first.frames + second.frames;
  score.loss = (first.loss + second.loss) / score.clips;
  score.frame_accuracy = score.frames ? static_cast<double>(first.frames_correct + second.frames_correct) / score.frames : 0;
  score.vote_accuracy = static_cast<double>(first.votes_correct + second.votes_correct) / score.clips;
  for (std::size_t j = 0; j < score.run_accuracy.size(); ++j)
    score.run_accuracy[j] = static_cast<double>(first.run_correct[j] + second.run_correct[j]) / score.clips;
  return score;
}

std::vector<double> run_rule_accuracies(const network::Network& net, const std::vector<Clip>& clips, int first,
                                        int last, int threads) {
  if (first < 1) throw std::invalid_argument("run_rule_accuracies: needs 1 <= first <= last");
  return evaluate(net, clips, threads, false, {}, RunLengths{first, last}).run_accuracy;
}

}  // namespace picospice::training
