// Hardware-aware training: what the circuit does to the parameters, applied during training so
// that the trained network tolerates it.
//
// 1. Quantization. The lowering (codesign/lowering.cpp, Lowering::connect) realizes a
//    weight w as a mirror of ratio round(|w| * grid) / grid, sign(w), with grid 32 by default
//    (LoweringOptions::grid). The forward pass uses the quantized weight; the backward pass treats
//    the rounding as the identity (straight-through estimator).
// 2. Mismatch. Every parameter is multiplied by (1 + sigma * z), z ~ N(0, 1) drawn anew for every
//    training clip (a different "chip" per clip), with sigma the relative 1-sigma spread that the
//    Monte Carlo (engine/monte_carlo/mismatch.hpp: dVTO = AVTO/sqrt(W L) z, dKP/KP = AKP/sqrt(W L) z)
//    gives the circuit element that realizes the parameter. See mismatch_sigmas_from_cells() for
//    the derivation. The factor multiplies the gradient too (it is an exact chain rule step).
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <optional>

#include "training/model.hpp"

namespace picospice::training {

// Relative 1-sigma spreads, per kind of parameter.
struct MismatchSigmas {
  double weight = 0;     // W_c and readout W (mirror ratios)
  double bias = 0;       // b_c and readout b (isource / isink)
  double threshold = 0;  // beta1 and delta (schmitt9 I_thresh / I_width against the input copy)
  double gain = 0;       // alpha (schmitt9 I_gain)
};

// From the library's Pelgrom coefficients (netlists/cells/cells.lib: AVTO = 5 mV um, AKP = 1 %um,
// N = 1.35 for both nch and pch) and the device sizes the lowering uses, as the EKV device reports
// them (codesign/unit_devices.hpp). In weak inversion a device's current is
// I ~ KP exp(-VTO / (N UT)), so one device's relative current error is
//   sigma_dev(W, L) = sqrt( (AVTO / sqrt(W L) / (N UT))^2 + (AKP / sqrt(W L))^2 ),
// and a mirror's ratio (two independent devices) spreads by sqrt(2) sigma_dev:
//   NMOS 1u/4u: sigma_dev = 7.2%, ratio 10.2%;  PMOS 2u/4u: sigma_dev = 5.1%, ratio 7.2%.
//   weight:    a negative weight is one NMOS mirror (10.2%); a positive one an NMOS ratio-1 copy
//              then a PMOS mirror (12.4%); the RMS of the two, 11.3%. (Taken at |w| = 1; a
//              smaller output device spreads more, a larger one less.)
//   bias:      isource (PMOS 2u/4u pair, 7.2%) and isink (NMOS 1u/4u pair, 10.2%): RMS 8.8%.
//   threshold: the cell compares its input's copy (M1 -> M2, NMOS 1u/4u pair) with a PMOS copy
//              of the bias reference (Mrt -> M3, 2u/4u pair): 12.4%.
//   gain:      I_gain copied Mrg -> M6 (PMOS 2u/4u pair): 7.2%.
// `area` is the factor the lowering multiplies every device's gate area by (`lower --area K`,
// `agree --area K`: W and L times sqrt(K)); Pelgrom's 1/sqrt(W L) makes every sigma above
// 1/sqrt(K) of its K = 1 value. These formulas were checked against `picospice mc` on the
// library's unit mirrors at 100 pA and on schmitt9's upward switching point (benchmarks/train_bench
// --only sigma; 400 samples each: at K = 1 NMOS mirror 10.3%, PMOS mirror 7.3%, schmitt9 11.8%,
// against 10.2%, 7.2% and 12.4% here; at K = 4 5.2%, 3.6%, 5.9% against 5.1%, 3.6%, 6.2%). The
// weight figure is taken at ratio 1 and the cell's figure ignores its own feedback: it is the order
// of the spread, not an exact per-parameter one.
MismatchSigmas mismatch_sigmas_from_cells(double area = 1.0);
// Every kind at the same sigma (the --sigma override).
MismatchSigmas uniform_sigmas(double sigma);

double sigma_of(ParameterKind kind, const MismatchSigmas& sigmas);

// The lowering's rounding of a weight to the mirror grid.
double quantize_weight(double w, int grid);

struct HardwareAware {
  bool enabled = false;
  int grid = 32;  // the lowering's default (LoweringOptions::grid)
  // The noise; unset means the library's mismatch at the library's sizes (area factor 1), looked
  // up only when asked for (it reads the cell library, which a program that never trains may
  // not have at hand).
  std::optional<MismatchSigmas> sigmas;
  MismatchSigmas resolved_sigmas() const { return sigmas ? *sigmas : mismatch_sigmas_from_cells(); }
};

// Quantizes the weights of `values` (straight-through: `derivative` is unchanged) and, when
// `noise_stream` is non-zero, multiplies every parameter by max(0, 1 + sigma z) with
// z = unit_normal(seed, noise_stream, index), scaling `derivative` by the same factor.
void apply_hardware(const ModelLayout& layout, const HardwareAware& hw, std::uint64_t seed, std::uint64_t noise_stream,
                    Eigen::VectorXd& values, Eigen::VectorXd& derivative);

}  // namespace picospice::training
