// `picospice characterize schmitt9|mirror`: measures library cells (codesign/characterize.hpp).
//
// Calibration file (`--sweep all -o calib.json`), read by the lowering's `--calibrate`:
//   {
//     "format": "picospice-cell-calibration", "version": 1,
//     "cell": "schmitt9", "library": "<absolute path of cells.lib>",
//     "conditions": {"vdd": 1.8, "temp": 27},
//     "nominal": {"ithresh": .., "iwidth": .., "igain": ..},
//     "sweeps": {                      each a list of figure objects (the keys of --format json:
//       "ithresh": [ {...}, ... ],     ithresh, iwidth, igain, up_switch, down_switch, out_high,
//       "iwidth":  [ {...}, ... ],     out_low, settle_time, power_low, power_high, power_frame),
//       "igain":   [ {...}, ... ]      one bias swept over its section-2 range, see sweep_points()
//       "grid":    [ {...}, ... ]      (ithresh, iwidth) pairs over the trainer's range, DC only
//     },
//     "mirror": {"nmos": [ {"width", "ratio", "input", "output", "error"}, ... ], "pmos": [...]}
//   }
// All values SI. To correct a systematic offset, invert the measured curve: e.g. the I_thresh
// that gives a wanted beta2 is where "sweeps.ithresh" has up_switch = beta2 (interpolate in log).
// A figure that could not be measured (the cell never switched) is null.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/atomic_file.hpp"
#include "base/numbers.hpp"
#include "codesign/characterize.hpp"
#include "tools/command.hpp"
#include "tools/gnuplot.hpp"
#include "tools/progress_bar.hpp"

namespace picospice::tools {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct CharacterizeOptions {
  std::string cell;
  std::string ithresh = "350p", iwidth = "200p", igain = "500p";
  std::string sweep;
  std::string format = "table";
  std::string plot_dir;
  std::string output;
  double vdd = 1.8, temp = 27.0;
};

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json figures_json(const cells::SchmittFigures& f) {
  return json{{"ithresh", f.bias.ithresh},     {"iwidth", f.bias.iwidth},
              {"igain", f.bias.igain},         {"up_switch", number_or_null(f.up_switch)},
              {"down_switch", number_or_null(f.down_switch)}, {"out_high", number_or_null(f.out_high)},
              {"out_low", number_or_null(f.out_low)},         {"settle_time", number_or_null(f.settle_time)},
              {"power_low", number_or_null(f.power_low)},     {"power_high", number_or_null(f.power_high)},
              {"power_frame", number_or_null(f.power_frame)}};
}

json mirror_json(const std::vector<cells::MirrorPoint>& points) {
  json a = json::array();
  for (const auto& p : points)
    a.push_back({{"width", p.width}, {"ratio", p.ratio}, {"input", p.input}, {"output", p.output}, {"error", p.error}});
  return a;
}

std::string figures_table(const std::vector<cells::SchmittFigures>& rows) {
  std::string s = fmt::format("{:>9} {:>9} {:>9} | {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}\n", "ithresh",
                              "iwidth", "igain", "up_switch", "down_sw", "out_high", "out_low", "settle", "P_low",
                              "P_high", "P_frame");
  s += fmt::format("{:>9} {:>9} {:>9} | {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}\n", "(pA)", "(pA)", "(pA)",
                   "(pA)", "(pA)", "(pA)", "(pA)", "(ms)", "(nW)", "(nW)", "(nW)");
  for (const auto& f : rows)
    s += fmt::format("{:>9.1f} {:>9.1f} {:>9.1f} | {:>10.2f} {:>10.2f} {:>10.2f} {:>10.3g} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f}\n",
                     f.bias.ithresh * 1e12, f.bias.iwidth * 1e12, f.bias.igain * 1e12, f.up_switch * 1e12,
                     f.down_switch * 1e12, f.out_high * 1e12, f.out_low * 1e12, f.settle_time * 1e3,
                     f.power_low * 1e9, f.power_high * 1e9, f.power_frame * 1e9);
  return s;
}

std::string mirror_table(const std::vector<cells::MirrorPoint>& points) {
  std::string s = fmt::format("{:<5} {:>10} {:>7} {:>10} {:>12} {:>10}\n", "kind", "width(um)", "ratio", "input(pA)",
                              "output(pA)", "error(%)");
  for (const auto& p : points)
    s += fmt::format("{:<5} {:>10.2f} {:>7.2f} {:>10.1f} {:>12.2f} {:>10.3f}\n", p.kind, p.width * 1e6, p.ratio,
                     p.input * 1e12, p.output * 1e12, p.error * 100);
  return s;
}

// Data files and one gnuplot script per plot; returns the PNGs written.
struct PlotWriter {
  fs::path dir;
  std::vector<std::string> scripts;

