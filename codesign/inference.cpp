// The software model (see inference.hpp for the equations).
#include "codesign/inference.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace picospice::network {
namespace {

double relu(double v) { return v > 0 ? v : 0.0; }

// W x + b.
Vector affine(const Matrix& W, const Vector& b, const Vector& x) {
  Vector out(W.size());
  for (std::size_t r = 0; r < W.size(); ++r) {
    double s = b[r];
    for (std::size_t c = 0; c < x.size(); ++c) s += W[r][c] * x[c];
    out[r] = s;
  }
  return out;
}

}  // namespace

double StateStep::operator()(double x) const { return 1.0 / (1.0 + std::exp(-sigmoid_steepness * x)); }

double bmru_update(const BmruLayer& layer, std::size_t unit, double c, double previous_state, const StateStep& step) {
  const double beta1 = layer.beta1[unit], beta2 = layer.beta2(unit);
  if (!step.exact()) {
    const double high = step(c - beta2);
    return high + (1.0 - high) * step(c - beta1) * previous_state;
  }
  if (c > beta2) return 1.0;
  if (c < beta1) return 0.0;
  return previous_state;
}

BmruStep bmru_step(const BmruLayer& layer, const Vector& x, const Vector& previous_state, const StateStep& state_step) {
  Vector xp(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) xp[i] = relu(x[i]);
  Vector candidate = affine(layer.W_c, layer.b_c, xp);
  const std::size_t n = layer.units();
  Vector state(n);
  for (std::size_t i = 0; i < n; ++i) {
    candidate[i] = relu(candidate[i]);
    state[i] = bmru_update(layer, i, candidate[i], previous_state[i], state_step);
  }
  return bmru_step_from_state(layer, x, std::move(candidate), std::move(state));
}

BmruStep bmru_step_from_state(const BmruLayer& layer, const Vector& x, Vector candidate, Vector state) {
  BmruStep step;
  step.candidate = std::move(candidate);
  step.state = std::move(state);
  const std::size_t n = layer.units();
  step.h.resize(n);
  for (std::size_t i = 0; i < n; ++i) step.h[i] = layer.alpha[i] * step.state[i];
  step.output = affine(layer.W_p, layer.b_p, step.h);
  for (std::size_t j = 0; j < step.output.size(); ++j) {
    step.output[j] = relu(step.output[j]);
    if (layer.skip) step.output[j] += relu(x[j]);
  }
  return step;
}

Vector linear_step(const LinearLayer& layer, const Vector& x) {
  Vector y = affine(layer.W, layer.b, x);
  for (auto& v : y) v = relu(v);
  return y;
}

Vector readout_step(const ReadoutLayer& layer, const Vector& y) { return affine(layer.W, layer.b, y); }

int argmax(const Vector& values) {
  int best = 0;
  for (std::size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[best]) best = static_cast<int>(i);
  return best;
}

Vote majority_vote(const std::vector<int>& frame_class, int classes, int vote_last) {
  Vote vote;
  const int frames = static_cast<int>(frame_class.size());
  vote.first_frame = (vote_last > 0 && vote_last < frames) ? frames - vote_last : 0;
  vote.counts.assign(classes, 0);
  for (int t = vote.first_frame; t < frames; ++t) ++vote.counts[frame_class[t]];
  Vector as_double(vote.counts.begin(), vote.counts.end());
  vote.decision = argmax(as_double);
  int runner_up = 0;
  for (int k = 0; k < classes; ++k)
    if (k != vote.decision) runner_up = std::max(runner_up, vote.counts[k]);
  vote.margin = vote.counts[vote.decision] - runner_up;
  vote.borderline = vote.margin <= 0.05 * (frames - vote.first_frame);
  return vote;
}

Vote run_detection(const std::vector<int>& frame_class, int classes, int run, int decrement) {
  Vote vote;
  const int frames = static_cast<int>(frame_class.size());
  vote.counts.assign(classes, 0);  // the longest run (highest count) of each class
  std::vector<int> count(std::size_t(classes), 0);
  for (int t = 0; t < frames; ++t)
    for (int k = 0; k < classes; ++k) {
      int& c = count[std::size_t(k)];
      c = frame_class[t] == k ? c + 1 : (decrement > 0 ? std::max(0, c - decrement) : 0);
      vote.counts[k] = std::max(vote.counts[k], c);
    }
  int longest = 0;  // the keyword class (> 0) with the longest run, detected or not
  for (int k = 1; k < classes; ++k)
    if (longest == 0 || vote.counts[k] > vote.counts[longest]) longest = k;
  vote.decision = (longest > 0 && vote.counts[longest] >= run) ? longest : 0;
  vote.margin = longest > 0 ? std::abs(vote.counts[longest] - run) : run;
  vote.borderline = vote.margin <= 0.05 * frames;
  return vote;
}

