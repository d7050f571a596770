// The circuit linearized at its operating point, for the small-signal analysis (.ac):
//     (G + jw C) x = b
// with G = df/dx and C = dq/dx at the operating point (docs/design.md, 'Residual form'), x the
// small-signal unknowns (phasors) and b the excitation (DeviceGroup::load_small_signal_excitation).
//
// G and C come from the devices' own Jacobians, so every device (the EKV MOSFET with its charges,
// and any device added later) has its small-signal model for free. The System evaluates the
// devices twice at x, with the integration coefficient a0 = 0 (J = G) and a0 = 2^100
// (J = G + 2^100 C), and takes C = (J - G) / 2^100. The scale is a power of two, so dividing is
// exact, and large enough that J's rounding, about eps * max(|G|, 2^100 |C|), leaves an error of
// at most eps |C| + eps |G| / 2^100 in C: full precision even where a 1 aF capacitance shares an
// entry with a 1 kS conductance, which the difference of a0 = 1 and a0 = 0 would lose entirely.
// Devices must therefore be linear in a0 (devices/device.hpp says so).
//
// Each frequency is one complex LU on the System's frozen pattern (ComplexKluSolver, sharing the
// real solver's symbolic analysis).
#pragma once
#include <complex>
#include <memory>
#include <vector>

#include "engine/complex_klu_solver.hpp"
#include "engine/system.hpp"

namespace picospice {

using ComplexVector = std::vector<std::complex<double>>;  // indexed by unknown, [0] = ground

class SmallSignalModel {
 public:
  // Linearizes `system` at the operating point x (size()+1 entries): sources at their DC values,
  // no junction limiting. With ac_values, devices load their AC values (a resistor's ac=), as
  // ngspice's .ac and .noise do; its .tf is a DC analysis and uses the DC ones.
  enum class Values { Ac, Dc };
  SmallSignalModel(System& system, const std::vector<double>& x, Values values = Values::Ac);

  int size() const { return system_.size(); }
  const std::vector<double>& conductance() const { return g_; }   // G by slot (nnz + 1, dummy last)
  const std::vector<double>& capacitance() const { return c_; }   // C by slot

  // Factors G + j omega C; throws SimulationError naming the unknown when it is singular.
  void factor(double omega);
  // A y = rhs in place (rhs indexed by unknown; rhs[0] ignored and left 0).
  void solve(ComplexVector& rhs);
  // A^T y = rhs in place, the plain (not conjugate) transpose: with rhs = e_out, y[k] is the
  // transfer from a unit current injected at unknown k to x[out] (the adjoint of the .noise analysis).
  void solve_transposed(ComplexVector& rhs);

  // The right-hand side of `which` (a zero vector of size()+1, then each group loads). Throws
  // SimulationError when an only_instance request names no independent source.
  ComplexVector excitation(const SmallSignalExcitation& which) const;

  System& system() { return system_; }
  int full_factorizations() const { return solver_.full_factor_count(); }
  int refactorizations() const { return solver_.refactor_count(); }

 private:
  void solve_in_place(ComplexVector& rhs, bool transposed);

  System& system_;
  std::vector<double> g_, c_;
  std::vector<std::complex<double>> values_;
  ComplexKluSolver solver_;
  std::vector<std::complex<double>> work_;
  double omega_ = 0.0;
};

}  // namespace picospice
