// The Newton matrix's sparsity pattern, frozen once per topology.
//
// Usage:
//   PatternBuilder builder(unknowns);        // unknowns excludes ground
//   builder.add(row, col) ...                 // every entry any device will ever write
//   SparsityPattern pattern(builder);         // compressed column, sorted, duplicates merged
//   int s = pattern.slot(row, col);           // index into the value array
// Rows and columns are circuit unknown indices (1..n; 0 is ground). Matrix index = unknown - 1.
// Any entry in ground's row or column maps to dummy_slot() == nnz(), so value arrays have
// nnz() + 1 elements and devices can write to ground without a branch.
// Only declared entries are in the pattern, diagonals included: System declares every node's
// diagonal (gmin homotopy, .ic forcing), not a voltage source's branch-current diagonal, which is
// always zero. Left in, that structural entry let KLU's block-triangular form match a supply
// node's branch row to its own current, which tied the whole circuit into one block through the
// supply (a 64-unit lowered layer: one block of 1118; without it 21 singletons and 1097, 15% fewer
// flops per factorization).
//
// Feed-forward split (SparsityPattern(builder, true)): entries bound with weak_slot() load only
// charge, so they are zero at DC. Where such an entry points back against the block-triangular
// order of the other entries (a current mirror's output transistor's gate-drain capacitance,
// from the gate line back to the node its current feeds), it would join blocks that are
// otherwise factored one after the other; a lowered network layer would become one dense block
// of its gate lines and summing nodes. Those entries are left out of the factored pattern: their
// slots lie after dummy_slot(), so devices load them as usual and the residual, which devices
// compute themselves, is exact. Newton then solves with a matrix missing a small capacitive part,
// a modified Newton that converges to the same solution (engine/newton.cpp judges convergence on
// the residual), linearly instead of quadratically in proportion to what was left out.
#pragma once
#include <utility>
#include <vector>

#include "devices/device.hpp"

namespace picospice {

class PatternBuilder : public SlotBinder {
 public:
  explicit PatternBuilder(int unknowns) : unknowns_(unknowns) {}
  void add(Index row, Index column);
  void add_weak(Index row, Index column);
  int slot(Index row, Index column) override { add(row, column); return 0; }
  int weak_slot(Index row, Index column) override { add_weak(row, column); return 0; }
  int unknowns() const { return unknowns_; }
  const std::vector<std::pair<Index, Index>>& entries() const { return entries_; }
  const std::vector<std::pair<Index, Index>>& weak_entries() const { return weak_entries_; }

 private:
  int unknowns_;
  std::vector<std::pair<Index, Index>> entries_, weak_entries_;
};

class SparsityPattern : public SlotBinder {
 public:
  // feed_forward_split: leave out the weak entries that point back against the block order.
  explicit SparsityPattern(const PatternBuilder& builder, bool feed_forward_split = false);
  int size() const { return n_; }
  int nnz() const { return static_cast<int>(row_index_.size()); }
  int dummy_slot() const { return nnz(); }
  // Value arrays have this many elements: the pattern, the dummy slot, then the left-out entries.
  int values_size() const { return nnz() + 1 + left_out(); }
  int left_out() const { return static_cast<int>(left_out_.size()); }
  // The left-out entries, (column, row) 0-based; the k-th one's value is at slot nnz() + 1 + k.
  const std::vector<std::pair<int, int>>& left_out_entries() const { return left_out_; }
  int slot(Index row, Index column) override { return find(row, column); }
  int find(Index row, Index column) const;  // binary search; for binding, not hot paths
  // The (row, column) unknowns of a slot, the inverse of find(); (0, 0) for the dummy slot.
  std::pair<Index, Index> entry_of(int slot) const;
  const std::vector<int>& column_start() const { return column_start_; }  // n + 1 entries
  const std::vector<int>& row_index() const { return row_index_; }       // 0-based matrix rows
  const std::vector<int>& diagonal_slots() const { return diagonal_; }   // by matrix index; dummy_slot() if undeclared

 private:
  int n_ = 0;
  std::vector<int> column_start_;
  std::vector<int> row_index_;
  std::vector<int> diagonal_;
  std::vector<std::pair<int, int>> left_out_;  // (column, row), 0-based, sorted
};

}  // namespace picospice
