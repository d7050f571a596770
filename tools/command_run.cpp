// `picospice run NETLIST`: every analysis in the netlist, written to one output file.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "engine/analyses/measure.hpp"
#include "engine/analyses/op_report.hpp"
#include "engine/output/csv_writer.hpp"
#include "engine/output/raw_writer.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/simulator.hpp"
#include "netlists/control/control_executor.hpp"
#include "netlists/elaborate.hpp"
#include "tools/command.hpp"
#include "tools/progress_bar.hpp"

namespace picospice::tools {
namespace {

struct RunOptions {
  std::string netlist;
  std::string output;
  std::string format;  // empty: from the output file's extension
  bool quiet = false;
  bool stats = false;
  bool no_bypass = false;
  int threads = -1;  // -1: as the netlist says (default all cores)
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
  std::string missing;
  for (const OperatingPointTable& table : device_operating_points(circuit, plot, &missing)) print_device_table(table);
  // The raw or CSV file is still written: only the printed device table needs every node voltage.
  if (!missing.empty())
    fmt::print("  (device table left out: .save does not keep {}; save all nodes to see it)\n", missing);
}

// A .tf result or a .noise's integrated noise: one point of named values, printed like .op's
// (without units: ngspice types a transfer function and resistances as voltages).
void print_single_point(const Plot& plot) {
  fmt::print("{}:\n", plot.name);
  for (const auto& s : plot.signals)
    fmt::print("  {:<36} {:>14.6g}\n", s.name, s.values.empty() ? 0.0 : s.values[0]);
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
    // In the order solve_operating_point tries them.
    for (const auto& [used, name] : {std::pair{s.gmin_stepping, "gmin"}, std::pair{s.pseudo_transient, "ptran"},
                                     std::pair{s.source_stepping, "source"}})
      if (used) homotopy += (homotopy.empty() ? "" : ", ") + std::string(name);
    if (homotopy.empty()) homotopy = "none";
    const bool tran = s.analysis == "tran";
    fmt::print("  {:<8} {:>8} {:>9} {:>9} {:>15} {:<14} {:>10.3f}\n", s.analysis, s.points, s.newton_iterations,
               tran ? fmt::format("{}", s.accepted_steps) : "-",
               tran ? fmt::format("{} / {}", s.rejected_truncation, s.rejected_newton) : "-", homotopy, s.seconds);
    const SolverStatistics& v = s.solver;
    const long factorizations = v.refactors + v.full_factors;
    // A transient's iterations per point leave its initial operating point out: a hard one (a
    // homotopy of thousands of iterations) would otherwise read as a hard transient.
    if (s.points > 0 && tran)
      fmt::print("    Newton iterations per time point {:.2f} (and {} for the initial operating point)\n",
                 static_cast<double>(s.newton_iterations - s.operating_point_iterations) / s.points,
                 s.operating_point_iterations);
    else if (s.points > 0)
      fmt::print("    Newton iterations per point {:.2f}\n", static_cast<double>(s.newton_iterations) / s.points);
    if (tran && s.rejected_truncation > 0)
      fmt::print("    truncation rejections {}, of which {} retried a step the test had just shortened\n",
                 s.rejected_truncation, s.repeated_truncation);
    if (tran && s.rejected_newton > 0)
      fmt::print("    Newton rejections {}, of which {} gave up early (the update far off and not contracting)\n",
                 s.rejected_newton, s.newton_gave_up);
    fmt::print("    device evaluations {} ({:.3f} s, {}, {:.3g} ms each)\n", v.evaluations, v.evaluate_seconds,
               share(v.evaluate_seconds, s.seconds), v.evaluations ? 1e3 * v.evaluate_seconds / v.evaluations : 0.0);
    if (v.threads > 1)
      fmt::print("    threads: {} evaluate the large device groups; the calling thread, its own share done, waited {:.3f} s "
                 "({} of the evaluation time) for the others'\n",
                 v.threads, v.thread_wait_seconds, share(v.thread_wait_seconds, v.evaluate_seconds));
    if (v.bypassed_instances + v.evaluated_instances > 0)
      fmt::print("    bypass: {} of {} transistor evaluations reused ({})\n", v.bypassed_instances,
                 v.bypassed_instances + v.evaluated_instances,
                 share(static_cast<double>(v.bypassed_instances), static_cast<double>(v.bypassed_instances + v.evaluated_instances)));
    if (v.latent_instances > 0)
      fmt::print("    latency: {} of the reused evaluations loaded through the latency sums ({}), which started over {} "
                 "times; {} of them ({}) not even checked, their nodes within the windows of the node watch\n",
                 v.latent_instances, share(static_cast<double>(v.latent_instances), static_cast<double>(v.bypassed_instances)),
                 v.latent_restarts, v.latent_unvisited,
                 share(static_cast<double>(v.latent_unvisited), static_cast<double>(v.latent_instances)));
    fmt::print("    LU factorizations {} ({} refactor, {} full; kept for {} unchanged and {} nearly unchanged matrices) "
               "({:.3f} s, {}); solves {} ({:.3f} s, {})\n",
               factorizations, v.refactors, v.full_factors, v.reused_factors, v.near_reused_factors, v.factor_seconds,
               share(v.factor_seconds, s.seconds), v.solves, v.solve_seconds, share(v.solve_seconds, s.seconds));
    fmt::print("    matrix {} unknowns, {} nonzeros; L+U {} nonzeros (fill {:.2f}x), {:.3g} flop per factorization\n",
               circuit.size(), v.matrix_nonzeros, v.lu_nonzeros,
               v.matrix_nonzeros ? static_cast<double>(v.lu_nonzeros) / v.matrix_nonzeros : 0.0, v.refactor_flops);
    if (v.left_out_entries > 0)
      fmt::print("    feed-forward split: {} charge-only entries left out of the factored matrix, brought back by {} "
                 "refinement solves; {} factorizations of the full matrix ({}; {:.3f} s, {} of the run)\n",
                 v.left_out_entries, v.refinement_sweeps, v.full_matrix_factors,
                 share(static_cast<double>(v.full_matrix_factors), static_cast<double>(std::max(1L, factorizations))),
                 v.full_matrix_factor_seconds, share(v.full_matrix_factor_seconds, s.seconds));
    if (v.krylov_solves + v.krylov_failures > 0)
      fmt::print("    where the refinement did not contract: GMRES solved {} steps, {} not ({} products)\n",
                 v.krylov_solves, v.krylov_failures, v.krylov_products);
  }
}

// The output format: --format when given, else from the file's extension (.csv, .txt for ASCII
// raw, anything else binary raw).
std::string output_format(const RunOptions& o, const std::filesystem::path& out) {
  std::string extension = out.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string implied = extension == ".csv" ? "csv" : extension == ".txt" ? "ascii" : "raw";
  if (o.format.empty()) return implied;
  // A raw file may be binary or ASCII under any name; a CSV name with raw content (or the
  // reverse) is worth a word.
  if ((o.format == "csv") != (extension == ".csv") && (extension == ".csv" || extension == ".raw" || extension == ".txt"))
    fmt::print(stderr, "picospice: warning: writing {} in the '{}' format its extension does not suggest (--format {})\n",
               out.string(), o.format, o.format);
  return o.format;
}

// Keeps the one-point plots (.op, .tf, .noise's integrated noise) for the printout; passes nothing
// else on.
class OperatingPointKeeper final : public PlotSink {
 public:
  void begin_plot(const Plot& layout) override {
    keeping_ = layout.analysis == "op" || layout.analysis == "tf" || layout.name == "Integrated Noise";
    if (keeping_) recorder_.begin_plot(layout);
  }
  void add_point(const std::vector<double>& row) override {
    if (keeping_) recorder_.add_point(row);
  }
  void add_complex_point(const std::vector<std::complex<double>>&) override {}
  void end_plot() override {}
  const std::vector<Plot>& plots() { return recorder_.plots(); }

