// `.tran tstep tstop [tstart [tmax]] [uic]`: adaptive time stepping with local truncation error
// control on charges, breakpoints at source corners (the step lands on them and restarts at
// order 1), and a Newton predictor from the last two points.
#pragma once
#include <functional>

#include "engine/plot.hpp"
#include "engine/system.hpp"

namespace picospice {

struct TransientStatistics {
  int accepted = 0;
  int rejected_truncation = 0;
  int rejected_newton = 0;
  long newton_iterations = 0;
};

// progress(fraction) is called now and then with the fraction of [0, tstop] done.
Plot run_transient(System& system, const TranSpec& spec,
                   const std::function<void(double)>& progress = {},
                   TransientStatistics* statistics = nullptr);

}  // namespace picospice
