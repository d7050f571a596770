// `picospice noise-experiment`: the noise-accumulation experiment (docs/requirements.md, 'The noise-accumulation experiment')
// (experiments/noise_experiment.hpp): an analog recurrent loop against the schmitt9 cell with
// transient device noise, the noise suppression per cell boundary, and the spurious-flip rate
// against the noise scale.
//
// Output directory (-o, default ./noise_experiment):
//   tasks.jsonl       one line per finished simulation, appended in task order as they finish (the
//                     first line is the settings' fingerprint). Re-running the same command resumes:
//                     finished tasks are kept, the rest run. --fresh starts over.
//   accumulation.csv  per frame: input, noise-free states, std of the deviation (analog, cell)
//   suppression.csv   per stable state: input std, margin, output std, separation, suppression,
//                     and the input-attributable figures from the twin runs without input noise
//   flips.csv         per noise scale: runs, flips, time observed, rate
//                     (every CSV and .dat file starts with '#' lines: seed, noisefmax/NT, scale)
//   summary.json      every number of the report (also the variance trends of the accumulation),
//                     and the setup (switching points, loop calibration)
//   *.png             gnuplot plots (skipped with a message when gnuplot is missing)
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/atomic_file.hpp"
#include "base/numbers.hpp"
#include "base/worker_pool.hpp"
#include "experiments/noise_experiment.hpp"
#include "tools/command.hpp"
#include "tools/gnuplot.hpp"
#include "tools/noise_experiment_report.hpp"
#include "tools/progress_bar.hpp"
#include "tools/stop_on_signal.hpp"

namespace picospice::tools {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using cells::NoiseExperimentSettings;

struct Options {
  std::string output = "noise_experiment";
  bool quick = false, fresh = false, no_plot = false;
  int jobs = 2;
  std::optional<std::uint64_t> seed;
  std::optional<int> seeds, frames, hold_seeds, flip_seeds;
  std::string noisefmax, noisescale, loop_gain, flip_scales, flip_time, flip_margin, hold_time;
  std::string parts = "all";
  std::string noise_interp;
  std::string write_netlists;
  std::optional<int> stop_after;  // hidden test hook: act as if interrupted after K tasks
};

double number_option(const std::string& flag, const std::string& text) {
  double value = 0;
  if (!try_parse_number(text, value) || !std::isfinite(value))
    throw std::invalid_argument(fmt::format("{} {}: not a number", flag, text));
  return value;
}

NoiseExperimentSettings make_settings(const Options& o) {
  NoiseExperimentSettings s = o.quick ? NoiseExperimentSettings::quick() : NoiseExperimentSettings{};
  if (o.seed) s.seed = *o.seed;
  if (o.seeds) s.seeds = *o.seeds;
  if (o.frames) s.frames = *o.frames;
  if (o.hold_seeds) s.hold_seeds = *o.hold_seeds;
  if (o.flip_seeds) s.flip_seeds = *o.flip_seeds;
  if (!o.noisefmax.empty()) s.noise_fmax = number_option("--noisefmax", o.noisefmax);
  if (!o.noise_interp.empty()) s.noise_interp = o.noise_interp;
  if (!o.noisescale.empty()) s.noise_scale = number_option("--noisescale", o.noisescale);
  if (!o.loop_gain.empty()) s.loop_gain = number_option("--loop-gain", o.loop_gain);
  if (!o.hold_time.empty()) s.hold_time = number_option("--hold-time", o.hold_time);
  if (!o.flip_time.empty()) s.flip_time = number_option("--flip-time", o.flip_time);
  if (!o.flip_margin.empty()) s.flip_margin = number_option("--flip-margin", o.flip_margin);
  if (!o.flip_scales.empty()) {
    s.flip_scales.clear();
    std::stringstream list(o.flip_scales);
    std::string item;
    while (std::getline(list, item, ',')) s.flip_scales.push_back(number_option("--flip-scales", item));
  }
  if (o.parts != "all") {
    s.accumulation = s.suppression = s.flips = false;
    std::stringstream list(o.parts);
    std::string item;
    while (std::getline(list, item, ',')) {
      if (item == "accumulation") s.accumulation = true;
      else if (item == "suppression") s.suppression = true;
      else if (item == "flips") s.flips = true;
      else throw std::invalid_argument("--parts: unknown part '" + item + "' (accumulation, suppression, flips)");
    }
  }
  s.check();
  return s;
}

// Reads tasks.jsonl: the finished results, and the byte length of its last complete line (a kill
// can cut the last line short; it is dropped and its task runs again).
struct ExistingTasks {
  std::map<std::string, cells::NoiseTaskResult> results;
  std::map<std::string, std::string> failures;
  std::uintmax_t valid_bytes = 0;
};

ExistingTasks read_tasks(const fs::path& path, const std::string& fingerprint) {
  ExistingTasks e;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::uintmax_t offset = 0;
  bool first = true;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: a line cut short
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      break;
    }
    if (first) {
      if (!j.contains("fingerprint") || j["fingerprint"] != fingerprint)
        throw std::runtime_error(fmt::format(
            "{} holds results of other settings ({}); use the same options, another -o directory, or --fresh",
            path.string(), j.value("fingerprint", std::string("no fingerprint"))));
      first = false;
    } else if (j.contains("error")) {
      e.failures[j.at("id").get<std::string>()] = j.at("error").get<std::string>();
    } else {
      cells::NoiseTaskResult r;
      r.id = j.at("id").get<std::string>();
      r.values = j.at("values").get<std::vector<double>>();
      e.results[r.id] = std::move(r);
    }
    offset += line.size() + 1;
    e.valid_bytes = offset;
  }
  if (first) e.valid_bytes = 0;  // not even a header: start over
  return e;
}

