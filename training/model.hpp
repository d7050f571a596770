// The trainable shape of a BMRU network and its parameters as one flat vector.
//
// Shape (like netlists/examples/kws_2x4.json): `layers` BMRU layers of `units` units, then the
// readout. Layer 0 reads the inputs, layer l > 0 reads layer l-1's output y. By default W_p is the
// identity and b_p zero in every BMRU layer, so y = h = alpha * s: the next layer's W_c (or the
// readout) already mixes the units linearly. With `projection` P > 0, every BMRU layer's W_p
// (P x units) and b_p (P) are trained instead: y = max(W_p h + b_p, 0) is then a layer of P
// stateless ReLU outputs over the units' binary states, so the readout (or the next layer) sees
// nonlinear combinations of the states (an AND of two latches, say), which a linear readout of
// h cannot form. It adds P x units mirrors per layer and no state. s0 is 0 (every unit starts
// low), skip is false.
//
// Two vectors share one layout:
//   theta   the free parameters the optimizer moves;
//   values  the network's parameters, values = realize(theta):
//             W_c, b_c, readout W and b:  value = theta (signed);
//             beta1, delta, alpha:        value = floor + softplus(theta) (the first-quadrant
//                                         constraint by reparametrization; the floors keep every
//                                         cell bias at or above 50 pA, the bottom of the range the
//                                         cells are built for, netlists/cells/cells.lib).
// The layout: the optional linear layer's W (row-major, linear x inputs) and b; per BMRU layer
// W_c (row-major, units x inputs), b_c, beta1, delta, alpha, and with a projection W_p (row-major,
// projection x units) and b_p; then the readout's W (row-major, classes x outputs) and b, outputs
// being the last BMRU layer's width (units, or projection). With a linear layer, the first BMRU
// layer reads its output.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "codesign/network.hpp"

namespace picospice::training {

struct ModelShape {
  int inputs = 0, classes = 0, layers = 1, units = 8;
  // Width of an optional linear layer y = max(W x + b, 0) before the first BMRU layer (0: none).
  // It has no state: it gives each unit's candidate a learned nonlinear feature of the frame to
  // threshold instead of a single weighted sum of the raw inputs.
  int linear = 0;
  // Width of each BMRU layer's trained output projection y = max(W_p h + b_p, 0) (0: W_p = I fixed).
  int projection = 0;
  int outputs() const { return projection > 0 ? projection : units; }  // a BMRU layer's output width
};

// Lower bounds of the constrained parameters, in model units (1 nA at the default unit current).
inline constexpr double kBeta1Floor = 0.05;
inline constexpr double kDeltaFloor = 0.05;
inline constexpr double kAlphaFloor = 0.1;
// Upper bounds kept by projection after each step: cell biases up to 3 units (3 nA, the top of
// the cells' range), |weights| and |biases| up to 4 (a mirror output 4x the unit width).
inline constexpr double kCellParameterMax = 3.0;
inline constexpr double kWeightMax = 4.0;

enum class ParameterKind { Weight, Bias, Beta1, Delta, Alpha, ReadoutWeight, ReadoutBias };

class ModelLayout {
 public:
  struct BmruOffsets {
    int inputs = 0;
    int W_c = 0, b_c = 0, beta1 = 0, delta = 0, alpha = 0;
    int W_p = -1, b_p = -1;  // -1: W_p = I and b_p = 0, fixed (no projection)
  };

  explicit ModelLayout(const ModelShape& shape);
  const ModelShape& shape() const { return shape_; }
  int size() const { return size_; }
  const std::vector<BmruOffsets>& bmru() const { return bmru_; }
  // The linear layer's W (row-major, linear x inputs) and b; -1 without one.
  int linear_W() const { return linear_W_; }
  int linear_b() const { return linear_b_; }
  int readout_W() const { return readout_W_; }
  int readout_b() const { return readout_b_; }
  ParameterKind kind(int index) const { return kinds_[index]; }
  // Mirror weights: quantized in hardware-aware training, weight-decayed by AdamW.
  bool is_weight(int index) const {
    return kinds_[index] == ParameterKind::Weight || kinds_[index] == ParameterKind::ReadoutWeight;
  }

 private:
  ModelShape shape_;
  std::vector<BmruOffsets> bmru_;
  int linear_W_ = -1, linear_b_ = -1;
  int readout_W_ = 0, readout_b_ = 0, size_ = 0;
  std::vector<ParameterKind> kinds_;
};

// values = realize(theta), with the elementwise derivative d values / d theta.
struct Realized {
  Eigen::VectorXd values;
  Eigen::VectorXd derivative;
};
Realized realize(const ModelLayout& layout, const Eigen::VectorXd& theta);

// The network the values describe (unit_current, frame and the decision rule as given).
network::Network to_network(const ModelLayout& layout, const Eigen::VectorXd& values, int vote_last,
                            double unit_current = 1e-9, double frame = 0.01, int detect_run = 0,
                            int detect_decrement = 0);

// Initial theta for a seed (addressed draws, so it does not depend on anything else):
//   linear W ~ N(0, (1.5 / sqrt(inputs))^2), b = 0.1 (most neurons active on some frames),
//   W_c ~ N(0, (gain / sqrt(fan_in))^2) with gain 1.5 on inputs and 2 on alpha-scaled unit outputs,
//   b_c = 0.2, beta1 ~ U(0.15, 0.45), delta ~ U(0.15, 0.45), alpha ~ U(0.4, 0.8), a projection's
//   W_p = I (its first min(P, units) rows) + N(0, (0.5 / sqrt(units))^2) and b_p = 0, readout
//   W ~ N(0, (1 / sqrt(outputs))^2), b = 0. The thresholds sit where a candidate of a few tenths of
//   a unit crosses them, in the middle of the cells' 50 pA - 3 nA range.
Eigen::VectorXd initial_theta(const ModelLayout& layout, std::uint64_t seed);

// Clamps theta so that the values stay inside the bounds above (a projection after each step).
void project(const ModelLayout& layout, Eigen::VectorXd& theta);

double softplus(double x);
double softplus_inverse(double y);  // y > 0

}  // namespace picospice::training
