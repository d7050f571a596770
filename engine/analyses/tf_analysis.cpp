#include "engine/analyses/tf_analysis.hpp"

#include <cmath>

#include "engine/small_signal.hpp"

namespace picospice {

namespace {

// ngspice writes an infinite resistance as 1e20.
constexpr double kInfiniteResistance = 1e20;

bool is_current_source(const std::string& instance) {
  const auto dot = instance.rfind('.');
  return instance[dot == std::string::npos ? 0 : dot + 1] == 'i';
}

}  // namespace

void run_tf(System& system, const TfSpec& spec, PlotSink& sink, SmallSignalStatistics* statistics) {
  std::vector<double> x;
  small_signal_operating_point(system, x, statistics);
  SmallSignalModel model(system, x, SmallSignalModel::Values::Dc);  // as ngspice: .tf ignores ac=
  const ComplexVector excitation = model.excitation({spec.source});
  model.factor(0.0);  // DC: G alone

  ComplexVector response = excitation;
  model.solve(response);
  const double transfer = (response[spec.output.node] - response[spec.output.reference]).real();
  // excitation . response: for a V source (a 1 in its branch row) the branch current i(src), into
  // its + terminal; for an I source (-1 at n+, +1 at n-) the voltage v(n-) - v(n+) its current
  // builds up across it.
  double projection = 0;
  for (std::size_t k = 1; k < excitation.size(); ++k) projection += (excitation[k] * response[k]).real();
  double input_resistance = 0;
  if (is_current_source(spec.source)) input_resistance = projection;
  else input_resistance = projection == 0 ? kInfiniteResistance : -1.0 / projection;  // 1 V over the current delivered

  ComplexVector probe(excitation.size(), 0.0);
  probe[spec.output.node] += 1.0;  // 1 A into out, out of ref
  probe[spec.output.reference] -= 1.0;
  probe[0] = 0.0;
  model.solve(probe);
  const double output_resistance = (probe[spec.output.node] - probe[spec.output.reference]).real();

  Plot layout;
  layout.title = system.circuit().title;
  layout.name = "Transfer Function";
  layout.analysis = "tf";
  layout.signals.emplace_back("v(transfer_function)", "voltage");
  layout.signals.emplace_back("v(" + spec.source + "#input_impedance)", "voltage");
  layout.signals.emplace_back("v(output_impedance_at_" + spec.output.name + ")", "voltage");
  sink.begin_plot(layout);
  sink.add_point({transfer, input_resistance, output_resistance});
  sink.end_plot();
  if (statistics) {
    statistics->full_factorizations += model.full_factorizations();
    statistics->refactorizations += model.refactorizations();
  }
}

Plot run_tf(System& system, const TfSpec& spec, SmallSignalStatistics* statistics) {
  PlotRecorder recorder;
  run_tf(system, spec, recorder, statistics);
  return recorder.take_last();
}

}  // namespace picospice
