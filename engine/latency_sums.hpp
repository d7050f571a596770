// The storage behind LatentSums (devices/device.hpp): the summed linearizations of the devices
// that stay bypassed, for one set of devices (the System's own, or one chunk of a split group),
// and the pass that loads them into f, f_abs, q and the Newton matrix at every evaluation.
//
//   LatencySums sums;
//   sums.set_up(pattern, slots, rows, instances);  // the entries those devices load
//   sums.start_over();                             // zero, new epoch; devices re-enter
//   request.latent = &sums.sums();                 // devices add and remove themselves
//   sums.load(x, a0, f, f_abs, q, jac);            // after the devices, every evaluation
#pragma once
#include <vector>

#include "devices/device.hpp"
#include "engine/sparsity_pattern.hpp"

namespace picospice {

class LatencySums {
 public:
  // For devices (`instances` of them) that load the matrix slots `slots` and the rows `rows` of
  // `pattern`'s system (duplicates allowed). Starts over at the next needs_restart().
  void set_up(const SparsityPattern& pattern, std::vector<int> slots, std::vector<Index> rows, std::size_t instances);
  // True before the first start and once removals passed the limit (rounding, see the .cpp).
  bool needs_restart() const { return sums_.epoch == 0 || sums_.removals > removal_limit_; }
  void start_over();
  LatentSums& sums() { return sums_; }
  long restarts() const { return restarts_; }
  // Adds the sums at x: jac += G + a0 C, f += G x + (i0 - G v0), q += C x + (q0 - C v0), f_abs.
  void load(const double* x, double a0, double* f, double* f_abs, double* q, double* jac) const;

 private:
  LatentSums sums_;
  std::vector<int> slots_;                    // row-major: by row, then column
  std::vector<Index> slot_column_;            // of slots_[k]
  std::vector<Index> slot_rows_;              // the distinct rows of slots_, in order
  std::vector<std::size_t> row_start_;        // slots_[row_start_[j] .. row_start_[j + 1]) in slot_rows_[j]
  std::vector<Index> rows_;                   // sorted: the rows of currents and charges
  std::vector<int> local_;                    // slot -> index into slots_ (every slot; -1 if absent)
  std::vector<double> conductance_, capacitance_;       // by index into slots_
  std::vector<double> current_, charge_, current_abs_;  // by row (every row)
  long removal_limit_ = 0;
  long restarts_ = 0;
};

}  // namespace picospice
