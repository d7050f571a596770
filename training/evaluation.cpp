// Scoring a network on a split (see evaluation.hpp).
#include "training/evaluation.hpp"

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

}  // namespace picospice::training
