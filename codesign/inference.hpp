// The software model of an FQ-BMRU network, exactly as docs/design.md, 'The recurrent cell', writes
// it. This is the reference the circuit is judged against, and the forward pass a trainer reuses:
// the per-layer step functions are pure and public.
//
//   bmru:    c = max(W_c max(x,0) + b_c, 0);  beta2 = beta1 + delta
//            s = 1 if c > beta2;  s = s_prev if beta1 <= c <= beta2;  s = 0 if c < beta1
//            h = alpha * s;  y = max(W_p h + b_p, 0) (+ x with skip)
//   linear:  y = max(W x + b, 0)
//   readout: z = W y + b
//
// Decision: each frame's class is the argmax of its logits (ties: the lowest class index); the
// sequence's decision is the class with the most frames over the voted window (all frames, or the
// last `vote_last`), ties again going to the lowest class index. Both tie rules are arbitrary but
// fixed, so that software and circuit are scored the same way.
// Run detection (`detect_run` K > 0), the streaming rule of a keyword spotter: class 0 is the
// background, and a class k > 0 is detected when the readout says k on K consecutive frames; the
// decision is the detected class with the longest run (ties: the lowest index), or 0 when none is
// detected. It does not depend on where the word falls in the clip: a window of any length can be
// scored as it streams, and a word late in the clip needs only K frames after its recognition,
// where a vote over all frames needs half the clip. Its "counts" are each class's longest run.
// With `detect_decrement` d > 0 the run becomes an up/down count: each class's count rises by 1 on
// its frames and falls by d (not below 0) on the others, and a class is detected when its count
// reaches K; a dip of a frame or two inside a long run (babble) then costs 2d frames, not the run.
// Its "counts" are each class's highest count; d = 0 is the run rule. Both are a small counter on
// chip, streaming the same way.
#pragma once
#include <functional>
#include <variant>
#include <vector>

#include "codesign/network.hpp"