// tasks.jsonl, opened to append after the results an earlier run of the same settings finished
// (a line cut short by a kill is dropped, and its task runs again).
class TaskLog {
 public:
  TaskLog(fs::path path, const std::string& fingerprint, bool fresh) : path_(std::move(path)) {
    if (fresh) fs::remove(path_);
    if (fs::exists(path_)) {
      finished_ = read_tasks(path_, fingerprint);
      fs::resize_file(path_, finished_.valid_bytes);
    }
    file_.reset(std::fopen(path_.c_str(), finished_.valid_bytes > 0 ? "ab" : "wb"));
    if (!file_) throw std::runtime_error("cannot write " + path_.string() + ": " + std::strerror(errno));
    if (finished_.valid_bytes == 0) append(json{{"fingerprint", fingerprint}});
  }

  const fs::path& path() const { return path_; }
  // What earlier runs finished; the caller adds the new results.
  ExistingTasks& finished() { return finished_; }
  // One line, flushed at once so that a kill loses at most the line being written.
  void append(const json& line) {
    const std::string text = line.dump() + "\n";
    if (std::fwrite(text.data(), 1, text.size(), file_.get()) != text.size() || std::fflush(file_.get()) != 0)
      throw std::runtime_error("cannot write " + path_.string() + ": " + std::strerror(errno));
  }
  void close() { file_.reset(); }

 private:
  struct Closer {
    void operator()(FILE* file) const { std::fclose(file); }
  };
  fs::path path_;
  ExistingTasks finished_;
  std::unique_ptr<FILE, Closer> file_;
};

// One simulation's outcome: its tasks.jsonl line, and its values unless it failed.
struct FinishedTask {
  json line;
  cells::NoiseTaskResult result;
};

FinishedTask run_task(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                      const cells::NoiseTask& task) {
  FinishedTask f;
  try {
    f.result = cells::run_noise_task(s, setup, task);
    f.line = {{"id", task.id}, {"values", f.result.values}};
  } catch (const std::exception& e) {
    f.line = {{"id", task.id}, {"error", std::string(e.what())}};
  }
  return f;
}

// Runs the pending tasks on the worker pool; each result is appended to the log, in task order,
// as soon as it and those before it are done. Returns whether Ctrl-C or --stop-after cut the run
// short.
bool run_pending_tasks(const Options& o, const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                       const std::vector<const cells::NoiseTask*>& pending, TaskLog& log) {
  OrderedRunSettings run;
  run.end = pending.size();
  run.jobs = o.jobs;
  run.stop = &stop_requested();
  if (o.stop_after) run.stop_after = static_cast<std::uint64_t>(*o.stop_after);
  ProgressBar bar;
  StopOnSignal signals;
  ExistingTasks& finished = log.finished();
  const OrderedRunOutcome outcome = run_in_order(
      run, [&] { return [&](std::uint64_t k) { return run_task(s, setup, *pending[k]); }; },
      [&](std::uint64_t k, FinishedTask&& f) {
        log.append(f.line);
        const std::string& id = pending[k]->id;
        if (f.line.contains("error")) finished.failures[id] = f.line["error"];
        else finished.results[id] = std::move(f.result);
        bar.update("noise", double(k + 1) / double(pending.size()));
      });
  bar.finish();
  return outcome.stopped;
}

