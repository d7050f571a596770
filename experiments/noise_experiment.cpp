// The noise-accumulation experiment (noise_experiment.hpp): benches as netlist text, run through
// elaborate + run_analyses like `picospice run`, and the statistics of docs/requirements.md, 'The noise-accumulation experiment'.
#include "experiments/noise_experiment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "base/errors.hpp"
#include "base/counter_rng.hpp"
#include "engine/plot_sampling.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

namespace picospice::cells {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kProbeDrain = 0.3;  // V: the probes' drains (saturated, like a summing node)

const std::string kWho = "noise experiment";  // names the bench in the message of a missing signal

double grid_step(const NoiseExperimentSettings& s) { return 0.5 / s.noise_fmax; }

// The noise seed of a run: a pure function of the experiment seed, the part and the seed index,
// kept below 2^52 so that it survives the netlist's number parsing exactly.
std::uint64_t run_seed(const NoiseExperimentSettings& s, const std::string& part, int index) {
  const std::uint64_t stream = random::mix_stream(static_cast<std::uint64_t>(index), random::fnv1a64(part));
  return random::splitmix64(stream ^ random::splitmix64(s.seed)) & ((std::uint64_t{1} << 52) - 1);
}

std::string bench_header(const std::string& title, const NoiseExperimentSettings& s) {
  return fmt::format("{}\n.include {}\n.temp {}\nVdd vdd 0 {}\nVprobe ph 0 {}\n.options itl1=1000 itl4=100\n", title,
                     cell_library_path(), s.temp_celsius, s.vdd, kProbeDrain);
}

std::string noise_options(const NoiseExperimentSettings& s, std::uint64_t seed, double scale) {
  return fmt::format(".options trannoise=1 noisefmax={:.9g} noiseseed={} noisescale={:.9g} noiseinterp={}\n",
                     s.noise_fmax, seed, scale, s.noise_interp);
}

// A noiseless unit NMOS copy of the diode at `node`, drain held at kProbeDrain through ammeter
// v<name>: i(v<name>) is the current the copy carries.
std::string probe(const std::string& name, const std::string& node) {
  return fmt::format("M{0} {0}d {1} 0 0 nch W=1u L=4u noise=0\nV{0} ph {0}d 0\n", name, node);
}

// The per-frame input as a PWL current (times `gain`), edges of 1e-3 frame.
std::string frame_pwl(const NoiseExperimentSettings& s, double gain) {
  const double edge = 1e-3 * s.frame;
  std::string text = fmt::format("PWL(0 {:.9g}", gain * noise_experiment_input(s, 0));
  for (int k = 1; k < s.frames; ++k) {
    const double before = noise_experiment_input(s, k - 1), after = noise_experiment_input(s, k);
    if (before == after) continue;
    text += fmt::format(" {:.9g} {:.9g} {:.9g} {:.9g}", k * s.frame, gain * before, k * s.frame + edge, gain * after);
  }
  return text + ")";
}

// The analog loop (see the header). `input` is the reference of the input weight mirror: a PWL
// or a DC value, already times (1 - a).
std::string analog_loop_body(double width_ratio, double capacitance, const std::string& input) {
  return fmt::format(
      "* input: a PMOS weight mirror fed by an ideal (noiseless) reference, into the state node s\n"
      "Iref ref 0 {0}\n"
      "Xw ref win vdd pmirror\n"
      "Vin win s 0\n"
      "* state: the diode Mi of Xn at s (its current is the state), a copy of ratio w sinks a*I_s\n"
      "* from the PMOS diode of Xp, which sources it back into s through the ammeter Vfb\n"
      "Xn s fb 0 nmirror wi=1u wo={1:.9g}u\n"
      "Xp fb fbo vdd pmirror\n"
      "Vfb fbo s 0\n"
      "Cs s 0 {2:.9g}\n"
      "{3}",
      input, width_ratio, capacitance, probe("pstate", "s"));
}

// The cell bench: the input from a PMOS weight mirror (reference `input`), the output into the next
// stage's diode, probes on the cell's input diode and the next stage's diode. Without input noise
// the weight mirror is written out as the library's pmirror (W=2u L=4u) with `noise=0` on both
// transistors; the cell's and the load's devices keep their names, hence their noise samples.
std::string cell_body(const NoiseExperimentSettings& s, const std::string& input, bool input_noise = true) {
  const std::string mirror = input_noise ? "Xw ref win vdd pmirror\n"
                                         : "Mwi ref ref vdd vdd pch W=2u L=4u noise=0\n"
                                           "Mwo win ref vdd vdd pch W=2u L=4u noise=0\n";
  return fmt::format(
      "Xbias vdd 0 bthresh bwidth bgain schmitt9_bias ith={:.9g} iw={:.9g} ig={:.9g}\n"
      "* input: a PMOS weight mirror fed by an ideal (noiseless) reference; Vin reads the delivered current\n"
      "Iref ref 0 {}\n"
      "{}"
      "Vin win in 0\n"
      "Xcell in out vdd 0 bthresh bwidth bgain schmitt9\n"
      "* output: into the next stage's input diode\n"
      "Vsense out load 0\n"
      "Mload load load 0 0 nch W=1u L=4u\n"
      "{}{}",
      s.bias.ithresh, s.bias.iwidth, s.bias.igain, input, mirror, probe("pin", "in"), probe("pout", "load"));
}

std::vector<Plot> run_text(const std::string& text, const std::string& name) {
  auto circuit = elaborate_text(text, name);
  return run_analyses(*circuit);
}

// Operating point of the analog loop with a DC input: {a_eff, I_state, v(s)}.
struct LoopPoint {
  double gain, state, voltage;
};
LoopPoint loop_operating_point(const NoiseExperimentSettings& s, double width_ratio, double input) {
  const std::string text = bench_header("analog loop operating point", s) +
                           analog_loop_body(width_ratio, 1e-12, fmt::format("{:.9g}", input)) + ".op\n.end\n";
  const auto plots = run_text(text, "<analog loop op>");
  const Plot& op = plots.at(0);
  const double fed_back = signal_values(op, "i(vfb)", kWho).at(0), delivered = signal_values(op, "i(vin)", kWho).at(0);
  return {fed_back / (fed_back + delivered), signal_values(op, "i(vpstate)", kWho).at(0), signal_values(op, "v(s)", kWho).at(0)};
}

}  // namespace

