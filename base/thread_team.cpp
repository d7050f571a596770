#include "base/thread_team.hpp"

#include <chrono>
#include <utility>

namespace picospice {

ThreadTeam::ThreadTeam(int threads) {
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this] { worker_loop(); });
}

ThreadTeam::~ThreadTeam() {
  try {
    wait_posted();
  } catch (...) {  // nobody is left to hear it
  }
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
    run_posted();
    take_chunks();
  }
}

void ThreadTeam::run_posted() {
  std::function<void()> task;
  {
    std::lock_guard lock(mutex_);
    if (!posted_) return;
    task = std::move(posted_);
    posted_ = nullptr;
  }
  std::exception_ptr error;
  try {
    task();
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard lock(mutex_);
    posted_error_ = error;
    posted_done_ = true;
  }
  done_.notify_all();
}

void ThreadTeam::post(std::function<void()> task) {
  if (workers_.empty()) {
    task();
    return;
  }
  wait_posted();
  {
    std::lock_guard lock(mutex_);
    posted_ = std::move(task);
    posted_done_ = false;
    ++generation_;
  }
  wake_.notify_all();
}

void ThreadTeam::wait_posted() {
  if (workers_.empty()) return;
  // A task no worker has taken yet is run here: on a machine busy with other work the workers may
  // not get a core for a while, and the caller would otherwise wait for them (as it takes their
  // chunks in run()).
  run_posted();
  const bool done = poll([&] { return posted_done_.load(); });
  std::unique_lock lock(mutex_);
  if (!done) done_.wait(lock, [&] { return posted_done_.load(); });
  if (posted_error_) std::rethrow_exception(std::exchange(posted_error_, nullptr));
}

void ThreadTeam::run(std::size_t chunks, const std::function<void(std::size_t)>& work) {
  if (chunks == 0) return;
  wait_posted();
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
  const auto own_done = std::chrono::steady_clock::now();
  const std::size_t total = chunks;
  const bool done = poll([&] { return finished_.load() == total; });
  std::unique_lock lock(mutex_);
  if (!done) done_.wait(lock, [&] { return finished_ == chunks_; });
  caller_wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - own_done).count();
  chunks_ = 0;  // late-waking workers find nothing to take
  if (error_) std::rethrow_exception(error_);
}

}  // namespace picospice