 private:
  PlotRecorder recorder_;
  bool keeping_ = false;
};

// The plots' "Option: name=value" header lines (transient noise seed and grid), for the measures
// file; collected from the layouts as they stream by.
class OptionNotes final : public PlotSink {
 public:
  void begin_plot(const Plot& layout) override {
    for (const auto& note : layout.notes)
      if (note.rfind("Option: ", 0) == 0 && note.find('=') != std::string::npos) {
        const std::string text = note.substr(8);
        const auto eq = text.find('=');
        std::pair<std::string, std::string> entry{text.substr(0, eq), text.substr(eq + 1)};
        if (std::find(options.begin(), options.end(), entry) == options.end()) options.push_back(entry);
      }
  }
  void add_point(const std::vector<double>&) override {}
  void add_complex_point(const std::vector<std::complex<double>>&) override {}
  void end_plot() override {}
  std::vector<std::pair<std::string, std::string>> options;
};

// Each warning once: a .control block elaborates the netlist again for every analysis.
WarningSink warn_once() {
  auto seen = std::make_shared<std::set<std::string>>();
  return [seen](const std::string& line) {
    if (seen->insert(line).second) warn_to_stderr(line);
  };
}

// The first analysis line of the netlist's top level (in an `.if` branch or not), or null.
const LogicalLine* first_dot_analysis(const Netlist& netlist) {
  for (const auto& line : netlist.top.directives) {
    const std::string& k = line.keyword();
    if (k == ".op" || k == ".dc" || k == ".tran" || k == ".ac" || k == ".noise" || k == ".tf") return &line;
  }
  return nullptr;
}

bool has_dot_analyses(const Netlist& netlist) { return first_dot_analysis(netlist) != nullptr; }

// The .control blocks, run first as ngspice's batch mode does (`ngspice -b`: the blocks, then the
// netlist's dot-analyses unless a block said `quit`). Returns the exit status when the run ends
// here, or nothing when the dot-analyses are to run, with the alterations the block left in
// `edits` (ngspice runs them on the altered circuit).
std::optional<int> run_control_blocks(const RunOptions& o, const std::shared_ptr<const Netlist>& netlist,
                                      const WarningSink& warn, ElaborationEdits& edits) {
  ControlSettings settings;
  settings.warn = warn;
  settings.run.statistics = nullptr;
  if (o.no_bypass || o.threads >= 0)
    fmt::print(stderr, "picospice: warning: --no-bypass and --threads apply to the dot-analyses, not to the .control block\n");
  ControlExecutor executor(netlist, settings);
  const ControlOutcome outcome = executor.run();
  std::fflush(stdout);
  const bool dot_analyses = has_dot_analyses(*netlist);
  if (outcome.analyses_requested > 0 && outcome.analyses_run == 0 && !(dot_analyses && !outcome.quit))
    throw NetlistError(netlist->control_blocks.front().location,
                       fmt::format("the .control block asked for {} analyses and none could run",
                                   outcome.analyses_requested));
  if (outcome.quit) return outcome.exit_status;
  edits = outcome.edits;
  if (!dot_analyses) {
    if (outcome.analyses_requested == 0)
      throw NetlistError(netlist->control_blocks.front().location,
                         "nothing to simulate: the netlist has no .op, .dc, .tran, .ac, .noise or .tf, and its .control block "
                         "runs no analysis");
    if (!o.quiet)
      fmt::print(stderr, "picospice: {} analyses in the .control block ({} failed); no output file (write or wrdata "
                         "in the block say where results go)\n", outcome.analyses_run, outcome.analyses_failed);
    return outcome.analyses_failed > 0 ? 1 : 0;
  }
  return std::nullopt;
}

int run(const RunOptions& o) {
  namespace fs = std::filesystem;
  const auto started = std::chrono::steady_clock::now();
  const WarningSink warn = warn_once();
  auto netlist = std::make_shared<const Netlist>(parse_netlist_file(o.netlist, warn));
  ElaborationEdits edits;
  if (!netlist->control_blocks.empty())
    if (auto status = run_control_blocks(o, netlist, warn, edits)) return *status;
  auto circuit = elaborate_netlist(netlist, edits, warn);
  if (o.no_bypass) circuit->options.bypass = false;
  if (o.threads >= 0) circuit->options.threads = o.threads;
  if (circuit->analyses.empty()) {
    // The netlist has analysis lines, yet none was elaborated: each is in an `.if` branch that was
    // not taken.
    if (const LogicalLine* analysis = first_dot_analysis(*netlist))
      throw NetlistError(analysis->location, "nothing to simulate: every analysis line ('" + analysis->keyword() +
                                                 "' here the first) is in an .if branch that was not taken");
    if (!circuit->skipped.empty())
      throw NetlistError(circuit->skipped.front().first,
                         "nothing to simulate: picospice runs .op, .dc, .tran, .ac, .noise and .tf given as dot-commands, and "
                         "this netlist's analyses are in " + circuit->skipped.front().second);
    throw NetlistError(SourceLocation{o.netlist, 0, 0}, "nothing to simulate: the netlist has no .op, .dc, .tran, .ac, .noise or .tf");
  }
  // Everything that can be checked is checked before the first analysis runs: the .measure lines
  // (MeasureSink parses them) and the .save names.
  std::optional<MeasureSink> measures;
  if (!circuit->measures.empty()) measures.emplace(circuit->measures);
  select_outputs(*circuit);

  const fs::path out = o.output.empty() ? fs::path(fs::path(o.netlist).stem().string() + (o.format == "csv" ? ".csv" : ".raw"))
                                        : fs::path(o.output);
  if (fs::exists(out) && fs::exists(o.netlist) && fs::equivalent(out, o.netlist))
    throw std::runtime_error("-o " + out.string() + " is the netlist itself; choose another output file");
  const std::string format = output_format(o, out);
  std::optional<RawFileWriter> raw;
  std::optional<CsvFileWriter> csv;
  if (format == "csv") csv.emplace(out);
  else raw.emplace(out, format == "ascii" ? RawFormat::Ascii : RawFormat::Binary);

  OperatingPointKeeper operating_points;
  OptionNotes notes;
  std::vector<PlotSink*> sinks{raw ? static_cast<PlotSink*>(&*raw) : &*csv, &operating_points, &notes};
  if (measures) sinks.push_back(&*measures);
  PlotFanOut sink(sinks);

  ProgressBar bar;
  RunSettings settings;
  settings.progress = [&](const std::string& label, double f) { bar.update(label, f); };
  std::vector<AnalysisStatistics> statistics;
  settings.statistics = &statistics;
  run_analyses(*circuit, sink, settings);
  bar.finish();

  if (!o.quiet)
    for (const auto& plot : operating_points.plots()) {
      if (plot.analysis == "op") print_operating_point(*circuit, plot);
      else print_single_point(plot);
    }

  std::vector<fs::path> written;
  if (raw) {
    raw->finish();
    written.push_back(out);
  } else {
    written = csv->finish();
    if (written.size() > 1) {
      std::string list;
      for (const auto& file : written) list += (list.empty() ? "" : ", ") + file.string();
      fmt::print(stderr, "picospice: CSV holds one table, so the {} plots went to {} files: {}\n", written.size(),
                 written.size(), list);
    }
  }

  if (measures) {
    const auto results = measures->results();
    for (const auto& r : results) {
      if (r.ok) fmt::print("{:<20} = {:.9g}\n", r.name, r.value);
      else fmt::print("{:<20} = failed: {}\n", r.name, r.failure);
    }
    fs::path measures_file = out;
    measures_file.replace_extension(".measures.json");
    write_measures(measures_file, results, notes.options);
  }

  if (o.stats) print_statistics(*circuit, statistics);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fflush(stdout);
  if (!o.quiet) {
    long points = 0;
    for (const auto& s : statistics) points += s.points;
    fmt::print(stderr, "picospice: {} analyses, {} unknowns, {} points in {:.3f} s -> {}\n", statistics.size(),
               circuit->size(), points, seconds, out.string());
  }
  return 0;
}

}  // namespace

