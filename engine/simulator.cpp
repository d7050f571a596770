#include "engine/simulator.hpp"

#include "engine/analyses/dc_sweep.hpp"
#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/analyses/transient.hpp"

namespace picospice {

Plot run_operating_point(Circuit& circuit) {
  System system(circuit);
  std::vector<double> x(circuit.size() + 1, 0.0);
  for (const auto& ns : circuit.nodesets) x[ns.node] = ns.value;
  OperatingPointSettings settings;
  if (!circuit.initial_conditions.empty()) settings.forced = &circuit.initial_conditions;
  solve_operating_point(system, x, settings);
  const auto columns = select_outputs(circuit);
  Plot plot = make_plot(circuit, "Operating Point", "op", "", "", columns);
  append_point(plot, 0.0, columns, x);
  return plot;
}

std::vector<Plot> run_analyses(Circuit& circuit, const RunSettings& settings) {
  std::vector<Plot> plots;
  for (const auto& analysis : circuit.analyses) {
    if (std::holds_alternative<OpSpec>(analysis)) {
      plots.push_back(run_operating_point(circuit));
    } else if (const auto* dc = std::get_if<DcSpec>(&analysis)) {
      std::function<void(double)> progress;
      if (settings.progress) progress = [&](double f) { settings.progress("dc", f); };
      plots.push_back(run_dc_sweep(circuit, *dc, progress));
    } else if (const auto* tran = std::get_if<TranSpec>(&analysis)) {
      std::function<void(double)> progress;
      if (settings.progress) progress = [&](double f) { settings.progress("tran", f); };
      System system(circuit);
      plots.push_back(run_transient(system, *tran, progress));
    }
  }
  return plots;
}

}  // namespace picospice
