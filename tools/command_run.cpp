// `picospice run NETLIST`: every analysis in the netlist, written to one output file.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "engine/analyses/measure.hpp"
#include "engine/analyses/op_report.hpp"
#include "engine/output/csv_writer.hpp"
#include "engine/output/raw_writer.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"
#include "tools/command.hpp"
#include "tools/progress_bar.hpp"

namespace picospice::tools {
namespace {

struct RunOptions {
  std::string netlist;
  std::string output;
  std::string format = "raw";
  bool quiet = false;
  bool stats = false;
};

// One device type's table: the instance name, then each column right-aligned; numbers in %g
// (fixed-point for voltages, as the device asks).
void print_device_table(const OperatingPointTable& table) {
  std::size_t name_width = 16;
  for (const auto& row : table.rows) name_width = std::max(name_width, row.instance.size());
  std::vector<std::size_t> widths;
  for (const auto& column : table.columns) widths.push_back(std::max<std::size_t>(10, column.header.size()));
  fmt::print("{}:\n  {:<{}}", table.title, "name", name_width);
  for (std::size_t c = 0; c < table.columns.size(); ++c) fmt::print(" {:>{}}", table.columns[c].header, widths[c]);
  fmt::print("\n");
  for (const auto& row : table.rows) {
    fmt::print("  {:<{}}", row.instance, name_width);
    for (std::size_t c = 0; c < row.cells.size() && c < widths.size(); ++c) {
      if (const auto* text = std::get_if<std::string>(&row.cells[c])) fmt::print(" {:>{}}", *text, widths[c]);
      else if (table.columns[c].fixed) fmt::print(" {:>{}.4f}", std::get<double>(row.cells[c]), widths[c]);
      else fmt::print(" {:>{}.4g}", std::get<double>(row.cells[c]), widths[c]);
    }
    fmt::print("\n");
  }
}

void print_operating_point(const Circuit& circuit, const Plot& plot) {
  fmt::print("Operating point:\n");
  for (const auto& s : plot.signals) {
    const double v = s.values.empty() ? 0.0 : s.values[0];
    fmt::print("  {:<28} {:>14.6g} {}\n", s.name, v, s.type == "current" ? "A" : "V");
  }
  for (const OperatingPointTable& table : device_operating_points(circuit, plot)) print_device_table(table);
}

std::string share(double part, double whole) {
  return whole > 0 ? fmt::format("{:.0f}%", 100.0 * part / whole) : "-";
}

// `--stats`: what each analysis cost and where its time went, like ngspice's `rusage` and
// Spectre's end-of-run summary. Enough to tell a hard operating point (homotopy, many Newton
// iterations), a stiff transient (rejections) and a matrix that fills in (L+U against A).
void print_statistics(const Circuit& circuit, const std::vector<AnalysisStatistics>& all) {
  fmt::print("Statistics:\n  {:<8} {:>8} {:>9} {:>9} {:>15} {:<14} {:>10}\n", "analysis", "points", "Newton",
             "accepted", "rejected LTE/NR", "homotopy", "time (s)");
  for (const auto& s : all) {
    std::string homotopy;
    for (const auto& [used, name] : {std::pair{s.gmin_stepping, "gmin"}, std::pair{s.source_stepping, "source"},
                                     std::pair{s.pseudo_transient, "ptran"}})
      if (used) homotopy += (homotopy.empty() ? "" : ", ") + std::string(name);
    if (homotopy.empty()) homotopy = "none";
    const bool tran = s.analysis == "tran";
    fmt::print("  {:<8} {:>8} {:>9} {:>9} {:>15} {:<14} {:>10.3f}\n", s.analysis, s.points, s.newton_iterations,
               tran ? fmt::format("{}", s.accepted_steps) : "-",
               tran ? fmt::format("{} / {}", s.rejected_truncation, s.rejected_newton) : "-", homotopy, s.seconds);
    const SolverStatistics& v = s.solver;
    const long factorizations = v.refactors + v.full_factors;
    fmt::print("    device evaluations {} ({:.3f} s, {}, {:.3g} ms each)\n", v.evaluations, v.evaluate_seconds,
               share(v.evaluate_seconds, s.seconds), v.evaluations ? 1e3 * v.evaluate_seconds / v.evaluations : 0.0);
    fmt::print("    LU factorizations {} ({} refactor, {} full; {} unchanged matrices reused) ({:.3f} s, {}); "
               "solves {} ({:.3f} s, {})\n",
               factorizations, v.refactors, v.full_factors, v.reused_factors, v.factor_seconds,
               share(v.factor_seconds, s.seconds), v.solves, v.solve_seconds, share(v.solve_seconds, s.seconds));
    fmt::print("    matrix {} unknowns, {} nonzeros; L+U {} nonzeros (fill {:.2f}x), {:.3g} flop per factorization\n",
               circuit.size(), v.matrix_nonzeros, v.lu_nonzeros,
               v.matrix_nonzeros ? static_cast<double>(v.lu_nonzeros) / v.matrix_nonzeros : 0.0, v.refactor_flops);
  }
}

int run(const RunOptions& o) {
  namespace fs = std::filesystem;
  const auto started = std::chrono::steady_clock::now();
  auto circuit = elaborate_file(o.netlist);
  if (circuit->analyses.empty())
    fmt::print(stderr, "{}: warning: no analysis (.op, .dc or .tran) in the netlist\n", o.netlist);

  ProgressBar bar;
  RunSettings settings;
  settings.progress = [&](const std::string& label, double f) { bar.update(label, f); };
  std::vector<AnalysisStatistics> statistics;
  if (o.stats) settings.statistics = &statistics;
  auto plots = run_analyses(*circuit, settings);
  bar.finish();

  for (const auto& plot : plots)
    if (plot.analysis == "op" && !o.quiet) print_operating_point(*circuit, plot);

  fs::path out = o.output;
  if (o.output.empty()) out = fs::path(o.netlist).stem().string() + (o.format == "csv" ? ".csv" : ".raw");
  if (!plots.empty()) {
    if (o.format == "csv") write_csv(out, plots);
    else write_raw(out, plots, o.format == "ascii" ? RawFormat::Ascii : RawFormat::Binary);
  }

  if (!circuit->measures.empty()) {
    const auto results = evaluate_measures(circuit->measures, plots);
    for (const auto& r : results) {
      if (r.ok) fmt::print("{:<20} = {:.9g}\n", r.name, r.value);
      else fmt::print("{:<20} = failed: {}\n", r.name, r.failure);
    }
    fs::path measures = out;
    measures.replace_extension(".measures.json");
    // The plots' "Option: name=value" header lines (transient noise seed and grid) go along.
    std::vector<std::pair<std::string, std::string>> options;
    for (const auto& plot : plots)
      for (const auto& note : plot.notes)
        if (note.rfind("Option: ", 0) == 0 && note.find('=') != std::string::npos) {
          const std::string text = note.substr(8);
          const auto eq = text.find('=');
          std::pair<std::string, std::string> entry{text.substr(0, eq), text.substr(eq + 1)};
          if (std::find(options.begin(), options.end(), entry) == options.end()) options.push_back(entry);
        }
    write_measures(measures, results, options);
  }

  if (o.stats) print_statistics(*circuit, statistics);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fflush(stdout);
  if (!o.quiet) {
    std::size_t points = 0;
    for (const auto& p : plots) points += p.points();
    fmt::print(stderr, "picospice: {} analyses, {} unknowns, {} points in {:.3f} s -> {}\n",
               plots.size(), circuit->size(), points, seconds, plots.empty() ? "(nothing written)" : out.string());
  }
  return 0;
}

}  // namespace

CommandAction add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Simulate a netlist: every .op, .dc and .tran in it, in order.\n"
                                        "Writes one plot per analysis to a SPICE raw file (ngspice's "
                                        "`load` reads it) or CSV, and evaluates .measure lines.");
  cmd->add_option("netlist", options->netlist, "the netlist (ngspice dialect)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", options->output,
                  "output file (default: the netlist's name with .raw or .csv, in the current directory)");
  cmd->add_option("--format", options->format, "raw (binary, default), ascii (raw), or csv")
      ->check(CLI::IsMember({"raw", "ascii", "csv"}));
  cmd->add_flag("-q,--quiet", options->quiet, "print only measures and errors");
  cmd->add_flag("--stats", options->stats,
                "after the run, print per analysis: Newton iterations, accepted and rejected steps, homotopy used, "
                "device evaluations, LU factorizations and solves with their share of the time, and the LU fill-in");
  return [options] { return run(*options); };
}

}  // namespace picospice::tools
