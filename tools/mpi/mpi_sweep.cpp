// The MPI side of `mpirun picospice mc` (mpi_sweep.hpp). The one file that includes <mpi.h>.
//
// Messages (MPI_COMM_WORLD):
//   worker -> rank 0, tag kRequest: text. Line 1 "jobs=J quit=Q unfinished=A,B"; then the CSV rows
//     (results_csv.hpp) of the range it last ran. quit=1: the worker was stopped and leaves;
//     [A, B) is the part of its range it did not run (A == B: none).
//   rank 0 -> worker, tag kAssign: two uint64 [begin, end); an empty range means "no more".
#include "tools/mpi/mpi_sweep.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/worker_pool.hpp"

namespace picospice::tools::mpi {

namespace {

constexpr int kRequest = 1;
constexpr int kAssign = 2;

void check(int code, const char* call) {
  if (code != MPI_SUCCESS) throw std::runtime_error(fmt::format("MPI: {} failed (error {})", call, code));
}

struct SampleSpan {
  std::uint64_t begin = 0, end = 0;
  std::uint64_t size() const { return end - begin; }
};

// Rank 0's bookkeeping, shared by its main thread (serving the other ranks) and its local
// worker threads: what is still to hand out, and the reorder buffer in front of the sink.
class Coordinator {
 public:
  Coordinator(const SweepSettings& settings, const std::function<void(const SampleResult&)>& sink, int threads)
      : settings_(settings), sink_(sink), threads_(std::max(1, threads)), next_(settings.first),
        end_(std::max(settings.first, settings.runs)), next_to_deliver_(settings.first) {}

  // At most `maximum` samples, at least `minimum` when that many remain: guided self-scheduling,
  // a share of what is left (remaining / (2 x all threads)), so ranges shrink towards the end and
  // no rank is left running a long range while the others wait. Empty: nothing more to do.
  SampleSpan take(std::uint64_t minimum, std::uint64_t maximum) {
    std::lock_guard lock(mutex_);
    if (stopped_ || (settings_.stop && settings_.stop->load())) {
      stopped_ = true;
      return {};
    }
    if (!returned_.empty()) {
      SampleSpan span = returned_.back();
      returned_.pop_back();
      return span;
    }
    std::uint64_t available = end_ - next_;
    if (settings_.stop_after) {
      const std::uint64_t allowed = *settings_.stop_after > handed_out_ ? *settings_.stop_after - handed_out_ : 0;
      if (allowed == 0 && available > 0) stopped_ = true;
      available = std::min(available, allowed);
    }
    const std::uint64_t share = (end_ - next_) / (2 * static_cast<std::uint64_t>(threads_));
    const std::uint64_t size = std::min(available, std::clamp(share, minimum, std::max(minimum, maximum)));
    SampleSpan span{next_, next_ + size};
    next_ += size;
    handed_out_ += size;
    return span;
  }

  // A range a worker did not run: handed out again first.
  void give_back(SampleSpan span) {
    std::lock_guard lock(mutex_);
    if (span.size() > 0) returned_.push_back(span);
  }

  bool has_returned() {
    std::lock_guard lock(mutex_);
    return !returned_.empty() && !stopped_;
  }

  void deliver(SampleResult result) {
    std::lock_guard lock(mutex_);
    if (result.index != next_to_deliver_) {
      waiting_.emplace(result.index, std::move(result));
      return;
    }
    pass_on(result);
    for (auto it = waiting_.begin(); it != waiting_.end() && it->first == next_to_deliver_; it = waiting_.erase(it))
      pass_on(it->second);
  }

  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = error;
    stopped_ = true;
  }
  void rethrow_failure() {
    if (error_) std::rethrow_exception(error_);
  }

  SweepOutcome outcome() const { return {next_to_deliver_, next_to_deliver_ < end_}; }

 private:
  void pass_on(const SampleResult& result) {  // mutex_ held
    sink_(result);
    ++next_to_deliver_;
    if (settings_.progress) settings_.progress(next_to_deliver_, end_);
  }

