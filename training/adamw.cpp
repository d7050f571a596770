// AdamW with clipping and a cosine schedule (see adamw.hpp).
#include "training/adamw.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace picospice::training {

double cosine_learning_rate(double lr_max, double lr_min, long long step, long long total) {
  if (total <= 0) return lr_max;
  const double progress = std::clamp(static_cast<double>(step) / static_cast<double>(total), 0.0, 1.0);
  return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + std::cos(std::numbers::pi * progress));
}

double adamw_step(const AdamWSettings& s, double lr, const Eigen::VectorXd& decay_mask, Eigen::VectorXd& g,
                  Eigen::VectorXd& theta, AdamWState& state) {
  if (state.m.size() != theta.size()) {
    state.m = Eigen::VectorXd::Zero(theta.size());
    state.v = Eigen::VectorXd::Zero(theta.size());
  }
  const double norm = g.norm();
  if (s.clip_norm > 0 && norm > s.clip_norm) g *= s.clip_norm / norm;
  ++state.step;
  state.m = s.beta1 * state.m + (1 - s.beta1) * g;
  state.v = s.beta2 * state.v + (1 - s.beta2) * g.cwiseProduct(g);
  const double m_correction = 1 - std::pow(s.beta1, static_cast<double>(state.step));
  const double v_correction = 1 - std::pow(s.beta2, static_cast<double>(state.step));
  theta.array() -= lr * s.weight_decay * decay_mask.array() * theta.array();
  theta.array() -= lr * (state.m.array() / m_correction) / ((state.v.array() / v_correction).sqrt() + s.epsilon);
  return norm;
}

}  // namespace picospice::training
