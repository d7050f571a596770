// Work over n items cut into two fixed halves, [0, n/2) and [n/2, n), the second on its own thread
// when `threads` >= 2. The halves are always the same, so a caller that combines the two results
// in order gets the same answer whatever the thread count (evaluation.cpp, software_mismatch.cpp).
#pragma once
#include <cstddef>
#include <thread>
#include <utility>

namespace picospice::training {

// work(begin, end) -> Result; returns {first half's, second half's}.
template <class Work>
auto in_two_halves(std::size_t n, int threads, const Work& work) {
  using Result = decltype(work(std::size_t{0}, std::size_t{0}));
  const std::size_t half = n / 2;
  std::pair<Result, Result> results;
  if (threads >= 2) {
    std::thread worker([&] { results.second = work(half, n); });
    results.first = work(0, half);
    worker.join();
  } else {
    results.first = work(0, half);
    results.second = work(half, n);
  }
  return results;
}

}  // namespace picospice::training
