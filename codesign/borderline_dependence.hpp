// Which unit-frames of a software run are a fair test of a circuit: those whose state does not
// depend on a borderline decision, in this frame or any earlier one.
//
// docs/design.md, 'Borderline', excludes borderline frames (the software candidate within max(2% of
// the threshold, 0.01 units) of beta1 or beta2) from the state agreement, because there the circuit
// may decide either way. But a borderline decision does not stay in its frame: when the candidate
// then sits in the hysteresis band, the unit holds whatever it decided, frame after frame, and that
// state feeds the next layer's candidates. A frame whose state follows from an earlier borderline
// decision is no fairer a test than the borderline frame itself. This file finds them.
//
// Definition (an abstract interpretation of the software model, inference.hpp, in which every
// borderline comparison may go either way):
//   - Each signal is an interval [lo, hi] instead of a number; each unit's state a set S of
//     {0, 1}. Inputs are exact; each layer starts from its s0, exactly.
//   - A candidate interval [lo, hi] against threshold b with margin m = max(0.02 b, 0.01):
//       may be above beta2:  hi >= beta2 - m2        may be below beta1:  lo <= beta1 + m1
//       may hold:            hi >= beta1 - m1  and  lo <= beta2 + m2
//     S_t = {1 if may be above} U {0 if may be below} U (S_{t-1} if may hold).
//     For an exact candidate this is the rule of 'Borderline' exactly: a non-borderline candidate
//     falls in one region (S_t = {1}, {0} or S_{t-1}); a borderline one adds the other side.
//   - h = alpha * s ranges over {alpha * s : s in S}; y = max(W_p h + b_p, 0) (+ x) and the
//     next layer's c = max(W_c y + b_c, 0) are bounded by interval arithmetic (each term
//     w * [lo, hi] independently).
//   - A unit-frame is *borderline-dependent* when it is not itself borderline but S_t = {0, 1}:
//     some resolution of the earlier borderline decisions gives the other state.
// Interval arithmetic ignores that two units' uncertainties may come from the same event, so the
// set can be wider than the states truly reachable: the classification errs towards calling a
// frame dependent. Every state the software itself takes lies in its set, so a frame whose set is
// a single state is certainly determined.
#pragma once
#include <vector>

#include "codesign/network.hpp"

namespace picospice::network {

enum class FrameClass {
  determined,           // one state, whatever the borderline decisions
  borderline,           // the candidate itself is borderline (docs/design.md, 'Borderline')
  borderline_dependent  // not borderline, but its state follows from a borderline decision
};

// Per layer (empty for non-BMRU layers), per frame, per unit.
using FrameClasses = std::vector<std::vector<std::vector<FrameClass>>>;

FrameClasses classify_frames(const Network& network, const std::vector<Vector>& frames);

}  // namespace picospice::network