NoiseExperimentSettings NoiseExperimentSettings::quick() {
  NoiseExperimentSettings s;
  s.frames = 60;
  s.seeds = 16;
  s.hold_seeds = 8;
  s.hold_time = 10e-3;
  s.flip_seeds = 12;
  s.flip_time = 10e-3;
  s.flip_scales = {4, 5, 6, 8, 10};
  return s;
}

void NoiseExperimentSettings::check() const {
  check_bias(bias);
  auto positive = [](double v, const char* what) {
    if (!(v > 0) || !std::isfinite(v)) throw std::invalid_argument(fmt::format("{} must be positive, got {:g}", what, v));
  };
  positive(noise_fmax, "the noise bandwidth (noisefmax)");
  positive(frame, "the frame");
  positive(noise_scale, "the noise scale");
  positive(hold_time, "the hold time");
  positive(hold_sample_step, "the hold sample step");
  positive(flip_time, "the flip run time");
  positive(flip_margin, "the flip margin");
  positive(set_input, "the set input");
  positive(hold_input, "the hold input");
  positive(reset_input, "the reset input");
  if (frames < 2) throw std::invalid_argument(fmt::format("frames must be at least 2, got {}", frames));
  if (seeds < 2 || hold_seeds < 2 || flip_seeds < 1)
    throw std::invalid_argument("seeds and hold seeds must be at least 2, flip seeds at least 1");
  if (!(loop_gain > 0 && loop_gain < 1))
    throw std::invalid_argument(fmt::format("the loop gain must lie in (0, 1), got {:g}", loop_gain));
  if (!(sample_fraction > 0 && sample_fraction < 1))
    throw std::invalid_argument("the sample fraction must lie in (0, 1)");
  if (noise_interp != "hold" && noise_interp != "linear")
    throw std::invalid_argument("the noise interpolation must be hold or linear, got '" + noise_interp + "'");
  if (hold_settle < 0) throw std::invalid_argument("the hold settling time must not be negative");
  for (double x : flip_scales) positive(x, "a flip noise scale");
  if (flips && flip_scales.size() < 2) throw std::invalid_argument("the flip fit needs at least two noise scales");
}

std::string NoiseExperimentSettings::fingerprint() const {
  std::string scales;
  for (double x : flip_scales) scales += fmt::format("{}{}", scales.empty() ? "" : ":", x);
  return fmt::format(
      "ith={} iw={} ig={} vdd={} temp={} seed={} fmax={} frames={} frame={} sample={} seeds={} scale={} "
      "gain={} set={} hold={} reset={} hold_seeds={} hold_time={} hold_settle={} hold_step={} flip_scales={} "
      "flip_seeds={} flip_time={} flip_margin={} parts={}{}{} interp={}",
      bias.ithresh, bias.iwidth, bias.igain, vdd, temp_celsius, seed, noise_fmax, frames, frame, sample_fraction,
      seeds, noise_scale, loop_gain, set_input, hold_input, reset_input, hold_seeds, hold_time, hold_settle,
      hold_sample_step, scales, flip_seeds, flip_time, flip_margin, int(accumulation), int(suppression), int(flips),
      noise_interp);
}

