// `picospice noise-experiment`: the noise-accumulation experiment of issue 8, section 6
// (experiments/noise_experiment.hpp): an analog recurrent loop against the schmitt9 cell with
// transient device noise, the noise suppression per cell boundary, and the spurious-flip rate
// against the noise scale.
//
// Output directory (-o, default ./noise_experiment):
//   tasks.jsonl       one line per finished simulation, appended as each finishes (the first line
//                     is the settings' fingerprint). Re-running the same command resumes: finished
//                     tasks are kept, the rest run. --fresh starts over.
//   accumulation.csv  per frame: input, noise-free states, std of the deviation (analog, cell)
//   suppression.csv   per stable state: input std, margin, output std, separation, suppression,
//                     and the input-attributable figures from the twin runs without input noise
//   flips.csv         per noise scale: runs, flips, time observed, rate
//                     (every CSV and .dat file starts with '#' lines: seed, noisefmax/NT, scale)
//   summary.json      every number of the report (also the variance trends of the accumulation),
//                     and the setup (switching points, loop calibration)
//   *.png             gnuplot plots (skipped with a message when gnuplot is missing)
#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "base/atomic_file.hpp"
#include "base/numbers.hpp"
#include "experiments/noise_experiment.hpp"
#include "tools/command.hpp"
#include "tools/gnuplot.hpp"
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

std::string pa(double amps) { return std::isfinite(amps) ? fmt::format("{:.3f}", amps * 1e12) : "nan"; }

json summary_json(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                  const cells::NoiseExperimentSummary& sum, std::size_t failures) {
  json acc = json::array();
  for (const auto& r : sum.accumulation)
    acc.push_back({{"frame", r.frame}, {"input", r.input}, {"analog_clean", r.analog_clean}, {"analog_std", r.analog_std},
                   {"cell_clean", r.cell_clean}, {"cell_std", r.cell_std}, {"cell_state_clean", r.cell_state_clean},
                   {"cell_state_mismatches", r.cell_state_mismatches}, {"seeds", r.seeds}});
  json sup = json::array();
  for (const auto& r : sum.suppression)
    sup.push_back({{"state", r.state}, {"input", r.input}, {"input_std", r.input_std}, {"margin", r.margin},
                   {"output_std", r.output_std}, {"separation", r.separation}, {"suppression", r.suppression},
                   {"seeds", r.seeds}, {"twin_seeds", r.twin_seeds}, {"output_std_own", r.output_std_own},
                   {"input_std_attributable", r.input_std_attributable},
                   {"output_std_attributable", r.output_std_attributable},
                   {"output_std_attributable_se", r.output_std_attributable_se},
                   {"output_variance_difference", r.output_variance_difference},
                   {"output_variance_difference_se", r.output_variance_difference_se},
                   {"suppression_attributable", r.suppression_attributable}});
  json trends = json::array();
  for (const auto& r : sum.trends)
    trends.push_back({{"series", r.series}, {"first_frame", r.first_frame}, {"last_frame", r.last_frame},
                      {"variance_slope", r.slope}, {"variance_slope_se", r.slope_se},
                      {"mean_variance", r.mean_variance}, {"normalising_level", r.mean_scale},
                      {"relative_change", r.relative_change}, {"relative_change_se", r.relative_change_se},
                      {"late_over_early_measured", r.measured_late_early},
                      {"late_over_early_predicted", r.predicted_late_early}});
  json flips = json::array();
  for (const auto& r : sum.flips)
    flips.push_back({{"scale", r.scale}, {"runs", r.runs}, {"flips", r.flips}, {"exposure", r.exposure}, {"rate", r.rate}});
  return json{{"format", "picospice-noise-experiment"},
              {"version", 1},
              {"fingerprint", s.fingerprint()},
              {"noise_grid_step", 0.5 / s.noise_fmax},
              {"seed", s.seed},
              {"noise_fmax", s.noise_fmax},
              {"noise_interp", s.noise_interp},
              {"noise_scale", s.noise_scale},
              {"failed_tasks", failures},
              {"setup",
               {{"up_switch", setup.up_switch}, {"down_switch", setup.down_switch}, {"mid_input", setup.mid_input},
                {"out_high", setup.out_high}, {"out_low", setup.out_low}, {"flip_input", setup.flip_input},
                {"loop_width_ratio", setup.loop_width_ratio}, {"loop_gain", setup.loop_gain_measured},
                {"loop_capacitance", setup.loop_capacitance}, {"n_ut", setup.slope_factor_ut}}},
              {"accumulation", acc},
              {"variance_trends", trends},
              {"suppression", sup},
              {"flips", flips},
              {"flip_fit",
               {{"points", sum.fit.points}, {"slope", sum.fit.slope}, {"intercept", sum.fit.intercept},
                {"r_squared", sum.fit.r_squared}, {"predicted_slope", sum.fit.predicted_slope},
                {"flip_input_std", sum.fit.flip_input_std}}}};
}