Vote decide(const std::vector<int>& frame_class, const Network& network) {
  return network.detect_run > 0 ? run_detection(frame_class, network.classes(), network.detect_run, network.detect_decrement)
                                : majority_vote(frame_class, network.classes(), network.vote_last);
}

double borderline_margin(double threshold) { return std::max(0.02 * threshold, 0.01); }

bool is_borderline(const BmruLayer& layer, std::size_t unit, double candidate) {
  const auto near = [&](double threshold) { return std::abs(candidate - threshold) <= borderline_margin(threshold); };
  return near(layer.beta1[unit]) || near(layer.beta2(unit));
}

namespace {

// The forward pass of infer(); `choice` (may be empty) overrides borderline decisions, `offset`
// (may be empty) shifts the candidates the states are decided on.
InferenceResult run_network(const Network& network, const std::vector<Vector>& frames, const StateStep& state_step,
                            const BorderlineChoice& choice, const CandidateOffset& offset = {}) {
  InferenceResult result;
  result.layers.resize(network.layers.size());
  // The running state of every BMRU layer, starting from s0.
  std::vector<Vector> states(network.layers.size());
  for (std::size_t l = 0; l < network.layers.size(); ++l)
    if (const auto* b = std::get_if<BmruLayer>(&network.layers[l])) states[l].assign(b->s0.begin(), b->s0.end());

  for (std::size_t t = 0; t < frames.size(); ++t) {
    const Vector& frame = frames[t];
    if (frame.size() != static_cast<std::size_t>(network.inputs))
      throw std::invalid_argument("infer: a frame's width differs from the network's inputs");
    Vector signal = frame;
    for (std::size_t l = 0; l < network.layers.size(); ++l) {
      LayerTrace& trace = result.layers[l];
      const Layer& layer = network.layers[l];
      if (const auto* b = std::get_if<BmruLayer>(&layer)) {
        BmruStep step = bmru_step(*b, signal, states[l], state_step);
        if (offset) {
          for (std::size_t u = 0; u < step.state.size(); ++u) {
            step.candidate[u] += offset(l, t, u);
            step.state[u] = bmru_update(*b, u, step.candidate[u], states[l][u], state_step);
          }
          step = bmru_step_from_state(*b, signal, std::move(step.candidate), std::move(step.state));
        }
        if (choice) {
          bool changed = false;
          for (std::size_t u = 0; u < step.state.size(); ++u) {
            if (!is_borderline(*b, u, step.candidate[u])) continue;
            const double chosen = choice(l, t, u) ? 1.0 : 0.0;
            changed = changed || chosen != step.state[u];
            step.state[u] = chosen;
          }
          // The candidate does not depend on this frame's state, so only the output is redone.
          if (changed) step = bmru_step_from_state(*b, signal, std::move(step.candidate), std::move(step.state));
        }
        states[l] = step.state;
        trace.candidate.push_back(step.candidate);
        trace.state.push_back(step.state);
        trace.h.push_back(step.h);
        signal = step.output;
      } else if (const auto* lin = std::get_if<LinearLayer>(&layer)) {
        signal = linear_step(*lin, signal);
      } else {
        signal = readout_step(std::get<ReadoutLayer>(layer), signal);
      }
      trace.output.push_back(signal);
    }
    result.logits.push_back(signal);
    result.frame_class.push_back(argmax(signal));
  }
  result.vote = decide(result.frame_class, network);
  return result;
}

}  // namespace

InferenceResult infer(const Network& network, const std::vector<Vector>& frames, const StateStep& state_step) {
  return run_network(network, frames, state_step, {});
}

InferenceResult infer_with_borderline_choices(const Network& network, const std::vector<Vector>& frames,
                                              const BorderlineChoice& choice) {
  return run_network(network, frames, {}, choice);
}

InferenceResult infer_with_candidate_offsets(const Network& network, const std::vector<Vector>& frames,
                                             const CandidateOffset& offset) {
  return run_network(network, frames, {}, {}, offset);
}

}  // namespace picospice::network
