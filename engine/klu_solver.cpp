#include "engine/klu_solver.hpp"

#include <bit>
#include <cmath>
#include <cstdint>

#include <algorithm>
#include <stdexcept>

namespace picospice {

KluSolver::KluSolver(const SparsityPattern& pattern)
    : pattern_(pattern), column_start_(pattern.column_start()), row_index_(pattern.row_index()) {
  klu_defaults(&common_);
  // Picoamp circuits mix 1e-18 S leaks with 1e-3 S sources: do not let KLU treat tiny pivots as
  // zero, and let it halt on true singularity so we can name the column.
  common_.tol = 1e-3;
  common_.halt_if_singular = 1;
  common_.scale = -1;  // scaled here (row_scale_); the pattern is ours and valid
  row_scale_.assign(pattern.size(), 1.0);
  if (pattern.size() > 0) {
    symbolic_ = klu_analyze(pattern.size(), column_start_.data(), row_index_.data(), &common_);
    if (!symbolic_) throw std::runtime_error("KLU symbolic analysis failed");
  }
}

KluSolver::~KluSolver() {
  if (numeric_) klu_free_numeric(&numeric_, &common_);
  if (symbolic_) klu_free_symbolic(&symbolic_, &common_);
}

bool KluSolver::factor(const double* values, double reuse_tolerance) {
  if (pattern_.size() == 0) return true;
  const std::size_t nnz = row_index_.size();
  // Linear circuits at a fixed step reload the same matrix: keep the factorization. The compare
  // stops at the first differing value, so nonlinear circuits pay almost nothing for it.
  if (numeric_ && factored_values_.size() == nnz &&
      std::equal(values, values + nnz, factored_values_.begin())) {
    ++reused_;
    return true;
  }
  if (reuse_tolerance > 0 && numeric_ && factored_values_.size() == nnz) {
    bool near = true;
    for (std::size_t k = 0; k < nnz && near; ++k)
      near = std::fabs(values[k] - factored_values_[k]) <= reuse_tolerance * std::fabs(factored_values_[k]);
    if (near) {
      ++near_reused_;
      return true;
    }
  }
  factored_values_.assign(values, values + nnz);
  choose_row_scale(values);
  double* const scaled = scale_values(values);
  if (numeric_) {
    if (klu_refactor(column_start_.data(), row_index_.data(), scaled, symbolic_, numeric_, &common_)) {
      klu_rcond(symbolic_, numeric_, &common_);
      // Picoamp circuits are legitimately badly scaled (1e-18 S next to 1 S), so compare against
      // the estimate of the last full factorization instead of an absolute threshold.
      if (common_.rcond > full_factor_rcond_ * kRcondDropAllowed) {
        ++refactors_;  // a refactor redone as a full factorization counts as the latter only
        return true;
      }
    }
    klu_free_numeric(&numeric_, &common_);
  }
  numeric_ = klu_factor(column_start_.data(), row_index_.data(), scaled, symbolic_, &common_);
  ++full_factors_;
  if (numeric_ == nullptr || common_.status != KLU_OK) {
    factored_values_.clear();
    return false;
  }
  klu_rcond(symbolic_, numeric_, &common_);
  full_factor_rcond_ = common_.rcond;
  return true;
}

void KluSolver::choose_row_scale(const double* values) {
  std::fill(row_scale_.begin(), row_scale_.end(), 0.0);  // the largest magnitude first
  for (std::size_t k = 0; k < row_index_.size(); ++k)
    row_scale_[row_index_[k]] = std::max(row_scale_[row_index_[k]], std::fabs(values[k]));
  // 1 / the power of two at or below the largest magnitude, from the exponent bits: the row's
  // largest magnitude becomes 1 <= m < 2. An empty row (KLU's rule), a subnormal, an infinite or
  // a NaN largest magnitude (which KLU refuses anyway) keep 1.
  for (double& scale : row_scale_) {
    const auto exponent = (std::bit_cast<std::uint64_t>(scale) >> 52) & 0x7ff;
    scale = exponent == 0 || exponent == 0x7ff ? 1.0 : std::bit_cast<double>((2046 - exponent) << 52);
  }
}

double* KluSolver::scale_values(const double* values) {
  scaled_.resize(row_index_.size());
  for (std::size_t k = 0; k < row_index_.size(); ++k) scaled_[k] = values[k] * row_scale_[row_index_[k]];
  return scaled_.data();
}

void KluSolver::forget_factorization() {
  if (numeric_) klu_free_numeric(&numeric_, &common_);
  factored_values_.clear();
  full_factor_rcond_ = 0.0;
}

long KluSolver::lu_nonzeros() const {
  // lnz and unz count the diagonal blocks only; nzoff is what lies between blocks (kept as is).
  return numeric_ ? static_cast<long>(numeric_->lnz) + numeric_->unz + numeric_->nzoff : 0;
}

double KluSolver::factor_flops() {
  if (!numeric_ || !klu_flops(symbolic_, numeric_, &common_)) return 0.0;
  return common_.flops;
}

void KluSolver::solve(double* rhs) {
  if (pattern_.size() == 0) return;
  for (int i = 0; i < pattern_.size(); ++i) rhs[i] *= row_scale_[i];  // (R A) x = R b
  klu_solve(symbolic_, numeric_, pattern_.size(), 1, rhs, &common_);
}

}  // namespace picospice
