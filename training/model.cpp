// The trainable network's layout and reparametrization (see model.hpp).
#include "training/model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/counter_rng.hpp"

namespace picospice::training {

double softplus(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }
double softplus_inverse(double y) { return y > 30 ? y : std::log(std::expm1(y)); }
namespace {
double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double floor_of(ParameterKind kind) {
  switch (kind) {
    case ParameterKind::Beta1: return kBeta1Floor;
    case ParameterKind::Delta: return kDeltaFloor;
    case ParameterKind::Alpha: return kAlphaFloor;
    default: return 0;
  }
}
bool constrained(ParameterKind kind) {
  return kind == ParameterKind::Beta1 || kind == ParameterKind::Delta || kind == ParameterKind::Alpha;
}
}  // namespace

ModelLayout::ModelLayout(const ModelShape& shape) : shape_(shape) {
  if (shape.inputs < 1 || shape.classes < 2 || shape.layers < 1 || shape.units < 1)
    throw std::invalid_argument("model: needs inputs >= 1, classes >= 2, layers >= 1 and units >= 1");
  const auto add = [&](int count, ParameterKind kind) {
    const int offset = size_;
    size_ += count;
    kinds_.insert(kinds_.end(), count, kind);
    return offset;
  };
  if (shape.linear < 0) throw std::invalid_argument("model: the linear layer's width must be >= 0");
  if (shape.projection < 0) throw std::invalid_argument("model: the projection's width must be >= 0");
  if (shape.linear > 0) {
    linear_W_ = add(shape.linear * shape.inputs, ParameterKind::Weight);
    linear_b_ = add(shape.linear, ParameterKind::Bias);
  }
  const int n = shape.units;
  for (int l = 0; l < shape.layers; ++l) {
    BmruOffsets o;
    o.inputs = l == 0 ? (shape.linear > 0 ? shape.linear : shape.inputs) : shape.outputs();
    o.W_c = add(n * o.inputs, ParameterKind::Weight);
    o.b_c = add(n, ParameterKind::Bias);
    o.beta1 = add(n, ParameterKind::Beta1);
    o.delta = add(n, ParameterKind::Delta);
    o.alpha = add(n, ParameterKind::Alpha);
    if (shape.projection > 0) {
      o.W_p = add(shape.projection * n, ParameterKind::Weight);
      o.b_p = add(shape.projection, ParameterKind::Bias);
    }
    bmru_.push_back(o);
  }
  readout_W_ = add(shape.classes * shape.outputs(), ParameterKind::ReadoutWeight);
  readout_b_ = add(shape.classes, ParameterKind::ReadoutBias);
}

Realized realize(const ModelLayout& layout, const Eigen::VectorXd& theta) {
  Realized r{theta, Eigen::VectorXd::Ones(theta.size())};
  for (int i = 0; i < layout.size(); ++i) {
    const ParameterKind kind = layout.kind(i);
    if (!constrained(kind)) continue;
    r.values[i] = floor_of(kind) + softplus(theta[i]);
    r.derivative[i] = logistic(theta[i]);
  }
  return r;
}

network::Network to_network(const ModelLayout& layout, const Eigen::VectorXd& v, int vote_last,
                            double unit_current, double frame, int detect_run, int detect_decrement) {
  const ModelShape& s = layout.shape();
  const auto vector_at = [&](int offset, int count) {
    return network::Vector(v.data() + offset, v.data() + offset + count);
  };
  const auto matrix_at = [&](int offset, int rows, int cols) {
    network::Matrix m(rows);
    for (int r = 0; r < rows; ++r) m[r] = vector_at(offset + r * cols, cols);
    return m;
  };
  network::Network net;
  net.unit_current = unit_current;
  net.frame = frame;
  net.inputs = s.inputs;
  net.vote_last = vote_last;
  net.detect_run = detect_run;
  net.detect_decrement = detect_decrement;
  const int n = s.units;
  if (s.linear > 0)
    net.layers.emplace_back(network::LinearLayer{matrix_at(layout.linear_W(), s.linear, s.inputs),
                                                 vector_at(layout.linear_b(), s.linear)});
  for (const auto& o : layout.bmru()) {
    network::BmruLayer b;
    b.W_c = matrix_at(o.W_c, n, o.inputs);
    b.b_c = vector_at(o.b_c, n);
    b.beta1 = vector_at(o.beta1, n);
    b.delta = vector_at(o.delta, n);
    b.alpha = vector_at(o.alpha, n);
    b.s0.assign(n, 0);
    if (o.W_p >= 0) {
      b.W_p = matrix_at(o.W_p, s.projection, n);
      b.b_p = vector_at(o.b_p, s.projection);
    } else {
      b.W_p.assign(n, network::Vector(n, 0.0));
      for (int u = 0; u < n; ++u) b.W_p[u][u] = 1.0;
      b.b_p.assign(n, 0.0);
    }
    net.layers.emplace_back(std::move(b));
  }
  net.layers.emplace_back(network::ReadoutLayer{matrix_at(layout.readout_W(), s.classes, s.outputs()),
                                                vector_at(layout.readout_b(), s.classes)});
  return net;
}

Eigen::VectorXd initial_theta(const ModelLayout& layout, std::uint64_t seed) {
  const std::uint64_t stream = random::fnv1a64("picospice train init");
  const auto normal = [&](int i) { return random::unit_normal(seed, stream, 2 * static_cast<std::uint64_t>(i)); };
  const auto uniform = [&](int i, double lo, double hi) {
    return lo + (hi - lo) * random::unit_uniform(seed, stream, 2 * static_cast<std::uint64_t>(i) + 1);
  };
  const ModelShape& s = layout.shape();
  Eigen::VectorXd theta(layout.size());
  if (s.linear > 0) {
    for (int i = 0; i < s.linear * s.inputs; ++i)
      theta[layout.linear_W() + i] = normal(layout.linear_W() + i) * 1.5 / std::sqrt(s.inputs);
    for (int j = 0; j < s.linear; ++j) theta[layout.linear_b() + j] = 0.1;
  }
  for (std::size_t l = 0; l < layout.bmru().size(); ++l) {
    const auto& o = layout.bmru()[l];
    const double gain = l == 0 ? 1.5 : 2.0;
    for (int i = 0; i < s.units * o.inputs; ++i) theta[o.W_c + i] = normal(o.W_c + i) * gain / std::sqrt(o.inputs);
    for (int u = 0; u < s.units; ++u) {
      const double beta1 = uniform(o.beta1 + u, 0.15, 0.45), delta = uniform(o.delta + u, 0.15, 0.45);
      // The bias puts a zero input in the middle of the hold band: a unit keeps its state unless
      // its input pushes it out, so memory is the default and the gradient has a state to use.
      theta[o.b_c + u] = beta1 + 0.5 * delta;
      theta[o.beta1 + u] = softplus_inverse(beta1 - kBeta1Floor);
      theta[o.delta + u] = softplus_inverse(delta - kDeltaFloor);
      theta[o.alpha + u] = softplus_inverse(uniform(o.alpha + u, 0.4, 0.8) - kAlphaFloor);
    }
    if (o.W_p >= 0) {
      // Near the identity: each output starts as one unit's h (a ReLU of it changes nothing,
      // h >= 0), and the small spread lets outputs start to combine units.
      for (int j = 0; j < s.projection; ++j) {
        for (int u = 0; u < s.units; ++u) {
          const int i = o.W_p + j * s.units + u;
          theta[i] = (j == u ? 1.0 : 0.0) + normal(i) * 0.5 / std::sqrt(s.units);
        }
        theta[o.b_p + j] = 0.0;
      }
    }
  }
  for (int i = 0; i < s.classes * s.outputs(); ++i)
    theta[layout.readout_W() + i] = normal(layout.readout_W() + i) / std::sqrt(s.outputs());
  for (int k = 0; k < s.classes; ++k) theta[layout.readout_b() + k] = 0.0;
  return theta;
}

void project(const ModelLayout& layout, Eigen::VectorXd& theta) {
  for (int i = 0; i < layout.size(); ++i) {
    const ParameterKind kind = layout.kind(i);
    if (constrained(kind)) theta[i] = std::min(theta[i], softplus_inverse(kCellParameterMax - floor_of(kind)));
    else theta[i] = std::clamp(theta[i], -kWeightMax, kWeightMax);
  }
}

}  // namespace picospice::training
