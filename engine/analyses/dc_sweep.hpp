// `.dc`: sweep an independent source's DC value, the temperature, or a `.param`, optionally with
// a second (outer) sweep. Each point starts from the previous point's solution, so a bistable
// circuit swept up and then down shows its hysteresis; `updown` after the sweep values (a
// picospice extension) runs the inner sweep there and back in one analysis.
#pragma once
#include <functional>
#include <memory>

#include "engine/output/plot_sink.hpp"
#include "engine/plot.hpp"
#include "engine/solver_statistics.hpp"
#include "engine/system.hpp"

namespace picospice {

// A nested sweep's plot carries the outer value as a last signal named after what it sweeps
// ("v2-sweep", "temp-sweep"), and Plot::segment_by names it.
// The sweep runs on a private copy of the circuit: nothing it sets outlives it. With `statistics`,
// the Newton and solver counts of the whole sweep are added to it.
void run_dc_sweep(const Circuit& circuit, const DcSpec& spec, PlotSink& sink,
                  const std::function<void(double)>& progress = {},
                  AnalysisStatistics* statistics = nullptr);
// The same, kept in memory.
Plot run_dc_sweep(const Circuit& circuit, const DcSpec& spec,
                  const std::function<void(double)>& progress = {},
                  AnalysisStatistics* statistics = nullptr);

// The values a sweep visits: start, start+step, ... up to stop (inclusive within rounding).
std::vector<double> sweep_values(const DcSweep& sweep);

}  // namespace picospice
