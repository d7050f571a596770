// The Monte Carlo driver: the worker pool (base/worker_pool.hpp) runs samples [first, runs) of a
// study and hands the results, strictly in sample order, to a sink.
//
//   MonteCarloStudy study(elaborate_file("mirror.cir"), setup);
//   SweepSettings s; s.runs = 1000; s.jobs = 2;
//   SweepOutcome o = run_sweep(study, s, [&](const SampleResult& r) { write(r); });
//
// Workers take the next sample index from an atomic counter, so the load balances itself. A
// finished sample waits in a small reorder buffer until its predecessors are done; the sink is
// called for each in order (from whichever thread completed the gap, never concurrently). Since a
// sample's result is a pure function of (seed, index), the sink sees the same sequence for any
// number of jobs.
//
// Stopping: when *stop becomes true (a signal handler sets it) or `stop_after` samples have been
// handed out, no new sample starts; those running finish and reach the sink. The samples handed
// out are always a contiguous range, so the sink has then seen every sample below next_sample.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>

#include "engine/monte_carlo/sample_runner.hpp"

namespace picospice {

struct SweepSettings {
  std::uint64_t first = 0;  // the first sample to run (after a resume)
  std::uint64_t runs = 0;   // samples [first, runs) run
  int jobs = 1;             // worker threads
  const std::atomic<bool>* stop = nullptr;
  std::optional<std::uint64_t> stop_after;  // a test hook: behave as if interrupted after this many
  // Called in order with (samples done including those before `first`, runs), e.g. for a bar.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct SweepOutcome {
  std::uint64_t next_sample = 0;  // the first sample not delivered to the sink
  bool interrupted = false;
};

SweepOutcome run_sweep(const MonteCarloStudy& study, const SweepSettings& settings,
                       const std::function<void(const SampleResult&)>& sink);

}  // namespace picospice
