// `.ac dec|oct|lin N f1 f2`: the small-signal frequency response of the circuit linearized at its
// DC operating point (engine/small_signal.hpp), driven by every independent source's `AC mag
// [phase]`. The plot is complex ("AC Analysis", scale "frequency"), with the same signals as .op.
//
// Frequencies as ngspice 39 lays them out (measured): dec and oct have floor(N log(f2/f1)) + 1
// points, logarithm to base 10 or 2 (`dec 10 1 999.9` has 30 points, `dec 10 1 1000` 31); oct
// steps by 2^(1/N) from f1 (`oct 3 1 10` ends at 8), dec spreads its points evenly from f1 to f2
// itself (`dec 10 1 1.5k` steps by 1500^(1/31)); lin gives N points from f1 to f2, both included.
#pragma once
#include <vector>

#include "engine/circuit.hpp"
#include "engine/output/plot_sink.hpp"
#include "engine/plot.hpp"
#include "engine/system.hpp"

namespace picospice {

struct SmallSignalStatistics {
  long op_newton_iterations = 0;
  bool op_gmin_stepping = false, op_source_stepping = false, op_pseudo_transient = false;
  int full_factorizations = 0, refactorizations = 0;
};

// The sweep's frequencies. Throws SimulationError for a sweep that has none (the netlist reader
// checks the same, with a location).
std::vector<double> frequency_grid(const FrequencySweep& sweep);

// Solves the operating point as .op does (nodesets, .ic held) into x (size()+1 entries).
void small_signal_operating_point(System& system, std::vector<double>& x, SmallSignalStatistics* statistics);

void run_ac(System& system, const AcSpec& spec, PlotSink& sink, SmallSignalStatistics* statistics = nullptr);
Plot run_ac(System& system, const AcSpec& spec, SmallSignalStatistics* statistics = nullptr);

}  // namespace picospice
