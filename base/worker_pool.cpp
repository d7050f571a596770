// The scheduling behind run_in_order (see worker_pool.hpp).
#include "base/worker_pool.hpp"

#include <algorithm>
#include <thread>
#include <vector>

namespace picospice {

namespace {

std::uint64_t hand_out_limit(const OrderedRunSettings& s) {
  const std::uint64_t end = std::max(s.first, s.end);
  return s.stop_after ? std::min(end, s.first + *s.stop_after) : end;
}

}  // namespace

OrderedRun::OrderedRun(const OrderedRunSettings& s)
    : end_(std::max(s.first, s.end)),
      last_to_hand_out_(hand_out_limit(s)),
      capacity_(s.reorder_capacity > 0 ? s.reorder_capacity : 16 * static_cast<std::uint64_t>(std::max(1, s.jobs))),
      jobs_(std::max(1, s.jobs)),
      stop_(s.stop),
      next_to_hand_out_(s.first),
      next_to_deliver_(s.first) {}

std::optional<std::uint64_t> OrderedRun::next_task() {
  if (stop_ && stop_->load(std::memory_order_relaxed)) {
    stopped_ = true;
    return std::nullopt;
  }
  {
    std::lock_guard lock(mutex_);
    if (failed_) return std::nullopt;
  }
  const std::uint64_t task = next_to_hand_out_.fetch_add(1);
  if (task >= last_to_hand_out_) {
    if (task < end_) stopped_ = true;  // stop_after cut the run short
    return std::nullopt;
  }
  // A task once handed out always runs (unless another failed), so the tasks handed out stay one
  // contiguous range. The thread holding the next task to deliver never waits here, so this
  // cannot deadlock.
  std::unique_lock lock(mutex_);
  room_.wait(lock, [&] { return task < next_to_deliver_ + capacity_ || failed_; });
  if (failed_) return std::nullopt;
  return task;
}

void OrderedRun::finish(std::uint64_t task, std::unique_ptr<Finished> result) {
  std::lock_guard lock(mutex_);
  if (failed_) return;
  waiting_.emplace(task, std::move(result));
  try {
    for (auto it = waiting_.find(next_to_deliver_); it != waiting_.end(); it = waiting_.find(next_to_deliver_)) {
      it->second->deliver();
      waiting_.erase(it);
      ++next_to_deliver_;
    }
  } catch (...) {
    // The receiver could not take a result (disk full...): stop everyone, rethrow after joining.
    failed_ = true;
    if (!error_) error_ = std::current_exception();
  }
  room_.notify_all();
}

void OrderedRun::fail(std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  failed_ = true;
  if (!error_) error_ = std::move(error);
  room_.notify_all();
}

void OrderedRun::run_on_threads(const std::function<void()>& worker) {
  auto guarded = [&] {
    try {
      worker();
    } catch (...) {  // e.g. out of memory building a System: reported once, after joining
      fail(std::current_exception());
    }
  };
  // No more threads than tasks: an idle thread would only be started and joined.
  const std::uint64_t tasks = last_to_hand_out_ - std::min(last_to_hand_out_, next_to_hand_out_.load());
  const int threads = static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(jobs_), std::max<std::uint64_t>(tasks, 1)));
  std::vector<std::thread> helpers;
  helpers.reserve(static_cast<std::size_t>(threads - 1));
  try {
    for (int j = 1; j < threads; ++j) helpers.emplace_back(guarded);
  } catch (...) {  // the system refused a thread: stop, join those started, report it
    fail(std::current_exception());
  }
  guarded();
  for (auto& t : helpers) t.join();
  if (error_) std::rethrow_exception(error_);
}

OrderedRunOutcome OrderedRun::outcome() {
  std::lock_guard lock(mutex_);
  OrderedRunOutcome o;
  o.next = next_to_deliver_;
  o.stopped = stopped_ || next_to_deliver_ < end_;
  return o;
}

}  // namespace picospice
