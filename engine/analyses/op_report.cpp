#include "engine/analyses/op_report.hpp"

namespace picospice {

std::vector<OperatingPointTable> device_operating_points(const Circuit& circuit, const Plot& op_plot,
                                                         std::string* missing_voltage) {
  std::vector<double> x(circuit.unknowns.size(), 0.0);
  std::string missing;
  for (std::size_t k = 1; k < circuit.unknowns.size(); ++k) {
    const Signal* s = op_plot.find(circuit.unknowns[k].output_name());
    if (s && !s->values.empty()) x[k] = s->values[0];
    else if (circuit.unknowns[k].kind == UnknownKind::Voltage && missing.empty()) missing = circuit.unknowns[k].output_name();
  }
  std::vector<OperatingPointTable> tables;
  for (const auto& group : circuit.groups) {
    OperatingPointTable table = group->operating_point_table(x.data());
    if (table.rows.empty()) continue;
    if (!missing.empty()) {
      if (missing_voltage) *missing_voltage = missing;
      return {};
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

}  // namespace picospice
