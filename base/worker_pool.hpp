// The one worker pool: numbered tasks run on several threads, their results handed back in task
// order. Every parallel loop of picospice uses it: `mc` and `agree --mc` (one sample a task),
// `noise-experiment` (one simulation a task), `dataset kws` (one clip a task), and the trainer and
// evaluator (two fixed halves of a minibatch or a split).
//
//   OrderedRunSettings s;  s.first = 0;  s.end = 1000;  s.jobs = 2;  s.stop = &ctrl_c;
//   OrderedRunOutcome o = run_in_order(s,
//       [&] { return [runner = Runner(study)](std::uint64_t k) mutable { return runner.run(k); }; },
//       [&](std::uint64_t k, Result&& r) { file.write(r); });
//
// Hand-out: each thread calls make_worker() once (so it can own state, e.g. a circuit and its
// System) and then takes the next task number from a shared counter, so slow and fast tasks
// balance themselves. `jobs` counts the calling thread, which works too.
//
// Delivery: a finished task waits in a reorder buffer until every task before it has been
// delivered; deliver(k, result) is then called for it, strictly in task order and never
// concurrently (from whichever thread closed the gap). A thread does not start a task more than
// `reorder_capacity` ahead of the next one to deliver, which bounds the memory when one task is
// much slower than the rest. When a task's result is a pure function of its number, deliver sees
// the same sequence for any number of jobs.
//
// Stopping: when *stop reads true, or `stop_after` tasks have been handed out, no new task
// starts; those running finish and are delivered. Tasks are handed out as one contiguous range,
// so after a stop exactly the tasks [first, outcome.next) have been delivered.
//
// Errors: the first exception thrown by a task, make_worker or deliver stops the hand-out; the
// threads are joined and that exception is rethrown to the caller.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace picospice {

struct OrderedRunSettings {
  std::uint64_t first = 0;  // tasks [first, end) run
  std::uint64_t end = 0;
  int jobs = 1;             // threads, the calling one included (values below 1 mean 1)
  const std::atomic<bool>* stop = nullptr;  // cooperative: set from a signal handler, say
  std::optional<std::uint64_t> stop_after;  // hand out at most this many tasks (a test hook)
  std::uint64_t reorder_capacity = 0;       // finished results held ahead of delivery; 0: 16 per job
};

struct OrderedRunOutcome {
  std::uint64_t next = 0;  // the first task not delivered: [first, next) all were, in order
  bool stopped = false;    // the stop flag or stop_after ended the run before `end`
};

// The scheduling every run_in_order shares, apart from the type of the results.
class OrderedRun {
 public:
  // A finished task's result, type-erased, waiting for its turn.
  class Finished {
   public:
    virtual ~Finished() = default;
    virtual void deliver() = 0;
  };

  explicit OrderedRun(const OrderedRunSettings& settings);

  // The next task for the calling thread, or nullopt when it should stop: everything is handed
  // out, a stop was requested, or an error occurred. Blocks while the task would run too far
  // ahead of delivery.
  std::optional<std::uint64_t> next_task();
  // Stores a finished task and delivers every result that is now in order.
  void finish(std::uint64_t task, std::unique_ptr<Finished> result);
  // Runs `worker` on `jobs` threads (the calling one included) and joins them; rethrows the first
  // error of a worker or of a delivery.
  void run_on_threads(const std::function<void()>& worker);
  OrderedRunOutcome outcome();

 private:
  void fail(std::exception_ptr error);

  const std::uint64_t end_, last_to_hand_out_, capacity_;
  const int jobs_;
  const std::atomic<bool>* const stop_;
  std::atomic<std::uint64_t> next_to_hand_out_;
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::condition_variable room_;
  std::uint64_t next_to_deliver_;  // guarded by mutex_
  std::map<std::uint64_t, std::unique_ptr<Finished>> waiting_;
  bool failed_ = false;
  std::exception_ptr error_;
};

// Runs tasks [settings.first, settings.end); see the top of this file.
//   make_worker() -> work,   work(std::uint64_t task) -> Result,   deliver(std::uint64_t task, Result&&)
template <class MakeWorker, class Deliver>
OrderedRunOutcome run_in_order(const OrderedRunSettings& settings, const MakeWorker& make_worker, Deliver&& deliver) {
  OrderedRun run(settings);
  run.run_on_threads([&] {
    auto work = make_worker();
    using Result = std::decay_t<decltype(work(std::uint64_t{}))>;
    class Held final : public OrderedRun::Finished {
     public:
      Held(Deliver& deliver, std::uint64_t task, Result&& result)
          : deliver_(deliver), task_(task), result_(std::move(result)) {}
      void deliver() override { deliver_(task_, std::move(result_)); }

     private:
      Deliver& deliver_;
      std::uint64_t task_;
      Result result_;
    };
    while (const std::optional<std::uint64_t> task = run.next_task())
      run.finish(*task, std::make_unique<Held>(deliver, *task, work(*task)));
  });
  return run.outcome();
}

// Calls body(task) for every task in [0, count) on up to `jobs` threads (the calling one
// included); returns when all are done, rethrowing the first exception. For work whose pieces
// write to places of their own (e.g. the two halves of a minibatch).
template <class Body>
void parallel_for(std::uint64_t count, int jobs, const Body& body) {
  OrderedRunSettings settings;
  settings.end = count;
  settings.jobs = jobs;
  run_in_order(
      settings,
      [&] {
        return [&](std::uint64_t task) {
          body(task);
          return true;  // run_in_order wants a result; there is none to pass on
        };
      },
      [](std::uint64_t, bool) {});
}

}  // namespace picospice
