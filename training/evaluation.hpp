// Scoring a network on a split: mean cross-entropy (over the frames the training loss scores:
// loss_on_voted_frames and the keyword frames as in BackwardOptions, bptt.hpp), frame accuracy (each
// frame's argmax) and sequence accuracy (the network's majority vote, over all frames or its vote_last), through the
// software model (network::infer).
#pragma once
#include <vector>

#include "codesign/network.hpp"
#include "training/bptt.hpp"
#include "training/dataset.hpp"

namespace picospice::training {

// Run lengths K in [first, last] to score besides the network's own rule (`train --choose-run`);
// first = 0: none.
struct RunLengths {
  int first = 0, last = 0;
  bool enabled() const { return first > 0; }
};

struct SplitScore {
  int clips = 0;
  long long frames = 0;
  double loss = 0;            // mean over clips of the per-clip mean cross-entropy
  double frame_accuracy = 0;  // over all frames of all clips
  double vote_accuracy = 0;   // over clips
  // With RunLengths: the decision accuracy under run detection (the network's detect_decrement)
  // with each K, element K - first. The same pass serves every K, since a clip's longest run (or
  // highest count) of each class does not depend on K; the decision for K is the keyword class with
  // the longest run when that run reaches K, else class 0 (network::run_detection).
  std::vector<double> run_accuracy;
};

// How epochs (trainer.cpp) and restarts (restarts.cpp) are ranked: by vote accuracy, then frame
// accuracy; true when `a` ranks strictly above `b` (a tie keeps the earlier one).
inline bool ranks_above(const SplitScore& a, const SplitScore& b) {
  return a.vote_accuracy > b.vote_accuracy || (a.vote_accuracy == b.vote_accuracy && a.frame_accuracy > b.frame_accuracy);
}

// The clips are split in two fixed halves, run on up to `threads` threads and summed in order,
// so the result does not depend on `threads`. Throws std::invalid_argument for RunLengths other
// than 1 <= first <= last.
SplitScore evaluate(const network::Network& net, const std::vector<Clip>& clips, int threads = 2,
                    bool loss_on_voted_frames = false, const KeywordFrames& keyword = {}, const RunLengths& runs = {});

// evaluate(...).run_accuracy for K in [first, last].
std::vector<double> run_rule_accuracies(const network::Network& net, const std::vector<Clip>& clips, int first,
                                        int last, int threads = 2);

}  // namespace picospice::training
