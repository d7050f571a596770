#include "engine/sparsity_pattern.hpp"

#include <algorithm>

namespace picospice {

void PatternBuilder::add(Index row, Index column) {
  if (row <= 0 || column <= 0) return;  // ground: the dummy slot
  entries_.emplace_back(row, column);
}

SparsityPattern::SparsityPattern(const PatternBuilder& builder) : n_(builder.unknowns()) {
  std::vector<std::pair<Index, Index>> entries;  // (column, row), 0-based
  entries.reserve(builder.entries().size() + n_);
  for (auto [r, c] : builder.entries()) entries.emplace_back(c - 1, r - 1);
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());

  column_start_.assign(n_ + 1, 0);
  row_index_.reserve(entries.size());
  for (auto [c, r] : entries) {
    ++column_start_[c + 1];
    row_index_.push_back(r);
  }
  for (int c = 0; c < n_; ++c) column_start_[c + 1] += column_start_[c];
  diagonal_.resize(n_);
  for (int i = 0; i < n_; ++i) diagonal_[i] = slot(i + 1, i + 1);  // dummy_slot() where undeclared
}

int SparsityPattern::slot(Index row, Index column) {
  if (row <= 0 || column <= 0) return dummy_slot();
  const int c = column - 1, r = row - 1;
  auto first = row_index_.begin() + column_start_[c];
  auto last = row_index_.begin() + column_start_[c + 1];
  auto it = std::lower_bound(first, last, r);
  if (it == last || *it != r) return dummy_slot();  // not declared: cannot happen after declare pass
  return static_cast<int>(it - row_index_.begin());
}

}  // namespace picospice
