#include "engine/latency_sums.hpp"

#include <algorithm>
#include <atomic>

namespace picospice {

void LatencySums::set_up(const SparsityPattern& pattern, std::vector<int> slots, std::vector<Index> rows,
                         std::size_t instances) {
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  slots_ = std::move(slots);
  rows_ = std::move(rows);
  local_.assign(pattern.values_size(), -1);
  slot_row_.clear();
  slot_column_.clear();
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    local_[slots_[k]] = static_cast<int>(k);
    const auto [row, column] = pattern.entry_of(slots_[k]);
    slot_row_.push_back(row);
    slot_column_.push_back(column);
  }
  conductance_.assign(slots_.size(), 0.0);
  capacitance_.assign(slots_.size(), 0.0);
  current_.assign(pattern.size() + 1, 0.0);
  charge_.assign(pattern.size() + 1, 0.0);
  current_abs_.assign(pattern.size() + 1, 0.0);
  // Each removal leaves a rounding error of at most eps times the sum it leaves: a row's current
  // sum (i0 - G v0, up to ~1e-5 A for a strong device at 1.8 V) drifts by ~1e-21 A per removal that
  // touches it, against an abstol of 1e-15 A. 32 removals per instance (a row sees only those of
  // its own devices) keeps that far below. Starting over re-adds every latent instance, one load's
  // work: a limit of 4 per instance restarted a 256-unit layer's sums every ~50 evaluations.
  removal_limit_ = 32 * static_cast<long>(instances);
  sums_.epoch = 0;
}

// Every start draws an epoch no sums have used, so a device's record of being in the sums
// (compared to the epoch) can never match sums it is not in: those of another System on the
// same circuit, or these before they started over.
void LatencySums::start_over() {
  static std::atomic<unsigned long> next_epoch{1};
  sums_.epoch = next_epoch.fetch_add(1);
  sums_.removals = 0;
  ++restarts_;
  std::fill(conductance_.begin(), conductance_.end(), 0.0);
  std::fill(capacitance_.begin(), capacitance_.end(), 0.0);
  std::fill(current_.begin(), current_.end(), 0.0);
  std::fill(charge_.begin(), charge_.end(), 0.0);
  std::fill(current_abs_.begin(), current_abs_.end(), 0.0);
  sums_.local = local_.data();
  sums_.conductance = conductance_.data();
  sums_.capacitance = capacitance_.data();
  sums_.current = current_.data();
  sums_.charge = charge_.data();
  sums_.current_abs = current_abs_.data();
}

void LatencySums::load(const double* x, double a0, double* f, double* f_abs, double* q, double* jac) const {
  const double* g = conductance_.data();
  const double* c = capacitance_.data();
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    jac[slots_[k]] += g[k] + a0 * c[k];
    const double v = x[slot_column_[k]];
    f[slot_row_[k]] += g[k] * v;
    q[slot_row_[k]] += c[k] * v;
  }
  for (Index r : rows_) {
    f[r] += current_[r];
    q[r] += charge_[r];
    f_abs[r] += current_abs_[r];
  }
}

}  // namespace picospice
