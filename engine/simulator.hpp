// Runs every analysis of a circuit in netlist order, one Plot each. This is the whole engine as
// the command line and the tests see it:
//   auto circuit = elaborate_file("rc.cir");
//   auto plots = run_analyses(*circuit);
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/circuit.hpp"
#include "engine/output/plot_sink.hpp"
#include "engine/plot.hpp"
#include "engine/solver_statistics.hpp"

namespace picospice {

struct RunSettings {
  // Called with (analysis label, fraction done) during long analyses.
  std::function<void(const std::string&, double)> progress;
  // When set, one entry per analysis is appended: Newton iterations, steps, device evaluations,
  // factorizations and where the time went (`picospice run --stats`).
  std::vector<AnalysisStatistics>* statistics = nullptr;
};

std::vector<Plot> run_analyses(Circuit& circuit, const RunSettings& settings = {});

// The same, streamed into a sink point by point (`picospice run` writes the output file and
// evaluates .measure lines from it without keeping the waveforms).
void run_analyses(Circuit& circuit, PlotSink& sink, const RunSettings& settings = {});

// The operating point alone, as a one-point plot of every unknown.
Plot run_operating_point(Circuit& circuit, AnalysisStatistics* statistics = nullptr);

}  // namespace picospice