double noise_experiment_input(const NoiseExperimentSettings& s, int frame) {
  if (frame == 0) return s.set_input;
  if (frame == s.frames / 2) return s.reset_input;
  return s.hold_input;
}

NoiseExperimentSetup prepare_noise_experiment(const NoiseExperimentSettings& s) {
  s.check();
  NoiseExperimentSetup setup;

  // Analog loop: calibrate the copy width so that the loop gain is s.loop_gain at the hold level.
  // Start 5% weak (a gain >= 1 has no operating point); the gain is close to proportional to w.
  if (s.accumulation) {
    const double input = (1 - s.loop_gain) * s.hold_input;
    // The tolerance is a fraction of the leak 1 - a, not of a: near a = 1 the loop's time
    // constant 1/(1 - a) frames is what the accumulation measures, and an absolute 1e-3 would
    // leave it 20% off at a = 0.995.
    const double tolerance = 0.01 * (1 - s.loop_gain);
    double w = 0.95 * s.loop_gain;
    LoopPoint p = loop_operating_point(s, w, input);
    for (int iteration = 0; iteration < 12 && std::fabs(p.gain - s.loop_gain) > tolerance; ++iteration) {
      w *= s.loop_gain / p.gain;
      p = loop_operating_point(s, w, input);
    }
    if (std::fabs(p.gain - s.loop_gain) > tolerance)
      throw SimulationError(fmt::format("noise experiment: the analog loop's gain calibration ended at {:.4f}, not {:.4f}",
                                        p.gain, s.loop_gain));
    setup.loop_width_ratio = w;
    setup.loop_gain_measured = p.gain;
    // n*UT from two operating points of the state diode (a factor 2 apart in current).
    const LoopPoint q = loop_operating_point(s, w, 2 * input);
    setup.slope_factor_ut = (q.voltage - p.voltage) / std::log(q.state / p.state);
    // Retention a per frame at the hold level: T (1-a) I / (C nUT) = -ln a.
    setup.loop_capacitance = s.frame * (1 - s.loop_gain) * p.state / (setup.slope_factor_ut * -std::log(s.loop_gain));
  }

  // Cell: DC loop of the hold bench, the reference swept up and down. A sweep that fails to
  // converge at a jump is retried on a shifted grid (as characterize does).
  if (s.suppression || s.flips || s.accumulation) {
    const double top = 1.25 * s.bias.ithresh + 100e-12;
    std::vector<Plot> plots;
    for (int attempt = 0;; ++attempt) {
      try {
        const int points = 400 + 7 * attempt;
        plots = run_text(bench_header("schmitt9 noise bench DC loop", s) + cell_body(s, "0") +
                             fmt::format(".dc Iref 0 {:.9g} {:.9g} updown\n.end\n", top, top / points),
                         "<noise bench dc loop>");
        break;
      } catch (const SimulationError&) {
        if (attempt == 3) throw;
      }
    }
    const Plot& plot = plots.at(0);
    setup.loop_reference = plot.signals.at(0).values;
    setup.loop_delivered = signal_values(plot, "i(vin)", kWho);
    setup.loop_output = signal_values(plot, "i(vpout)", kWho);
    const auto& x = setup.loop_delivered;
    const auto& y = setup.loop_output;
    const std::size_t n = x.size();
    setup.loop_turn = n;
    for (std::size_t k = 1; k < n; ++k)
      if (setup.loop_reference[k] < setup.loop_reference[k - 1]) { setup.loop_turn = k; break; }
    const std::size_t turn = setup.loop_turn;
    const double half = 0.5 * s.bias.igain;
    const IndexRange up{0, turn}, down{turn - 1, n};
    setup.up_switch = first_crossing(x, y, half, Direction::rising, up);
    setup.down_switch = first_crossing(x, y, half, Direction::falling, down);
    if (!std::isfinite(setup.up_switch) || !std::isfinite(setup.down_switch))
      throw SimulationError("noise experiment: the cell did not switch both ways in its DC loop");
    setup.mid_input = 0.5 * (setup.up_switch + setup.down_switch);
    setup.out_low = interpolate_on_range(x, y, up, setup.mid_input);
    setup.out_high = interpolate_on_range(x, y, down, setup.mid_input);
    setup.mid_reference = interpolate_on_range(x, setup.loop_reference, up, setup.mid_input);
    setup.flip_input = setup.up_switch - s.flip_margin;
    setup.flip_reference = interpolate_on_range(x, setup.loop_reference, up, setup.flip_input);
    if (!std::isfinite(setup.flip_reference) || setup.flip_input <= setup.down_switch)
      throw std::invalid_argument(fmt::format("the flip margin {:g} A puts the input outside the hold band", s.flip_margin));
  }
  return setup;
}