  void hysteresis(const cells::HysteresisLoop& loop, const cells::SchmittBias& b) {
    std::string data;
    for (std::size_t k = 0; k < loop.input.size(); ++k)
      data += fmt::format("{} {} {}\n", loop.input[k] * 1e12, loop.output[k] * 1e12, k < loop.turn ? 0 : 1);
    write_file_atomically(dir / "hysteresis.dat", data);
    scripts.push_back(fmt::format(
        "set terminal png size 900,600\nset output '{0}/hysteresis.png'\nset grid\n"
        "set title 'schmitt9 hysteresis loop (I_{{thresh}} {1:g} pA, I_{{width}} {2:g} pA, I_{{gain}} {3:g} pA)'\n"
        "set xlabel 'input current (pA)'\nset ylabel 'output current (pA)'\n"
        "plot '{0}/hysteresis.dat' using 1:($3==0?$2:1/0) with lines lw 2 title 'sweep up', "
        "'' using 1:($3==1?$2:1/0) with lines lw 2 dt 2 title 'sweep down'\n",
        dir.string(), b.ithresh * 1e12, b.iwidth * 1e12, b.igain * 1e12));
  }

  void sweep(const std::string& which, const std::vector<cells::SchmittFigures>& rows) {
    std::string data;
    for (const auto& f : rows) {
      const double x = which == "ithresh" ? f.bias.ithresh : which == "iwidth" ? f.bias.iwidth : f.bias.igain;
      data += fmt::format("{} {} {} {} {} {} {}\n", x * 1e12, f.up_switch * 1e12, f.down_switch * 1e12,
                          f.out_high * 1e12, f.bias.ithresh * 1e12, (f.bias.ithresh - f.bias.iwidth) * 1e12,
                          f.bias.igain * 1e12);
    }
    const std::string dat = (dir / ("sweep_" + which + ".dat")).string();
    write_file_atomically(dat, data);
    scripts.push_back(fmt::format(
        "set terminal png size 900,600\nset output '{0}/switching_{1}.png'\nset grid\nset logscale xy\n"
        "set key left top\nset title 'schmitt9 against {1}: measured (points) and ideal (lines)'\n"
        "set xlabel '{1} (pA)'\nset ylabel 'current (pA)'\n"
        "plot '{2}' using 1:2 with points pt 7 title 'up switch', '' using 1:5 with lines title 'I_{{thresh}}', "
        "'' using 1:3 with points pt 5 title 'down switch', '' using 1:6 with lines title 'I_{{thresh}}-I_{{width}}', "
        "'' using 1:4 with points pt 9 title 'out high', '' using 1:7 with lines title 'I_{{gain}}'\n",
        dir.string(), which, dat));
  }

  void mirror(const std::vector<cells::MirrorPoint>& points) {
    std::string data;
    for (const std::string kind : {"nmos", "pmos"}) {
      for (const auto& p : points)
        if (p.kind == kind) data += fmt::format("{} {} {}\n", p.width * 1e6, p.input * 1e12, p.error * 100);
      data += "\n\n";  // gnuplot data blocks: index 0 nmos, index 1 pmos
    }
    const std::string dat = (dir / "mirror_error.dat").string();
    write_file_atomically(dat, data);
    scripts.push_back(fmt::format(
        "set terminal png size 900,600\nset output '{0}/mirror_error.png'\nset grid\nset logscale x\n"
        "set title 'mirror ratio error against output width (label: input current in pA)'\n"
        "set xlabel 'output width (um), diode 1 um (nmos) / 2 um (pmos), L = 4 um'\nset ylabel 'error (%)'\n"
        "plot for [i in '100 300 1000 3000'] '{1}' index 0 using 1:(abs($2-(i+0))<1e-6*(i+0)?$3:1/0) with linespoints "
        "title 'nmos '.i, for [i in '100 300 1000 3000'] '{1}' index 1 using 1:(abs($2-(i+0))<1e-6*(i+0)?$3:1/0) with "
        "linespoints dt 2 title 'pmos '.i\n",
        dir.string(), dat));
  }