// Writes one bench of each kind, with the library included by a relative path.
void write_netlists(const std::string& target, const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup) {
  const fs::path dir(target);
  fs::create_directories(dir);
  const std::string library = cells::cell_library_path();
  const std::string relative = fs::relative(library, fs::absolute(dir)).string();
  auto write = [&](const std::string& name, const cells::NoiseTask& task, const std::string& comment) {
    std::string text = cells::noise_task_netlist(s, setup, task);
    const auto at = text.find(library);
    if (at != std::string::npos) text.replace(at, library.size(), relative);
    const auto eol = text.find('\n');
    text.insert(eol + 1, comment);
    write_file_atomically(dir / name, text);
    fmt::print(stderr, "picospice: wrote {}\n", (dir / name).string());
  };
  const std::string how = "* Written by `picospice noise-experiment --write-netlists DIR` (experiments/noise_experiment.hpp).\n";
  write("analog_loop.cir", {cells::NoiseTaskKind::AnalogFrames, "analog/s0", 0, "", s.noise_scale},
        how + "* The analog recurrent loop (leaky integrator) over the accumulation input sequence, one noise seed.\n"
              "*   picospice run analog_loop.cir --format csv   (state: i(vpstate))\n");
  write("schmitt9_frames.cir", {cells::NoiseTaskKind::CellFrames, "cell/s0", 0, "", s.noise_scale},
        how + "* The schmitt9 cell over the same input sequence, one noise seed.\n"
              "*   picospice run schmitt9_frames.cir --format csv   (state: i(vpout), input diode: i(vpin))\n");
  write("schmitt9_hold_high.cir", {cells::NoiseTaskKind::Hold, "hold/high/s0", 0, "high", s.noise_scale},
        how + "* The cell held high at mid-band (suppression bench).\n");
  write("schmitt9_hold_low.cir", {cells::NoiseTaskKind::Hold, "hold/low/s0", 0, "low", s.noise_scale},
        how + "* The cell held low at mid-band (suppression bench).\n");
  cells::NoiseTask twin{cells::NoiseTaskKind::Hold, "hold/high/cellonly/s0", 0, "high", s.noise_scale};
  twin.input_noise = false;
  write("schmitt9_hold_high_cellonly.cir", twin,
        how + "* The twin of schmitt9_hold_high.cir: same seed, input weight mirror noiseless (noise=0), so\n"
              "* i(vpout) here minus there is the output noise caused by the input noise.\n");
  write("schmitt9_flip.cir", {cells::NoiseTaskKind::Flip, "flip/x6/s0", 0, "low", 6.0},
        how + "* Spurious flips: low state near the up switch at noisescale 6.\n");
}