std::vector<NoiseTask> plan_noise_tasks(const NoiseExperimentSettings& s) {
  std::vector<NoiseTask> tasks;
  auto add = [&](NoiseTaskKind kind, const std::string& id, std::optional<int> seed, const std::string& state,
                 double scale) { tasks.push_back({kind, id, seed, state, scale}); };
  // Noise-free references first: the summaries need them whatever else finished.
  if (s.accumulation) {
    add(NoiseTaskKind::AnalogFrames, "analog/clean", std::nullopt, "", 0.0);
    add(NoiseTaskKind::CellFrames, "cell/clean", std::nullopt, "", 0.0);
  }
  if (s.suppression) {
    add(NoiseTaskKind::Hold, "hold/low/clean", std::nullopt, "low", 0.0);
    add(NoiseTaskKind::Hold, "hold/high/clean", std::nullopt, "high", 0.0);
  }
  if (s.flips) add(NoiseTaskKind::Hold, "hold/flipin/clean", std::nullopt, "flipin", 0.0);
  // Interleaved so that an interrupted run has some of every part.
  const int most = std::max({s.accumulation ? s.seeds : 0, s.suppression || s.flips ? s.hold_seeds : 0,
                             s.flips ? s.flip_seeds : 0});
  for (int k = 0; k < most; ++k) {
    if (s.accumulation && k < s.seeds) {
      add(NoiseTaskKind::AnalogFrames, fmt::format("analog/s{}", k), k, "", s.noise_scale);
      add(NoiseTaskKind::CellFrames, fmt::format("cell/s{}", k), k, "", s.noise_scale);
    }
    if (s.suppression && k < s.hold_seeds) {
      for (const std::string state : {"low", "high"}) {
        add(NoiseTaskKind::Hold, fmt::format("hold/{}/s{}", state, k), k, state, s.noise_scale);
        add(NoiseTaskKind::Hold, fmt::format("hold/{}/cellonly/s{}", state, k), k, state, s.noise_scale);
        tasks.back().input_noise = false;
      }
    }
    if (s.flips && k < s.hold_seeds) add(NoiseTaskKind::Hold, fmt::format("hold/flipin/s{}", k), k, "flipin", 1.0);
    if (s.flips && k < s.flip_seeds)
      for (double x : s.flip_scales) add(NoiseTaskKind::Flip, fmt::format("flip/x{}/s{}", x, k), k, "low", x);
  }
  return tasks;
}

std::string noise_task_netlist(const NoiseExperimentSettings& s, const NoiseExperimentSetup& setup,
                               const NoiseTask& task) {
  // The noise-free run keeps the noise grid (same step limit and landing times), at scale 0.
  // The twin without input noise draws with its partner's seed (part "hold/<state>").
  const std::string part = task.input_noise ? task.id.substr(0, task.id.rfind('/')) : "hold/" + task.state;
  const std::uint64_t seed = task.seed_index ? run_seed(s, part, *task.seed_index) : 1;
  const double scale = task.seed_index ? task.scale : 0.0;
  const double nt = grid_step(s);
  const std::string options = noise_options(s, seed, scale);
  switch (task.kind) {
    case NoiseTaskKind::AnalogFrames:
      return bench_header(fmt::format("noise experiment: analog leaky integrator, a = {:g} ({})", s.loop_gain, task.id), s) +
             options +
             analog_loop_body(setup.loop_width_ratio, setup.loop_capacitance,
                              fmt::format("{:.9g}", (1 - s.loop_gain) * s.hold_input)) +
             fmt::format(".tran {:.9g} {:.9g} 0 {:.9g}\n.end\n", nt, s.frames * s.frame, nt);
    case NoiseTaskKind::CellFrames:
      return bench_header(fmt::format("noise experiment: schmitt9 cell, {} frames ({})", s.frames, task.id), s) + options +
             cell_body(s, frame_pwl(s, 1.0)) +
             fmt::format(".tran {:.9g} {:.9g} 0 {:.9g}\n.end\n", nt, s.frames * s.frame, nt);
    case NoiseTaskKind::Hold:
    case NoiseTaskKind::Flip: {
      const bool high = task.state == "high";
      const double reference = task.state == "flipin" || task.kind == NoiseTaskKind::Flip ? setup.flip_reference
                                                                                         : setup.mid_reference;
      const double stop = task.kind == NoiseTaskKind::Flip ? s.flip_time : s.hold_settle + s.hold_time;
      // The state is picked by holding the cell's node x (the inverted state) during the operating
      // point: 0 V is s = 1, VDD is s = 0.
      return bench_header(fmt::format("noise experiment: schmitt9 held {} ({}){}", high ? "high" : "low", task.id,
                                      task.input_noise ? "" : ", input weight mirror noiseless"),
                          s) +
             options + cell_body(s, fmt::format("{:.9g}", reference), task.input_noise) +
             fmt::format(".ic v(xcell.x)={}\n.tran {:.9g} {:.9g} 0 {:.9g}\n.end\n", high ? 0.0 : s.vdd, nt, stop, nt);
    }
  }
  throw std::logic_error("unknown noise task kind");
}