  int render() {
    if (scripts.empty()) return 0;
    if (!find_gnuplot()) {
      fmt::print(stderr, "picospice: gnuplot not found: plots skipped (data files are in {})\n", dir.string());
      return 0;
    }
    std::string all;
    for (const auto& s : scripts) all += s + "reset\n";
    const fs::path script = dir / "plots.gp";
    write_file_atomically(script, all);
    const int rc = std::system(fmt::format("gnuplot '{}'", script.string()).c_str());
    if (rc != 0) fmt::print(stderr, "picospice: gnuplot failed (exit {}); see {}\n", rc, script.string());
    else fmt::print(stderr, "picospice: plots written to {}\n", dir.string());
    return 0;
  }
};

// A bias current of the weak-inversion cell: the library cell is characterized from tens of pA
// to a few nA (docs/design.md, 'Operating range'); 1 A (`--ithresh 1`) is a forgotten suffix,
// and its simulation only returns nan switching points.
double parse_current(const std::string& text, const char* name) {
  double value = 0;
  if (!try_parse_number(text, value))
    throw std::invalid_argument(fmt::format("--{}: '{}' is not a current (e.g. 350p, 1.2n)", name, text));
  if (!(value >= 1e-12 && value <= 1e-6))
    throw std::invalid_argument(fmt::format("--{}: {:g} A is outside the cell's bias range, 1 pA to 1 uA "
                                            "(did you forget a suffix, as in 350p?)",
                                            name, value));
  return value;
}

int characterize(const CharacterizeOptions& o) {
  const cells::CellConditions conditions{o.vdd, o.temp};
  std::optional<PlotWriter> plots;
  if (!o.plot_dir.empty()) {
    fs::create_directories(o.plot_dir);
    plots = PlotWriter{fs::absolute(o.plot_dir), {}};
  }
  std::string output;

  if (o.cell == "mirror") {
    ProgressBar bar;
    auto points = cells::characterize_mirror("nmos", {}, conditions);
    bar.update("mirror", 0.5);
    auto pmos = cells::characterize_mirror("pmos", {}, conditions);
    bar.finish();
    points.insert(points.end(), pmos.begin(), pmos.end());
    output = o.format == "json" ? mirror_json(points).dump(2) + "\n" : mirror_table(points);
    if (plots) plots->mirror(points);
  } else if (o.cell == "schmitt9") {
    const cells::SchmittBias nominal{parse_current(o.ithresh, "ithresh"), parse_current(o.iwidth, "iwidth"),
                                     parse_current(o.igain, "igain")};
    cells::check_bias(nominal);
    std::vector<std::string> sweeps;
    if (o.sweep == "all") sweeps = {"ithresh", "iwidth", "igain", "grid"};
    else if (!o.sweep.empty()) sweeps = {o.sweep};

    std::vector<cells::SchmittFigures> rows;
    json calibration_sweeps = json::object();
    if (sweeps.empty()) {
      rows.push_back(cells::characterize_schmitt(nominal, conditions));
    } else {
      std::vector<std::pair<std::string, std::vector<cells::SchmittBias>>> plan;
      std::size_t total = 0, done = 0;
      for (const auto& s : sweeps) {
        plan.emplace_back(s, cells::sweep_points(s, nominal));
        total += plan.back().second.size();
      }
      ProgressBar bar;
      for (const auto& [which, points] : plan) {
        std::vector<cells::SchmittFigures> sweep_rows;
        // The grid only feeds the calibration's width table: its DC loops alone, kept out of the
        // printed table and the plots.
        const bool grid = which == "grid";
        cells::CharacterizationSettings settings;
        settings.transient = !grid;
        for (const auto& b : points) {
          bar.update(which, double(done++) / double(total));
          sweep_rows.push_back(cells::characterize_schmitt(b, conditions, settings));
        }
        json a = json::array();
        for (const auto& f : sweep_rows) a.push_back(figures_json(f));
        calibration_sweeps[which] = a;
        if (grid) continue;
        if (plots) plots->sweep(which, sweep_rows);
        rows.insert(rows.end(), sweep_rows.begin(), sweep_rows.end());
      }
      bar.finish();
    }
    if (plots) plots->hysteresis(cells::run_hysteresis_loop(nominal, conditions, 800), nominal);

    json array = json::array();
    for (const auto& f : rows) array.push_back(figures_json(f));
    output = o.format == "json" ? array.dump(2) + "\n" : figures_table(rows);

    if (o.sweep == "all") {
      auto mirror = cells::characterize_mirror("nmos", {}, conditions);
      auto pmos = cells::characterize_mirror("pmos", {}, conditions);
      if (plots) {
        auto both = mirror;
        both.insert(both.end(), pmos.begin(), pmos.end());
        plots->mirror(both);
      }
      const json calibration{{"format", "picospice-cell-calibration"},
                             {"version", 1},
                             {"cell", "schmitt9"},
                             {"library", cells::cell_library_path()},
                             {"conditions", {{"vdd", o.vdd}, {"temp", o.temp}}},
                             {"nominal", {{"ithresh", nominal.ithresh}, {"iwidth", nominal.iwidth}, {"igain", nominal.igain}}},
                             {"sweeps", calibration_sweeps},
                             {"mirror", {{"nmos", mirror_json(mirror)}, {"pmos", mirror_json(pmos)}}}};
      if (!o.output.empty()) {
        write_file_atomically(o.output, calibration.dump(2) + "\n");
        fmt::print(stderr, "picospice: calibration written to {}\n", o.output);
      }
    }
  } else {
    throw std::invalid_argument("unknown cell '" + o.cell + "' (known: schmitt9, mirror)");
  }

  if (!o.output.empty() && o.sweep != "all") write_file_atomically(o.output, output);
  else fmt::print("{}", output);
  if (plots) plots->render();
  return 0;
}

}  // namespace