std::string report_text(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                        const cells::NoiseExperimentSummary& sum) {
  std::string t;
  t += fmt::format("noise experiment: seed {}, noisefmax {:g} Hz (grid step {:g} us), frame {:g} ms\n", s.seed,
                   s.noise_fmax, 0.5e6 / s.noise_fmax, s.frame * 1e3);
  if (!sum.accumulation.empty()) {
    const auto& rows = sum.accumulation;
    t += fmt::format(
        "\n1. Accumulation ({} seeds, noisescale {:g}): std of (noisy - noise-free) state at {:g} of each frame, pA\n"
        "   analog loop: gain {:.4f} (copy width ratio {:.4f}), C = {:.1f} pF, nUT = {:.2f} mV\n",
        rows.front().seeds, s.noise_scale, s.sample_fraction, setup.loop_gain_measured, setup.loop_width_ratio,
        setup.loop_capacitance * 1e12, setup.slope_factor_ut * 1e3);
    const double separation = setup.out_high - setup.out_low;
    t += fmt::format("   std %: the analog loop's relative to its noise-free state, the cell's relative to its level\n"
                     "   separation {} pA\n", pa(separation));
    t += fmt::format("   {:>5} {:>8} | {:>11} {:>10} {:>7} | {:>11} {:>10} {:>7} {:>9}\n", "frame", "x (pA)", "analog (pA)",
                     "std (pA)", "std %", "cell (pA)", "std (pA)", "std %", "flipped");
    std::set<int> shown;
    for (int f : {0, 1, 5, 10, 20, 30, 40, 49, 50, 51, 60, 70, 80, 90, 99})
      if (f < s.frames) shown.insert(f);
    shown.insert(s.frames - 1);
    for (int f : shown) {
      const auto& r = rows[f];
      t += fmt::format("   {:>5} {:>8.1f} | {:>11.2f} {:>10.4f} {:>7.3f} | {:>11.2f} {:>10.4f} {:>7.3f} {:>9}\n", r.frame,
                       r.input * 1e12, r.analog_clean * 1e12, r.analog_std * 1e12, 100 * r.analog_std / r.analog_clean,
                       r.cell_clean * 1e12, r.cell_std * 1e12, 100 * r.cell_std / separation, r.cell_state_mismatches);
    }
    auto max_over = [&](int from, int to, bool analog) {
      double m = 0;
      for (int f = from; f < std::min(to, s.frames); ++f) m = std::max(m, analog ? rows[f].analog_std : rows[f].cell_std);
      return m;
    };
    t += fmt::format("   cell std at most {} pA over all frames; state differs from the noise-free run in {} seed-frames\n",
                     pa(max_over(0, s.frames, false)),
                     [&] { int n = 0; for (const auto& r : rows) n += r.cell_state_mismatches; return n; }());
    if (!sum.trends.empty()) {
      t += "   Trend of the variance over frames: least-squares slope, standard error by the jackknife over seeds;\n"
           "   'change' = slope * (window - 1) / mean variance, the variance's change across the window relative\n"
           "   to its mean (0: bounded; the std is sqrt(mean variance)).\n";
      t += fmt::format("   {:>9} {:>7} {:>20} {:>9} {:>10} {:>18} {:>16}\n", "series", "frames", "slope (pA^2/frame)",
                       "slope/SE", "std (%)", "change (+- SE)", "late/early var");
      for (const auto& r : sum.trends) {
        const std::string ratio =
            r.predicted_late_early > 0 ? fmt::format("{:.2f} (pred {:.2f})", r.measured_late_early, r.predicted_late_early)
                                       : fmt::format("{:.2f}", r.measured_late_early);
        t += fmt::format("   {:>9} {:>3}-{:<3} {:>9.3e} +- {:<7.1e} {:>9.1f} {:>10.3f} {:>8.2f} +- {:<6.2f} {:>16}\n",
                         r.series, r.first_frame, r.last_frame, r.slope * 1e24, r.slope_se * 1e24, r.slope / r.slope_se,
                         100 * std::sqrt(r.mean_variance) / r.mean_scale, r.relative_change, r.relative_change_se, ratio);
      }
      t += "   (late/early: mean variance over the window's last 10 frames over its first 10; pred: a leaky\n"
           "   integrator of the measured gain, var ~ 1 - a^(2t))\n";
    }
  }
  if (!sum.suppression.empty()) {
    t += fmt::format(
        "\n2. Suppression per cell boundary (cell held at {} pA, mid-band; switching points {} / {} pA; levels {} / {} pA)\n",
        pa(setup.mid_input), pa(setup.up_switch), pa(setup.down_switch), pa(setup.out_high), pa(setup.out_low));
    t += fmt::format("   {:>5} {:>14} {:>11} {:>9} {:>15} {:>13} {:>8} {:>12}\n", "state", "in std (pA)", "margin(pA)",
                     "in/margin", "out std (pA)", "separation", "out/sep", "suppression");
    for (const auto& r : sum.suppression)
      t += fmt::format("   {:>5} {:>14.4f} {:>11.2f} {:>9.2e} {:>15.4g} {:>13.2f} {:>8.2e} {:>11.3g}x\n", r.state,
                       r.input_std * 1e12, r.margin * 1e12, r.input_std / r.margin, r.output_std * 1e12,
                       r.separation * 1e12, r.output_std / r.separation, r.suppression);
    bool twins = false;
    for (const auto& r : sum.suppression) twins = twins || r.twin_seeds >= 2;
    if (twins) {
      t += "   Input-attributable: each noisy run has a twin with the same seed and a noiseless input weight mirror;\n"
           "   'caused' is the std of the paired difference (with - without input noise), 'own' the std of the\n"
           "   twin's output deviation (the cell's own noise), var diff = var(with) - var(without) (+- jackknife SE).\n";
      t += fmt::format("   {:>5} {:>14} {:>15} {:>22} {:>26} {:>12}\n", "state", "in caused (pA)", "out own (pA)",
                       "out caused (pA)", "out var diff (pA^2)", "suppression");
      bool unmeasurable = false;
      for (const auto& r : sum.suppression) {
        if (r.twin_seeds < 2) continue;
        // Below a millionth of the cell's own output noise the paired difference is no measurement
        // of a noise path any more (solver resolution); the ratio is then flagged, not quoted.
        const bool floor = r.output_std_attributable < 1e-6 * r.output_std_own;
        unmeasurable = unmeasurable || floor;
        t += fmt::format("   {:>5} {:>14.4f} {:>15.4g} {:>12.4g} +- {:<7.2g} {:>13.4g} +- {:<9.2g} {:>11.3g}x{}\n", r.state,
                         r.input_std_attributable * 1e12, r.output_std_own * 1e12, r.output_std_attributable * 1e12,
                         r.output_std_attributable_se * 1e12, r.output_variance_difference * 1e24,
                         r.output_variance_difference_se * 1e24, r.suppression_attributable, floor ? " *" : "");
      }
      if (unmeasurable)
        t += "   * the output caused by the input noise is below 1e-6 of the cell's own output noise: not measurable,\n"
             "     the input noise does not reach this output; the ratio only says 'enormous', not how large\n";
    }
    t += "   (reference design: at least 20-fold per cell boundary, DESIGN.md section 1)\n";
  }
  if (!sum.flips.empty()) {
    t += fmt::format("\n3. Spurious flips: low state, input {} pA ({} pA below the up switch), {} ms per run\n",
                     pa(setup.flip_input), pa(s.flip_margin), s.flip_time * 1e3);
    t += fmt::format("   {:>6} {:>6} {:>6} {:>12} {:>12} {:>9}\n", "scale", "runs", "flips", "observed(s)", "rate (1/s)",
                     "ln(rate)");
    for (const auto& r : sum.flips)
      t += fmt::format("   {:>6g} {:>6} {:>6} {:>12.4f} {:>12.4g} {:>9}\n", r.scale, r.runs, r.flips, r.exposure, r.rate,
                       r.flips > 0 ? fmt::format("{:.3f}", std::log(r.rate)) : std::string("-"));
    if (sum.fit.points >= 2)
      t += fmt::format("   fit over {} scales with >= 2 flips: ln(rate) = {:.3f} + ({:.2f}) / scale^2, R^2 = {:.4f}\n",
                       sum.fit.points, sum.fit.intercept, sum.fit.slope, sum.fit.r_squared);
    else
      t += "   fit: fewer than two scales with >= 2 flips (raise the scales or the run time)\n";
    if (sum.fit.predicted_slope != 0)
      t += fmt::format("   predicted slope -m^2/(2 sigma^2) = {:.2f} from the input noise {} pA at the flip input (scale 1)\n",
                       sum.fit.predicted_slope, pa(sum.fit.flip_input_std));
  }
  return t;
}