NoiseTaskResult run_noise_task(const NoiseExperimentSettings& s, const NoiseExperimentSetup& setup,
                               const NoiseTask& task) {
  const auto plots = run_text(noise_task_netlist(s, setup, task), "<noise experiment " + task.id + ">");
  const Plot& plot = plots.at(0);
  const auto& t = plot.signals.at(0).values;
  NoiseTaskResult result;
  result.id = task.id;
  switch (task.kind) {
    case NoiseTaskKind::AnalogFrames:
    case NoiseTaskKind::CellFrames: {
      const auto& state = signal_values(plot, task.kind == NoiseTaskKind::AnalogFrames ? "i(vpstate)" : "i(vpout)", kWho);
      for (int k = 0; k < s.frames; ++k) result.values.push_back(value_at_time(t, state, (k + s.sample_fraction) * s.frame));
      break;
    }
    case NoiseTaskKind::Hold: {
      const auto& in = signal_values(plot, "i(vpin)", kWho);
      const auto& out = signal_values(plot, "i(vpout)", kWho);
      const int n = static_cast<int>(std::floor(s.hold_time / s.hold_sample_step + 1e-9));
      for (int j = 0; j < n; ++j) result.values.push_back(value_at_time(t, in, s.hold_settle + j * s.hold_sample_step));
      for (int j = 0; j < n; ++j) result.values.push_back(value_at_time(t, out, s.hold_settle + j * s.hold_sample_step));
      break;
    }
    case NoiseTaskKind::Flip: {
      const auto& out = signal_values(plot, "i(vpout)", kWho);
      const double when = first_crossing(t, out, 0.5 * s.bias.igain, Direction::rising);
      result.values = std::isfinite(when) ? std::vector<double>{1.0, when} : std::vector<double>{0.0, t.back()};
      break;
    }
  }
  return result;
}

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  if (n < 2 || y.size() != n) throw std::invalid_argument("a line fit needs at least two points");
  double mx = 0, my = 0;
  for (std::size_t k = 0; k < n; ++k) mx += x[k], my += y[k];
  mx /= double(n), my /= double(n);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t k = 0; k < n; ++k) {
    sxx += (x[k] - mx) * (x[k] - mx);
    sxy += (x[k] - mx) * (y[k] - my);
    syy += (y[k] - my) * (y[k] - my);
  }
  if (sxx == 0) throw std::invalid_argument("a line fit needs two distinct x");
  LineFit f;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.r_squared = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1.0;
  return f;
}

namespace {

// Sample standard deviation (about the sample mean) of every value of every series but `skip`.
double pooled_std(const std::vector<std::vector<double>>& series, std::size_t skip = SIZE_MAX) {
  double sum = 0, sum_sq = 0;
  std::size_t n = 0;
  for (std::size_t k = 0; k < series.size(); ++k) {
    if (k == skip) continue;
    for (double v : series[k]) sum += v, ++n;
  }
  if (n < 2) return kNaN;
  const double mean = sum / double(n);
  for (std::size_t k = 0; k < series.size(); ++k) {
    if (k == skip) continue;
    for (double v : series[k]) sum_sq += (v - mean) * (v - mean);
  }
  return std::sqrt(sum_sq / double(n - 1));
}

// Jackknife standard error over n seeds of a statistic computed without seed `skip`:
// sqrt((n-1)/n * sum (theta_i - mean theta)^2) (Efron & Tibshirani, An Introduction to the
// Bootstrap, ch. 11).
template <class Statistic>
double jackknife_se(std::size_t n, Statistic statistic) {
  if (n < 3) return kNaN;
  std::vector<double> theta(n);
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += theta[i] = statistic(i);
  mean /= double(n);
  double ss = 0;
  for (double v : theta) ss += (v - mean) * (v - mean);
  return std::sqrt(double(n - 1) / double(n) * ss);
}

// Per-frame sample variance over the seeds (all but `skip`) of deviations[seed][frame], frames
// [first, last].
std::vector<double> frame_variances(const std::vector<std::vector<double>>& deviations, int first, int last,
                                    std::size_t skip) {
  std::vector<double> out;
  for (int f = first; f <= last; ++f) {
    double sum = 0, sum_sq = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < deviations.size(); ++k)
      if (k != skip) sum += deviations[k][f], ++n;
    const double mean = sum / double(n);
    for (std::size_t k = 0; k < deviations.size(); ++k)
      if (k != skip) sum_sq += (deviations[k][f] - mean) * (deviations[k][f] - mean);
    out.push_back(sum_sq / double(n - 1));
  }
  return out;
}