int run_experiment(const Options& o) {
  const auto started = std::chrono::steady_clock::now();
  const NoiseExperimentSettings s = make_settings(o);
  fmt::print(stderr, "picospice: noise experiment: measuring the cell's switching points and calibrating the loop\n");
  const cells::NoiseExperimentSetup setup = cells::prepare_noise_experiment(s);
  if (!o.write_netlists.empty()) {
    write_netlists(o.write_netlists, s, setup);
    return 0;
  }

  const fs::path dir(o.output);
  fs::create_directories(dir);
  TaskLog log(dir / "tasks.jsonl", s.fingerprint(), o.fresh);
  const std::map<std::string, cells::NoiseTaskResult>& results = log.finished().results;
  const std::map<std::string, std::string>& failures = log.finished().failures;
  const auto tasks = cells::plan_noise_tasks(s);
  std::vector<const cells::NoiseTask*> pending;
  for (const auto& t : tasks)
    if (!results.count(t.id) && !failures.count(t.id)) pending.push_back(&t);
  if (pending.size() < tasks.size())
    fmt::print(stderr, "picospice: resuming: {} of {} simulations already in {}\n", tasks.size() - pending.size(),
               tasks.size(), log.path().string());

  const bool interrupted = run_pending_tasks(o, s, setup, pending, log);
  log.close();
  if (interrupted && results.size() + failures.size() < tasks.size()) {
    fmt::print(stderr,
               "picospice: interrupted: {} of {} simulations are in {}; run the same command again to resume.\n",
               results.size() + failures.size(), tasks.size(), log.path().string());
    return 130;
  }
  for (const auto& [id, message] : failures) fmt::print(stderr, "picospice: simulation {} failed: {}\n", id, message);

  const auto summary = cells::summarize_noise_experiment(s, setup, results);
  const std::string report = noise_report_text(s, setup, summary);
  fmt::print("{}", report);
  write_noise_results(dir, s, setup, summary, failures.size(), report);
  if (!o.no_plot) {
    if (!find_gnuplot()) {
      fmt::print(stderr, "picospice: plots skipped: gnuplot is not installed (apt-get install gnuplot-nox)\n");
    } else {
      for (const auto& png : make_noise_plots(dir, s, setup, summary)) fmt::print(stderr, "picospice: wrote {}\n", png);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print(stderr, "picospice: {} simulations ({} new, {} failed) in {:.1f} s with {} jobs -> {}\n", tasks.size(),
             pending.size(), failures.size(), seconds, o.jobs, dir.string());
  return failures.empty() ? 0 : 2;
}

}  // namespace

CommandAction add_noise_experiment_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "noise-experiment",
      "Does device noise accumulate through a recurrence? (docs/requirements.md, 'The noise-accumulation experiment'; experiments/noise_experiment.hpp)\n"
      "1. an analog leaky integrator (gain near 1, built from the library's mirrors) against the schmitt9 cell,\n"
      "   100 frames with transient device noise, std over seeds of the state's deviation from the noise-free run;\n"
      "2. noise suppression at a cell boundary, per stable state; 3. spurious flip rate against noisescale.\n"
      "Results are appended to DIR/tasks.jsonl as they finish; re-running the same command resumes.");
  cmd->add_option("-o,--output", o->output, "results directory (default ./noise_experiment)");
  cmd->add_flag("--quick", o->quick, "fewer seeds, frames and flip runs (about a minute on 2 cores)");
  cmd->add_flag("--fresh", o->fresh, "discard finished results in the directory and start over");
  cmd->add_option("-j,--jobs", o->jobs, "worker threads (default 2)")->check(CLI::Range(1, 256));
  cmd->add_option("--seed", o->seed, "experiment seed (default 1); every run's noise seed derives from it");
  cmd->add_option("--seeds", o->seeds, "noise seeds of the accumulation (default 50)")->check(CLI::Range(2, 100000));
  cmd->add_option("--frames", o->frames, "frames of the accumulation (default 100)")->check(CLI::Range(2, 100000));
  cmd->add_option("--hold-seeds", o->hold_seeds, "seeds per suppression state (default 20)")->check(CLI::Range(2, 100000));
  cmd->add_option("--hold-time", o->hold_time, "time each suppression run is sampled, s (default 20m)");
  cmd->add_option("--flip-seeds", o->flip_seeds, "runs per flip noise scale (default 24)")->check(CLI::Range(1, 100000));
  cmd->add_option("--noisefmax", o->noisefmax, "noise bandwidth, Hz (default 50k: grid step 10 us)");
  cmd->add_option("--noiseinterp", o->noise_interp, "noise interpolation: hold (default) or linear");
  cmd->add_option("--noisescale", o->noisescale, "noise scale of the accumulation and suppression (default 1)");
  cmd->add_option("--loop-gain", o->loop_gain, "effective feedback gain of the analog loop (default 0.995)");
  cmd->add_option("--flip-scales", o->flip_scales, "comma-separated noise scales of the flip runs (default 4,5,6,7,8,10)");
  cmd->add_option("--flip-time", o->flip_time, "length of one flip run, s (default 20m)");
  cmd->add_option("--flip-margin", o->flip_margin, "flip input below the up switch, A (default 30p)");
  cmd->add_option("--parts", o->parts, "comma-separated: accumulation, suppression, flips (default all)");
  cmd->add_option("--write-netlists", o->write_netlists, "write one bench of each kind into this directory and exit");
  cmd->add_option("--stop-after", o->stop_after, "")->group("");  // test hook: the interrupt path
  cmd->add_flag("--no-plot", o->no_plot, "no gnuplot PNGs");
  return [o] { return run_experiment(*o); };
}

}  // namespace picospice::tools
