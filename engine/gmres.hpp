// GMRES, one cycle without restarts (Saad and Schultz, SIAM J. Sci. Stat. Comput. 7, 1986) in a diagonally
// weighted 2-norm, for systems given only by their product: the feed-forward split's fallback
// (System::solve_step) solves (I + L M^-1) y = rhs with it, dx = M^-1 y, M the split matrix it
// has factored and L the left-out entries, where the plain refinement sweeps do not contract.
//
//   Gmres gmres;
//   auto result = gmres.solve(apply, b, weight, x, 0.01, 100);  // x: initial guess in, solution out
//
// Vectors are indexed as the System's (element 0 is the ground dummy, kept 0). Sums run in a fixed
// order, so the result does not depend on threads.
#pragma once
#include <functional>
#include <vector>

namespace picospice {

class Gmres {
 public:
  // out = A v; both of the same size as b, element i of both in the unit of weight[i].
  using Operator = std::function<void(const std::vector<double>& v, std::vector<double>& out)>;
  struct Result {
    bool converged = false;
    int iterations = 0;     // products with A (the initial residual's included)
    double residual = 0;    // ||(b - A x) / weight||_2 at the end, as GMRES estimates it
  };
  // Minimizes ||(b - A x) / weight||_2 over x0 + the Krylov space of the initial residual, until
  // it is at most `tolerance` or `max_iterations` products were spent. weight[i] > 0 for i >= 1.
  Result solve(const Operator& apply, const std::vector<double>& b, const std::vector<double>& weight,
               std::vector<double>& x, double tolerance, int max_iterations);

 private:
  std::vector<std::vector<double>> basis_;     // orthonormal, in the weighted variables
  std::vector<std::vector<double>> hessenberg_;  // column j: H(0..j+1, j), rotated
  std::vector<double> cosine_, sine_, g_;
  std::vector<double> work_, scaled_;
};

}  // namespace picospice
