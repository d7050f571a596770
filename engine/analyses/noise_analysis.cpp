#include "engine/analyses/noise_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <numbers>
#include <string>

#include "engine/small_signal.hpp"

namespace picospice {

double integrate_power_law(double f1, double s1, double f2, double s2) {
  if (!(f2 > f1)) return 0.0;
  if (!(f1 > 0) || !(s1 > 0) || !(s2 > 0)) return 0.5 * (s1 + s2) * (f2 - f1);
  // s(f) = s1 (f/f1)^a integrates to s1 f1 L (e^u - 1)/u with L = ln(f2/f1) and
  // u = (a + 1) L = ln(s2 f2 / (s1 f1)); expm1(u)/u stays exact as u -> 0 (a = -1, pure 1/f).
  const double log_ratio = std::log(f2 / f1);
  const double u = std::log((s2 / s1) * (f2 / f1));
  const double shape = std::fabs(u) < 1e-12 ? 1.0 + 0.5 * u : std::expm1(u) / u;
  return s1 * f1 * log_ratio * shape;
}

namespace {

// One noise generator of one device instance, with its density at the operating point.
struct Generator {
  NoiseSourceSpec spec;
  double density = 0;  // white: A^2/Hz; flicker: A^2/Hz at 1 Hz

  double at(double frequency) const {
    return spec.spectrum == NoiseSourceSpec::Spectrum::Flicker ? density * std::pow(frequency, -spec.exponent)
                                                               : density;
  }
};

// The generators of one instance, for its total (onoise_<instance>).
struct InstanceNoise {
  std::string instance;
  std::vector<std::size_t> generators;
};

// Asks every group for its physical noise generators (flicker included, as ngspice's .noise) at x.
std::vector<Generator> list_generators(Circuit& circuit, const std::vector<double>& x) {
  NoiseSetup setup;
  setup.device_noise = true;
  setup.flicker = true;
  setup.seed = circuit.options.noise.seed;  // TRNOISE sources keep their seed; they add no .noise
  std::vector<Generator> out;
  std::vector<NoiseSourceSpec> specs;
  for (auto& group : circuit.groups) {
    specs.clear();
    group->list_noise_sources(setup, specs);
    for (std::size_t local = 0; local < specs.size(); ++local) {
      const double density = group->noise_density(local, x.data());
      if (!std::isfinite(density) || density < 0)
        throw SimulationError(fmt::format(".noise: the noise density of '{}' ({}) is {} at the operating point",
                                          specs[local].instance, specs[local].label, density));
      out.push_back({specs[local], density});
    }
  }
  return out;
}

std::vector<InstanceNoise> group_by_instance(const std::vector<Generator>& generators) {
  std::vector<InstanceNoise> out;
  std::map<std::string, std::size_t> index;
  for (std::size_t g = 0; g < generators.size(); ++g) {
    const std::string& name = generators[g].spec.instance;
    auto [it, added] = index.emplace(name, out.size());
    if (added) out.push_back({name, {}});
    out[it->second].generators.push_back(g);
  }
  return out;
}

std::string generator_name(const Generator& g) {
  return g.spec.label.empty() ? g.spec.instance : g.spec.instance + "_" + g.spec.label;
}

// Running integral of a density over the sweep's frequencies.
class SweepIntegral {
 public:
  void add(double frequency, double density) {
    if (started_) sum_ += integrate_power_law(frequency_, density_, frequency, density);
    frequency_ = frequency;
    density_ = density;
    started_ = true;
  }
  double value() const { return sum_; }

