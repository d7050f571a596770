#include "engine/simulator.hpp"

#include <chrono>

#include "engine/analyses/ac_analysis.hpp"
#include "engine/analyses/dc_sweep.hpp"
#include "engine/analyses/noise_analysis.hpp"
#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/analyses/tf_analysis.hpp"
#include "engine/analyses/transient.hpp"

namespace picospice {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

namespace {

void run_operating_point(Circuit& circuit, PlotSink& sink, AnalysisStatistics* statistics) {
  System system(circuit);
  std::vector<double> x(circuit.size() + 1, 0.0);
  for (const auto& ns : circuit.nodesets) x[ns.node] = ns.value;
  OperatingPointSettings settings;
  if (!circuit.initial_conditions.empty()) settings.forced = &circuit.initial_conditions;
  system.restore_initial_states();
  const OperatingPointReport report = solve_operating_point(system, x, settings);
  system.accept_states(x.data());
  if (statistics) {
    statistics->newton_iterations += report.newton_iterations;
    statistics->gmin_stepping = report.used_gmin_stepping;
    statistics->source_stepping = report.used_source_stepping;
    statistics->pseudo_transient = report.used_pseudo_transient;
    statistics->solver.add(system.statistics());
  }
  const auto columns = select_outputs(circuit);
  sink.begin_plot(make_plot(circuit, "Operating Point", "op", "", "", columns));
  OutputRow row(false, columns);
  sink.add_point(row(0.0, x));
  sink.end_plot();
}

// Counts the points an analysis streams (over all its plots: .noise writes two), for the statistics.
class PointCounter final : public PlotSink {
 public:
  void begin_plot(const Plot&) override {}
  void add_point(const std::vector<double>&) override { ++points; }
  void add_complex_point(const std::vector<std::complex<double>>&) override { ++points; }
  void end_plot() override {}
  long points = 0;
};

}  // namespace

Plot run_operating_point(Circuit& circuit, AnalysisStatistics* statistics) {
  PlotRecorder recorder;
  run_operating_point(circuit, recorder, statistics);
  return recorder.take_last();
}

std::vector<Plot> run_analyses(Circuit& circuit, const RunSettings& settings) {
  PlotRecorder recorder;
  run_analyses(circuit, recorder, settings);
  return std::move(recorder.plots());
}

void run_analyses(Circuit& circuit, PlotSink& output, const RunSettings& settings) {
  PointCounter counter;
  PlotFanOut sink({&output, &counter});
  for (const auto& analysis : circuit.analyses) {
    const auto start = std::chrono::steady_clock::now();
    AnalysisStatistics stats;
    counter.points = 0;
    if (std::holds_alternative<OpSpec>(analysis)) {
      stats.analysis = "op";
      run_operating_point(circuit, sink, &stats);
    } else if (const auto* dc = std::get_if<DcSpec>(&analysis)) {
      stats.analysis = "dc";
      std::function<void(double)> progress;
      if (settings.progress) progress = [&](double f) { settings.progress("dc", f); };
      run_dc_sweep(circuit, *dc, sink, progress, &stats);
    } else if (const auto* tran = std::get_if<TranSpec>(&analysis)) {
      stats.analysis = "tran";
      std::function<void(double)> progress;
      if (settings.progress) progress = [&](double f) { settings.progress("tran", f); };
      System system(circuit, tran->uic ? PathNeeded::TransientOnly : PathNeeded::Dc, System::Entries::FeedForwardSplit);
      TransientStatistics tran_stats;
      run_transient(system, *tran, sink, progress, &tran_stats);
      stats.newton_iterations = tran_stats.op_newton_iterations + tran_stats.newton_iterations;
      stats.operating_point_iterations = tran_stats.op_newton_iterations;
      stats.accepted_steps = tran_stats.accepted;
      stats.rejected_truncation = tran_stats.rejected_truncation;
      stats.repeated_truncation = tran_stats.repeated_truncation;
      stats.rejected_newton = tran_stats.rejected_newton;
      stats.newton_gave_up = tran_stats.newton_gave_up;
      stats.gmin_stepping = tran_stats.op_gmin_stepping;
      stats.source_stepping = tran_stats.op_source_stepping;
      stats.pseudo_transient = tran_stats.op_pseudo_transient;
      stats.solver = system.statistics();
    } else {
      // The small-signal analyses: an operating point, then complex (or, for .tf, DC) solves.
      System system(circuit);
      SmallSignalStatistics small_stats;
      if (const auto* ac = std::get_if<AcSpec>(&analysis)) {
        stats.analysis = "ac";
        run_ac(system, *ac, sink, &small_stats);
      } else if (const auto* noise = std::get_if<NoiseSpec>(&analysis)) {
        stats.analysis = "noise";
        run_noise(system, *noise, sink, &small_stats);
      } else {
        stats.analysis = "tf";
        run_tf(system, std::get<TfSpec>(analysis), sink, &small_stats);
      }
      stats.newton_iterations = small_stats.op_newton_iterations;
      stats.gmin_stepping = small_stats.op_gmin_stepping;
      stats.source_stepping = small_stats.op_source_stepping;
      stats.pseudo_transient = small_stats.op_pseudo_transient;
      stats.solver = system.statistics();
    }
    stats.points = counter.points;
    stats.seconds = seconds_since(start);
    if (settings.statistics) settings.statistics->push_back(std::move(stats));
  }
}

}  // namespace picospice
