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
#pragma once
#include <utility>
#include <vector>

#include "devices/device.hpp"

namespace picospice {

class PatternBuilder : public SlotBinder {
 public:
  explicit PatternBuilder(int unknowns) : unknowns_(unknowns) {}
  void add(Index row, Index column);
  int slot(Index row, Index column) override { add(row, column); return 0; }
  int unknowns() const { return unknowns_; }
  const std::vector<std::pair<Index, Index>>& entries() const { return entries_; }

 private:
  int unknowns_;
  std::vector<std::pair<Index, Index>> entries_;
};

class SparsityPattern : public SlotBinder {
 public:
  explicit SparsityPattern(const PatternBuilder& builder);
  int size() const { return n_; }
  int nnz() const { return static_cast<int>(row_index_.size()); }
  int dummy_slot() const { return nnz(); }
  int slot(Index row, Index column) override;          // binary search; for binding, not hot paths
  const std::vector<int>& column_start() const { return column_start_; }  // n + 1 entries
  const std::vector<int>& row_index() const { return row_index_; }       // 0-based matrix rows
  const std::vector<int>& diagonal_slots() const { return diagonal_; }   // by matrix index; dummy_slot() if undeclared

 private:
  int n_ = 0;
  std::vector<int> column_start_;
  std::vector<int> row_index_;
  std::vector<int> diagonal_;
};

}  // namespace picospice
