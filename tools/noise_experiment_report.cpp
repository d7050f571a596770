// The report, summary.json and the CSV files of `picospice noise-experiment`
// (see noise_experiment_report.hpp).
#include "tools/noise_experiment_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "base/atomic_file.hpp"

namespace picospice::tools {

namespace fs = std::filesystem;
using nlohmann::json;
using cells::NoiseExperimentSettings;

namespace {

std::string pa(double amps) { return std::isfinite(amps) ? fmt::format("{:.3f}", amps * 1e12) : "nan"; }

// Part 1 of the report: the accumulation table and the variance trends.
std::string accumulation_report(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                                const cells::NoiseExperimentSummary& sum) {
  std::string t;
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
  return t;
}

// Part 2: the suppression per cell boundary, with the input-attributable figures of the twins.
std::string suppression_report(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                                const cells::NoiseExperimentSummary& sum) {
  std::string t;
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
  t += "   (reference design: at least 20-fold per cell boundary, docs/design.md, 'Reference figures')\n";
  return t;
}

// Part 3: the spurious flips and the fit of their rate.
std::string flips_report(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                                const cells::NoiseExperimentSummary& sum) {
  std::string t;
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
  return t;
}

}  // namespace

std::string noise_report_text(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                              const cells::NoiseExperimentSummary& sum) {
  std::string t;
  t += fmt::format("noise experiment: seed {}, noisefmax {:g} Hz (grid step {:g} us), frame {:g} ms\n", s.seed,
                   s.noise_fmax, 0.5e6 / s.noise_fmax, s.frame * 1e3);
  if (!sum.accumulation.empty()) t += accumulation_report(s, setup, sum);
  if (!sum.suppression.empty()) t += suppression_report(s, setup, sum);
  if (!sum.flips.empty()) t += flips_report(s, setup, sum);
  return t;
}

json noise_summary_json(const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
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

std::string noise_data_header(const NoiseExperimentSettings& s, const std::string& part) {
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

void write_noise_results(const fs::path& dir, const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                         const cells::NoiseExperimentSummary& sum, std::size_t failures, const std::string& report) {
  write_file_atomically(dir / "report.txt", report);
  write_file_atomically(dir / "summary.json", noise_summary_json(s, setup, sum, failures).dump(2) + "\n");
  std::string csv = noise_data_header(s, "accumulation") + "frame,input,analog_clean,analog_std,cell_clean,cell_std,cell_state_clean,cell_state_mismatches,seeds\n";
  for (const auto& r : sum.accumulation)
    csv += fmt::format("{},{},{},{},{},{},{},{},{}\n", r.frame, r.input, r.analog_clean, r.analog_std, r.cell_clean,
                       r.cell_std, r.cell_state_clean, r.cell_state_mismatches, r.seeds);
  if (!sum.accumulation.empty()) write_file_atomically(dir / "accumulation.csv", csv);
  csv = noise_data_header(s, "suppression") +
        "state,input,input_std,margin,output_std,separation,suppression,seeds,twin_seeds,output_std_own,"
        "input_std_attributable,output_std_attributable,output_std_attributable_se,output_variance_difference,"
        "output_variance_difference_se,suppression_attributable\n";
  for (const auto& r : sum.suppression)
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.state, r.input, r.input_std, r.margin,
                       r.output_std, r.separation, r.suppression, r.seeds, r.twin_seeds, r.output_std_own,
                       r.input_std_attributable, r.output_std_attributable, r.output_std_attributable_se,
                       r.output_variance_difference, r.output_variance_difference_se, r.suppression_attributable);
  if (!sum.suppression.empty()) write_file_atomically(dir / "suppression.csv", csv);
  csv = noise_data_header(s, "flips") + "scale,runs,flips,exposure,rate\n";
  for (const auto& r : sum.flips) csv += fmt::format("{},{},{},{},{}\n", r.scale, r.runs, r.flips, r.exposure, r.rate);
  if (!sum.flips.empty()) write_file_atomically(dir / "flips.csv", csv);
}

}  // namespace picospice::tools