CommandAction add_characterize_command(CLI::App& app) {
  auto options = std::make_shared<CharacterizeOptions>();
  auto* cmd = app.add_subcommand(
      "characterize",
      "Measure a library cell (netlists/cells/cells.lib) by simulation.\n"
      "schmitt9: DC hysteresis loop (sweep up then down) and a step transient; reports switching\n"
      "points, output levels, settling time and power. mirror: ratio error against width and current.\n"
      "`--sweep all -o calib.json` writes the calibration file the lowering reads.");
  cmd->add_option("cell", options->cell, "schmitt9 or mirror")->required();
  cmd->add_option("--ithresh", options->ithresh, "threshold bias current I_thresh = beta2 (default 350p)");
  cmd->add_option("--iwidth", options->iwidth, "hysteresis width bias current I_width = delta (default 200p)");
  cmd->add_option("--igain", options->igain, "output bias current I_gain = alpha (default 500p)");
  cmd->add_option("--sweep", options->sweep, "sweep one bias over its range: ithresh, iwidth, igain, or all")
      ->check(CLI::IsMember({"ithresh", "iwidth", "igain", "all"}));
  cmd->add_option("--format", options->format, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--plot", options->plot_dir, "write PNG plots (gnuplot) and their data into this directory");
  cmd->add_option("-o,--output", options->output,
                  "write the report here instead of stdout; with --sweep all, the calibration file");
  cmd->add_option("--vdd", options->vdd, "supply voltage (default 1.8)");
  cmd->add_option("--temp", options->temp, "temperature in Celsius (default 27)");
  return [options] { return characterize(*options); };
}

}  // namespace picospice::tools
