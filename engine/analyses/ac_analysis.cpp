#include "engine/analyses/ac_analysis.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/small_signal.hpp"

namespace picospice {

std::vector<double> frequency_grid(const FrequencySweep& sweep) {
  if (sweep.points < 1 || !(sweep.start >= 0) || !(sweep.stop >= sweep.start) || !std::isfinite(sweep.stop))
    throw SimulationError(fmt::format("frequency sweep from {:g} Hz to {:g} Hz with {} points has no frequencies",
                                      sweep.start, sweep.stop, sweep.points));
  std::vector<double> out;
  if (sweep.kind == FrequencySweep::Kind::Linear) {
    if (sweep.points == 1) return {sweep.start};
    const double step = (sweep.stop - sweep.start) / (sweep.points - 1);
    for (int k = 0; k < sweep.points; ++k) out.push_back(k + 1 == sweep.points ? sweep.stop : sweep.start + k * step);
    return out;
  }
  if (!(sweep.start > 0))
    throw SimulationError("a logarithmic frequency sweep (dec, oct) must start above 0 Hz");
  const double base = sweep.kind == FrequencySweep::Kind::Decade ? 10.0 : 2.0;
  // Steps of 1/N of a decade (octave); the 1e-6 step keeps f2 itself when it lies on the grid
  // but rounding puts it a hair above (ngspice includes it; `dec 10 1 999.9` stays at 30 points).
  const double steps = sweep.points * std::log(sweep.stop / sweep.start) / std::log(base);
  const long count = static_cast<long>(std::floor(steps + 1e-6)) + 1;
  // ngspice 39 (measured) spreads a decade sweep's points evenly so that the last is f2 itself
  // (`dec 10 1 1.5k`: ratio 1500^(1/31), not 10^(1/10)); an octave sweep keeps the ratio 2^(1/N)
  // and stops at the last point not above f2 (`oct 3 1 10` ends at 8).
  const double ratio = sweep.kind == FrequencySweep::Kind::Decade && count > 1
                           ? std::pow(sweep.stop / sweep.start, 1.0 / static_cast<double>(count - 1))
                           : std::pow(base, 1.0 / sweep.points);
  out.reserve(static_cast<std::size_t>(count));
  for (long k = 0; k < count; ++k) out.push_back(sweep.start * std::pow(ratio, static_cast<double>(k)));
  if (sweep.kind == FrequencySweep::Kind::Decade && count > 1) out.back() = sweep.stop;
  return out;
}

void small_signal_operating_point(System& system, std::vector<double>& x, SmallSignalStatistics* statistics) {
  const Circuit& circuit = system.circuit();
  x.assign(static_cast<std::size_t>(circuit.size()) + 1, 0.0);
  for (const auto& ns : circuit.nodesets) x[ns.node] = ns.value;
  OperatingPointSettings settings;
  settings.context = "operating point of the small-signal analysis";
  if (!circuit.initial_conditions.empty()) settings.forced = &circuit.initial_conditions;
  const OperatingPointReport report = solve_operating_point(system, x, settings);
  if (statistics) {
    statistics->op_newton_iterations += report.newton_iterations;
    statistics->op_gmin_stepping = report.used_gmin_stepping;
    statistics->op_source_stepping = report.used_source_stepping;
    statistics->op_pseudo_transient = report.used_pseudo_transient;
  }
}

void run_ac(System& system, const AcSpec& spec, PlotSink& sink, SmallSignalStatistics* statistics) {
  const std::vector<double> frequencies = frequency_grid(spec.sweep);
  std::vector<double> x;
  small_signal_operating_point(system, x, statistics);
  SmallSignalModel model(system, x);
  const ComplexVector excitation = model.excitation({});

  const auto columns = select_outputs(system.circuit());
  Plot layout = make_plot(system.circuit(), "AC Analysis", "ac", "frequency", "frequency", columns);
  layout.complex = true;
  // ngspice marks a logarithmic frequency scale so that plotting programs use a log axis.
  if (spec.sweep.kind != FrequencySweep::Kind::Linear) layout.signals[0].attributes = "grid=3";
  sink.begin_plot(layout);
  std::vector<std::complex<double>> row(columns.size() + 1);
  ComplexVector y;
  for (double f : frequencies) {
    model.factor(2 * std::numbers::pi * f);
    y = excitation;
    model.solve(y);
    row[0] = f;
    for (std::size_t c = 0; c < columns.size(); ++c) row[c + 1] = y[columns[c].unknown];
    sink.add_complex_point(row);
  }
  sink.end_plot();
  if (statistics) {
    statistics->full_factorizations += model.full_factorizations();
    statistics->refactorizations += model.refactorizations();
  }
}

Plot run_ac(System& system, const AcSpec& spec, SmallSignalStatistics* statistics) {
  PlotRecorder recorder;
  run_ac(system, spec, recorder, statistics);
  return recorder.take_last();
}

}  // namespace picospice
