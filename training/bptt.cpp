// Backpropagation through time (see bptt.hpp for the equations).
#include "training/bptt.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace picospice::training {
namespace {

using Eigen::Map;
using Eigen::VectorXd;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Map<const VectorXd> view(const network::Vector& v) { return {v.data(), static_cast<Eigen::Index>(v.size())}; }

// Softmax cross-entropy of one frame; writes softmax - onehot into `dz`.
double cross_entropy(const network::Vector& logits, int label, VectorXd& dz) {
  const Map<const VectorXd> z = view(logits);
  const double top = z.maxCoeff();
  dz = (z.array() - top).exp();
  const double total = dz.sum();
  dz /= total;
  const double loss = -(z[label] - top - std::log(total));
  dz[label] -= 1.0;
  return loss;
}

// The class each frame's cross-entropy aims at, or -1 for a frame the loss leaves out: the clip's
// label on the frames from `first` on; with best_run = K > 0 (KeywordFrames::best_run), a clip of
// a class k > 0 is scored only on its K consecutive frames where the network already finds k most
// likely (the largest sum of log p(k)), the frames run detection needs. Its other frames are left
// out: before the word they are background, inside it they cannot know the word yet, and asking
// every one of them for k (the every-frame loss) trains against the decision rule itself. This is
// max-pooling loss for keyword spotting (Sun et al., "Max-pooling loss training of long short-term
// memory networks for small-footprint keyword spotting", SLT 2016) with a run of K frames in place
// of their single frame. The window's choice is not differentiated (a subgradient).
//
// With after_word = N >= 0 (KeywordFrames::after_word), a keyword clip with a word span [b, e) aims
// at class 0 on frames t < b (nothing of the word has been heard), at its class from frame e - N on
// (the word's last N frames and everything after: a binary state holds the decision), and leaves
// out the frames between, where "yes" cannot yet be told from "yeah" or "yet". The every-frame and
// best-run losses let the network say "yes" on the word's first syllable, which a confusable word
// shares; this one asks for it only once the word's end has been heard. Needs the span (the
// trainer refuses a keyword clip without one).
std::vector<int> frame_targets(const network::InferenceResult& r, const Clip& clip, int first,
                               const KeywordFrames& keyword) {
  const int T = static_cast<int>(r.logits.size());
  std::vector<int> target(T, -1);
  if (keyword.after_word >= 0 && clip.label > 0) {
    if (!clip.has_word_span()) throw std::logic_error("frame_targets: a keyword clip without a word span");
    const int from = std::max(clip.word_begin, clip.word_end - keyword.after_word);
    for (int t = 0; t < std::min(clip.word_begin, T); ++t) target[t] = 0;
    for (int t = std::max(from, 0); t < T; ++t) target[t] = clip.label;
    return target;
  }
  const int best_run = keyword.best_run;
  if (best_run <= 0 || clip.label == 0 || best_run >= T) {
    for (int t = first; t < T; ++t) target[t] = clip.label;
    return target;
  }
  std::vector<double> prefix(T + 1, 0.0);  // prefix sums of log p(label) = -cross-entropy
  VectorXd dz;
  for (int t = 0; t < T; ++t) prefix[t + 1] = prefix[t] - cross_entropy(r.logits[t], clip.label, dz);
  int best = 0;
  for (int s = 1; s + best_run <= T; ++s)
    if (prefix[s + best_run] - prefix[s] > prefix[best + best_run] - prefix[best]) best = s;
  for (int t = best; t < best + best_run; ++t) target[t] = clip.label;
  return target;
}

ClipOutcome score(const network::InferenceResult& r, const Clip& clip, const std::vector<int>& target) {
  ClipOutcome out;
  out.frames = static_cast<int>(r.logits.size());
  VectorXd dz;
  int scored = 0;
  for (int t = 0; t < out.frames; ++t) {
    if (target[t] >= 0) {
      out.loss += cross_entropy(r.logits[t], target[t], dz);
      ++scored;
    }
    out.frames_correct += r.frame_class[t] == clip.label;
  }
  out.loss /= std::max(scored, 1);
  out.vote_correct = r.vote.decision == clip.label;
  return out;
}

// The readout z = W y + b over the scored frames (target >= 0): adds d loss / d (W, b) to
// `gradient` and returns d loss / d y per frame (zero where not scored). readout_input(t) is y at t.
template <class ReadoutInput>
std::vector<VectorXd> readout_backward(const ModelLayout& layout, const VectorXd& values,
                                       const network::InferenceResult& r, const std::vector<int>& target, double scale,
                                       const ReadoutInput& readout_input, VectorXd& gradient) {
  const ModelShape& shape = layout.shape();
  const int T = static_cast<int>(r.logits.size()), m_out = shape.outputs();
  const Map<const RowMatrix> W_out(values.data() + layout.readout_W(), shape.classes, m_out);
  Map<RowMatrix> dW_out(gradient.data() + layout.readout_W(), shape.classes, m_out);
  Map<VectorXd> db_out(gradient.data() + layout.readout_b(), shape.classes);
  std::vector<VectorXd> d_output(T, VectorXd::Zero(m_out));
  VectorXd dz;
  const long scored = std::count_if(target.begin(), target.end(), [](int k) { return k >= 0; });
  const double frame_scale = scale / std::max(scored, 1L);
  for (int t = 0; t < T; ++t) {
    if (target[t] < 0) continue;
    cross_entropy(r.logits[t], target[t], dz);
    dz *= frame_scale;
    const Map<const VectorXd> y = view(readout_input(t));
    dW_out.noalias() += dz * y.transpose();
    db_out += dz;
    d_output[t].noalias() = W_out.transpose() * dz;
  }
  return d_output;
}

// The linear layer in front, y = max(W x + b, 0) with x the clip's frame: adds d loss / d (W, b)
// to `gradient`, given d loss / d y per frame.
void linear_backward(const ModelLayout& layout, const network::InferenceResult& r, const Clip& clip,
                     const std::vector<VectorXd>& d_output, VectorXd& gradient) {
  const ModelShape& shape = layout.shape();
  const int m = shape.linear, T = static_cast<int>(d_output.size());
  Map<RowMatrix> dW(gradient.data() + layout.linear_W(), m, shape.inputs);
  Map<VectorXd> db(gradient.data() + layout.linear_b(), m);
  VectorXd dpre(m);
  for (int t = 0; t < T; ++t) {
    const network::Vector& y = r.layers[0].output[t];
    for (int j = 0; j < m; ++j) dpre[j] = y[j] > 0 ? d_output[t][j] : 0.0;
    dW.noalias() += dpre * view(clip.frames[t]).transpose();
    db += dpre;
  }
}

// The threshold-margin penalty of a clip (bptt.hpp): every BMRU layer's unit-frames.
double margin_penalty(const network::Network& net, const network::InferenceResult& r, const ThresholdMargin& margin) {
  if (!margin.enabled() || r.logits.empty()) return 0;
  double total = 0;
  network::for_each_candidate(net, r, [&](const network::BmruLayer& layer, std::size_t u, double c) {
    const double beta1 = layer.beta1[u], beta2 = layer.beta2(u);
    total += margin_term(c, beta1, margin.relative).penalty + margin_term(c, beta2, margin.relative).penalty;
  });
  return margin.weight * total / static_cast<double>(r.logits.size());
}

}  // namespace

