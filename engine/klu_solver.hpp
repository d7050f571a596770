// Sparse LU with KLU, following the refactor / rcond / full-factor policy of SUNDIALS' KLU
// wrapper: the symbolic analysis runs once per pattern; each Newton step refactors with the
// previous pivot order, and falls back to a full factorization when the reciprocal condition
// estimate says the old pivots have degraded.
#pragma once
#include <klu.h>

#include <vector>

#include "engine/sparsity_pattern.hpp"

namespace picospice {

class KluSolver {
 public:
  explicit KluSolver(const SparsityPattern& pattern);
  ~KluSolver();
  KluSolver(const KluSolver&) = delete;
  KluSolver& operator=(const KluSolver&) = delete;

  // Factor the matrix whose values are `values` (slot order, length nnz; the dummy slot beyond
  // is ignored). Returns false if the matrix is singular; singular_column() then names the column.
  // With reuse_tolerance > 0, a matrix whose every value v is within reuse_tolerance * |f| of the
  // factored one's f keeps the current factorization (counted by near_reused_count); a structural
  // change (f == 0, v != 0) never does.
  bool factor(const double* values, double reuse_tolerance = 0.0);
  // Solve in place: rhs becomes the solution.
  void solve(double* rhs);
  // Drops the numeric factorization (the symbolic analysis stays): the next factor() is a full
  // factorization, exactly as the first one of a new solver.
  void forget_factorization();
  int singular_column() const { return common_.singular_col; }
  // Each factor() call counts once: kept refactor, full factorization (a refactor whose pivots
  // degraded is redone in full and counted as that), or reuse of an unchanged matrix.
  int refactor_count() const { return refactors_; }
  int full_factor_count() const { return full_factors_; }
  int reused_count() const { return reused_; }
  int near_reused_count() const { return near_reused_; }
  // Nonzeros of L + U and KLU's operation count of the current factorization (0 before any).
  long lu_nonzeros() const;
  double factor_flops();
  // The symbolic analysis (fill-reducing order of the frozen pattern), for a solver of the same
  // pattern with complex values (engine/complex_klu_solver.hpp); null for an empty circuit.
  klu_symbolic* symbolic() const { return symbolic_; }
  double pivot_tolerance() const { return common_.tol; }

 private:
  const SparsityPattern& pattern_;
  klu_common common_;
  klu_symbolic* symbolic_ = nullptr;
  klu_numeric* numeric_ = nullptr;
  std::vector<int> column_start_, row_index_;  // KLU wants non-const int arrays
  std::vector<double> factored_values_;        // the values of the current factorization
  // Row scaling, done here instead of by KLU (common_.scale = -1): at every factorization each row
  // is multiplied by the reciprocal of the power of two at or below its largest magnitude (KLU's
  // scale = 2 divides by the magnitude itself). KLU's pass also checked the pattern for
  // duplicates and took as long as the refactorization itself (a 64-unit layer: 0.19 of 2.2 s).
  // Powers of two scale exactly: the factors of the scaled matrix are those of the matrix,
  // scaled, with no extra rounding.
  std::vector<double> row_scale_;  // by row
  std::vector<double> scaled_;     // the scaled values KLU factors
  void choose_row_scale(const double* values);
  double* scale_values(const double* values);  // into scaled_ (KLU takes non-const values)
  int refactors_ = 0, full_factors_ = 0, reused_ = 0, near_reused_ = 0;
  double full_factor_rcond_ = 0.0;
  static constexpr double kRcondDropAllowed = 1e-4;
};

}  // namespace picospice
