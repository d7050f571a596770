#include "engine/monte_carlo/sample_runner.hpp"

#include <fmt/format.h>

#include <cmath>

#include "engine/circuit_clone.hpp"
#include "engine/noise/transient_noise.hpp"

namespace picospice {

namespace {

std::string analysis_label(const AnalysisSpec& spec) {
  if (std::holds_alternative<OpSpec>(spec)) return "op";
  if (std::holds_alternative<DcSpec>(spec)) return "dc";
  if (std::holds_alternative<AcSpec>(spec)) return "ac";
  if (std::holds_alternative<NoiseSpec>(spec)) return "noise";
  if (std::holds_alternative<TfSpec>(spec)) return "tf";
  return "tran";
}

// One line of text: CSV rows hold one status each, so messages lose their line breaks.
std::string single_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

MonteCarloStudy::MonteCarloStudy(std::unique_ptr<Circuit> nominal, MonteCarloSetup setup)
    : nominal_(std::move(nominal)), setup_(std::move(setup)),
      // `.options mc_*` fill in what the flags left unset, before the plan reads the coefficients.
      plan_((read_mismatch_options(*nominal_, setup_.mismatch), *nominal_), setup_.mismatch) {
  if (nominal_->measures.empty())
    throw SimulationError(nominal_->source_file +
                          ": no .measure lines: Monte Carlo records each sample's .measure values, so add at "
                          "least one (e.g. `.meas dc iout find i(vout) at=0.5`)");
  // Parse every .measure now: a malformed one is a netlist error, not a failure of each sample.
  std::map<std::string, int> runs_of;
  for (const auto& a : nominal_->analyses) ++runs_of[analysis_label(a)];
  for (const auto& spec : nominal_->measures) {
    const Measurement m = parse_measure(spec);
    const int count = std::max(1, runs_of[m.analysis]);
    for (int k = 1; k <= count; ++k) columns_.push_back(k == 1 ? m.name : m.name + "_" + std::to_string(k));
  }
  // Each source setting must name an independent source; try it on a throwaway copy.
  auto probe = clone_circuit(*nominal_);
  for (const auto& s : setup_.sources)
    if (!probe->set_instance_param(s.source, "dc", s.value))
      throw SimulationError(fmt::format("--set {}={}: '{}' is not an independent source of {}", s.source, s.value,
                                        s.source, nominal_->source_file));
  for (double t : setup_.temperatures)
    if (!std::isfinite(t) || t <= -physics::zero_celsius)
      throw SimulationError(fmt::format("--temps: {} C is below absolute zero", t));
}

SampleRunner::SampleRunner(const MonteCarloStudy& study)
    : study_(study),
      circuit_(clone_circuit_for_worker(study.nominal())),
      analyses_(*circuit_),
      nominal_temperature_(study.nominal().options.temp) {}

SampleResult SampleRunner::run(std::uint64_t sample) {
  SampleResult result;
  result.index = sample;
  const auto& columns = study_.columns();
  result.values.assign(columns.size(), std::nullopt);
  try {
    // Everything a sample changes is set absolutely, so a worker's previous sample leaves no trace.
    const double temperature = study_.cycles_temperature() ? study_.temperature_of(sample) : nominal_temperature_;
    if (study_.cycles_temperature()) result.temperature = temperature;
    circuit_->set_temperature(temperature);
    for (const auto& s : study_.setup().sources) circuit_->set_instance_param(s.source, "dc", s.value);
    MismatchPlan::apply(*circuit_, study_.plan().draw(study_.setup().seed, sample));
    // Transient noise: each sample its own seed, from the study's seed and the sample index.
    circuit_->options.noise.seed =
        noise::sample_noise_seed(study_.setup().seed, study_.nominal().options.noise.seed, sample);

    const std::vector<Plot> plots = analyses_.run();
    std::vector<std::string> failures;
    for (const auto& r : evaluate_measures(circuit_->measures, plots)) {
      std::size_t column = 0;
      while (column < columns.size() && columns[column] != r.name) ++column;
      if (column == columns.size()) continue;
      if (r.ok && std::isfinite(r.value)) result.values[column] = r.value;
      else failures.push_back(r.name + ": " + (r.ok ? "not finite" : r.failure));
    }
    if (!failures.empty()) {
      result.status = "measure ";
      for (std::size_t k = 0; k < failures.size(); ++k) result.status += (k ? "; " : "") + failures[k];
    }
  } catch (const std::exception& e) {
    result.status = "simulation failed: " + std::string(e.what());
  }
  result.status = single_line(result.status);
  return result;
}

}  // namespace picospice
