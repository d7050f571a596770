// The plots of `picospice noise-experiment`: a data file and a gnuplot run per part
// (see noise_experiment_report.hpp).
#include <fmt/format.h>

#include <cmath>

#include "base/atomic_file.hpp"
#include "tools/gnuplot.hpp"
#include "tools/noise_experiment_report.hpp"

namespace picospice::tools {

namespace fs = std::filesystem;
using cells::NoiseExperimentSettings;

namespace {

// The std of the deviation per frame, absolute, relative, and as variance over its trend window.
std::string accumulation_plot(const fs::path& dir, const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                          const cells::NoiseExperimentSummary& sum) {
  const std::string d = fs::absolute(dir).string();
  // Columns 6-7: each frame's variance over the mean variance of its trend window, '?' outside
  // a window (the set and reset frames of the cell); fitted lines from the trends.
  std::string data = noise_data_header(s, "accumulation") +
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
  return d + "/accumulation.png";
}

// Input noise over the threshold margin against output noise over the level separation.
std::string suppression_plot(const fs::path& dir, const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                          const cells::NoiseExperimentSummary& sum) {
  const std::string d = fs::absolute(dir).string();
  // Raw (all noise) and input-attributable (paired with the twins) normalised stds; '?' when the
  // twins are missing.
  std::string data = noise_data_header(s, "suppression") +
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
  return d + "/suppression.png";
}

// ln(flip rate) against 1 / noisescale^2, with the fitted line.
std::string flips_plot(const fs::path& dir, const NoiseExperimentSettings& s, const cells::NoiseExperimentSetup& setup,
                          const cells::NoiseExperimentSummary& sum) {
  const std::string d = fs::absolute(dir).string();
  std::string data = noise_data_header(s, "flips") + "# scale inv_scale2 ln_rate flips runs\n";
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
  return d + "/flips.png";
}

}  // namespace

std::vector<std::string> make_noise_plots(const fs::path& dir, const NoiseExperimentSettings& s,
                                          const cells::NoiseExperimentSetup& setup,
                                          const cells::NoiseExperimentSummary& sum) {
  std::vector<std::string> made;
  if (!sum.accumulation.empty()) made.push_back(accumulation_plot(dir, s, setup, sum));
  if (!sum.suppression.empty()) made.push_back(suppression_plot(dir, s, setup, sum));
  if (!sum.flips.empty()) made.push_back(flips_plot(dir, s, setup, sum));
  return made;
}

}  // namespace picospice::tools
