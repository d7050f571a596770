#include "engine/analyses/output_selection.hpp"

#include <fmt/format.h>

namespace picospice {

std::vector<OutputColumn> select_outputs(const Circuit& circuit) {
  std::vector<OutputColumn> columns;
  auto column_of = [&](Index i) {
    const Unknown& u = circuit.unknowns[i];
    return OutputColumn{u.output_name(), u.kind == UnknownKind::Voltage ? "voltage" : "current", i};
  };
  if (circuit.saves.empty()) {
    for (int pass = 0; pass < 2; ++pass)
      for (Index i = 1; i <= circuit.size(); ++i)
        if ((circuit.unknowns[i].kind == UnknownKind::Voltage) == (pass == 0))
          columns.push_back(column_of(i));
    return columns;
  }
  for (const auto& save : circuit.saves) {
    const Index i = circuit.find_output(save.name);
    if (i < 0) throw NetlistError(save.where, fmt::format(".save {}: no such node or branch current", save.name));
    if (i == 0) continue;
    columns.push_back(column_of(i));
  }
  return columns;
}

Plot make_plot(const Circuit& circuit, const std::string& name, const std::string& analysis,
               const std::string& scale_name, const std::string& scale_type,
               const std::vector<OutputColumn>& columns) {
  Plot plot;
  plot.title = circuit.title;
  plot.name = name;
  plot.analysis = analysis;
  if (!scale_name.empty()) plot.signals.push_back({scale_name, scale_type, {}, {}, {}});
  for (const auto& c : columns) plot.signals.push_back({c.name, c.type, {}, {}, {}});
  return plot;
}

const std::vector<double>& OutputRow::operator()(double scale, const std::vector<double>& x,
                                                  const std::vector<double>& extra) {
  row_.clear();
  if (has_scale_) row_.push_back(scale);
  for (const auto& c : columns_) row_.push_back(x[c.unknown]);
  row_.insert(row_.end(), extra.begin(), extra.end());
  return row_;
}

void append_point(Plot& plot, double scale, const std::vector<OutputColumn>& columns,
                  const std::vector<double>& x) {
  std::size_t s = 0;
  if (plot.signals.size() > columns.size()) plot.signals[s++].values.push_back(scale);
  for (const auto& c : columns) plot.signals[s++].values.push_back(x[c.unknown]);
}

}  // namespace picospice
