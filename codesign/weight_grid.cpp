// The mirror grid of each layer (see weight_grid.hpp).
#include "codesign/weight_grid.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <variant>

#include "codesign/inference.hpp"

namespace picospice::network {
namespace {

double relu(double v) { return std::max(v, 0.0); }

// The largest |f(W_q x + b) - f(W x + b)| / margin(f(W x + b)) over the rows of W and the frames,
// f the ReLU or the identity; margin(value) by row and reference value.
template <class Margin>
double worst_move(const Matrix& W, const Vector& b, const std::vector<Vector>& inputs, int grid, bool rectified,
                  Margin margin) {
  double worst = 0;
  for (std::size_t r = 0; r < W.size(); ++r) {
    Vector quantized(W[r].size());
    for (std::size_t j = 0; j < W[r].size(); ++j) quantized[j] = quantize_weight(W[r][j], grid);
    for (const Vector& x : inputs) {
      double exact = b[r], moved = b[r];
      for (std::size_t j = 0; j < W[r].size(); ++j) {
        exact += W[r][j] * x[j];
        moved += quantized[j] * x[j];
      }
      if (rectified) exact = relu(exact), moved = relu(moved);
      worst = std::max(worst, std::abs(moved - exact) / margin(r, exact));
    }
  }
  return worst;
}

}  // namespace

double quantize_weight(double w, int grid) {
  return std::round(std::abs(w) * grid) / grid * (w < 0 ? -1.0 : 1.0);
}

double worst_quantization_move(const Layer& layer, const std::vector<Vector>& inputs, int grid) {
  const auto of_value = [](std::size_t, double value) { return borderline_margin(std::abs(value)); };
  if (const auto* b = std::get_if<BmruLayer>(&layer)) {
    std::vector<Vector> rectified;
    for (const Vector& x : inputs) {
      rectified.emplace_back(x.size());
      std::transform(x.begin(), x.end(), rectified.back().begin(), relu);
    }
    const double candidates = worst_move(b->W_c, b->b_c, rectified, grid, true, [&](std::size_t u, double) {
      return borderline_margin(b->beta1[u]);
    });
    // W_p acts on h = alpha * s: the h of the float layer's own run on these inputs.
    std::vector<Vector> h;
    Vector state(b->s0.begin(), b->s0.end());
    for (const Vector& x : rectified) {
      BmruStep step = bmru_step(*b, x, state);
      state = step.state;
      h.push_back(step.h);
    }
    return std::max(candidates, worst_move(b->W_p, b->b_p, h, grid, true, of_value));
  }
  if (const auto* lin = std::get_if<LinearLayer>(&layer)) return worst_move(lin->W, lin->b, inputs, grid, true, of_value);
  const auto& readout = std::get<ReadoutLayer>(layer);
  return worst_move(readout.W, readout.b, inputs, grid, false, of_value);
}

std::vector<LayerGrid> choose_grids(const Network& network, const std::vector<Vector>& frames) {
  const InferenceResult software = infer(network, frames);
  std::vector<LayerGrid> grids;
  for (std::size_t L = 0; L < network.layers.size(); ++L) {
    const std::vector<Vector>& inputs = L == 0 ? frames : software.layers[L - 1].output;
    LayerGrid choice{static_cast<int>(L), kAutoGrids[std::size(kAutoGrids) - 1], 0, false};
    for (int grid : kAutoGrids) {
      choice.grid = grid;
      choice.worst_move = worst_quantization_move(network.layers[L], inputs, grid);
      choice.within_margin = choice.worst_move <= 1;
      if (choice.within_margin) break;
    }
    grids.push_back(choice);
  }
  return grids;
}

}  // namespace picospice::network