// The commented header of every CSV and data file: what decides the noise samples.
std::string data_header(const NoiseExperimentSettings& s, const std::string& part) {
  std::string scale = part == "flips" ? "noisescale: the scale column" : fmt::format("noisescale={:g}", s.noise_scale);
  std::string t = fmt::format(
      "# picospice noise-experiment {}: seed={} (each run's noiseseed is derived from it, the part and the seed "
      "index; --write-netlists shows the netlists)\n"
      "# noisefmax={:g} Hz, NT={:g} s, noiseinterp={}, {}\n",
      part, s.seed, s.noise_fmax, 0.5 / s.noise_fmax, s.noise_interp, scale);
  if (part == "accumulation")
    t += fmt::format("# {} seeds, {} frames of {:g} s, state read at {:g} of each frame, loop gain {:g}\n", s.seeds,
                     s.frames, s.frame, s.sample_fraction, s.loop_gain);
  else if (part == "suppression")
    t += fmt::format("# {} seeds per state (and as many twins without input noise), {:g} s sampled every {:g} s\n",
                     s.hold_seeds, s.hold_time, s.hold_sample_step);
  else if (part == "flips")
    t += fmt::format("# {} runs of {:g} s per scale, input {:g} A below the up switch\n", s.flip_seeds, s.flip_time,
                     s.flip_margin);
  return t;
}

