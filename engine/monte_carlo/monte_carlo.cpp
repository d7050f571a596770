#include "engine/monte_carlo/monte_carlo.hpp"

#include <algorithm>

#include "base/worker_pool.hpp"

namespace picospice {

SweepOutcome run_sweep(const MonteCarloStudy& study, const SweepSettings& settings,
                       const std::function<void(const SampleResult&)>& sink) {
  OrderedRunSettings run;
  run.first = settings.first;
  run.end = std::max(settings.first, settings.runs);
  run.jobs = settings.jobs;
  run.stop = settings.stop;
  run.stop_after = settings.stop_after;
  // Each worker thread owns a SampleRunner: its circuit clone and System serve all its samples.
  const auto make_worker = [&] {
    return [runner = SampleRunner(study)](std::uint64_t sample) mutable { return runner.run(sample); };
  };
  const OrderedRunOutcome outcome = run_in_order(run, make_worker, [&](std::uint64_t sample, SampleResult&& result) {
    sink(result);
    if (settings.progress) settings.progress(sample + 1, run.end);
  });
  return SweepOutcome{outcome.next, outcome.stopped};
}

}  // namespace picospice
