// The mirror grid of each layer: how finely a lowering quantizes |w| (a weight of 1 is the unit
// mirror width; |w| is rounded to a multiple of 1/grid of it, docs/design.md, 'The circuit').
//
// `lower --grid auto` picks per layer the coarsest grid of kAutoGrids whose quantization moves no
// signal of that layer, on the input sequence, by more than the borderline margin
// (docs/design.md, 'Borderline'): a quantization that stays inside the margin cannot decide a
// state the float network gives with a margin. Per layer, with the float network's own input to
// that layer (so each layer's figure is its own weights' error, not its predecessors'):
//   bmru     every candidate c = max(W_c x + b_c, 0) moves by at most borderline_margin(beta1) of
//            its unit (beta1 <= beta2, so the tighter of its two margins), and every output
//            y = max(W_p h + b_p, 0) by at most borderline_margin(|y|);
//   linear   every y = max(W x + b, 0) by at most borderline_margin(|y|);
//   readout  every logit z = W y + b by at most borderline_margin(|z|).
// When even the finest grid moves a signal further, the finest is chosen and within_margin says so.
#pragma once
#include <vector>

#include "codesign/network.hpp"

namespace picospice::network {

inline constexpr int kAutoGrids[] = {4, 8, 16, 32, 64, 128, 256};

// |w| rounded to a multiple of 1/grid, the sign kept (0 when it rounds to 0: the weight is omitted).
double quantize_weight(double w, int grid);

struct LayerGrid {
  int layer = 0;
  int grid = 32;
  double worst_move = 0;       // the largest signal move at that grid, as a fraction of its margin
  bool within_margin = true;   // worst_move <= 1
};

// Per layer of `network`, the coarsest grid of kAutoGrids as the header says; `frames` is the
// input sequence the lowering uses. Throws std::invalid_argument for a frame of the wrong width.
std::vector<LayerGrid> choose_grids(const Network& network, const std::vector<Vector>& frames);

// The worst signal move of layer `layer` (inputs `inputs`, per frame) at `grid`, as a fraction of
// its margin (see the header).
double worst_quantization_move(const Layer& layer, const std::vector<Vector>& inputs, int grid);

}  // namespace picospice::network
