#include "engine/sparsity_pattern.hpp"

#include <algorithm>

#include <btf.h>

namespace picospice {

void PatternBuilder::add(Index row, Index column) {
  if (row <= 0 || column <= 0) return;  // ground: the dummy slot
  entries_.emplace_back(row, column);
}

void PatternBuilder::add_weak(Index row, Index column) {
  if (row <= 0 || column <= 0) return;
  weak_entries_.emplace_back(row, column);
}

namespace {

using Entries = std::vector<std::pair<int, int>>;  // (column, row), 0-based, sorted, unique

Entries sorted_entries(const std::vector<std::pair<Index, Index>>& rows_columns) {
  Entries entries;
  entries.reserve(rows_columns.size());
  for (auto [r, c] : rows_columns) entries.emplace_back(c - 1, r - 1);
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

// Compressed columns of n-by-n `entries`.
void compress(int n, const Entries& entries, std::vector<int>& column_start, std::vector<int>& row_index) {
  column_start.assign(n + 1, 0);
  row_index.clear();
  row_index.reserve(entries.size());
  for (auto [c, r] : entries) {
    ++column_start[c + 1];
    row_index.push_back(r);
  }
  for (int c = 0; c < n; ++c) column_start[c + 1] += column_start[c];
}

// Splits `weak` into the entries that fit the block-triangular form of `strong` (KLU's own, by
// btf_order: P A Q block upper triangular) and those below it, which would join blocks. A
// structurally singular `strong` keeps every weak entry.
void split_against_blocks(int n, const Entries& strong, const Entries& weak, Entries& kept, Entries& left_out) {
  std::vector<int> start, rows;
  compress(n, strong, start, rows);
  std::vector<int> p(n), q(n), r(n + 1), work(5 * static_cast<std::size_t>(n));
  double maxtrans_work = 0;
  int matched = 0;
  const int blocks = btf_order(n, start.data(), rows.data(), 0.0, &maxtrans_work, p.data(), q.data(), r.data(),
                               &matched, work.data());
  if (matched < n) {
    kept = weak;
    return;
  }
  std::vector<int> row_block(n), column_block(n);
  for (int b = 0; b < blocks; ++b)
    for (int k = r[b]; k < r[b + 1]; ++k) {
      row_block[p[k]] = b;
      column_block[q[k]] = b;
    }
  for (const auto& e : weak) (row_block[e.second] > column_block[e.first] ? left_out : kept).push_back(e);
}

}  // namespace

SparsityPattern::SparsityPattern(const PatternBuilder& builder, bool feed_forward_split) : n_(builder.unknowns()) {
  Entries entries = sorted_entries(builder.entries());
  Entries weak;
  for (const auto& e : sorted_entries(builder.weak_entries()))
    if (!std::binary_search(entries.begin(), entries.end(), e)) weak.push_back(e);
  Entries kept;
  if (feed_forward_split && !weak.empty()) split_against_blocks(n_, entries, weak, kept, left_out_);
  else kept = weak;
  entries.insert(entries.end(), kept.begin(), kept.end());
  std::sort(entries.begin(), entries.end());

  compress(n_, entries, column_start_, row_index_);
  diagonal_.resize(n_);
  for (int i = 0; i < n_; ++i) diagonal_[i] = slot(i + 1, i + 1);  // dummy_slot() where undeclared
}

int SparsityPattern::find(Index row, Index column) const {
  if (row <= 0 || column <= 0) return dummy_slot();
  const int c = column - 1, r = row - 1;
  auto first = row_index_.begin() + column_start_[c];
  auto last = row_index_.begin() + column_start_[c + 1];
  auto it = std::lower_bound(first, last, r);
  if (it == last || *it != r) {
    const auto out = std::lower_bound(left_out_.begin(), left_out_.end(), std::make_pair(c, r));
    if (out != left_out_.end() && *out == std::make_pair(c, r)) return nnz() + 1 + static_cast<int>(out - left_out_.begin());
    return dummy_slot();  // not declared: cannot happen after declare pass
  }
  return static_cast<int>(it - row_index_.begin());
}

std::pair<Index, Index> SparsityPattern::entry_of(int slot) const {
  if (slot < nnz()) {
    const int column = static_cast<int>(std::upper_bound(column_start_.begin(), column_start_.end(), slot) - column_start_.begin()) - 1;
    return {row_index_[slot] + 1, column + 1};
  }
  if (slot == dummy_slot()) return {0, 0};
  const auto& [column, row] = left_out_[slot - nnz() - 1];
  return {row + 1, column + 1};
}

}  // namespace picospice
