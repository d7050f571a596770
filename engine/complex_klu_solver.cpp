#include "engine/complex_klu_solver.hpp"

#include <stdexcept>

namespace picospice {

ComplexKluSolver::ComplexKluSolver(const SparsityPattern& pattern, const KluSolver& real)
    : pattern_(pattern), symbolic_(real.symbolic()), column_start_(pattern.column_start()),
      row_index_(pattern.row_index()) {
  klu_defaults(&common_);
  // As the real solver: picoamp circuits mix 1e-18 S with 1 S, so keep KLU's pivot threshold
  // and let it stop on a true singularity so that the column can be named.
  common_.tol = real.pivot_tolerance();
  common_.halt_if_singular = 1;
  if (pattern.size() > 0 && symbolic_ == nullptr) throw std::logic_error("ComplexKluSolver: no symbolic analysis");
}

ComplexKluSolver::~ComplexKluSolver() {
  if (numeric_) klu_z_free_numeric(&numeric_, &common_);
}

bool ComplexKluSolver::factor(const std::vector<std::complex<double>>& values) {
  if (pattern_.size() == 0) return true;
  const std::size_t nnz = row_index_.size();
  interleaved_.resize(2 * nnz);
  for (std::size_t k = 0; k < nnz; ++k) {
    interleaved_[2 * k] = values[k].real();
    interleaved_[2 * k + 1] = values[k].imag();
  }
  if (numeric_) {
    if (klu_z_refactor(column_start_.data(), row_index_.data(), interleaved_.data(), symbolic_, numeric_, &common_)) {
      klu_z_rcond(symbolic_, numeric_, &common_);
      if (common_.rcond > full_factor_rcond_ * kRcondDropAllowed) {
        ++refactors_;
        return true;
      }
    }
    klu_z_free_numeric(&numeric_, &common_);
  }
  numeric_ = klu_z_factor(column_start_.data(), row_index_.data(), interleaved_.data(), symbolic_, &common_);
  ++full_factors_;
  if (numeric_ == nullptr || common_.status != KLU_OK) {
    if (numeric_) klu_z_free_numeric(&numeric_, &common_);
    return false;
  }
  klu_z_rcond(symbolic_, numeric_, &common_);
  full_factor_rcond_ = common_.rcond;
  return true;
}

void ComplexKluSolver::solve(std::complex<double>* rhs, bool transposed) {
  if (pattern_.size() == 0) return;
  // std::complex<double> is laid out as double[2] (re, im): the interleaved form klu_z_* use.
  auto* b = reinterpret_cast<double*>(rhs);
  if (transposed)
    klu_z_tsolve(symbolic_, numeric_, pattern_.size(), 1, b, 0, &common_);
  else
    klu_z_solve(symbolic_, numeric_, pattern_.size(), 1, b, &common_);
}

}  // namespace picospice
