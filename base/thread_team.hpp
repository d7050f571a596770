// A fixed team of threads for fork-join work that repeats thousands of times a second: the device
// evaluation of one Newton iteration split into chunks (engine/system.cpp). base/worker_pool.hpp
// is for numbered tasks of a study (a Monte Carlo sample, a clip); it starts its threads per run,
// which costs more than a whole device evaluation, so the inner loop keeps a team alive instead.
//
//   ThreadTeam team(2);                          // the caller and one more thread
//   team.run(chunks, [&](std::size_t c) { ... });  // returns when every chunk is done
//   team.post([&] { ... });                      // runs on a worker; the next run() waits for it
//
// Which thread runs which chunk is not fixed; callers that need results independent of the
// number of threads give each chunk its own output and combine them in chunk order.
//
// Between two runs a worker, and at the end of a run the caller, first polls for up to
// kSpinMicroseconds before sleeping on a condition variable. Waking a sleeping thread took tens of
// microseconds on the 2-core machine, against ~0.25 ms for a whole evaluation of a 64-unit
// layer, and a Newton iteration's solve between two evaluations takes ~0.1 ms: sleeping there
// left the second core idle for most of each evaluation (2 threads: 3.0 s of evaluation against
// 3.2 s on one). The poll yields the core at every turn, so other runnable threads still get it.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace picospice {

class ThreadTeam {
 public:
  // `threads` counts the calling thread; 1 runs everything on the caller.
  explicit ThreadTeam(int threads);
  ~ThreadTeam();
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Seconds the caller spent in run() after its own chunks, waiting for the others' (since
  // construction): how far from even the work was.
  double caller_wait_seconds() const { return caller_wait_seconds_; }
  // Runs work(0 .. chunks-1), each once, and returns when all are done. The first exception a
  // chunk throws is rethrown here, after every chunk has finished.
  void run(std::size_t chunks, const std::function<void(std::size_t)>& work);
  // Hands `task` to a worker and returns at once: work that must be done before the next run()
  // but not by the caller, who goes on with its own (the System clears the chunks' arrays there
  // while the caller factors the matrix). The next run(), post() or wait_posted() first waits for
  // it, or runs it itself if no worker has taken it yet; an exception it throws is rethrown there.
  // With no workers, `task` runs here and now.
  void post(std::function<void()> task);
  void wait_posted();

 private:
  static constexpr int kSpinMicroseconds = 200;
  void worker_loop();
  void take_chunks();
  // Polls `ready` for up to kSpinMicroseconds; true as soon as it holds.
  template <class Ready>
  static bool poll(Ready&& ready);

  void run_posted();  // the posted task, if no thread has taken it yet

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(std::size_t)>* work_ = nullptr;
  std::size_t chunks_ = 0, next_ = 0;
  // Written under mutex_, read by the polls without it.
  std::atomic<std::size_t> finished_{0};
  std::atomic<unsigned long> generation_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
  double caller_wait_seconds_ = 0;      // run()'s caller only
  std::function<void()> posted_;        // written under mutex_; taken by one worker
  std::atomic<bool> posted_done_{true};
  std::exception_ptr posted_error_;
};

}  // namespace picospice