double mean_of(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double sum = 0;
  for (std::size_t k = from; k < to; ++k) sum += v[k];
  return sum / double(to - from);
}

// The variance trend of one series over frames [first, last] (see VarianceTrend).
VarianceTrend variance_trend(const std::string& name, const std::vector<std::vector<double>>& deviations, int first,
                             int last, double scale, double gain, double sample_fraction) {
  VarianceTrend trend;
  trend.series = name;
  trend.first_frame = first;
  trend.last_frame = last;
  trend.mean_scale = scale;
  std::vector<double> frames;
  for (int f = first; f <= last; ++f) frames.push_back(f);
  const std::size_t edge = std::max<std::size_t>(1, std::min<std::size_t>(10, frames.size() / 2));
  auto slope = [&](std::size_t skip) { return fit_line(frames, frame_variances(deviations, first, last, skip)).slope; };
  auto relative = [&](std::size_t skip) {
    const auto v = frame_variances(deviations, first, last, skip);
    return fit_line(frames, v).slope * double(last - first) / mean_of(v, 0, v.size());
  };
  const auto all = frame_variances(deviations, first, last, SIZE_MAX);
  trend.slope = fit_line(frames, all).slope;
  trend.mean_variance = mean_of(all, 0, all.size());
  trend.relative_change = trend.slope * double(last - first) / trend.mean_variance;
  trend.slope_se = jackknife_se(deviations.size(), slope);
  trend.relative_change_se = jackknife_se(deviations.size(), relative);
  trend.measured_late_early = mean_of(all, all.size() - edge, all.size()) / mean_of(all, 0, edge);
  if (gain > 0) {
    // A leaky integrator that keeps the fraction a per frame, started from the noise-free state at
    // t = 0, has var(t) = V_inf (1 - a^(2t)) with t in frames (the state is read at f of a frame).
    std::vector<double> shape;
    for (double f : frames) shape.push_back(1 - std::pow(gain, 2 * (f + sample_fraction)));
    trend.predicted_late_early = mean_of(shape, shape.size() - edge, shape.size()) / mean_of(shape, 0, edge);
  }
  return trend;
}

using Results = std::map<std::string, NoiseTaskResult>;

// The values of finished task `id`, or nullptr when it has not run (yet).
const std::vector<double>* find_values(const Results& results, const std::string& id) {
  const auto it = results.find(id);
  return it == results.end() ? nullptr : &it->second.values;
}

void expect_size(const std::vector<double>& v, std::size_t n, const std::string& id) {
  if (v.size() != n)
    throw std::runtime_error(fmt::format("noise experiment: result {} has {} values, expected {}", id, v.size(), n));
}

// Sample standard deviation (n - 1); NaN below two values.
double std_of(const std::vector<double>& d) {
  if (d.size() < 2) return kNaN;
  double mean = 0;
  for (double v : d) mean += v;
  mean /= double(d.size());
  double ss = 0;
  for (double v : d) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / double(d.size() - 1));
}