MarginTerm margin_term(double candidate, double threshold, double relative) {
  const double m = relative * threshold;
  const double d = candidate - threshold;
  if (!(m > 0) || std::abs(d) >= m) return {};
  const double q = 1 - std::abs(d) / m, sign = d >= 0 ? 1.0 : -1.0;
  // d/dc (1 - |d|/m)^2 = -2 q sign(d) / m; by beta, d moves by -1 and m by rho:
  // d/dbeta = 2 q sign(d) / m + 2 q |d| rho / m^2.
  return {q * q, -2 * q * sign / m, 2 * q * sign / m + 2 * q * std::abs(d) * relative / (m * m)};
}

double surrogate_derivative(double x, double a) {
  const double u = std::numbers::pi * a * x;
  return 1.0 / (1.0 + u * u);
}

int loss_first_frame(int frames, int vote_last, bool loss_on_voted_frames) {
  return loss_on_voted_frames && vote_last > 0 && vote_last < frames ? frames - vote_last : 0;
}

ClipOutcome clip_outcome(const network::Network& net, const Clip& clip, const network::StateStep& step,
                         bool loss_on_voted_frames, const ThresholdMargin& margin, const KeywordFrames& keyword,
                         std::vector<int>* frame_class) {
  const int first = loss_first_frame(static_cast<int>(clip.frames.size()), net.vote_last, loss_on_voted_frames);
  const network::InferenceResult r = network::infer(net, clip.frames, step);
  ClipOutcome outcome = score(r, clip, frame_targets(r, clip, first, keyword));
  outcome.margin_penalty = margin_penalty(net, r, margin);
  if (frame_class) *frame_class = r.frame_class;
  return outcome;
}

