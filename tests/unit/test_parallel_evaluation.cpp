// Device evaluation on several threads (engine/system.cpp, base/thread_team.hpp): a large group is
// split into a fixed number of chunks whose contributions are added in chunk order, so an analysis
// gives the same numbers, bit for bit, for any thread count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_team.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"
#include "tests/netlist_text.hpp"

using namespace picospice;

namespace {

// A chain of `stages` CMOS inverters (2 EKV transistors each) driven by a pulse: large enough to be
// split (more than 4000 transistors), and switching, so every chunk loads currents and charges.
std::string inverter_chain(int stages, int threads) {
  return test::inverter_chain(stages, ".options threads=" + std::to_string(threads) + "\n.op\n.tran 1n 60n\n.end\n");
}

}  // namespace

TEST_CASE("thread team: every chunk runs once, and a chunk's exception reaches the caller", "[threads]") {
  ThreadTeam team(2);
  CHECK(team.threads() == 2);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::atomic<int>> runs(7);
    team.run(runs.size(), [&](std::size_t c) { ++runs[c]; });
    for (auto& r : runs) REQUIRE(r.load() == 1);
  }
  std::atomic<int> finished{0};
  CHECK_THROWS_WITH(team.run(5,
                             [&](std::size_t c) {
                               if (c == 3) throw std::runtime_error("chunk 3 failed");
                               ++finished;
                             }),
                    "chunk 3 failed");
  CHECK(finished.load() == 4);  // the other chunks still ran to the end
  std::atomic<int> after{0};
  team.run(3, [&](std::size_t) { ++after; });  // the team is usable after an error
  CHECK(after.load() == 3);
}

TEST_CASE("thread team: runs complete whether the threads are caught polling or have gone to sleep", "[threads]") {
  // base/thread_team.hpp: workers poll for the next run, and the caller for the last chunk, for
  // up to kSpinMicroseconds before they sleep. Gaps between runs and chunk lengths on both sides of
  // that time take both paths: a lost wake-up would hang here, a chunk run twice or never fail.
  ThreadTeam team(3);
  for (int round = 0; round < 60; ++round) {
    const auto gap = std::chrono::microseconds(round % 3 == 0 ? 0 : round % 3 == 1 ? 50 : 1500);
    const auto chunk_time = std::chrono::microseconds(round % 4 == 0 ? 0 : round % 4 == 1 ? 30 : 600);
    std::this_thread::sleep_for(gap);
    std::vector<std::atomic<int>> runs(5);
    team.run(runs.size(), [&](std::size_t c) {
      if (c == runs.size() - 1) std::this_thread::sleep_for(chunk_time);  // the last chunk is slow
      ++runs[c];
    });
    for (auto& r : runs) REQUIRE(r.load() == 1);
  }
}

TEST_CASE("thread team: a posted task runs once, before the next run's chunks, on a worker when one is free",
          "[threads]") {
  ThreadTeam team(2);
  const auto caller = std::this_thread::get_id();
  int on_worker_rounds = 0;
  for (int round = 0; round < 100; ++round) {
    std::atomic<int> posted_ran{0};
    std::atomic<bool> on_worker{false};
    // Slow on some rounds, so that run() finds it unfinished and must wait; the caller gives the
    // worker time to take it on others (else run() may take it first, which is allowed).
    const auto task_time = std::chrono::microseconds(round % 3 == 0 ? 300 : 0);
    team.post([&] {
      std::this_thread::sleep_for(task_time);
      on_worker = std::this_thread::get_id() != caller;
      ++posted_ran;
    });
    if (round % 2 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::vector<std::atomic<int>> seen(4);
    team.run(seen.size(), [&](std::size_t c) { seen[c] = posted_ran.load(); });
    for (auto& s : seen) REQUIRE(s.load() == 1);  // every chunk saw it finished, and it ran once
    on_worker_rounds += on_worker.load() ? 1 : 0;
  }
  CHECK(on_worker_rounds > 0);  // it is handed to the worker, not simply run by the caller
  team.post([] { throw std::runtime_error("posted task failed"); });
  CHECK_THROWS_WITH(team.run(2, [](std::size_t) {}), "posted task failed");
  std::atomic<int> after{0};
  team.run(3, [&](std::size_t) { ++after; });  // usable after the error
  CHECK(after.load() == 3);
  team.post([&] { ++after; });
  team.wait_posted();
  CHECK(after.load() == 4);

  ThreadTeam alone(1);  // no workers: the task runs in post() itself
  bool ran_here = false;
  alone.post([&] { ran_here = std::this_thread::get_id() == caller; });
  CHECK(ran_here);
}

TEST_CASE("parallel evaluation: results are identical for 1, 2 and 3 threads", "[threads]") {
  std::vector<std::vector<Plot>> runs;
  std::vector<long> evaluated;
  for (int threads : {1, 2, 3}) {
    auto circuit = elaborate_text(inverter_chain(2100, threads));
    std::vector<AnalysisStatistics> stats;
    RunSettings settings;
    settings.statistics = &stats;
    runs.push_back(run_analyses(*circuit, settings));
    REQUIRE(stats.size() == 2);
    const SolverStatistics& solver = stats[1].solver;
    evaluated.push_back(solver.evaluated_instances + solver.bypassed_instances);
    CHECK(evaluated.back() == 4200L * solver.evaluations);  // every chunk's counts were added
    // Two chunks (4200 transistors): a third thread would have nothing to take.
    CHECK(solver.threads == std::min(threads, 2));
    if (threads == 1) CHECK(solver.thread_wait_seconds == 0.0);
    CHECK(solver.thread_wait_seconds >= 0.0);
    CHECK(solver.thread_wait_seconds <= solver.evaluate_seconds);  // part of the evaluation time
  }
  // The chain switched: the pulse reached stage 10 (an even stage follows the input).
  const Plot& tran = runs[0][1];
  const Signal* stage10 = tran.find("v(n10)");
  REQUIRE(stage10);
  CHECK(stage10->values.front() < 0.1);
  CHECK(stage10->values.back() > 0.9);
  CHECK(evaluated[0] > 0);
  for (std::size_t r = 1; r < runs.size(); ++r) {
    INFO("threads " << r + 1);
    CHECK(evaluated[r] == evaluated[0]);
    REQUIRE(runs[r].size() == runs[0].size());
    for (std::size_t p = 0; p < runs[0].size(); ++p) {
      REQUIRE(runs[r][p].signals.size() == runs[0][p].signals.size());
      for (std::size_t s = 0; s < runs[0][p].signals.size(); ++s) {
        INFO(runs[0][p].signals[s].name);
        CHECK(runs[r][p].signals[s].values == runs[0][p].signals[s].values);  // bit for bit
      }
    }
  }
}