CommandAction add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Simulate a netlist: every .op, .dc, .tran, .ac, .noise and .tf in it, in order.\n"
                                        "Writes one plot per analysis to a SPICE raw file (ngspice's "
                                        "`load` reads it) or CSV, and evaluates .measure lines.");
  cmd->add_option("netlist", options->netlist, "the netlist (ngspice dialect)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", options->output,
                  "output file (default: the netlist's name with .raw or .csv, in the current directory)");
  cmd->add_option("--format", options->format,
                  "raw (binary), ascii (raw) or csv; default: from the output's extension (.csv, .txt ascii, else raw)")
      ->check(CLI::IsMember({"raw", "ascii", "csv"}));
  cmd->add_flag("-q,--quiet", options->quiet, "print only measures and errors");
  cmd->add_flag("--no-bypass", options->no_bypass,
                "evaluate every device at every Newton iteration and factor every matrix entry (as `.options "
                "bypass=0`; no factorization reuse, no feed-forward split): to check that these speed-ups change no "
                "result, or to measure what they save");
  cmd->add_option("--threads", options->threads,
                  "threads for device evaluation of large circuits (more than 4000 transistors of a kind; 0: all "
                  "cores, the default; as `.options threads=N`); results are identical for any count")
      ->check(CLI::Range(0, 256));
  cmd->add_flag("--stats", options->stats,
                "after the run, print per analysis: Newton iterations, accepted and rejected steps, homotopy used, "
                "device evaluations, LU factorizations and solves with their share of the time, and the LU fill-in");
  return [options] {
    // A simulation that fails (no DC path, time step too small at t = ...) names the netlist: the
    // message says what and where in the circuit, not which file the user ran.
    try {
      return run(*options);
    } catch (const SimulationError& e) {
      std::fflush(stdout);
      fmt::print(stderr, "{}: error: {}\n", options->netlist, e.what());
      return 1;
    }
  };
}

}  // namespace picospice::tools
