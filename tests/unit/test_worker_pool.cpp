// The worker pool (base/worker_pool.hpp): order of delivery, one receiver at a time, the same
// results for any number of jobs, the stop flag and stop_after, and errors.
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "base/worker_pool.hpp"

using namespace picospice;

namespace {

// A task whose duration varies with its number, so that with several jobs later tasks often finish
// before earlier ones and the reorder buffer has work to do.
double uneven_task(std::uint64_t k) {
  std::this_thread::sleep_for(std::chrono::microseconds((k * 7919) % 5 * 200));
  double x = static_cast<double>(k);
  for (int i = 0; i < 1000; ++i) x = std::sin(x) + static_cast<double>(k);
  return x;
}

struct Delivered {
  std::vector<std::uint64_t> tasks;
  std::vector<double> values;
};

Delivered run_uneven(const OrderedRunSettings& settings) {
  Delivered d;
  std::atomic<int> receivers{0};
  bool overlapped = false;
  run_in_order(
      settings, [] { return uneven_task; },
      [&](std::uint64_t k, double&& value) {
        if (++receivers > 1) overlapped = true;
        d.tasks.push_back(k);
        d.values.push_back(value);
        --receivers;
      });
  CHECK_FALSE(overlapped);
  return d;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t end) {
  std::vector<std::uint64_t> r;
  for (std::uint64_t k = first; k < end; ++k) r.push_back(k);
  return r;
}

}  // namespace

TEST_CASE("worker pool: results arrive in task order, the same for 1 and 3 jobs", "[pool]") {
  OrderedRunSettings s;
  s.first = 5;
  s.end = 65;
  s.jobs = 1;
  const Delivered one = run_uneven(s);
  s.jobs = 3;
  s.reorder_capacity = 4;  // small, so that the wait for room is exercised too
  const Delivered three = run_uneven(s);
  CHECK(one.tasks == range(5, 65));
  CHECK(three.tasks == range(5, 65));
  CHECK(three.values == one.values);  // bit for bit
  for (std::size_t i = 0; i < one.tasks.size(); ++i) CHECK(one.values[i] == uneven_task(one.tasks[i]));
}

TEST_CASE("worker pool: every thread makes its own worker, and no more threads than tasks", "[pool]") {
  std::mutex mutex;
  std::set<std::thread::id> makers;
  int made = 0;
  OrderedRunSettings s;
  s.end = 2;
  s.jobs = 8;
  run_in_order(
      s,
      [&] {
        std::lock_guard lock(mutex);
        makers.insert(std::this_thread::get_id());
        ++made;
        return [](std::uint64_t k) { return k; };
      },
      [](std::uint64_t, std::uint64_t) {});
  CHECK(made <= 2);
  CHECK(makers.size() == static_cast<std::size_t>(made));
}

TEST_CASE("worker pool: a stop flag ends the hand-out; what was delivered is a prefix", "[pool]") {
  std::atomic<bool> stop{false};
  OrderedRunSettings s;
  s.end = 1000;
  s.jobs = 3;
  s.stop = &stop;
  std::vector<std::uint64_t> delivered;
  const OrderedRunOutcome o = run_in_order(
      s, [] { return uneven_task; },
      [&](std::uint64_t k, double&&) {
        delivered.push_back(k);
        if (k == 20) stop = true;
      });
  CHECK(o.stopped);
  CHECK(o.next >= 21);
  CHECK(o.next < 1000);
  CHECK(delivered == range(0, o.next));  // every task handed out ran and was delivered
}

TEST_CASE("worker pool: stop_after hands out exactly that many tasks", "[pool]") {
  OrderedRunSettings s;
  s.first = 10;
  s.end = 100;
  s.jobs = 3;
  s.stop_after = 7;
  std::atomic<int> ran{0};
  std::vector<std::uint64_t> delivered;
  const OrderedRunOutcome o = run_in_order(
      s,
      [&] {
        return [&](std::uint64_t k) {
          ++ran;
          return uneven_task(k);
        };
      },
      [&](std::uint64_t k, double&&) { delivered.push_back(k); });
  CHECK(o.stopped);
  CHECK(o.next == 17);
  CHECK(ran == 7);
  CHECK(delivered == range(10, 17));

  s.stop_after = 500;  // more than there are: not a stop
  const OrderedRunOutcome all = run_in_order(s, [] { return uneven_task; }, [](std::uint64_t, double&&) {});
  CHECK_FALSE(all.stopped);
  CHECK(all.next == 100);
}

TEST_CASE("worker pool: a task's exception reaches the caller after the threads are joined", "[pool]") {
  OrderedRunSettings s;
  s.end = 200;
  s.jobs = 3;
  s.reorder_capacity = 2;  // the others would wait for the failed task's turn: they must not hang
  std::atomic<int> started{0};
  const auto run = [&] {
    run_in_order(
        s,
        [&] {
          return [&](std::uint64_t k) {
            ++started;
            if (k == 13) throw std::runtime_error("task 13 failed");
            return uneven_task(k);
          };
        },
        [](std::uint64_t, double&&) {});
  };
  CHECK_THROWS_WITH(run(), "task 13 failed");
  CHECK(started < 200);  // the hand-out stopped
}

TEST_CASE("worker pool: an exception of the receiver or of make_worker is rethrown", "[pool]") {
  OrderedRunSettings s;
  s.end = 50;
  s.jobs = 2;
  std::vector<std::uint64_t> delivered;
  const auto refusing_receiver = [&] {
    run_in_order(
        s, [] { return uneven_task; },
        [&](std::uint64_t k, double&&) {
          if (k == 5) throw std::runtime_error("disk full");
          delivered.push_back(k);
        });
  };
  CHECK_THROWS_WITH(refusing_receiver(), "disk full");
  CHECK(delivered == range(0, 5));  // nothing is delivered after the failure

  const auto failing_worker = [&] {
    run_in_order(
        s,
        []() -> double (*)(std::uint64_t) { throw std::runtime_error("no memory for a System"); },
        [](std::uint64_t, double&&) {});
  };
  CHECK_THROWS_WITH(failing_worker(), "no memory for a System");
}

TEST_CASE("worker pool: parallel_for runs every task once, and an empty range runs none", "[pool]") {
  for (int jobs : {1, 3}) {
    std::vector<std::atomic<int>> count(40);
    parallel_for(count.size(), jobs, [&](std::uint64_t k) { ++count[k]; });
    for (const auto& c : count) CHECK(c == 1);
  }
  bool ran = false;
  parallel_for(0, 3, [&](std::uint64_t) { ran = true; });
  CHECK_FALSE(ran);
}
