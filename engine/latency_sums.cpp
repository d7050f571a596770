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
  rows_ = std::move(rows);
  // The slots in row-major order (row, then column), so that load() sums each row's G x and C x
  // in registers and writes the row once; a slot's index k in this order is its place in
  // conductance_ and capacitance_ (local_). (Column order, scattering f and q once per slot, took
  // 18% more instructions in load(): callgrind, 0.06 s of a 64-unit layer, 1.6% of the run.)
  std::vector<std::pair<Index, Index>> entries;  // (row, column) of slots[k]
  for (int slot : slots) entries.push_back(pattern.entry_of(slot));
  std::vector<std::size_t> order(slots.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return entries[a] < entries[b]; });
  slots_.clear();
  slot_column_.clear();
  slot_rows_.clear();
  row_start_.clear();
  local_.assign(pattern.values_size(), -1);
  for (std::size_t k : order) {
    const auto [row, column] = entries[k];
    if (slot_rows_.empty() || slot_rows_.back() != row) {
      slot_rows_.push_back(row);
      row_start_.push_back(slots_.size());
    }
    local_[slots[k]] = static_cast<int>(slots_.size());
    slots_.push_back(slots[k]);
    slot_column_.push_back(column);
  }
  row_start_.push_back(slots_.size());
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
  const double* const __restrict g = conductance_.data();
  const double* const __restrict c = capacitance_.data();
  const int* const __restrict slot = slots_.data();
  const Index* const __restrict column = slot_column_.data();
  for (std::size_t j = 0; j < slot_rows_.size(); ++j) {
    double current = 0.0, charge = 0.0;
    for (std::size_t k = row_start_[j]; k < row_start_[j + 1]; ++k) {
      const double v = x[column[k]];
      current += g[k] * v;
      charge += c[k] * v;
      jac[slot[k]] += g[k] + a0 * c[k];
    }
    f[slot_rows_[j]] += current;
    q[slot_rows_[j]] += charge;
  }
  for (Index r : rows_) {
    f[r] += current_[r];
    q[r] += charge_[r];
    f_abs[r] += current_abs_[r];
  }
}

}  // namespace picospice
