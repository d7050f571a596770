// Characterization of the cell library: test benches as netlist text, run through the same
// elaborate + run_analyses path as `picospice run`, and the measurements of characterize.hpp.
#include "codesign/characterize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/errors.hpp"
#include "engine/plot_sampling.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

namespace picospice::cells {
namespace {

// Transient bench timing (see the header): steps at 5 ms and 15 ms, end at 25 ms.
constexpr double kStepUp = 5e-3, kStepDown = 15e-3, kStop = 25e-3, kFrame = 10e-3, kEdge = 1e-6;

std::string bench_header(const std::string& title, const CellConditions& c) {
  return fmt::format(
      "{}\n"
      ".include {}\n"
      ".temp {}\n"
      "Vdd vdd 0 {}\n",
      title, cell_library_path(), c.temp_celsius, c.vdd);
}

std::string schmitt_instances(const SchmittBias& b) {
  return fmt::format(
      "Xbias vdd 0 bthresh bwidth bgain schmitt9_bias ith={:.6g} iw={:.6g} ig={:.6g}\n"
      "Xcell in out vdd 0 bthresh bwidth bgain schmitt9\n"
      "Vsense out load 0\n"
      "Mload load load 0 0 nch W=1u L=4u\n",
      b.ithresh, b.iwidth, b.igain);
}

double loop_top(const SchmittBias& b) { return 1.25 * b.ithresh + 100e-12; }

}  // namespace

void check_bias(const SchmittBias& b) {
  auto positive = [](double v, const char* name) {
    if (!(v > 0) || !std::isfinite(v))
      throw std::invalid_argument(fmt::format("{} must be a positive current, got {:g} A", name, v));
  };
  positive(b.ithresh, "ithresh");
  positive(b.iwidth, "iwidth");
  positive(b.igain, "igain");
  if (b.iwidth >= b.ithresh)
    throw std::invalid_argument(fmt::format(
        "iwidth ({:g} A) must be below ithresh ({:g} A): the lower switching point ithresh - iwidth "
        "is beta1 >= 0", b.iwidth, b.ithresh));
}

std::string schmitt_loop_netlist(const SchmittBias& b, const CellConditions& c, int points) {
  const double top = loop_top(b);
  return bench_header("schmitt9 DC hysteresis loop", c) + schmitt_instances(b) +
         fmt::format("Iin 0 in 0\n.dc Iin 0 {:.9g} {:.9g} updown\n.end\n", top, top / points);
}

std::string schmitt_step_netlist(const SchmittBias& b, const CellConditions& c) {
  // 100 pA past each switching point, and at least 10% above I_thresh: at nanoamp thresholds the
  // up-switch lies ~1% above I_thresh (60.7 nA at 60 nA), beyond a fixed 100 pA step.
  const double high = std::max(b.ithresh + 100e-12, 1.1 * b.ithresh);
  const double low = std::max(0.0, b.ithresh - b.iwidth - 100e-12);
  return bench_header("schmitt9 step response", c) + schmitt_instances(b) +
         fmt::format("Iin 0 in PWL(0 0 {0:g} 0 {1:g} {2:.9g} {3:g} {2:.9g} {4:g} {5:.9g})\n"
                     ".tran 10u {6:g}\n.end\n",
                     kStepUp, kStepUp + kEdge, high, kStepDown, kStepDown + kEdge, low, kStop);
}

HysteresisLoop run_hysteresis_loop(const SchmittBias& b, const CellConditions& c, int points) {
  check_bias(b);
  // A jump that still fails to converge is retried on a slightly shifted grid of input points
  // (the failure depends on where the grid lands relative to the switching point).
  std::vector<Plot> plots;
  for (int attempt = 0;; ++attempt) {
    try {
      auto circuit = elaborate_text(schmitt_loop_netlist(b, c, points + 7 * attempt), "<schmitt9 loop>");
      plots = run_analyses(*circuit);
      break;
    } catch (const SimulationError&) {
      if (attempt == 3) throw;
    }
  }
  const Plot& plot = plots.at(0);
  HysteresisLoop loop;
  loop.input = plot.signals.at(0).values;
  for (double i : signal_values(plot, "i(vsense)", "characterize")) loop.output.push_back(i);
  for (double i : signal_values(plot, "i(vdd)", "characterize")) loop.supply_power.push_back(-i * c.vdd);
  // The sweep turns where the input stops increasing.
  loop.turn = loop.input.size();
  for (std::size_t k = 1; k < loop.input.size(); ++k)
    if (loop.input[k] < loop.input[k - 1]) { loop.turn = k; break; }
  return loop;
}

SchmittFigures characterize_schmitt(const SchmittBias& b, const CellConditions& c,
                                    const CharacterizationSettings& settings) {
  check_bias(b);
  SchmittFigures f;
  f.bias = b;
  f.conditions = c;

  const HysteresisLoop loop = run_hysteresis_loop(b, c, settings.loop_points);
  const auto& x = loop.input;
  const auto& y = loop.output;
  const std::size_t n = x.size(), turn = loop.turn;
  const double half = 0.5 * b.igain;
  // The down sweep starts at the turn; include the last up point so a switch right there counts.
  const IndexRange up{0, turn}, down{turn - 1, n};
  f.up_switch = first_crossing(x, y, half, Direction::rising, up);
  f.down_switch = first_crossing(x, y, half, Direction::falling, down);
  // The high level on the way down, above both switching points (at nanoamp thresholds they lie
  // more than 100 pA above I_thresh, so I_thresh + 100 pA alone can fall inside the loop).
  f.out_high = interpolate_on_range(x, y, down, std::max(b.ithresh + 100e-12, 1.02 * f.up_switch));
  const double low_limit = std::min(b.ithresh - 0.5 * b.iwidth, 0.95 * b.ithresh);
  f.out_low = 0;
  for (std::size_t k = 0; k < turn && x[k] <= low_limit; ++k) f.out_low = std::max(f.out_low, y[k]);
  const double mid_band = b.ithresh - 0.5 * b.iwidth;
  f.power_low = interpolate_on_range(x, loop.supply_power, up, mid_band);
  f.power_high = interpolate_on_range(x, loop.supply_power, down, mid_band);
  if (!settings.transient) return f;

  auto circuit = elaborate_text(schmitt_step_netlist(b, c), "<schmitt9 step>");
  const auto plots = run_analyses(*circuit);
  const Plot& plot = plots.at(0);
  const auto& t = plot.signals.at(0).values;
  const auto& out = signal_values(plot, "i(vsense)", "characterize");
  const auto& isup = signal_values(plot, "i(vdd)", "characterize");
  std::vector<double> power(t.size());
  for (std::size_t k = 0; k < t.size(); ++k) power[k] = -isup[k] * c.vdd;

  // Settling: the last time after the step at which the output is outside the band around the
  // value it ends the segment with.
  auto settle = [&](double start, double stop) {
    std::size_t last = 0;
    for (std::size_t k = 0; k < t.size(); ++k)
      if (t[k] <= stop) last = k;
    const double final_value = out[last];
    double settled = start;
    for (std::size_t k = 0; k < t.size(); ++k)
      if (t[k] >= start && t[k] <= stop && std::fabs(out[k] - final_value) > 0.05 * b.igain) settled = t[k];
    return settled - start;
  };
  f.settle_time = std::max(settle(kStepUp, kStepDown), settle(kStepDown, kStop));

  double energy = 0;
  for (std::size_t k = 1; k < t.size() && t[k] <= kFrame + 1e-12; ++k)
    energy += 0.5 * (power[k] + power[k - 1]) * (t[k] - t[k - 1]);
  f.power_frame = energy / kFrame;
  f.frame_reference = 0.5 * (interpolate_on_range(t, power, {}, kStepUp - 1e-5) +
                             interpolate_on_range(t, power, {}, kFrame));
  for (double i : isup) f.peak_supply_current = std::max(f.peak_supply_current, -i);
  return f;
}

std::vector<SchmittBias> sweep_points(const std::string& which, const SchmittBias& nominal) {
  std::vector<SchmittBias> points;
  if (which == "ithresh") {
    // 20 pA - 60 nA: beta2 from the trainer's smallest (beta1 0.02 + delta 0.005 units) to its
    // largest (50 units) at 1 nA per unit. iwidth at most half of ithresh, so beta1 stays > 0.
    for (double v : kCalibrationIthresh) points.push_back({v, std::min({nominal.iwidth, 50e-12, 0.5 * v}), nominal.igain});
  } else if (which == "iwidth") {
    for (double v : {5e-12, 10e-12, 20e-12, 50e-12, 100e-12, 200e-12, 350e-12, 500e-12, 700e-12, 1e-9, 1.5e-9})
      points.push_back({std::max(nominal.ithresh, 3e-9), v, nominal.igain});
  } else if (which == "igain") {
    for (double v : {50e-12, 100e-12, 200e-12, 350e-12, 500e-12, 700e-12, 1e-9})
      points.push_back({nominal.ithresh, nominal.iwidth, v});
  } else if (which == "grid") {
    // Every (ithresh, iwidth) pair of the two ladders with iwidth <= 0.45 ithresh, then iwidth at
    // 0.5-0.98 of ithresh (so every row reaches the same relative widths: a wanted width between
    // two rows is measured in both), keeping ithresh - iwidth >= 5 pA (beta1 > 0): the width
    // measured where the lowering asks for it.
    for (double ith : kCalibrationIthresh) {
      std::vector<double> widths;
      for (double iw : kCalibrationIwidth)
        if (iw <= 0.45 * ith) widths.push_back(iw);
      for (double f : {0.5, 0.7, 0.85, 0.95, 0.98}) widths.push_back(f * ith);
      for (double iw : widths)
        if (ith - iw >= 5e-12) points.push_back({ith, iw, nominal.igain});
    }
  } else {
    throw std::invalid_argument("unknown sweep '" + which + "' (expected ithresh, iwidth, igain, grid or all)");
  }
  return points;
}

std::vector<MirrorPoint> characterize_mirror(const std::string& kind, const MirrorSweep& sweep,
                                             const CellConditions& c) {
  const bool nmos = kind == "nmos";
  if (!nmos && kind != "pmos") throw std::invalid_argument("unknown mirror kind '" + kind + "' (nmos or pmos)");
  const double diode_width = nmos ? 1e-6 : 2e-6;  // the library's defaults (cells.lib)
  const double out_voltage = nmos ? 0.3 : c.vdd - 0.3;
  // One netlist: a mirror per width, all fed the parameter iin; every output goes through its
  // own 0 V ammeter into one node held at out_voltage.
  std::string text = bench_header(fmt::format("{} mirror ratio error", kind), c);
  text += fmt::format(".param iin=1n\nVout hold 0 {}\n", out_voltage);
  for (std::size_t k = 0; k < sweep.widths.size(); ++k) {
    if (nmos) {
      text += fmt::format("I{0} 0 in{0} {{iin}}\nX{0} in{0} o{0} 0 nmirror wi={1:g} wo={2:g}\n", k, diode_width,
                          sweep.widths[k]);
    } else {
      text += fmt::format("I{0} in{0} 0 {{iin}}\nX{0} in{0} o{0} vdd pmirror wi={1:g} wo={2:g}\n", k, diode_width,
                          sweep.widths[k]);
    }
    text += fmt::format("Vm{0} o{0} hold 0\n", k);
  }
  // A linear .dc cannot hit a log grid of inputs, so each input is a one-point parameter sweep.
  std::vector<MirrorPoint> points;
  for (double input : sweep.inputs) {
    auto circuit = elaborate_text(text + fmt::format(".dc param iin {0:.9g} {0:.9g} 1\n.end\n", input),
                                  "<mirror bench>");
    const auto plots = run_analyses(*circuit);
    for (std::size_t k = 0; k < sweep.widths.size(); ++k) {
      MirrorPoint p;
      p.kind = kind;
      p.width = sweep.widths[k];
      p.ratio = sweep.widths[k] / diode_width;
      p.input = input;
      // i(vm) flows into the source's + terminal (the mirror output node): positive for a
      // sourcing PMOS output, negative for a sinking NMOS one.
      const double i = signal_values(plots.at(0), fmt::format("i(vm{})", k), "characterize").at(0);
      p.output = nmos ? -i : i;
      p.error = p.output / (p.ratio * input) - 1.0;
      points.push_back(p);
    }
  }
  return points;
}

}  // namespace picospice::cells
