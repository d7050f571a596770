// GMRES (engine/gmres.hpp) on small dense systems whose solution Eigen gives directly.
#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <vector>

#include "engine/gmres.hpp"

using namespace picospice;

namespace {

// Element 0 is the ground dummy, as in the System's vectors.
Gmres::Operator product_with(const Eigen::MatrixXd& a) {
  return [a](const std::vector<double>& v, std::vector<double>& out) {
    out.assign(v.size(), 0.0);
    for (int i = 0; i < a.rows(); ++i)
      for (int j = 0; j < a.cols(); ++j) out[i + 1] += a(i, j) * v[j + 1];
  };
}

std::vector<double> padded(const Eigen::VectorXd& v) {
  std::vector<double> out(v.size() + 1, 0.0);
  for (int i = 0; i < v.size(); ++i) out[i + 1] = v[i];
  return out;
}

// Identity plus a nonsymmetric part with eigenvalues outside the unit circle: the Richardson
// iteration x <- b - (A - I) x diverges on it.
Eigen::MatrixXd test_matrix(int n) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) a(i, j) += 0.9 * std::sin(1.0 + 3 * i + 7 * j) + (j == i + 1 ? 2.5 : 0.0);
  return a;
}

}  // namespace

TEST_CASE("GMRES: solves a nonsymmetric system that Richardson cannot, in at most n products", "[gmres]") {
  const int n = 8;
  const Eigen::MatrixXd a = test_matrix(n);
  REQUIRE((a - Eigen::MatrixXd::Identity(n, n)).eigenvalues().cwiseAbs().maxCoeff() > 1.0);
  Eigen::VectorXd rhs(n);
  for (int i = 0; i < n; ++i) rhs[i] = 1.0 + i;
  const Eigen::VectorXd exact = a.fullPivLu().solve(rhs);
  std::vector<double> x(n + 1, 0.0);
  const std::vector<double> weight(n + 1, 1.0);
  Gmres gmres;
  const Gmres::Result r = gmres.solve(product_with(a), padded(rhs), weight, x, 1e-10, 50);
  CHECK(r.converged);
  CHECK(r.iterations <= n + 1);  // the initial residual's product and at most n more
  for (int i = 0; i < n; ++i) CHECK(x[i + 1] == Approx(exact[i]).margin(1e-8));
  CHECK(x[0] == 0.0);
}

TEST_CASE("GMRES: the weighted norm resolves elements of very different scale", "[gmres]") {
  // Elements 0-3 in amperes (1e-12), 4-7 in volts, in the argument and the result alike (as the
  // System's I + L M^-1): A = W B W^-1 with B well conditioned. Unweighted, a 1e-9 tolerance would
  // be met with the current elements' residuals 1000 times their size.
  const int n = 8;
  const Eigen::MatrixXd b = test_matrix(n);
  Eigen::VectorXd unit = Eigen::VectorXd::Ones(n);
  for (int i = 0; i < 4; ++i) unit[i] = 1e-12;
  const Eigen::MatrixXd a = unit.asDiagonal() * b * unit.cwiseInverse().asDiagonal();
  Eigen::VectorXd rhs(n);
  for (int i = 0; i < n; ++i) rhs[i] = unit[i] * (1.0 + i);
  std::vector<double> weight(n + 1, 1.0);
  for (int i = 0; i < n; ++i) weight[i + 1] = unit[i];
  std::vector<double> x(n + 1, 0.0);
  Gmres gmres;
  const Gmres::Result r = gmres.solve(product_with(a), padded(rhs), weight, x, 1e-9, 50);
  REQUIRE(r.converged);
  for (int i = 0; i < n; ++i) {  // each element's residual within the tolerance in its own unit
    double row = rhs[i];
    for (int j = 0; j < n; ++j) row -= a(i, j) * x[j + 1];
    CHECK(std::fabs(row) / weight[i + 1] <= 1e-9);
  }
  const Eigen::VectorXd exact = unit.asDiagonal() * b.fullPivLu().solve(unit.cwiseInverse().asDiagonal() * rhs);
  for (int i = 0; i < n; ++i) CHECK(x[i + 1] == Approx(exact[i]).epsilon(1e-6));
}

TEST_CASE("GMRES: stops at max_iterations without claiming convergence, and never worsens the guess", "[gmres]") {
  const int n = 30;
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
  for (int i = 0; i < n; ++i) a(i, i) = 1.0 + i;  // 30 distinct eigenvalues: needs ~30 products
  Eigen::VectorXd rhs = Eigen::VectorXd::Ones(n);
  std::vector<double> x(n + 1, 0.0);
  const std::vector<double> weight(n + 1, 1.0);
  Gmres gmres;
  const Gmres::Result r = gmres.solve(product_with(a), padded(rhs), weight, x, 1e-12, 5);
  CHECK_FALSE(r.converged);
  CHECK(r.iterations == 5);
  double residual = 0;
  for (int i = 0; i < n; ++i) residual += std::pow(1.0 - a(i, i) * x[i + 1], 2);
  CHECK(std::sqrt(residual) == Approx(r.residual).epsilon(1e-9));  // the estimate is the true residual
  CHECK(std::sqrt(residual) < std::sqrt(static_cast<double>(n)));  // below the initial guess's
  // From there, with enough products, it converges (restarting from the guess it was given).
  const Gmres::Result again = gmres.solve(product_with(a), padded(rhs), weight, x, 1e-12, 200);
  CHECK(again.converged);
  for (int i = 0; i < n; ++i) CHECK(x[i + 1] == Approx(1.0 / (1.0 + i)).epsilon(1e-9));
}
