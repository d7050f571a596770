// The per-sample work of a Monte Carlo sweep, and the study it belongs to.
//
// MonteCarloStudy holds what every sample shares and nobody changes: the nominal circuit (parsed
// and elaborated once), the mismatch plan, the measure columns, temperatures and source settings.
// SampleRunner is one worker's private state: a clone of the circuit, and a System (sparsity
// pattern, KLU symbolic and numeric factorization) reused for every .op and .tran of every sample
// it runs (reused_system_runner.hpp); only parameter values change between samples.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/analyses/measure.hpp"
#include "engine/monte_carlo/mismatch.hpp"
#include "engine/monte_carlo/reused_system_runner.hpp"
#include "engine/monte_carlo/sample_result.hpp"

namespace picospice {

struct SourceSetting {
  std::string source;  // instance name, lower case ("v1", "x1.vbias")
  double value = 0.0;  // its new DC value
};

struct MonteCarloSetup {
  std::uint64_t seed = 1;
  MismatchSettings mismatch;
  // Sample k runs at temperatures[k % size()] (C); empty keeps the netlist's temperature.
  std::vector<double> temperatures;
  std::vector<SourceSetting> sources;
};

class MonteCarloStudy {
 public:
  // Checks everything that could fail the same way for every sample (malformed .measure lines,
  // unknown sources in `sources`) and throws NetlistError / SimulationError with a clear message.
  MonteCarloStudy(std::unique_ptr<Circuit> nominal, MonteCarloSetup setup);

  const Circuit& nominal() const { return *nominal_; }
  const MonteCarloSetup& setup() const { return setup_; }
  const MismatchPlan& plan() const { return plan_; }
  // The measure columns, in CSV order (names as evaluate_measures reports them).
  const std::vector<std::string>& columns() const { return columns_; }
  bool cycles_temperature() const { return !setup_.temperatures.empty(); }
  double temperature_of(std::uint64_t sample) const {
    return setup_.temperatures[sample % setup_.temperatures.size()];
  }

 private:
  std::unique_ptr<Circuit> nominal_;
  MonteCarloSetup setup_;
  MismatchPlan plan_;
  std::vector<std::string> columns_;
};

class SampleRunner {
 public:
  explicit SampleRunner(const MonteCarloStudy& study);
  // Runs every analysis of the netlist for sample k and evaluates the measures. Never throws for
  // a simulation failure: the result's status says what went wrong.
  SampleResult run(std::uint64_t sample);
  // The circuit as the last sample left it (draws applied), e.g. to inspect it.
  const Circuit& circuit() const { return *circuit_; }

 private:
  const MonteCarloStudy& study_;
  std::unique_ptr<Circuit> circuit_;
  ReusedSystemRunner analyses_;  // of *circuit_, kept for the worker's lifetime
  double nominal_temperature_ = 27.0;
};

}  // namespace picospice
