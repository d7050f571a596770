// `write` and `wrdata`: a .control block's vectors into files (control_executor.hpp).
#include <fmt/format.h>

#include <fstream>

#include "engine/output/raw_writer.hpp"
#include "netlists/control/control_executor.hpp"

namespace picospice {
namespace {

std::string signal_type(const std::string& name, const std::string& fallback) {
  if (name.rfind("v(", 0) == 0 || name.rfind("vdb(", 0) == 0) return "voltage";
  if (name.rfind("i(", 0) == 0) return "current";
  return fallback;
}

}  // namespace

// ngspice's `write FILE` writes every vector of the current plot; `write FILE v1 v2 ...` the scale
// and the named vectors (expressions are allowed and named by their text). Binary unless
// `set filetype=ascii`. picospice writes the current plot only: vectors of other plots
// (`tran1.v(out)`) are not supported.
void ControlExecutor::write(const ControlCommand& command, const std::vector<std::string>& words) {
  if (!has_plot()) return warn(command.location, "'write' before any analysis: nothing to write");
  const std::string file = words.empty() ? std::string("rawspice.raw") : words[0];
  const ControlPlot& plot_now = current();
  const Plot& source = plot_now.plot;
  Plot layout = source;
  const std::size_t points = source.points();
  std::vector<ControlVector> columns;
  auto add = [&](const std::string& name, const ControlVector& v, const std::string& type) {
    if (v.values.size() != points && !(!has_scale(source) && v.values.size() == 1)) {
      warn(command.location, "'write': '" + name + "' has " + std::to_string(v.values.size()) + " values, the plot " +
                                 std::to_string(points) + " points: left out");
      return;
    }
    layout.signals.push_back(Signal(name, type));
    columns.push_back(v);
  };
  layout.signals.clear();
  const bool op = !has_scale(source);
  if (!op) add(source.signals[0].name, *lookup(source.signals[0].name), source.signals[0].type);
  if (words.size() <= 1) {
    for (std::size_t s = op ? 0 : 1; s < source.signals.size(); ++s)
      add(source.signals[s].name, *lookup(source.signals[s].name), source.signals[s].type);
    for (const auto& [name, v] : plot_now.lets) add(name, v, signal_type(name, "notype"));
  } else {
    for (std::size_t k = 1; k < words.size(); ++k) add(words[k], evaluate(command, words[k]), signal_type(words[k], "notype"));
  }
  for (std::size_t s = 0; s < layout.signals.size(); ++s)
    for (std::size_t p = 0; p < std::max<std::size_t>(points, 1); ++p) {
      const auto value = columns[s].values[columns[s].values.size() == 1 ? 0 : p];
      layout.signals[s].values.push_back(value.real());
      if (layout.complex) layout.signals[s].imag.push_back(value.imag());
    }
  // `set appendwrite`: the plot is added to those this block already wrote to the file (the
  // file is written whole again, with every plot, so it is never left half-written).
  auto& plots = written_[file];
  if (!variables_.count("appendwrite")) plots.clear();
  plots.push_back(std::move(layout));
  const auto filetype = variables_.find("filetype");
  const bool ascii = filetype != variables_.end() && filetype->second == "ascii";
  RawFileWriter writer(file, ascii ? RawFormat::Ascii : RawFormat::Binary);
  for (const Plot& plot : plots) {
    Plot header = plot;
    for (auto& signal : header.signals) signal.values.clear(), signal.imag.clear();
    writer.begin_plot(header);
    for (std::size_t p = 0; p < plot.points(); ++p) {
      if (plot.complex) {
        std::vector<std::complex<double>> row;
        for (const auto& signal : plot.signals)
          row.emplace_back(signal.values[p], p < signal.imag.size() ? signal.imag[p] : 0.0);
        writer.add_complex_point(row);
      } else {
        std::vector<double> row;
        for (const auto& signal : plot.signals) row.push_back(signal.values[p]);
        writer.add_point(row);
      }
    }
    writer.end_plot();
  }
  writer.finish();
}

// ngspice's `wrdata FILE v1 v2 ...`: per point one line, per vector the scale and the value
// (real and imaginary part for a complex vector), each as "% .8e " ; `set wr_singlescale` writes
// the scale once, `set wr_vecnames` a first line of names.
void ControlExecutor::wrdata(const ControlCommand& command, const std::vector<std::string>& words) {
  if (words.size() < 2) throw NetlistError(command.location, "expected 'wrdata FILE vector ...'");
  if (!has_plot()) return warn(command.location, "'wrdata' before any analysis: nothing to write");
  const Plot& plot = current().plot;
  const bool op = !has_scale(plot);
  const ControlVector scale = op ? ControlVector{{0.0}, false} : *lookup(plot.signals[0].name);
  const std::string scale_name = op ? "index" : plot.signals[0].name;
  std::vector<std::pair<std::string, ControlVector>> columns;
  for (std::size_t k = 1; k < words.size(); ++k) {
    columns.emplace_back(words[k], evaluate(command, words[k]));
    const std::size_t n = columns.back().second.values.size();
    if (n != 1 && n != scale.values.size())
      throw ControlEvaluationError(command.location, fmt::format("'wrdata': '{}' has {} values, the plot {} points", words[k], n,
                                                       scale.values.size()));
  }
  const bool single_scale = variables_.count("wr_singlescale") > 0;
  std::ofstream out(words[0]);
  if (!out) throw NetlistError(command.location, "'wrdata': cannot write '" + words[0] + "'");
  if (variables_.count("wr_vecnames")) {
    std::string header;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c == 0 || !single_scale) header += fmt::format(" {:<15}", scale_name);
      header += fmt::format(" {:<15}", columns[c].first);
      if (columns[c].second.complex) header += fmt::format(" {:<15}", "");
    }
    out << header << "\n";
  }
  for (std::size_t p = 0; p < scale.values.size(); ++p) {
    std::string line;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const ControlVector& v = columns[c].second;
      if (c == 0 || !single_scale) line += fmt::format("{: .8e} ", scale.values[p].real());
      const auto value = v.values[v.values.size() == 1 ? 0 : p];
      line += fmt::format("{: .8e} ", value.real());
      if (v.complex) line += fmt::format("{: .8e} ", value.imag());
    }
    out << line << "\n";
  }
  if (!out) throw NetlistError(command.location, "'wrdata': cannot write '" + words[0] + "'");
}

}  // namespace picospice
