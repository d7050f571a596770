// AdamW (I. Loshchilov, F. Hutter, "Decoupled weight decay regularization", ICLR 2019): Adam's
// moment estimates (D. P. Kingma, J. Ba, 2015) with the weight decay applied to the parameters
// directly instead of through the gradient; plus global gradient-norm clipping and a cosine
// learning-rate schedule (I. Loshchilov, F. Hutter, "SGDR", ICLR 2017, without restarts).
#pragma once
#include <Eigen/Core>

namespace picospice::training {

struct AdamWSettings {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weight_decay = 1e-4;  // applied where the decay mask is 1
  double clip_norm = 1.0;      // the gradient's Euclidean norm is scaled down to this (<= 0: off)
};

struct AdamWState {
  Eigen::VectorXd m, v;  // first and second moment estimates
  long long step = 0;    // steps taken
};

// The cosine schedule: lr_max at step 0, falling to lr_min at `total` steps.
double cosine_learning_rate(double lr_max, double lr_min, long long step, long long total);

// One step: clips `gradient` (in place), updates the moments and `theta`. Returns the gradient
// norm before clipping.
double adamw_step(const AdamWSettings& settings, double learning_rate, const Eigen::VectorXd& decay_mask,
                  Eigen::VectorXd& gradient, Eigen::VectorXd& theta, AdamWState& state);

}  // namespace picospice::training
