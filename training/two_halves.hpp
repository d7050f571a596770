// Work over n items cut into two fixed halves, [0, n/2) and [n/2, n), run on two threads of the
// worker pool (base/worker_pool.hpp) when `threads` >= 2. The halves are always the same, so a
// caller that combines the two results in order gets the same answer whatever the thread count
// (evaluation.cpp, software_mismatch.cpp, the trainer's minibatches).
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>

#include "base/worker_pool.hpp"

namespace picospice::training {

// work(begin, end) -> Result; returns {first half's, second half's}.
template <class Work>
auto in_two_halves(std::size_t n, int threads, const Work& work) {
  using Result = decltype(work(std::size_t{0}, std::size_t{0}));
  const std::size_t half = n / 2;
  std::pair<Result, Result> results;
  parallel_for(2, threads >= 2 ? 2 : 1, [&](std::uint64_t which) {
    if (which == 0) results.first = work(0, half);
    else results.second = work(half, n);
  });
  return results;
}

}  // namespace picospice::training