namespace picospice::network {

// The Heaviside inside the state update. The software model and the circuit use the exact step;
// only the trainer's gradient check (tests/unit/test_training.cpp) swaps in a steep logistic
// sigmoid, so that finite differences of the whole network exist and can be compared with the
// backward pass. Written as one formula, the update is
//   s = H(c - beta2) + (1 - H(c - beta2)) * H(c - beta1) * s_prev,
// which is the three-region rule when H is the exact step (H(0) = 0 in the first term and 1 in the
// second, so both band edges hold, as the <= of 'The recurrent cell' says).
struct StateStep {
  double sigmoid_steepness = 0;  // 0: the exact step; k > 0: H(x) = 1 / (1 + exp(-k x))
  bool exact() const { return sigmoid_steepness <= 0; }
  double operator()(double x) const;  // the smooth H (only meaningful when !exact())
};

struct BmruStep {
  Vector candidate;  // c, model units
  Vector state;      // s, 0 or 1
  Vector h;          // alpha * s
  Vector output;     // y
};

// One frame of a BMRU layer, given the input x and the previous state (0/1 per unit).
BmruStep bmru_step(const BmruLayer& layer, const Vector& x, const Vector& previous_state,
                   const StateStep& step = {});
// The rest of a frame once its candidate and state are known: h = alpha * s and the output y.
BmruStep bmru_step_from_state(const BmruLayer& layer, const Vector& x, Vector candidate, Vector state);
// The three-region update of unit `unit` of `layer` (force low / hold / force high).
double bmru_update(const BmruLayer& layer, std::size_t unit, double candidate, double previous_state,
                   const StateStep& step = {});
Vector linear_step(const LinearLayer& layer, const Vector& x);
Vector readout_step(const ReadoutLayer& layer, const Vector& y);

// Per frame, per layer. candidate/state/h stay empty for non-BMRU layers; for the readout,
// output holds the logits.
struct LayerTrace {
  std::vector<Vector> candidate, state, h, output;
};

struct Vote {
  std::vector<int> counts;  // frames won by each class in the voted window
  int decision = 0;
  int first_frame = 0;      // the window is [first_frame, frames)
  int margin = 0;           // winner's count minus the runner-up's
  // A clip is borderline when the vote is won by at most 5% of its voted frames (docs/design.md,
  // 'Borderline').
  bool borderline = false;
};

struct InferenceResult {
  std::vector<LayerTrace> layers;
  std::vector<Vector> logits;    // per frame
  std::vector<int> frame_class;  // argmax per frame
  Vote vote;
};

InferenceResult infer(const Network& network, const std::vector<Vector>& frames, const StateStep& step = {});

// Who decides a borderline unit-frame (is_borderline below): the state (0 or 1) that unit `unit`
// of layer `layer` takes at frame `frame` when its candidate there is borderline. The software
// rule decides every other unit-frame.
using BorderlineChoice = std::function<int(std::size_t layer, std::size_t frame, std::size_t unit)>;
// The software model with every borderline decision taken by `choice` instead of the rule: with
// a circuit's sampled states as the choice, the run the circuit is entitled to follow (a
// borderline decision may go either way, and what follows from it is then the network's own
// consequence of that choice, frame after frame and in later layers). Borderline is tested on
// the candidates of this run, so a choice can create or remove later borderline frames.
InferenceResult infer_with_borderline_choices(const Network& network, const std::vector<Vector>& frames,
                                              const BorderlineChoice& choice);

// An offset (model units) added to the candidate of unit `unit` of `layer` at frame `frame` where
// the cell compares it with its thresholds: a device error that moves the switching points.
using CandidateOffset = std::function<double(std::size_t layer, std::size_t frame, std::size_t unit)>;
// The software model with every state decided on candidate + offset (the traces record the shifted
// candidate); what follows in later frames and layers is the network's own response. `--area auto`
// (area_allocation.hpp) asks with it how large an error of one unit changes a sequence's decision.
InferenceResult infer_with_candidate_offsets(const Network& network, const std::vector<Vector>& frames,
                                             const CandidateOffset& offset);

// Index of the largest value, the lowest index on ties.
int argmax(const Vector& values);
Vote majority_vote(const std::vector<int>& frame_class, int classes, int vote_last);
// Run detection with runs of `run` frames (see 'Decision' above). The margin is the deciding run's
// distance from `run` frames (the longest run of a class > 0, detected or not), and the clip is
// borderline when that distance is at most 5% of the frames, as for the vote.
// `decrement` > 0: the up/down count above instead of the run.
Vote run_detection(const std::vector<int>& frame_class, int classes, int run, int decrement = 0);
// The network's own rule: run_detection when network.detect_run > 0, else majority_vote.
Vote decide(const std::vector<int>& frame_class, const Network& network);

// How close to a switching point (beta1 or beta2) a candidate is borderline: within
// max(2% of the threshold, 0.01 units) of it (docs/design.md, 'Borderline').
double borderline_margin(double threshold);
// A borderline unit-frame (docs/design.md, 'Borderline'): the candidate of unit `unit` of `layer` lies within
// borderline_margin of its beta1 or of its beta2. There the circuit may decide either way.
bool is_borderline(const BmruLayer& layer, std::size_t unit, double candidate);

// Calls f(layer, unit, candidate) for every unit-frame of every BMRU layer of `result`, a run of
// `network` (frames in order within a layer).
template <class F>
void for_each_candidate(const Network& network, const InferenceResult& result, F&& f) {
  for (std::size_t l = 0; l < network.layers.size(); ++l) {
    const auto* layer = std::get_if<BmruLayer>(&network.layers[l]);
    if (!layer) continue;
    for (const Vector& frame : result.layers[l].candidate)
      for (std::size_t u = 0; u < frame.size(); ++u) f(*layer, u, frame[u]);
  }
}

}  // namespace picospice::network
