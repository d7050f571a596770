#include "base/thread_team.hpp"

#include <chrono>

namespace picospice {

ThreadTeam::ThreadTeam(int threads) {
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this] { worker_loop(); });
}

ThreadTeam::~ThreadTeam() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

// Takes chunks until none is left; called by the caller and by every woken worker.
void ThreadTeam::take_chunks() {
  std::unique_lock lock(mutex_);
  while (next_ < chunks_) {
    const std::size_t chunk = next_++;
    const auto* work = work_;
    lock.unlock();
    try {
      (*work)(chunk);
    } catch (...) {
      std::lock_guard error_lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    lock.lock();
    if (++finished_ == chunks_) done_.notify_all();
  }
}

template <class Ready>
bool ThreadTeam::poll(Ready&& ready) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicroseconds);
  for (;;) {
    for (int k = 0; k < 64; ++k) {
      if (ready()) return true;
      std::this_thread::yield();
    }
    if (std::chrono::steady_clock::now() >= until) return ready();
  }
}

void ThreadTeam::worker_loop() {
  unsigned long seen = 0;
  for (;;) {
    const bool woke = poll([&] { return stopping_.load() || generation_.load() != seen; });
    {
      std::unique_lock lock(mutex_);
      if (!woke) wake_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    take_chunks();
  }
}

void ThreadTeam::run(std::size_t chunks, const std::function<void(std::size_t)>& work) {
  if (chunks == 0) return;
  if (workers_.empty() || chunks == 1) {
    for (std::size_t c = 0; c < chunks; ++c) work(c);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    work_ = &work;
    chunks_ = chunks;
    next_ = 0;
    finished_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  take_chunks();
  const std::size_t total = chunks;
  const bool done = poll([&] { return finished_.load() == total; });
  std::unique_lock lock(mutex_);
  if (!done) done_.wait(lock, [&] { return finished_ == chunks_; });
  chunks_ = 0;  // late-waking workers find nothing to take
  if (error_) std::rethrow_exception(error_);
}

}  // namespace picospice
