// Backpropagation through time for one clip of a trainer-shaped BMRU network (model.hpp).
//
// Forward: network::infer, the software model's one implementation (inference.hpp); its per-frame
// traces (candidate, state, h, output of every layer) are all the backward pass needs.
// Loss: cross-entropy of the readout's softmax against the clip's label, averaged over the frames:
// every frame (the default), or only the frames the network's vote counts (its last vote_last
// frames; BackwardOptions::loss_on_voted_frames), or, for run detection, a keyword clip's best run
// of K frames (KeywordFrames::best_run, max-pooling loss: bptt.cpp, frame_targets), or a keyword
// clip's frames after the word (KeywordFrames::after_word, from the clip's word span). The voted
// frames suit tasks whose early frames cannot know the class (digits: row 0 of an image says little
// about the digit), so that the training signal is not spent on frames the decision ignores.
// Backward, with H1 = H(c - beta1), H2 = H(c - beta2), beta2 = beta1 + delta and
//   s = H2 + (1 - H2) * H1 * s_prev                                        (inference.hpp)
//   ds/dc      = H2' (1 - H1 s_prev) + (1 - H2) H1' s_prev
//   ds/dbeta2  = -H2' (1 - H1 s_prev),     ds/dbeta1 (direct) = -(1 - H2) H1' s_prev
//   ds/ds_prev = (1 - H2) H1               (the hold: the only path through time)
// With the exact step, H is the step itself (0 or 1) and H' the surrogate
//   H'(x) = 1 / (1 + (pi a x)^2)                   (docs/design.md, 'The recurrent cell')
// With a smooth StateStep (the gradient check), H is the logistic and H' its true derivative
// k H (1 - H), so the backward pass is then the exact gradient of the forward pass.
// The ReLUs pass gradient where their output is positive; W_p and b_p are fixed (W_p = I), or
// trained with a projection (model.hpp).
//
// The threshold margin (ThresholdMargin, `train --margin`). Cross-entropy alone does not care how
// close a candidate comes to a switching point, and the surrogate's gradient is largest there, so
// a trained unit can rest a fraction of a percent from beta1 or beta2 for many frames (a layer
// whose inputs are the discrete outputs of the layer before sees the same candidate again and
// again). The circuit's offsets and its mismatch (several percent of the threshold) then decide
// that unit's state, and with it the clip. The margin term penalizes every unit-frame whose
// candidate lies within m = rho * beta of a threshold beta (beta1 and beta2 separately):
//   penalty = weight / T * sum over layers, units, frames of (1 - |c - beta| / m)^2   (|c - beta| < m)
// so one unit sitting on a threshold for the whole clip costs `weight`. Its gradient moves c
// (through W_c, b_c and the earlier layers) and beta, and is added to the cross-entropy's.
#pragma once
#include <Eigen/Core>

#include "codesign/inference.hpp"
#include "training/dataset.hpp"
#include "training/model.hpp"

namespace picospice::training {

struct ThresholdMargin {
  double relative = 0;  // rho: the margin as a fraction of the threshold (0: no margin term)
  double weight = 0.3;  // the penalty of one unit on a threshold for the whole clip (the kws setting)
  bool enabled() const { return relative > 0 && weight > 0; }
};

// Which frames of a keyword clip (class k > 0) the cross-entropy scores instead of the default
// (bptt.cpp, frame_targets); background clips (class 0) keep every frame.
struct KeywordFrames {
  // > 0: only its best run of this many frames (`train --loss-on-best-run` with --detect-run K).
  int best_run = 0;
  // >= 0: from its word span [begin, end) (Clip::word_begin/word_end): frames before the word
  // aim at class 0, frames from end - after_word on at k, the frames between are not scored
  // (`train --loss-after-word N`). -1: off.
  int after_word = -1;
};

struct BackwardOptions {
  network::StateStep step;   // exact (training) or a steep sigmoid (the gradient check)
  double surrogate_a = 1.0;  // the surrogate's sharpness a (used with the exact step)
  bool loss_on_voted_frames = false;  // cross-entropy on the voted window only (else every frame)
  ThresholdMargin margin;
  KeywordFrames keyword;      // a keyword clip's scored frames (default: as above)
};

struct ClipOutcome {
  double loss = 0;          // mean cross-entropy over the loss's frames (all, or the voted window)
  double margin_penalty = 0;  // the threshold-margin term (0 without one); the objective is loss + this
  int frames = 0;           // all frames of the clip
  int frames_correct = 0;   // argmax of the logits == label
  bool vote_correct = false;  // the network's majority vote (its vote_last) == label
};

// The surrogate derivative 1 / (1 + (pi a x)^2).
double surrogate_derivative(double x, double a);

// Runs the clip through `net` (which must be to_network(layout, values, ...)) and adds
// scale * d(loss)/d(values) into `gradient` (same layout as values).
ClipOutcome clip_gradient(const ModelLayout& layout, const Eigen::VectorXd& values, const network::Network& net,
                          const Clip& clip, const BackwardOptions& options, double scale, Eigen::VectorXd& gradient);

// The forward pass alone: the clip's loss (and margin penalty), frame and vote accuracy; with
// `frame_class`, also each frame's argmax (for scoring other decision rules on the same pass).
ClipOutcome clip_outcome(const network::Network& net, const Clip& clip, const network::StateStep& step = {},
                         bool loss_on_voted_frames = false, const ThresholdMargin& margin = {}, const KeywordFrames& keyword = {},
                         std::vector<int>* frame_class = nullptr);

// One candidate's margin term against one threshold: the penalty (1 - |c - beta| / m)^2 with
// m = rho * beta, and its derivatives by c and by beta (zero outside the margin).
struct MarginTerm {
  double penalty = 0, d_candidate = 0, d_threshold = 0;
};
MarginTerm margin_term(double candidate, double threshold, double relative);

// The first frame the loss covers: 0, or the vote window's first frame (majority_vote's rule).
int loss_first_frame(int frames, int vote_last, bool loss_on_voted_frames);

}  // namespace picospice::training
