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
};

Tally tally(const network::Network& net, const std::vector<Clip>& clips, std::size_t begin, std::size_t end,
            bool voted, const KeywordFrames& keyword) {
  Tally t;
  for (std::size_t i = begin; i < end; ++i) {
    const ClipOutcome o = clip_outcome(net, clips[i], {}, voted, {}, keyword);
    t.loss += o.loss;
    t.frames += o.frames;
    t.frames_correct += o.frames_correct;
    t.votes_correct += o.vote_correct;
  }
  return t;
}

}  // namespace

SplitScore evaluate(const network::Network& net, const std::vector<Clip>& clips, int threads, bool voted,
                    const KeywordFrames& keyword) {
  SplitScore score;
  score.clips = static_cast<int>(clips.size());
  if (clips.empty()) return score;
  const auto [first, second] = in_two_halves(
      clips.size(), threads,
      [&](std::size_t begin, std::size_t end) { return tally(net, clips, begin, end, voted, keyword); });
  score.frames = first.frames + second.frames;
  score.loss = (first.loss + second.loss) / score.clips;
  score.frame_accuracy = score.frames ? static_cast<double>(first.frames_correct + second.frames_correct) / score.frames : 0;
  score.vote_accuracy = static_cast<double>(first.votes_correct + second.votes_correct) / score.clips;
  return score;
}

std::vector<double> run_rule_accuracies(const network::Network& net, const std::vector<Clip>& clips, int first,
                                        int last, int threads) {
  if (first < 1 || last < first) throw std::invalid_argument("run_rule_accuracies: needs 1 <= first <= last");
  const std::size_t rules = static_cast<std::size_t>(last - first + 1);
  const auto correct_in = [&](std::size_t begin, std::size_t end) {
    std::vector<int> correct(rules, 0);
    for (std::size_t i = begin; i < end; ++i) {
      const network::InferenceResult r = network::infer(net, clips[i].frames);
      // The counts (each class's longest run or highest count) are the same for every K.
      const network::Vote v = network::run_detection(r.frame_class, net.classes(), first, net.detect_decrement);
      int longest = 0;  // as run_detection: the keyword class with the longest run, the lowest on ties
      for (int k = 1; k < net.classes(); ++k)
        if (longest == 0 || v.counts[k] > v.counts[longest]) longest = k;
      for (std::size_t j = 0; j < rules; ++j) {
        const int run = first + static_cast<int>(j);
        const int decision = (longest > 0 && v.counts[longest] >= run) ? longest : 0;
        correct[j] += decision == clips[i].label;
      }
    }
    return correct;
  };
  const auto [a, b] = in_two_halves(clips.size(), threads, correct_in);
  std::vector<double> accuracy(rules, 0.0);
  if (clips.empty()) return accuracy;
  for (std::size_t j = 0; j < rules; ++j)
    accuracy[j] = static_cast<double>(a[j] + b[j]) / static_cast<double>(clips.size());
  return accuracy;
}

}  // namespace picospice::training
