// Rebuilds the unknown vector from an operating-point plot and asks the EKV group for its report.
#include "engine/analyses/op_report.hpp"

namespace picospice {

std::vector<EkvOpRow> mosfet_operating_point(const Circuit& circuit, const Plot& op_plot) {
  auto* group = dynamic_cast<const EkvMosfetGroup*>(circuit.find_group("ekv_mosfet"));
  if (!group || group->size() == 0) return {};
  std::vector<double> x(circuit.unknowns.size(), 0.0);
  for (std::size_t k = 1; k < circuit.unknowns.size(); ++k) {
    const Signal* s = op_plot.find(circuit.unknowns[k].output_name());
    if (s && !s->values.empty()) x[k] = s->values[0];
    else if (circuit.unknowns[k].kind == UnknownKind::Voltage)
      throw SimulationError("MOSFET report: the operating point has no value for " + circuit.unknowns[k].output_name() +
                            " (left out by .save?)");
  }
  return group->op_report(x.data());
}

}  // namespace picospice
