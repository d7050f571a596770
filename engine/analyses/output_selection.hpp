// Which unknowns an analysis writes, in order: everything (nodes, then branch currents), or what
// `.save` lists.
#pragma once
#include <string>
#include <vector>

#include "engine/circuit.hpp"
#include "engine/plot.hpp"

namespace picospice {

struct OutputColumn {
  std::string name;  // "v(out)", "i(v1)"
  std::string type;  // "voltage", "current"
  Index unknown = 0;
};

// Throws SimulationError for a `.save` name that matches nothing.
std::vector<OutputColumn> select_outputs(const Circuit& circuit);

// A plot layout whose signals[0] is the scale (none for .op, whose scale_name is empty),
// followed by one empty signal per column.
Plot make_plot(const Circuit& circuit, const std::string& name, const std::string& analysis,
               const std::string& scale_name, const std::string& scale_type,
               const std::vector<OutputColumn>& columns);

// Appends one point to a recorded plot: the scale value and each column's unknown from x.
void append_point(Plot& plot, double scale, const std::vector<OutputColumn>& columns,
                  const std::vector<double>& x);

// The row of one point for a PlotSink: the scale (when the layout has one), then each column's
// unknown from x, then `extra` values (e.g. the outer sweep of a nested .dc).
class OutputRow {
 public:
  OutputRow(bool has_scale, std::vector<OutputColumn> columns) : columns_(std::move(columns)), has_scale_(has_scale) {}
  const std::vector<double>& operator()(double scale, const std::vector<double>& x,
                                        const std::vector<double>& extra = {});

 private:
  std::vector<OutputColumn> columns_;
  bool has_scale_;
  std::vector<double> row_;
};

}  // namespace picospice