 private:
  double frequency_ = 0, density_ = 0, sum_ = 0;
  bool started_ = false;
};

struct NoiseLayouts {
  Plot density, integrated;
};

NoiseLayouts make_layouts(const Circuit& circuit, const NoiseSpec& spec, const std::vector<Generator>& generators,
                          const std::vector<InstanceNoise>& instances, bool current_input) {
  const bool detail = spec.points_per_summary > 0;
  const std::string input_density = current_input ? "current-density" : "voltage-density";
  const std::string input_type = current_input ? "current" : "voltage";
  const std::string input_letter = current_input ? "i(" : "v(";
  NoiseLayouts l;
  l.density.title = l.integrated.title = circuit.title;
  l.density.name = "Noise Spectral Density Curves";
  l.integrated.name = "Integrated Noise";
  l.density.analysis = l.integrated.analysis = "noise";
  l.density.signals.emplace_back("frequency", "frequency");
  // ngspice marks a logarithmic frequency scale so that plotting programs use a log axis.
  if (spec.sweep.kind != FrequencySweep::Kind::Linear) l.density.signals[0].attributes = "grid=3";
  auto add_integrated = [&](const std::string& suffix) {
    l.integrated.signals.emplace_back("v(onoise_total" + suffix + ")", "voltage");
    l.integrated.signals.emplace_back(input_letter + "inoise_total" + suffix + ")", input_type);
  };
  if (detail) {
    for (const InstanceNoise& instance : instances) {
      for (std::size_t g : instance.generators) {
        l.density.signals.emplace_back("onoise_" + generator_name(generators[g]), "voltage-density");
        add_integrated("_" + generator_name(generators[g]));
      }
      l.density.signals.emplace_back("onoise_" + instance.instance, "voltage-density");
      add_integrated("_" + instance.instance);
    }
  }
  l.density.signals.emplace_back("onoise_spectrum", "voltage-density");
  l.density.signals.emplace_back("inoise_spectrum", input_density);
  add_integrated("");
  return l;
}

bool is_current_source(const std::string& instance) {
  const auto dot = instance.rfind('.');
  return instance[dot == std::string::npos ? 0 : dot + 1] == 'i';
}

// ngspice's floor on the squared gain (N_MINGAIN), so that an output the source does not reach
// gives a large, finite input-referred noise.
constexpr double kMinimumGainSquared = 1e-20;

}  // namespace

void run_noise(System& system, const NoiseSpec& spec, PlotSink& sink, SmallSignalStatistics* statistics) {
  if (!(spec.sweep.start > 0))
    throw SimulationError(".noise needs a start frequency above 0 Hz (flicker noise has no value at 0 Hz)");
  const std::vector<double> frequencies = frequency_grid(spec.sweep);
  std::vector<double> x;
  small_signal_operating_point(system, x, statistics);
  SmallSignalModel model(system, x);
  const ComplexVector excitation = model.excitation({spec.source});
  Circuit& circuit = system.circuit();
  const std::vector<Generator> generators = list_generators(circuit, x);
  const std::vector<InstanceNoise> instances = group_by_instance(generators);
  const NoiseLayouts layouts = make_layouts(circuit, spec, generators, instances, is_current_source(spec.source));
  const bool detail = spec.points_per_summary > 0;

  // Integrals of each generator's output and input-referred density.
  std::vector<SweepIntegral> output_integral(generators.size()), input_integral(generators.size());
  std::vector<double> output_density(generators.size());
  ComplexVector gain_solution, adjoint;
  std::vector<double> row;
  sink.begin_plot(layouts.density);
  for (std::size_t k = 0; k < frequencies.size(); ++k) {
    const double f = frequencies[k];
    model.factor(2 * std::numbers::pi * f);
    gain_solution = excitation;
    model.solve(gain_solution);
    const double gain_squared =
        std::max(std::norm(gain_solution[spec.output.node] - gain_solution[spec.output.reference]), kMinimumGainSquared);
    adjoint.assign(excitation.size(), 0.0);
    adjoint[spec.output.node] += 1.0;
    adjoint[spec.output.reference] -= 1.0;
    adjoint[0] = 0.0;
    model.solve_transposed(adjoint);
    double total = 0;
    for (std::size_t g = 0; g < generators.size(); ++g) {
      const NoiseSourceSpec& s = generators[g].spec;
      output_density[g] = std::norm(adjoint[s.to] - adjoint[s.from]) * generators[g].at(f);
      total += output_density[g];
      output_integral[g].add(f, output_density[g]);
      input_integral[g].add(f, output_density[g] / gain_squared);
    }
    if (detail && k % static_cast<std::size_t>(spec.points_per_summary) != 0) continue;
    row.assign(1, f);
    if (detail) {
      for (const InstanceNoise& instance : instances) {
        double sum = 0;
        for (std::size_t g : instance.generators) {
          row.push_back(std::sqrt(output_density[g]));
          sum += output_density[g];
        }
        row.push_back(std::sqrt(sum));
      }
    }
    row.push_back(std::sqrt(total));
    row.push_back(std::sqrt(total / gain_squared));
    sink.add_point(row);
  }
  sink.end_plot();

  sink.begin_plot(layouts.integrated);
  row.clear();
  double output_total = 0, input_total = 0;
  for (const InstanceNoise& instance : instances) {
    double output_sum = 0, input_sum = 0;
    for (std::size_t g : instance.generators) {
      if (detail) {
        row.push_back(std::sqrt(output_integral[g].value()));
        row.push_back(std::sqrt(input_integral[g].value()));
      }
      output_sum += output_integral[g].value();
      input_sum += input_integral[g].value();
    }
    if (detail) {
      row.push_back(std::sqrt(output_sum));
      row.push_back(std::sqrt(input_sum));
    }
    output_total += output_sum;
    input_total += input_sum;
  }
  row.push_back(std::sqrt(output_total));
  row.push_back(std::sqrt(input_total));
  sink.add_point(row);
  sink.end_plot();
  if (statistics) {
    statistics->full_factorizations += model.full_factorizations();
    statistics->refactorizations += model.refactorizations();
  }
}

std::vector<Plot> run_noise(System& system, const NoiseSpec& spec, SmallSignalStatistics* statistics) {
  PlotRecorder recorder;
  run_noise(system, spec, recorder, statistics);
  return std::move(recorder.plots());
}

}  // namespace picospice
