#include "engine/gmres.hpp"

#include <cmath>

namespace picospice {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 1; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

// A maps a space to itself, element i of its argument and of its result in the same unit (in
// System::krylov_solve, the right-hand side's). GMRES runs on W^-1 A W and W^-1 b, for y = W^-1 x:
// the same Krylov space as A's, each vector in units of its weight, so that the plain 2-norm of
// its residual, W^-1 (b - A x), is the weighted one asked for. (Scaling only the rows, W^-1 A,
// changes the operator: with weights from 1e-15 A to 1e-6 V it converged within 100 products on 4
// of the 12 steps of the 64-unit layer it was tried on, before System::krylov_solve gave up on
// it; this solves all 78 such steps, in ~7.5 products each.)
Gmres::Result Gmres::solve(const Operator& apply, const std::vector<double>& b, const std::vector<double>& weight,
                           std::vector<double>& x, double tolerance, int max_iterations) {
  const std::size_t size = b.size();
  Result result;
  auto apply_weighted = [&](const std::vector<double>& v, std::vector<double>& out) {  // W^-1 A W v
    work_.assign(size, 0.0);
    for (std::size_t i = 1; i < size; ++i) work_[i] = v[i] * weight[i];
    apply(work_, out);
    out[0] = 0;
    for (std::size_t i = 1; i < size; ++i) out[i] /= weight[i];
    ++result.iterations;
  };
  if (basis_.size() < static_cast<std::size_t>(max_iterations) + 1) basis_.resize(max_iterations + 1);
  hessenberg_.resize(max_iterations);
  cosine_.assign(max_iterations, 0.0);
  sine_.assign(max_iterations, 0.0);
  g_.assign(max_iterations + 1, 0.0);

  // Initial residual r = W^-1 (b - A x) = W^-1 b - (W^-1 A W) y.
  std::vector<double>& r = basis_[0];
  scaled_.assign(size, 0.0);
  for (std::size_t i = 1; i < size; ++i) scaled_[i] = x[i] / weight[i];
  apply_weighted(scaled_, r);
  for (std::size_t i = 1; i < size; ++i) r[i] = b[i] / weight[i] - r[i];
  const double beta = std::sqrt(dot(r, r));
  result.residual = beta;
  if (!std::isfinite(beta)) return result;
  if (beta <= tolerance) {
    result.converged = true;
    return result;
  }
  for (std::size_t i = 1; i < size; ++i) r[i] /= beta;
  g_[0] = beta;

  int columns = 0;
  while (columns < max_iterations && result.iterations < max_iterations) {
    const int j = columns;
    std::vector<double>& w = basis_[j + 1];
    apply_weighted(basis_[j], w);
    std::vector<double>& h = hessenberg_[j];
    h.assign(j + 2, 0.0);
    // Modified Gram-Schmidt against the basis so far.
    for (int k = 0; k <= j; ++k) {
      h[k] = dot(w, basis_[k]);
      for (std::size_t i = 1; i < size; ++i) w[i] -= h[k] * basis_[k][i];
    }
    h[j + 1] = std::sqrt(dot(w, w));
    if (!std::isfinite(h[j + 1])) return result;
    if (h[j + 1] > 0)
      for (std::size_t i = 1; i < size; ++i) w[i] /= h[j + 1];
    // The earlier Givens rotations on the new column, then one that zeroes H(j+1, j).
    for (int k = 0; k < j; ++k) {
      const double upper = cosine_[k] * h[k] + sine_[k] * h[k + 1];
      h[k + 1] = -sine_[k] * h[k] + cosine_[k] * h[k + 1];
      h[k] = upper;
    }
    const double radius = std::hypot(h[j], h[j + 1]);
    if (!(radius > 0)) break;  // breakdown with a singular Hessenberg matrix: no progress possible
    cosine_[j] = h[j] / radius;
    sine_[j] = h[j + 1] / radius;
    h[j] = radius;
    h[j + 1] = 0;
    g_[j + 1] = -sine_[j] * g_[j];
    g_[j] = cosine_[j] * g_[j];
    ++columns;
    result.residual = std::fabs(g_[j + 1]);
    if (result.residual <= tolerance) break;
  }
  if (columns == 0) return result;
  // Back substitution H c = g, then y += V c, so x += W V c.
  std::vector<double> coefficient(columns, 0.0);
  for (int k = columns - 1; k >= 0; --k) {
    double sum = g_[k];
    for (int m = k + 1; m < columns; ++m) sum -= hessenberg_[m][k] * coefficient[m];
    coefficient[k] = sum / hessenberg_[k][k];
  }
  for (int k = 0; k < columns; ++k)
    for (std::size_t i = 1; i < size; ++i) x[i] += weight[i] * coefficient[k] * basis_[k][i];
  result.converged = result.residual <= tolerance;
  return result;
}

}  // namespace picospice
