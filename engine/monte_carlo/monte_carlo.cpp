#include "engine/monte_carlo/monte_carlo.hpp"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace picospice {

namespace {

// Finished samples waiting for their predecessors. The capacity bounds memory when one sample is
// much slower than the others: a worker waits before starting a sample that far ahead.
class ReorderBuffer {
 public:
  ReorderBuffer(std::uint64_t first, std::uint64_t capacity, const std::function<void(const SampleResult&)>& sink)
      : next_(first), capacity_(capacity), sink_(sink) {}

  // Blocks while `sample` is more than `capacity` ahead of the next sample to deliver.
  void wait_for_room(std::uint64_t sample) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return sample < next_ + capacity_ || failed_; });
  }

  // Stores a result and delivers every result that is now in order. Returns how many samples
  // have been delivered in total (as the next index).
  void push(SampleResult result, const std::function<void(std::uint64_t)>& delivered) {
    std::lock_guard lock(mutex_);
    if (failed_) return;
    waiting_.emplace(result.index, std::move(result));
    try {
      for (auto it = waiting_.find(next_); it != waiting_.end(); it = waiting_.find(next_)) {
        sink_(it->second);
        waiting_.erase(it);
        ++next_;
        if (delivered) delivered(next_);
      }
    } catch (...) {
      // The sink could not write (disk full...): remember it, stop everyone, rethrow later.
      failed_ = true;
      error_ = std::current_exception();
    }
    room_.notify_all();
  }

  std::uint64_t next() {
    std::lock_guard lock(mutex_);
    return next_;
  }
  bool failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }
  void rethrow_if_failed() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable room_;
  std::uint64_t next_;
  std::uint64_t capacity_;
  const std::function<void(const SampleResult&)>& sink_;
  std::map<std::uint64_t, SampleResult> waiting_;
  bool failed_ = false;
  std::exception_ptr error_;
};

}  // namespace

SweepOutcome run_sweep(const MonteCarloStudy& study, const SweepSettings& settings,
                       const std::function<void(const SampleResult&)>& sink) {
  const int jobs = std::max(1, settings.jobs);
  const std::uint64_t end = std::max(settings.first, settings.runs);
  std::uint64_t last_to_hand_out = end;
  if (settings.stop_after) last_to_hand_out = std::min(end, settings.first + *settings.stop_after);

  ReorderBuffer buffer(settings.first, 16 * static_cast<std::uint64_t>(jobs), sink);
  std::atomic<std::uint64_t> next_to_hand_out{settings.first};
  std::atomic<bool> interrupted{false};
  auto stop_requested = [&] { return settings.stop && settings.stop->load(std::memory_order_relaxed); };
  std::function<void(std::uint64_t)> delivered;
  if (settings.progress) delivered = [&](std::uint64_t done) { settings.progress(done, end); };

  auto worker = [&] {
    SampleRunner runner(study);
    for (;;) {
      if (stop_requested()) { interrupted = true; return; }
      if (buffer.failed()) return;
      const std::uint64_t sample = next_to_hand_out.fetch_add(1);
      if (sample >= last_to_hand_out) {
        if (sample < end) interrupted = true;  // the --stop-after hook cut the sweep short
        return;
      }
      buffer.wait_for_room(sample);
      buffer.push(runner.run(sample), delivered);
    }
  };

  std::vector<std::thread> threads;
  std::exception_ptr worker_error;
  std::mutex worker_error_mutex;
  for (int j = 0; j < jobs; ++j)
    threads.emplace_back([&] {
      try {
        worker();
      } catch (...) {  // e.g. out of memory building a System: report it once, after joining
        std::lock_guard lock(worker_error_mutex);
        if (!worker_error) worker_error = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  buffer.rethrow_if_failed();
  if (worker_error) std::rethrow_exception(worker_error);

  SweepOutcome outcome;
  outcome.next_sample = buffer.next();
  outcome.interrupted = interrupted || outcome.next_sample < end;
  return outcome;
}

}  // namespace picospice