// Data files and gnuplot scripts; returns the PNGs made.
std::vector<std::string> make_plots(const fs::path& dir, const NoiseExperimentSettings& s,
                                    const cells::NoiseExperimentSetup& setup, const cells::NoiseExperimentSummary& sum) {
  std::vector<std::string> made;
  const std::string d = fs::absolute(dir).string();
  if (!sum.accumulation.empty()) {
    // Columns 6-7: each frame's variance over the mean variance of its trend window, '?' outside
    // a window (the set and reset frames of the cell); fitted lines from the trends.
    std::string data = data_header(s, "accumulation") +
                       "# frame analog_std_pA cell_std_pA analog_rel_percent cell_rel_percent analog_var_rel "
                       "cell_var_rel\n";
    const double separation = setup.out_high - setup.out_low;
    auto window_of = [&](const std::string& prefix, int frame) -> const cells::VarianceTrend* {
      for (const auto& tr : sum.trends)
        if (tr.series.rfind(prefix, 0) == 0 && frame >= tr.first_frame && frame <= tr.last_frame) return &tr;
      return nullptr;
    };
    auto relative_variance = [&](const cells::VarianceTrend* tr, double std) {
      return tr ? fmt::format("{}", std * std / tr->mean_variance) : std::string("?");
    };
    for (const auto& r : sum.accumulation)
      data += fmt::format("{} {} {} {} {} {} {}\n", r.frame, r.analog_std * 1e12, r.cell_std * 1e12,
                          100 * r.analog_std / r.analog_clean, 100 * r.cell_std / separation,
                          relative_variance(window_of("analog", r.frame), r.analog_std),
                          relative_variance(window_of("cell", r.frame), r.cell_std));
    write_file_atomically(dir / "accumulation.dat", data);
    std::string fits;
    for (const auto& tr : sum.trends) {
      const double centre = 0.5 * (tr.first_frame + tr.last_frame);
      fits += fmt::format(", (x >= {0} && x <= {1}) ? 1 + {2:.9g} * (x - {3}) : 1/0 with lines lw 2 dt 2 lc '{4}' "
                          "title 'fit {5}: change {6:.2f} +- {7:.2f}'",
                          tr.first_frame, tr.last_frame, tr.slope / tr.mean_variance, centre,
                          tr.series == "analog" ? "dark-violet" : "dark-green", tr.series, tr.relative_change,
                          tr.relative_change_se);
    }
    run_gnuplot(fmt::format(
        "set terminal png size 1000,1150\nset output {0}\nset multiplot layout 3,1\nset grid\nset key right center\n"
        "set datafile missing '?'\nset samples 1000\nset logscale y\n"
        "set title 'noise accumulation: std over {1} seeds of the state deviation from the noise-free run'\n"
        "set xlabel 'frame ({2:g} ms)'\nset ylabel 'std (pA)'\n"
        "plot {3} using 1:2 with linespoints pt 7 ps 0.5 lw 2 lc 'dark-violet' title 'analog loop (gain {4:.4f})', "
        "'' using 1:3 with linespoints pt 5 ps 0.5 lw 2 lc 'dark-green' title 'schmitt9 cell (high to frame {5}, then low)'\n"
        "set title 'normalised: analog to its noise-free state ({6:.1f} pA), cell to its level separation ({7:.1f} pA)'\n"
        "set ylabel 'std (%)'\n"
        "plot {3} using 1:4 with linespoints pt 7 ps 0.5 lw 2 lc 'dark-violet' title 'analog loop', "
        "'' using 1:5 with linespoints pt 5 ps 0.5 lw 2 lc 'dark-green' title 'schmitt9 cell'\n"
        "unset logscale y\nset key left top\n"
        "set title 'growth or boundedness: variance over the mean variance of its stretch (analog: all frames; cell: "
        "high and low stretch)'\n"
        "set ylabel 'variance / mean variance'\n"
        "plot {3} using 1:6 with points pt 7 ps 0.7 lc 'dark-violet' title 'analog loop', "
        "'' using 1:7 with points pt 5 ps 0.7 lc 'dark-green' title 'schmitt9 cell'{8}\nunset multiplot\n",
        gnuplot_quote(d + "/accumulation.png"), sum.accumulation.front().seeds, s.frame * 1e3,
        gnuplot_quote(d + "/accumulation.dat"), setup.loop_gain_measured, s.frames / 2 - 1,
        sum.accumulation.front().analog_clean * 1e12, separation * 1e12, fits));
    made.push_back(d + "/accumulation.png");
  }
  if (!sum.suppression.empty()) {
    // Raw (all noise) and input-attributable (paired with the twins) normalised stds; '?' when the
    // twins are missing.
    std::string data = data_header(s, "suppression") +
                       "# state input_std/margin output_std/separation input_caused/margin output_caused/separation\n";
    auto value = [](double v) { return std::isfinite(v) && v > 0 ? fmt::format("{}", v) : std::string("?"); };
    for (const auto& r : sum.suppression)
      data += fmt::format("{} {} {} {} {}\n", r.state, r.input_std / r.margin, r.output_std / r.separation,
                          value(r.input_std_attributable / r.margin), value(r.output_std_attributable / r.separation));
    write_file_atomically(dir / "suppression.dat", data);
    run_gnuplot(fmt::format(
        "set terminal png size 900,600\nset output {0}\nset grid y\nset logscale y\nset format y '10^{{%L}}'\n"
        "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
        "set datafile missing '?'\n"
        "set title 'noise at a cell boundary: input std / threshold margin against output std / level separation'\n"
        "set ylabel 'normalised noise std'\nset key below\n"
        "plot {1} using 2:xtic(1) title 'input / margin (all noise)', '' using 3 title 'output / separation (all noise)', "
        "'' using 4 title 'input caused by input noise / margin', '' using 5 title 'output caused by input noise / separation'\n",
        gnuplot_quote(d + "/suppression.png"), gnuplot_quote(d + "/suppression.dat")));
    made.push_back(d + "/suppression.png");
  }
  if (!sum.flips.empty()) {
    std::string data = data_header(s, "flips") + "# scale inv_scale2 ln_rate flips runs\n";
    for (const auto& r : sum.flips)
      if (r.flips > 0) data += fmt::format("{} {} {} {} {}\n", r.scale, 1 / (r.scale * r.scale), std::log(r.rate), r.flips, r.runs);
    write_file_atomically(dir / "flips.dat", data);
    std::string fit_line = sum.fit.points >= 2
                               ? fmt::format(", {:.9g} + {:.9g}*x with lines lw 2 title 'fit: slope {:.1f}, R^2 {:.3f}'",
                                             sum.fit.intercept, sum.fit.slope, sum.fit.slope, sum.fit.r_squared)
                               : std::string();
    run_gnuplot(fmt::format(
        "set terminal png size 900,600\nset output {0}\nset grid\n"
        "set title 'spurious flips of schmitt9 (low state, input {1} pA below the up switch)'\n"
        "set xlabel '1 / noisescale^2'\nset ylabel 'ln(flip rate / (1/s))'\n"
        "plot {2} using 2:3 with points pt 7 ps 1.5 title 'measured (label: flips/runs)', "
        "'' using 2:3:(sprintf('%d/%d', $4, $5)) with labels offset 0,1 notitle{3}\n",
        gnuplot_quote(d + "/flips.png"), s.flip_margin * 1e12, gnuplot_quote(d + "/flips.dat"), fit_line));
    made.push_back(d + "/flips.png");
  }
  return made;
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
  const fs::path tasks_file = dir / "tasks.jsonl";
  if (o.fresh) fs::remove(tasks_file);
  ExistingTasks existing;
  if (fs::exists(tasks_file)) {
    existing = read_tasks(tasks_file, s.fingerprint());
    fs::resize_file(tasks_file, existing.valid_bytes);
  }
  std::map<std::string, cells::NoiseTaskResult> results = std::move(existing.results);
  std::map<std::string, std::string> failures = std::move(existing.failures);

  const auto tasks = cells::plan_noise_tasks(s);
  std::vector<const cells::NoiseTask*> pending;
  for (const auto& t : tasks)
    if (!results.count(t.id) && !failures.count(t.id)) pending.push_back(&t);
  if (pending.size() < tasks.size())
    fmt::print(stderr, "picospice: resuming: {} of {} simulations already in {}\n", tasks.size() - pending.size(),
               tasks.size(), tasks_file.string());

  FILE* file = std::fopen(tasks_file.c_str(), existing.valid_bytes > 0 ? "ab" : "wb");
  if (!file) throw std::runtime_error("cannot write " + tasks_file.string() + ": " + std::strerror(errno));
  std::unique_ptr<FILE, int (*)(FILE*)> closer(file, std::fclose);
  auto append = [&](const json& line) {
    const std::string text = line.dump() + "\n";
    if (std::fwrite(text.data(), 1, text.size(), file) != text.size() || std::fflush(file) != 0)
      throw std::runtime_error("cannot write " + tasks_file.string() + ": " + std::strerror(errno));
  };
  if (existing.valid_bytes == 0) append(json{{"fingerprint", s.fingerprint()}});

  // Workers take the next pending task; each result is appended (under the lock) as it finishes.
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::atomic<bool> interrupted{false};
  std::exception_ptr write_error;
  ProgressBar bar;
  auto worker = [&] {
    for (;;) {
      if (stop_requested().load()) { interrupted = true; return; }
      const std::size_t k = next.fetch_add(1);
      if (k >= pending.size()) return;
      if (o.stop_after && k >= static_cast<std::size_t>(*o.stop_after)) { interrupted = true; return; }
      const cells::NoiseTask& task = *pending[k];
      json line;
      cells::NoiseTaskResult result;
      try {
        result = cells::run_noise_task(s, setup, task);
        line = {{"id", task.id}, {"values", result.values}};
      } catch (const std::exception& e) {
        line = {{"id", task.id}, {"error", std::string(e.what())}};
      }
      std::lock_guard lock(mutex);
      if (write_error) return;
      try {
        append(line);
      } catch (...) {
        write_error = std::current_exception();
        return;
      }
      if (line.contains("error")) failures[task.id] = line["error"];
      else results[task.id] = std::move(result);
      ++done;
      bar.update("noise", double(done) / double(pending.size()));
    }
  };
  {
    StopOnSignal signals;
    std::vector<std::thread> threads;
    for (int j = 0; j < std::max(1, o.jobs); ++j) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }
  bar.finish();
  closer.reset();
  if (write_error) std::rethrow_exception(write_error);
  if (interrupted && results.size() + failures.size() < tasks.size()) {
    fmt::print(stderr,
               "picospice: interrupted: {} of {} simulations are in {}; run the same command again to resume.\n",
               results.size() + failures.size(), tasks.size(), tasks_file.string());
    return 130;
  }
  for (const auto& [id, message] : failures) fmt::print(stderr, "picospice: simulation {} failed: {}\n", id, message);

  const auto summary = cells::summarize_noise_experiment(s, setup, results);
  const std::string report = report_text(s, setup, summary);
  fmt::print("{}", report);
  write_file_atomically(dir / "report.txt", report);
  write_file_atomically(dir / "summary.json", summary_json(s, setup, summary, failures.size()).dump(2) + "\n");
  {
    std::string csv = data_header(s, "accumulation") + "frame,input,analog_clean,analog_std,cell_clean,cell_std,cell_state_clean,cell_state_mismatches,seeds\n";
    for (const auto& r : summary.accumulation)
      csv += fmt::format("{},{},{},{},{},{},{},{},{}\n", r.frame, r.input, r.analog_clean, r.analog_std, r.cell_clean,
                         r.cell_std, r.cell_state_clean, r.cell_state_mismatches, r.seeds);
    if (!summary.accumulation.empty()) write_file_atomically(dir / "accumulation.csv", csv);
    csv = data_header(s, "suppression") +
          "state,input,input_std,margin,output_std,separation,suppression,seeds,twin_seeds,output_std_own,"
          "input_std_attributable,output_std_attributable,output_std_attributable_se,output_variance_difference,"
          "output_variance_difference_se,suppression_attributable\n";
    for (const auto& r : summary.suppression)
      csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.state, r.input, r.input_std, r.margin,
                         r.output_std, r.separation, r.suppression, r.seeds, r.twin_seeds, r.output_std_own,
                         r.input_std_attributable, r.output_std_attributable, r.output_std_attributable_se,
                         r.output_variance_difference, r.output_variance_difference_se, r.suppression_attributable);
    if (!summary.suppression.empty()) write_file_atomically(dir / "suppression.csv", csv);
    csv = data_header(s, "flips") + "scale,runs,flips,exposure,rate\n";
    for (const auto& r : summary.flips) csv += fmt::format("{},{},{},{},{}\n", r.scale, r.runs, r.flips, r.exposure, r.rate);
    if (!summary.flips.empty()) write_file_atomically(dir / "flips.csv", csv);
  }
  if (!o.no_plot) {
    if (!find_gnuplot()) {
      fmt::print(stderr, "picospice: plots skipped: gnuplot is not installed (apt-get install gnuplot-nox)\n");
    } else {
      for (const auto& png : make_plots(dir, s, setup, summary)) fmt::print(stderr, "picospice: wrote {}\n", png);
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
      "Does device noise accumulate through a recurrence? (issue 8, section 6; experiments/noise_experiment.hpp)\n"
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
