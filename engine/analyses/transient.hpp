// `.tran tstep tstop [tstart [tmax]] [uic]`: adaptive time stepping with local truncation error
// control on charges, breakpoints at source corners (the step lands on them and restarts at
// order 1), and a Newton predictor from the last two points. A step in which a device's discrete
// state changes (a switch crossing its threshold, DeviceGroup::state_change_fraction) is
// shortened until the crossing lies within its last 1e-3 tmax; after the change the order
// restarts at 1, as after a corner.
#pragma once
#include <functional>
#include <vector>

#include "engine/output/plot_sink.hpp"
#include "engine/plot.hpp"
#include "engine/system.hpp"

namespace picospice {

struct TransientStatistics {
  int accepted = 0;
  int rejected_truncation = 0;
  int repeated_truncation = 0;    // of those, retries of a step the truncation test had just shortened
  int rejected_newton = 0;
  int newton_gave_up = 0;         // of those, solves ended early as not contracting (NewtonProblem::give_up_after)
  int rejected_state_change = 0;  // steps shortened to resolve a switch's switching time
  int state_changes = 0;          // accepted steps in which a discrete state changed
  long newton_iterations = 0;
  // The initial operating point (not run with uic).
  long op_newton_iterations = 0;
  bool op_gmin_stepping = false, op_source_stepping = false, op_pseudo_transient = false;
  // Transient noise, for tests: set record_noise before the call to get every noise sample in
  // drawing order: the samples at t = 0, then for each grid time the newly drawn one per generator
  // (engine/noise/transient_noise.hpp).
  bool record_noise = false;
  std::vector<double> noise_samples;
  long noise_grid_points = 0;
};

// Streams the plot into `sink` point by point (begin_plot ... end_plot). progress(fraction) is
// called now and then with the fraction of [0, tstop] done.
void run_transient(System& system, const TranSpec& spec, PlotSink& sink,
                   const std::function<void(double)>& progress = {},
                   TransientStatistics* statistics = nullptr);

// The same, kept in memory.
Plot run_transient(System& system, const TranSpec& spec,
                   const std::function<void(double)>& progress = {},
                   TransientStatistics* statistics = nullptr);

}  // namespace picospice
