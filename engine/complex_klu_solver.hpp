// Sparse LU of a complex matrix on the frozen pattern of a real one, for the small-signal analyses
// (G + jwC, engine/small_signal.hpp). KLU's complex variant (klu_z_*) takes the symbolic analysis
// of klu_analyze as it is: the pattern, and so the fill-reducing order, are those of the real
// Newton matrix, analysed once per System. Values are interleaved (re, im) per slot.
//
// Policy as KluSolver's: each frequency refactors with the previous pivot order and falls back to
// a full factorization when the reciprocal condition estimate drops by more than 1e4 against the
// last full one (a sweep over decades changes which entries dominate).
#pragma once
#include <klu.h>

#include <complex>
#include <vector>

#include "engine/klu_solver.hpp"
#include "engine/sparsity_pattern.hpp"

namespace picospice {

class ComplexKluSolver {
 public:
  // Borrows `real`'s symbolic analysis, which must outlive this solver.
  ComplexKluSolver(const SparsityPattern& pattern, const KluSolver& real);
  ~ComplexKluSolver();
  ComplexKluSolver(const ComplexKluSolver&) = delete;
  ComplexKluSolver& operator=(const ComplexKluSolver&) = delete;

  // Factors the matrix with `values` (slot order, nnz of them). False when it is singular;
  // singular_column() then names the (0-based) column.
  bool factor(const std::vector<std::complex<double>>& values);
  // Solves A y = rhs (or A^T y = rhs, the plain transpose, with `transposed`) in place; rhs has
  // the matrix's size (no ground entry).
  void solve(std::complex<double>* rhs, bool transposed = false);
  int singular_column() const { return common_.singular_col; }
  int full_factor_count() const { return full_factors_; }
  int refactor_count() const { return refactors_; }

 private:
  const SparsityPattern& pattern_;
  klu_symbolic* symbolic_;
  klu_common common_;
  klu_numeric* numeric_ = nullptr;
  std::vector<int> column_start_, row_index_;
  std::vector<double> interleaved_;  // (re, im) per slot, as klu_z_* want them
  double full_factor_rcond_ = 0.0;
  int full_factors_ = 0, refactors_ = 0;
  static constexpr double kRcondDropAllowed = 1e-4;
};

}  // namespace picospice