// Part 1: per frame, the std over seeds of the deviation from the noise-free run, and the
// variance trends (growth or boundedness).
void summarize_accumulation(const NoiseExperimentSettings& s, const NoiseExperimentSetup& setup, const Results& results,
                            NoiseExperimentSummary& summary) {
  const auto* analog_clean = find_values(results, "analog/clean");
  const auto* cell_clean = find_values(results, "cell/clean");
  if (s.accumulation && analog_clean && cell_clean) {
    expect_size(*analog_clean, s.frames, "analog/clean");
    expect_size(*cell_clean, s.frames, "cell/clean");
    std::vector<const std::vector<double>*> analog, cell;
    for (int k = 0; k < s.seeds; ++k) {
      const auto* a = find_values(results, fmt::format("analog/s{}", k));
      const auto* c = find_values(results, fmt::format("cell/s{}", k));
      if (a && c) {
        expect_size(*a, s.frames, "analog seed");
        expect_size(*c, s.frames, "cell seed");
        analog.push_back(a);
        cell.push_back(c);
      }
    }
    if (analog.size() >= 2) {
      const double half = 0.5 * s.bias.igain;
      for (int f = 0; f < s.frames; ++f) {
        AccumulationRow row;
        row.frame = f;
        row.input = noise_experiment_input(s, f);
        row.seeds = static_cast<int>(analog.size());
        row.analog_clean = (*analog_clean)[f];
        row.cell_clean = (*cell_clean)[f];
        row.cell_state_clean = row.cell_clean > half;
        std::vector<double> da, dc;
        for (std::size_t k = 0; k < analog.size(); ++k) {
          da.push_back((*analog[k])[f] - row.analog_clean);
          dc.push_back((*cell[k])[f] - row.cell_clean);
          row.cell_state_mismatches += ((*cell[k])[f] > half) != (row.cell_state_clean == 1);
        }
        row.analog_std = std_of(da);
        row.cell_std = std_of(dc);
        summary.accumulation.push_back(row);
      }
      // Growth or boundedness: the variance trend of the analog loop over every frame (its input
      // never changes), of the cell over its high stretch (frames 1 .. frames/2 - 1) and its low
      // stretch (frames/2 + 1 .. frames - 1); the set and reset frames are left out, their input
      // differs.
      std::vector<std::vector<double>> dev_analog, dev_cell;
      for (std::size_t k = 0; k < analog.size(); ++k) {
        std::vector<double> a, c;
        for (int f = 0; f < s.frames; ++f) {
          a.push_back((*analog[k])[f] - (*analog_clean)[f]);
          c.push_back((*cell[k])[f] - (*cell_clean)[f]);
        }
        dev_analog.push_back(std::move(a));
        dev_cell.push_back(std::move(c));
      }
      const double analog_level = mean_of(*analog_clean, 0, analog_clean->size());
      summary.trends.push_back(variance_trend("analog", dev_analog, 0, s.frames - 1, analog_level,
                                              setup.loop_gain_measured, s.sample_fraction));
      const double separation = setup.out_high - setup.out_low;
      const int reset = s.frames / 2;
      if (reset - 1 >= 3)
        summary.trends.push_back(variance_trend("cell high", dev_cell, 1, reset - 1, separation, 0, s.sample_fraction));
      if (s.frames - 1 >= reset + 3)
        summary.trends.push_back(
            variance_trend("cell low", dev_cell, reset + 1, s.frames - 1, separation, 0, s.sample_fraction));
    }
  }
}

// The samples each hold run keeps of its input and of its output.
std::size_t samples_per_hold_run(const NoiseExperimentSettings& s) {
  return static_cast<std::size_t>(std::floor(s.hold_time / s.hold_sample_step + 1e-9));
}

// Hold runs: the std of (noisy - noise-free) over every sample of every seed.
struct HoldStd {
  double input = kNaN, output = kNaN;
  int seeds = 0;
};

HoldStd hold_std(const NoiseExperimentSettings& s, const Results& results, const std::string& state) {
  const std::size_t hold_samples = samples_per_hold_run(s);
  HoldStd h;
  const auto* clean = find_values(results, "hold/" + state + "/clean");
  if (!clean) return h;
  expect_size(*clean, 2 * hold_samples, "hold/" + state + "/clean");
  std::vector<double> din, dout;
  for (int k = 0; k < s.hold_seeds; ++k) {
    const auto* v = find_values(results, fmt::format("hold/{}/s{}", state, k));
    if (!v) continue;
    expect_size(*v, 2 * hold_samples, "hold seed");
    ++h.seeds;
    for (std::size_t j = 0; j < hold_samples; ++j) {
      din.push_back((*v)[j] - (*clean)[j]);
      dout.push_back((*v)[hold_samples + j] - (*clean)[hold_samples + j]);
    }
  }
  if (h.seeds >= 2) {
    h.input = std_of(din);
    h.output = std_of(dout);
  }
  return h;
}

