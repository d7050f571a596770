// `picospice mc NETLIST --runs N`: Monte Carlo mismatch sweeps (engine/monte_carlo/).
//
// Variation per sample: Pelgrom mismatch of every MOSFET (always), a global process shift
// (--process-sigma-vt/-kp), the temperature (--temps: sample k runs at temps[k mod count]), and
// fixed source values (--set). Results: a CSV row per sample in sample order, flushed row by row
// (the one planned exception to atomic output files), then a statistics table, optional yield
// (--spec) and histograms (--plot).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "base/atomic_file.hpp"
#include "base/counter_rng.hpp"
#include "engine/monte_carlo/monte_carlo.hpp"
#include "engine/monte_carlo/results_csv.hpp"
#include "netlists/sample_netlist.hpp"
#include "engine/monte_carlo/statistics.hpp"
#include "netlists/elaborate.hpp"
#include "base/numbers.hpp"
#include "tools/command.hpp"
#include "engine/monte_carlo/shards.hpp"
#include "tools/mc_histogram_plot.hpp"
#include "tools/mc_summary.hpp"
#include "tools/mpi/mpi_sweep.hpp"
#include "tools/progress_bar.hpp"
#include "tools/stop_on_signal.hpp"

namespace picospice::tools {
namespace {

struct McOptions {
  std::string netlist;
  std::uint64_t runs = 0;
  std::uint64_t seed = 1;
  int jobs = 0;  // 0: one per hardware thread
  std::string output;
  bool resume = false;
  std::string plot_dir;
  std::optional<std::uint64_t> sample;
  std::string write_netlist;
  std::string temps;
  std::vector<std::string> sets;
  std::vector<std::string> specs;
  std::string avto, akp, process_sigma_vt, process_sigma_kp;
  std::optional<std::uint64_t> stop_after;  // hidden test hook: act as if interrupted
  std::string shard;                        // "K/N", or empty for the whole run
  bool quiet = false;
};

double number_option(const std::string& flag, const std::string& text) {
  double value = 0;
  if (!try_parse_number(text, value) || !std::isfinite(value))
    throw std::invalid_argument(fmt::format("{} {}: not a number", flag, text));
  return value;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

MonteCarloSetup make_setup(const McOptions& o) {
  MonteCarloSetup setup;
  setup.seed = o.seed;
  auto non_negative = [](const std::string& flag, const std::string& text) {
    const double v = number_option(flag, text);
    if (v < 0) throw std::invalid_argument(flag + " must not be negative");
    return v;
  };
  if (!o.avto.empty()) setup.mismatch.coefficients["avto"] = non_negative("--avto", o.avto);
  if (!o.akp.empty()) setup.mismatch.coefficients["akp"] = non_negative("--akp", o.akp);
  if (!o.process_sigma_vt.empty()) setup.mismatch.process_sigma["dvto"] = non_negative("--process-sigma-vt", o.process_sigma_vt);
  if (!o.process_sigma_kp.empty()) setup.mismatch.process_sigma["dkp"] = non_negative("--process-sigma-kp", o.process_sigma_kp);
  if (!o.temps.empty()) {
    std::stringstream list(o.temps);
    std::string item;
    while (std::getline(list, item, ','))
      setup.temperatures.push_back(number_option("--temps", item));
  }
  for (const auto& s : o.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("--set " + s + ": expected SOURCE=VALUE, e.g. --set vdd=1.6");
    setup.sources.push_back({lower(s.substr(0, eq)), number_option("--set " + s.substr(0, eq), s.substr(eq + 1))});
  }
  return setup;
}

// Everything that decides the rows, so --resume refuses a file from another study.
std::string fingerprint(const McOptions& o, const MonteCarloStudy& study) {
  std::ifstream in(o.netlist, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const auto& m = study.setup().mismatch;
  auto coefficient = [&](const char* name) {
    auto it = m.coefficients.find(name);
    return it == m.coefficients.end() ? std::string("model") : exact_number(it->second);
  };
  auto process = [&](const char* parameter) {
    auto it = m.process_sigma.find(parameter);
    return exact_number(it == m.process_sigma.end() ? 0.0 : it->second);
  };
  std::string line = fmt::format("# picospice mc: netlist={} fnv1a={:016x} seed={} avto={} akp={} process_vt={} process_kp={}",
                                 std::filesystem::path(o.netlist).filename().string(), random::fnv1a64(text.str()),
                                 o.seed, coefficient("avto"), coefficient("akp"), process("dvto"), process("dkp"));
  // Coefficients of other device types, when overridden by `.options mc_<name>`.
  for (const auto& [name, value] : m.coefficients)
    if (name != "avto" && name != "akp") line += fmt::format(" {}={}", name, exact_number(value));
  if (study.cycles_temperature()) {
    line += " temps=";
    for (std::size_t k = 0; k < study.setup().temperatures.size(); ++k)
      line += (k ? ":" : "") + exact_number(study.setup().temperatures[k]);
  }
  for (const auto& s : study.setup().sources) line += fmt::format(" set:{}={}", s.source, exact_number(s.value));
  return line;
}

int run_single_sample(const McOptions& o, const MonteCarloStudy& study) {
  const std::uint64_t k = *o.sample;
  SampleRunner runner(study);
  const SampleResult result = runner.run(k);
  fmt::print("sample {} (seed {}{}): {}\n", k, o.seed,
             result.temperature ? fmt::format(", temp {} C", *result.temperature) : "", result.status);
  for (std::size_t c = 0; c < study.columns().size(); ++c)
    fmt::print("  {:<20} = {}\n", study.columns()[c],
               result.values[c] ? fmt::format("{:.9g}", *result.values[c]) : std::string("(no value)"));
  if (!o.write_netlist.empty()) {
    std::string comment = fmt::format("picospice mc sample {} of {} (seed {}): per-instance DVTO/DKP are this sample's draws", k,
                                      std::filesystem::path(o.netlist).filename().string(), o.seed);
    std::string text = write_sample_netlist(o.netlist, study.plan().draw(o.seed, k), comment);
    // Temperature and --set are part of the sample too: temperature goes in as .options, source
    // values are noted (the source lines are not rewritten).
    std::string extra;
    if (result.temperature) extra += fmt::format(".options temp={}\n", exact_number(*result.temperature));
    for (const auto& s : study.setup().sources)
      extra += fmt::format("* note: the sample ran with --set {}={}; edit that source's DC value to match\n", s.source,
                           exact_number(s.value));
    if (!extra.empty()) {
      const auto end = lower(text).rfind("\n.end");
      text.insert(end == std::string::npos ? text.size() : end + 1, extra);
    }
    write_file_atomically(o.write_netlist, text);
    fmt::print(stderr, "picospice: wrote sample {} as a plain netlist to {}\n", k, o.write_netlist);
  }
  return result.ok() ? 0 : 2;
}

// The output file opened for appending rows (after a resume) or fresh, with its header.
class ResultsWriter {
 public:
  ResultsWriter(const std::string& path, bool append) : path_(path), file_(std::fopen(path.c_str(), append ? "ab" : "wb")) {
    if (!file_) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  }
  ~ResultsWriter() {
    if (file_) std::fclose(file_);  // only on an exception path; close() reports errors
  }
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  // Flushed at once: a killed run keeps every row written (the one planned non-atomic file).
  void write(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0)
      throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }
  // fclose writes what is still buffered; its error is a lost tail of the results file.
  void close() {
    FILE* file = std::exchange(file_, nullptr);
    if (file && std::fclose(file) != 0) throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
  }

 private:
  std::string path_;
  FILE* file_;
};

std::string shard_flag(const McOptions& o) { return o.shard.empty() ? "" : " --shard " + o.shard; }

int run_mc(const McOptions& o) {
  namespace fs = std::filesystem;
  const auto started = std::chrono::steady_clock::now();
  McSummaryOptions summary;
  for (const auto& s : o.specs) summary.specs.push_back(parse_spec_limit(s));
  summary.plot_dir = o.plot_dir;
  summary.quiet = o.quiet;
  summary.plot_title = fs::path(o.netlist).filename().string();
  if (!o.write_netlist.empty() && !o.sample) throw std::invalid_argument("--write-netlist needs --sample K");
  std::optional<Shard> shard;
  if (!o.shard.empty()) shard = parse_shard(o.shard);
  if (shard && o.sample) throw std::invalid_argument("--shard and --sample do not go together");

  // Under mpirun (more than one process) every rank builds the study; rank 0 alone reads and
  // writes files and prints.
  std::unique_ptr<mpi::Session> session;
  if (mpi::launched_ranks() > 1 && !o.sample) session = std::make_unique<mpi::Session>();
  const bool root = !session || session->rank() == 0;

  MonteCarloStudy study(elaborate_file(o.netlist), make_setup(o));
  if (root && study.plan().size() == 0)
    fmt::print(stderr, "{}: warning: no EKV MOSFETs, so mismatch varies nothing\n", o.netlist);
  if (o.sample) return run_single_sample(o, study);
  if (o.runs == 0) throw std::invalid_argument("--runs N is required (the number of samples), or --sample K");
  for (const auto& column : study.columns()) {  // the histograms' axis units, from each column's measure
    summary.units.emplace_back();
    for (const auto& measure : study.nominal().measures)
      if (column == measure.name || column.rfind(measure.name + "_", 0) == 0) summary.units.back() = measure_unit(measure);
  }
  compute_yield(study.columns(), {}, summary.specs);  // an unknown --spec name fails now, not after the sweep

  ResultsLayout layout;
  layout.fingerprint = fingerprint(o, study);
  layout.columns = study.columns();
  layout.with_temperature = study.cycles_temperature();
  layout.seed = o.seed;
  const SampleRange range = shard ? shard_range(*shard, o.runs) : SampleRange{0, o.runs};
  if (shard) {
    layout.shard_line = shard_header_line(*shard, o.runs);
    layout.first_sample = range.begin;
  }
  const int jobs = jobs_or_all_cores(o.jobs);
  if (!root) {
    StopOnSignal signals;
    mpi::serve_sweep(*session, study, layout, jobs, &stop_requested());
    return 0;
  }

  const std::string output =
      !o.output.empty() ? o.output
                        : fs::path(o.netlist).stem().string() + (shard ? ".mc.part" + std::to_string(shard->index) : ".mc") + ".csv";
  std::vector<SampleResult> results;
  if (o.resume && fs::exists(output)) {
    ExistingResults existing = read_existing_results(output, layout);
    fs::resize_file(output, existing.valid_bytes);  // drop a row a kill cut short
    results = std::move(existing.rows);
    if (results.size() > range.size())
      throw std::runtime_error(
          fmt::format("--resume: {} already holds {} samples, more than --runs {}", output, results.size(), range.size()));
    fmt::print(stderr, "picospice: resuming {} at sample {} of {}\n", output, range.begin + results.size(), range.end);
  }
  refuse_to_overwrite_input(output);  // `mc x.cir -o x.cir` must not truncate the netlist
  const std::uint64_t first = range.begin + results.size();
  ResultsWriter file(output, !results.empty());
  if (results.empty()) file.write(layout.header());

  SweepSettings sweep;
  sweep.first = first;
  sweep.runs = range.end;
  sweep.jobs = jobs;
  sweep.stop = &stop_requested();
  sweep.stop_after = o.stop_after;
  ProgressBar bar;
  sweep.progress = [&](std::uint64_t done, std::uint64_t total) {
    bar.update("mc", static_cast<double>(done - range.begin) / static_cast<double>(total - range.begin));
  };
  const auto sink = [&](const SampleResult& r) {
    file.write(layout.row(r));
    results.push_back(r);
  };
  SweepOutcome outcome;
  {
    StopOnSignal signals;
    outcome = session ? mpi::coordinate_sweep(*session, study, layout, sweep, sink) : run_sweep(study, sweep, sink);
  }
  bar.finish();
  file.close();

  if (outcome.interrupted) {
    fmt::print(stderr,
               "picospice: interrupted: {} of [{}, {}) are in {} (every finished sample was kept).\n"
               "Resume with the same command plus --resume:\n  picospice mc {} --runs {} --seed {}{} -o {} --resume "
               "[and the same --temps/--set/--avto/--akp/--process-sigma-* options]\n",
               outcome.next_sample == range.begin
                   ? std::string("no samples")
                   : fmt::format("samples {}..{}", range.begin, outcome.next_sample - 1),
               range.begin, range.end, output, o.netlist, o.runs, o.seed, shard_flag(o), output);
    return 130;
  }

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  print_mc_summary(shard ? fmt::format("{}, shard {}/{}", o.netlist, shard->index, shard->count) : o.netlist, o.seed,
                   study.columns(), results, summary);
  const std::uint64_t fresh = range.end - first;
  fmt::print(stderr, "picospice: {} samples ({} new) in {:.3f} s with {}{} jobs: {:.0f} samples/s -> {}\n",
             results.size(), fresh, seconds, session ? fmt::format("{} ranks x ", session->size()) : "", jobs,
             static_cast<double>(fresh) / seconds, output);
  // No sample gave any value (every simulation failed, or every measure in every sample): there
  // are no statistics, and a script must not read this as a result. A measure that fails in every
  // sample while others have values is a column of failures, reported in the table above.
  const auto gave_nothing = [](const SampleResult& r) {
    return std::none_of(r.values.begin(), r.values.end(), [](const auto& v) { return v.has_value(); });
  };
  if (!results.empty() && std::all_of(results.begin(), results.end(), gave_nothing)) {
    std::string reason;
    for (const auto& r : results)
      if (!r.ok()) {
        reason = r.status;
        break;
      }
    fmt::print(stderr, "error: every one of the {} samples failed{}\n", results.size(),
               reason.empty() ? std::string() : " (the first: " + reason + ")");
    return 1;
  }
  return 0;
}

}  // namespace

CommandAction add_mc_command(CLI::App& app) {
  auto o = std::make_shared<McOptions>();
  auto* cmd = app.add_subcommand(
      "mc",
      "Monte Carlo mismatch: run the netlist's analyses once per sample, each MOSFET's DVTO and DKP drawn\n"
      "from Pelgrom's law (sigma = AVTO/sqrt(W L M), AKP/sqrt(W L M)), and record every .measure.\n"
      "Draws are a pure function of (seed, sample, instance name): results do not depend on --jobs.\n"
      "CSV: a fingerprint line, then sample,seed,status[,temp],<measures>; rows in sample order.");
  cmd->add_option("netlist", o->netlist, "the netlist (with .measure lines)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--runs", o->runs, "number of samples (0 .. N-1)");
  cmd->add_option("--seed", o->seed, "random seed (default 1)");
  cmd->add_option("-j,--jobs", o->jobs, "worker threads (default: one per hardware thread)")->check(CLI::Range(1, 1024));
  cmd->add_option("-o,--output", o->output, "results CSV (default: NETLIST's name with .mc.csv)");
  cmd->add_flag("--resume", o->resume, "continue an interrupted results file from its first missing sample");
  cmd->add_option("--plot", o->plot_dir, "write a histogram PNG of each measure into this directory (gnuplot)");
  cmd->add_option("--sample", o->sample, "re-run only sample K and print its measures");
  cmd->add_option("--write-netlist", o->write_netlist,
                  "with --sample: write the netlist with that sample's DVTO/DKP on every MOSFET line");
  cmd->add_option("--temps", o->temps, "comma-separated temperatures in C; sample k runs at temps[k mod count]");
  cmd->add_option("--set", o->sets, "SOURCE=VALUE: an independent source's DC value for every sample (repeatable)");
  cmd->add_option("--spec", o->specs, "NAME:LO:HI limits of a measure; the summary reports the yield (repeatable)");
  cmd->add_option("--avto", o->avto, "override every model's AVTO (V*m, e.g. 5n for 5 mV*um); also .options mc_avto=");
  cmd->add_option("--akp", o->akp, "override every model's AKP (m, e.g. 10n for 1 %*um); also .options mc_akp=");
  cmd->add_option("--process-sigma-vt", o->process_sigma_vt, "sigma (V) of a global VTO shift per sample, one for NMOS, one for PMOS");
  cmd->add_option("--process-sigma-kp", o->process_sigma_kp, "sigma (relative) of a global KP change per sample, per polarity");
  cmd->add_option("--stop-after", o->stop_after, "")->group("");  // test hook: the interrupt path after K samples
  cmd->add_option("--shard", o->shard,
                  "K/N: run only shard K (0..N-1) of N, the samples [K*runs/N, (K+1)*runs/N); join the parts "
                  "with `picospice mc-merge`");
  cmd->add_flag("-q,--quiet", o->quiet, "no summary table");
  return [o] { return run_mc(*o); };
}

}  // namespace picospice::tools
