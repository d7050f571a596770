// Borderline and borderline-dependent unit-frames (see borderline_dependence.hpp).
#include "codesign/borderline_dependence.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "codesign/inference.hpp"

namespace picospice::network {
namespace {

struct Interval {
  double lo = 0, hi = 0;
};
using Intervals = std::vector<Interval>;

Interval relu(Interval v) { return {std::max(v.lo, 0.0), std::max(v.hi, 0.0)}; }

// W x + b with every x_j an independent interval: each term's extremes at the ends of x_j.
Intervals affine(const Matrix& W, const Vector& b, const Intervals& x) {
  Intervals out(W.size());
  for (std::size_t r = 0; r < W.size(); ++r) {
    Interval s{b[r], b[r]};
    for (std::size_t c = 0; c < x.size(); ++c) {
      const double a = W[r][c] * x[c].lo, z = W[r][c] * x[c].hi;
      s.lo += std::min(a, z);
      s.hi += std::max(a, z);
    }
    out[r] = s;
  }
  return out;
}

// The states a unit may take: bit 0 set when 0 is possible, bit 1 when 1 is.
using StateSet = unsigned;
constexpr StateSet kLow = 1, kHigh = 2, kEither = 3;

// The states unit `u` of `layer` may take after a candidate in `c`, from those it may have had.
StateSet next_states(const BmruLayer& layer, std::size_t u, Interval c, StateSet previous) {
  const double beta1 = layer.beta1[u], beta2 = layer.beta2(u);
  const double m1 = borderline_margin(beta1), m2 = borderline_margin(beta2);
  StateSet s = 0;
  if (c.hi >= beta2 - m2) s |= kHigh;
  if (c.lo <= beta1 + m1) s |= kLow;
  if (c.hi >= beta1 - m1 && c.lo <= beta2 + m2) s |= previous;
  return s;
}

}  // namespace

FrameClasses classify_frames(const Network& network, const std::vector<Vector>& frames) {
  const InferenceResult software = infer(network, frames);
  FrameClasses classes(network.layers.size());
  std::vector<std::vector<StateSet>> states(network.layers.size());
  for (std::size_t l = 0; l < network.layers.size(); ++l)
    if (const auto* b = std::get_if<BmruLayer>(&network.layers[l]))
      for (int s : b->s0) states[l].push_back(s ? kHigh : kLow);

  for (std::size_t t = 0; t < frames.size(); ++t) {
    Intervals signal;
    for (double x : frames[t]) signal.push_back({x, x});
    for (std::size_t l = 0; l < network.layers.size(); ++l) {
      const Layer& layer = network.layers[l];
      if (const auto* b = std::get_if<BmruLayer>(&layer)) {
        Intervals xp(signal.size());
        for (std::size_t j = 0; j < signal.size(); ++j) xp[j] = relu(signal[j]);
        Intervals c = affine(b->W_c, b->b_c, xp);
        std::vector<FrameClass> row(b->units());
        Intervals h(b->units());
        for (std::size_t u = 0; u < b->units(); ++u) {
          c[u] = relu(c[u]);
          states[l][u] = next_states(*b, u, c[u], states[l][u]);
          const double sw = software.layers[l].candidate[t][u];
          row[u] = is_borderline(*b, u, sw)       ? FrameClass::borderline
                   : states[l][u] == kEither ? FrameClass::borderline_dependent
                                             : FrameClass::determined;
          h[u] = {states[l][u] & kLow ? 0.0 : b->alpha[u], states[l][u] & kHigh ? b->alpha[u] : 0.0};
        }
        classes[l].push_back(std::move(row));
        Intervals y = affine(b->W_p, b->b_p, h);
        for (std::size_t j = 0; j < y.size(); ++j) {
          y[j] = relu(y[j]);
          if (b->skip) y[j].lo += xp[j].lo, y[j].hi += xp[j].hi;
        }
        signal = std::move(y);
      } else if (const auto* lin = std::get_if<LinearLayer>(&layer)) {
        signal = affine(lin->W, lin->b, signal);
        for (auto& v : signal) v = relu(v);
      }
      // The readout ends the pass; its logits are not classified.
    }
  }
  return classes;
}

}  // namespace picospice::network