  const SweepSettings& settings_;
  const std::function<void(const SampleResult&)>& sink_;
  const int threads_;
  std::mutex mutex_;
  std::uint64_t next_, end_, handed_out_ = 0, next_to_deliver_;
  std::vector<SampleSpan> returned_;
  std::map<std::uint64_t, SampleResult> waiting_;
  bool stopped_ = false;
  std::exception_ptr error_;
};

// Runs every span `take` gives, one sample at a time, on one SampleRunner.
void run_local_worker(const MonteCarloStudy& study, Coordinator& coordinator, const std::atomic<bool>* stop) {
  try {
    SampleRunner runner(study);
    for (SampleSpan span = coordinator.take(1, 1); span.size() > 0; span = coordinator.take(1, 1))
      for (std::uint64_t k = span.begin; k < span.end; ++k) {
        if (stop && stop->load()) {
          coordinator.give_back({k, span.end});
          return;
        }
        coordinator.deliver(runner.run(k));
      }
  } catch (...) {
    coordinator.fail(std::current_exception());
  }
}

struct Request {
  int jobs = 1;
  bool quit = false;
  SampleSpan unfinished;
  std::vector<std::string> rows;
};

Request parse_request(const std::string& text, int source) {
  Request request;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  unsigned long long a = 0, b = 0;
  int quit = 0;
  if (std::sscanf(line.c_str(), "jobs=%d quit=%d unfinished=%llu,%llu", &request.jobs, &quit, &a, &b) != 4)
    throw std::runtime_error(fmt::format("MPI: rank {} sent a malformed request '{}'", source, line));
  request.quit = quit != 0;
  request.unfinished = {a, b};
  while (std::getline(in, line)) request.rows.push_back(line);
  return request;
}

// Rank 0's main thread: answers requests until every other rank has been told to stop or quit.
// Polls with a short sleep: a blocking receive in Open MPI spins on a core the samples need.
void serve_requests(const Session& session, const ResultsLayout& layout, Coordinator& coordinator) {
  int active = session.size() - 1;
  while (active > 0) {
    int arrived = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, kRequest, MPI_COMM_WORLD, &arrived, &status), "MPI_Iprobe");
    if (!arrived) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    int bytes = 0;
    check(MPI_Get_count(&status, MPI_CHAR, &bytes), "MPI_Get_count");
    std::string text(static_cast<std::size_t>(bytes), '\0');
    check(MPI_Recv(text.data(), bytes, MPI_CHAR, status.MPI_SOURCE, kRequest, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "MPI_Recv");
    const Request request = parse_request(text, status.MPI_SOURCE);
    const std::string where = fmt::format("MPI: a row from rank {}", status.MPI_SOURCE);
    for (const auto& row : request.rows) coordinator.deliver(parse_row(row, layout, where));
    coordinator.give_back(request.unfinished);
    if (request.quit) {
      --active;
      continue;
    }
    const auto jobs = static_cast<std::uint64_t>(std::max(1, request.jobs));
    const SampleSpan span = coordinator.take(jobs, 64 * jobs);
    const std::uint64_t assignment[2] = {span.begin, span.end};
    check(MPI_Send(assignment, 2, MPI_UINT64_T, status.MPI_SOURCE, kAssign, MPI_COMM_WORLD), "MPI_Send");
    if (span.size() == 0) --active;
  }
}

}  // namespace

std::string build_description() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  // Allowed before MPI_Init (MPI 3.1, section 8.1.1).
  if (MPI_Get_library_version(version, &length) != MPI_SUCCESS) return "MPI: built in";
  std::string text(version, static_cast<std::size_t>(length));
  text = text.substr(0, text.find_first_of("\n,"));
  return "MPI: built in (" + text + "); run `mpirun -np N picospice mc ...`";
}

Session::Session() {
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  if (provided < MPI_THREAD_FUNNELED) throw std::runtime_error("MPI: the library does not allow threads (MPI_THREAD_FUNNELED)");
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

Session::~Session() {
  // After an error, no MPI_Finalize (it could wait for ranks that wait for this one): the process
  // exits non-zero and mpirun ends the others.
  if (std::uncaught_exceptions() == 0) MPI_Finalize();
}

SweepOutcome coordinate_sweep(const Session& session, const MonteCarloStudy& study, const ResultsLayout& layout,
                              const SweepSettings& settings, const std::function<void(const SampleResult&)>& sink) {
  const int local_threads = std::max(1, settings.jobs);
  Coordinator coordinator(settings, sink, local_threads * session.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < local_threads; ++t)
    threads.emplace_back([&] { run_local_worker(study, coordinator, settings.stop); });
  try {
    serve_requests(session, layout, coordinator);
  } catch (...) {
    coordinator.fail(std::current_exception());
  }
  for (auto& t : threads) t.join();
  // A range given back after the local threads had finished (a worker rank stopped on its own).
  if (coordinator.has_returned()) run_local_worker(study, coordinator, settings.stop);
  coordinator.rethrow_failure();
  return coordinator.outcome();
}

void serve_sweep(const Session& session, const MonteCarloStudy& study, const ResultsLayout& layout, int jobs,
                 const std::atomic<bool>* stop) {
  jobs = std::max(1, jobs);
  std::vector<std::unique_ptr<SampleRunner>> runners;
  for (int j = 0; j < jobs; ++j) runners.push_back(std::make_unique<SampleRunner>(study));
  std::string rows;
  SampleSpan unfinished;
  bool quit = false;
  while (true) {
    const std::string message =
        fmt::format("jobs={} quit={} unfinished={},{}\n", jobs, quit ? 1 : 0, unfinished.begin, unfinished.end) + rows;
    check(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, kRequest, MPI_COMM_WORLD), "MPI_Send");
    if (quit) return;
    std::uint64_t assignment[2] = {0, 0};
    check(MPI_Recv(assignment, 2, MPI_UINT64_T, 0, kAssign, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    if (assignment[1] <= assignment[0]) return;

    rows.clear();
    OrderedRunSettings run;
    run.first = assignment[0];
    run.end = assignment[1];
    run.jobs = jobs;
    run.stop = stop;
    std::atomic<int> next_runner{0};
    const OrderedRunOutcome outcome = run_in_order(
        run,
        [&] {
          SampleRunner& runner = *runners[static_cast<std::size_t>(next_runner++)];
          return [&runner](std::uint64_t sample) { return runner.run(sample); };
        },
        [&](std::uint64_t, SampleResult&& result) { rows += layout.row(result); });
    unfinished = {outcome.next, assignment[1]};
    quit = outcome.stopped || (stop && stop->load());
  }
}

}  // namespace picospice::tools::mpi