// Part 2, one stable state: input noise over the threshold margin against output noise over the
// level separation, and the same for the part the input noise causes (the twin runs).
SuppressionRow suppression_row(const NoiseExperimentSettings& s, const NoiseExperimentSetup& setup, const Results& results,
                               const std::string& state, const HoldStd& h) {
  const std::size_t hold_samples = samples_per_hold_run(s);
  SuppressionRow row;
  row.state = state;
  row.input = setup.mid_input;
  row.seeds = h.seeds;
  row.input_std = h.input;
  row.output_std = h.output;
  row.margin = state == "low" ? setup.up_switch - setup.mid_input : setup.mid_input - setup.down_switch;
  row.separation = setup.out_high - setup.out_low;
  row.suppression = (row.input_std / row.margin) / (row.output_std / row.separation);
  // The twins without input noise: per seed, the output's own deviation and the paired
  // differences (with - without input noise) of the input and the output.
  const auto* clean = find_values(results, "hold/" + state + "/clean");
  std::vector<std::vector<double>> own, paired_in, paired_out, with_out;
  for (int k = 0; k < s.hold_seeds; ++k) {
    const auto* with = find_values(results, fmt::format("hold/{}/s{}", state, k));
    const auto* without = find_values(results, fmt::format("hold/{}/cellonly/s{}", state, k));
    if (!with || !without) continue;
    expect_size(*without, 2 * hold_samples, "hold twin");
    std::vector<double> o, pi, po, wo;
    for (std::size_t j = 0; j < hold_samples; ++j) {
      const std::size_t m = hold_samples + j;
      o.push_back((*without)[m] - (*clean)[m]);
      wo.push_back((*with)[m] - (*clean)[m]);
      pi.push_back((*with)[j] - (*without)[j]);
      po.push_back((*with)[m] - (*without)[m]);
    }
    own.push_back(std::move(o));
    with_out.push_back(std::move(wo));
    paired_in.push_back(std::move(pi));
    paired_out.push_back(std::move(po));
  }
  row.twin_seeds = static_cast<int>(own.size());
  if (row.twin_seeds >= 2) {
    row.output_std_own = pooled_std(own);
    row.input_std_attributable = pooled_std(paired_in);
    row.output_std_attributable = pooled_std(paired_out);
    row.output_std_attributable_se = jackknife_se(own.size(), [&](std::size_t i) { return pooled_std(paired_out, i); });
    auto variance_difference = [&](std::size_t skip) {
      const double a = pooled_std(with_out, skip), b = pooled_std(own, skip);
      return a * a - b * b;
    };
    row.output_variance_difference = variance_difference(SIZE_MAX);
    row.output_variance_difference_se = jackknife_se(own.size(), variance_difference);
    row.suppression_attributable =
        (row.input_std_attributable / row.margin) / (row.output_std_attributable / row.separation);
  }
  return row;
}

// Part 3: the flip rate per noise scale and the fit of ln(rate) against 1/scale^2.
void summarize_flips(const NoiseExperimentSettings& s, const Results& results, NoiseExperimentSummary& summary) {
  for (double x : s.flip_scales) {
    FlipRow row;
    row.scale = x;
    for (int k = 0; k < s.flip_seeds; ++k) {
      const auto* v = find_values(results, fmt::format("flip/x{}/s{}", x, k));
      if (!v) continue;
      expect_size(*v, 2, "flip run");
      ++row.runs;
      row.flips += (*v)[0] > 0.5;
      row.exposure += (*v)[1];
    }
    if (row.runs == 0) continue;
    row.rate = row.exposure > 0 ? row.flips / row.exposure : 0.0;
    summary.flips.push_back(row);
  }
  std::vector<double> fx, fy;
  for (const auto& row : summary.flips)
    if (row.flips >= 2) {
      fx.push_back(1.0 / (row.scale * row.scale));
      fy.push_back(std::log(row.rate));
    }
  summary.fit.points = static_cast<int>(fx.size());
  bool distinct = false;
  for (double v : fx) distinct = distinct || v != fx.front();
  if (fx.size() >= 2 && distinct) {
    const LineFit f = fit_line(fx, fy);
    summary.fit.slope = f.slope;
    summary.fit.intercept = f.intercept;
    summary.fit.r_squared = f.r_squared;
  }
  const HoldStd h = hold_std(s, results, "flipin");
  summary.fit.flip_input_std = h.input;
  if (std::isfinite(h.input) && h.input > 0)
    summary.fit.predicted_slope = -s.flip_margin * s.flip_margin / (2 * h.input * h.input);
}

}  // namespace

NoiseExperimentSummary summarize_noise_experiment(const NoiseExperimentSettings& s, const NoiseExperimentSetup& setup,
                                                  const std::map<std::string, NoiseTaskResult>& results) {
  NoiseExperimentSummary summary;
  summarize_accumulation(s, setup, results, summary);
  if (s.suppression) {
    for (const std::string state : {"low", "high"}) {
      const HoldStd h = hold_std(s, results, state);
      if (h.seeds >= 2) summary.suppression.push_back(suppression_row(s, setup, results, state, h));
    }
  }
  if (s.flips) summarize_flips(s, results, summary);
  return summary;
}

}  // namespace picospice::cells