ClipOutcome clip_gradient(const ModelLayout& layout, const VectorXd& values, const network::Network& net,
                          const Clip& clip, const BackwardOptions& options, double scale, VectorXd& gradient) {
  const network::InferenceResult r = network::infer(net, clip.frames, options.step);
  const int first = loss_first_frame(static_cast<int>(clip.frames.size()), net.vote_last,
                                     options.loss_on_voted_frames);
  const std::vector<int> target = frame_targets(r, clip, first, options.keyword);
  ClipOutcome outcome = score(r, clip, target);
  outcome.margin_penalty = margin_penalty(net, r, options.margin);
  const ModelShape& shape = layout.shape();
  const int T = outcome.frames, n = shape.units, L = shape.layers;
  if (T == 0) return outcome;
  // With a linear layer in front, the network's layer index of BMRU layer l is l + 1.
  const int front = shape.linear > 0 ? 1 : 0;
  if (static_cast<int>(net.layers.size()) != front + L + 1)
    throw std::logic_error("clip_gradient: network/layout mismatch");

  // The input of BMRU layer l (or, for l = L, of the readout) at frame t: the clip's frame, the
  // linear layer's output, or BMRU layer l-1's output.
  const auto layer_input = [&](int l, int t) -> const network::Vector& {
    if (l == 0) return front ? r.layers[0].output[t] : clip.frames[t];
    return r.layers[front + l - 1].output[t];
  };

  // d loss / d (the current layer's output), per frame; first the readout's input.
  std::vector<VectorXd> d_output =
      readout_backward(layout, values, r, target, scale, [&](int t) -> const network::Vector& {
        return layer_input(L, t);
      }, gradient);

  // The BMRU layers, last to first; within a layer, frames last to first (the hold carries
  // gradient from s_t back to s_{t-1}).
  const network::StateStep& step = options.step;
  const double k = step.sigmoid_steepness;
  const bool with_margin = options.margin.enabled();
  const double margin_scale = scale * options.margin.weight / T;
  for (int l = L - 1; l >= 0; --l) {
    const auto& o = layout.bmru()[l];
    const auto& layer = std::get<network::BmruLayer>(net.layers[front + l]);
    const network::LayerTrace& trace = r.layers[front + l];
    const Map<const RowMatrix> W_c(values.data() + o.W_c, n, o.inputs);
    Map<RowMatrix> dW_c(gradient.data() + o.W_c, n, o.inputs);
    Map<VectorXd> db_c(gradient.data() + o.b_c, n), dbeta1(gradient.data() + o.beta1, n),
        ddelta(gradient.data() + o.delta, n), dalpha(gradient.data() + o.alpha, n);
    VectorXd carry = VectorXd::Zero(n), dh(n), dpre(n), pre(n);
    std::vector<VectorXd> d_input(T, VectorXd::Zero(o.inputs));
    // A trained projection's gradient (model.hpp); without one, W_p = I and b_p = 0 are fixed.
    const bool trained_projection = o.W_p >= 0;
    double* const dW_p = trained_projection ? gradient.data() + o.W_p : nullptr;
    double* const db_p = trained_projection ? gradient.data() + o.b_p : nullptr;
    for (int t = T - 1; t >= 0; --t) {
      // y = max(W_p h + b_p, 0) (+ x with skip).
      const network::Vector& h = trace.h[t];
      dh.setZero();
      for (std::size_t j = 0; j < layer.W_p.size(); ++j) {
        double p = layer.b_p[j];
        for (int u = 0; u < n; ++u) p += layer.W_p[j][u] * h[u];
        // The ReLU's derivative at exactly 0 is taken as 1. With the exact step a unit that is off
        // has h = 0, so p = 0 here when W_p = I and b_p = 0 (model.hpp); a derivative of 0 there
        // would leave every unit that is off at the scored frames without the gradient that could
        // turn it on (a quarter of the units of a digits network never switched). h >= 0, so on
        // the values h can take, y = h: the choice is that function's derivative.
        if (p < 0) continue;
        const double dp = d_output[t][j];
        for (int u = 0; u < n; ++u) dh[u] += layer.W_p[j][u] * dp;
        if (trained_projection) {
          for (int u = 0; u < n; ++u) dW_p[j * n + u] += dp * h[u];
          db_p[j] += dp;
        }
      }
      const Map<const VectorXd> x = view(layer_input(l, t));
      if (step.exact()) pre.noalias() = W_c * x + Map<const VectorXd>(layer.b_c.data(), n);
      for (int u = 0; u < n; ++u) {
        const double s = trace.state[t][u];
        const double s_prev = t == 0 ? layer.s0[u] : trace.state[t - 1][u];
        const double c = trace.candidate[t][u];
        const double beta1 = layer.beta1[u], beta2 = layer.beta2(u);
        double H1, H2, dH1, dH2;
        if (step.exact()) {
          H1 = c >= beta1 ? 1.0 : 0.0;  // the band's edges hold (inference.cpp)
          H2 = c > beta2 ? 1.0 : 0.0;
          // The surrogate is taken at the pre-activation's distance from the threshold, and the
          // candidate's ReLU passes the gradient (see the header): with beta1 > 0 the exact step
          // gives the same state for c = max(pre, 0) as for pre itself.
          dH1 = surrogate_derivative(pre[u] - beta1, options.surrogate_a);
          dH2 = surrogate_derivative(pre[u] - beta2, options.surrogate_a);
        } else {
          H1 = step(c - beta1);
          H2 = step(c - beta2);
          dH1 = k * H1 * (1 - H1);
          dH2 = k * H2 * (1 - H2);
        }
        dalpha[u] += dh[u] * s;
        const double ds = dh[u] * layer.alpha[u] + carry[u];
        const double ds_dbeta2 = -dH2 * (1 - H1 * s_prev);
        const double ds_dbeta1 = -(1 - H2) * dH1 * s_prev;
        dbeta1[u] += ds * (ds_dbeta2 + ds_dbeta1);
        ddelta[u] += ds * ds_dbeta2;
        carry[u] = ds * (1 - H2) * H1;
        const double dc = ds * (dH2 * (1 - H1 * s_prev) + (1 - H2) * dH1 * s_prev);
        dpre[u] = c > 0 || step.exact() ? dc : 0.0;  // c = max(pre, 0)
        if (with_margin && c > 0) {  // the margin term's own gradient (zero at c = 0: rho < 1)
          const MarginTerm m1 = margin_term(c, beta1, options.margin.relative);
          const MarginTerm m2 = margin_term(c, beta2, options.margin.relative);
          dpre[u] += margin_scale * (m1.d_candidate + m2.d_candidate);
          dbeta1[u] += margin_scale * (m1.d_threshold + m2.d_threshold);  // beta2 = beta1 + delta
          ddelta[u] += margin_scale * m2.d_threshold;
        }
      }
      // pre = W_c max(x, 0) + b_c; inputs and earlier outputs are >= 0, so max(x, 0) = x.
      dW_c.noalias() += dpre * x.transpose();
      db_c += dpre;
      if (l > 0 || front) {
        d_input[t].noalias() = W_c.transpose() * dpre;
        if (layer.skip) d_input[t] += d_output[t];
      }
    }
    d_output = std::move(d_input);
  }

  if (front) linear_backward(layout, r, clip, d_output, gradient);
  return outcome;
}

}  // namespace picospice::training
