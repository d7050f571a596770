// KluSolver (engine/klu_solver.hpp) scales rows itself, by powers of two, at every factorization:
// solutions must be those of the unscaled system, through full factorizations and refactorizations
// alike, on rows whose magnitudes span the picoamp circuits' range (1e-18 S next to 1 S).
#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <vector>

#include "engine/klu_solver.hpp"
#include "engine/sparsity_pattern.hpp"

using namespace picospice;

namespace {

// A dense n x n pattern (every entry declared), values in slot order from the dense matrix.
std::vector<double> slot_values(const SparsityPattern& pattern, const Eigen::MatrixXd& a) {
  std::vector<double> values(pattern.values_size(), 0.0);
  for (int i = 0; i < a.rows(); ++i)
    for (int j = 0; j < a.cols(); ++j) values[pattern.find(i + 1, j + 1)] = a(i, j);
  return values;
}

// Solves a x = b, b the row sums of a, and checks that every unknown is 1 to `relative`. (Eigen's
// LU is no reference here: its rank threshold takes the 1e-18 rows for zero.)
void check_solution(KluSolver& solver, const SparsityPattern& pattern, const Eigen::MatrixXd& a, double relative) {
  REQUIRE(solver.factor(slot_values(pattern, a).data()));
  Eigen::VectorXd b(a.rows());
  for (int i = 0; i < b.size(); ++i) b(i) = a.row(i).sum();  // the solution is all ones
  std::vector<double> rhs(b.data(), b.data() + b.size());
  solver.solve(rhs.data());
  for (int i = 0; i < b.size(); ++i) {
    INFO("unknown " << i << ": " << rhs[i]);
    CHECK(std::fabs(rhs[i] - 1.0) <= relative);
  }
}

}  // namespace

TEST_CASE("klu solver: rows from 1e-18 to 1e4 solve as unscaled, after a full factorization and a refactorization",
          "[klu]") {
  constexpr int n = 5;
  PatternBuilder builder(n);
  for (int i = 1; i <= n; ++i)
    for (int j = 1; j <= n; ++j) builder.add(i, j);
  SparsityPattern pattern(builder);
  KluSolver solver(pattern);

  // Diagonally dominant, then each row scaled by its own magnitude: a picoamp node's KCL row next
  // to a branch row of a voltage source.
  Eigen::MatrixXd base(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) base(i, j) = i == j ? 4.0 + i : 0.3 + 0.1 * std::sin(1.0 + 3 * i + j);
  const double magnitude[n] = {1e-18, 1e-9, 1.0, 1e4, 1e-12};
  Eigen::MatrixXd a = base;
  for (int i = 0; i < n; ++i) a.row(i) *= magnitude[i];
  check_solution(solver, pattern, a, 1e-12);
  CHECK(solver.full_factor_count() == 1);

  // New values, each row's magnitude moved by up to 1e6 either way: refactored with the pivots
  // of the first factorization and the scaling of the new values.
  const double moved[n] = {1e-12, 1e-15, 1e-3, 1e5, 1e-6};
  for (int i = 0; i < n; ++i) a.row(i) = base.row(i) * moved[i] * (1.0 + 0.05 * i);
  check_solution(solver, pattern, a, 1e-12);
  CHECK(solver.refactor_count() == 1);
  CHECK(solver.full_factor_count() == 1);
}
