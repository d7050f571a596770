#include "engine/monte_carlo/mismatch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "base/counter_rng.hpp"
#include "base/numbers.hpp"

namespace picospice {

namespace {

std::optional<double> option_number(const Circuit& circuit, const std::string& name) {
  auto it = circuit.extra_options.find(name);
  if (it == circuit.extra_options.end()) return std::nullopt;
  double value = 0;
  if (!try_parse_number(it->second, value) || !std::isfinite(value) || value < 0)
    throw SimulationError(fmt::format(".options {}={}: expected a non-negative number", name, it->second));
  return value;
}

// `.options mc_process_sigma_<suffix>` names the parameter it shifts.
constexpr std::pair<const char*, const char*> kProcessOptions[] = {{"mc_process_sigma_vt", "dvto"},
                                                                    {"mc_process_sigma_kp", "dkp"}};

}  // namespace

void read_mismatch_options(const Circuit& circuit, MismatchSettings& settings) {
  for (const auto& [name, value] : circuit.extra_options) {
    if (name.rfind("mc_", 0) != 0 || name.rfind("mc_process_sigma_", 0) == 0) continue;
    const std::string coefficient = name.substr(3);
    if (!settings.coefficients.count(coefficient)) settings.coefficients[coefficient] = *option_number(circuit, name);
  }
  for (const auto& [option, parameter] : kProcessOptions)
    if (!settings.process_sigma.count(parameter))
      if (auto value = option_number(circuit, option)) settings.process_sigma[parameter] = *value;
}

MismatchPlan::MismatchPlan(const Circuit& nominal, const MismatchSettings& settings) : settings_(settings) {
  std::vector<MismatchParameter> declared;
  for (const auto& group : nominal.groups) group->list_mismatch_parameters(declared);
  for (auto& p : declared) {
    Parameter parameter;
    parameter.name_hash = random::fnv1a64(p.instance);
    auto override_it = settings.coefficients.find(p.coefficient);
    if (override_it != settings.coefficients.end()) p.coefficient_value = override_it->second;
    parameter.sigma = p.sigma();
    parameter.declared = std::move(p);
    parameters_.push_back(std::move(parameter));
  }
}

const MismatchPlan::Parameter* MismatchPlan::find(const std::string& instance, const std::string& parameter) const {
  for (const auto& p : parameters_)
    if (p.declared.instance == instance && p.declared.parameter == parameter) return &p;
  return nullptr;
}

std::vector<MismatchDraw> MismatchPlan::draw(std::uint64_t seed, std::uint64_t sample) const {
  // One global process shift per (process group, parameter) and sample, zero unless asked for.
  std::map<std::pair<std::string, std::string>, double> process_shift;
  auto shift_of = [&](const MismatchParameter& p) {
    auto sigma = settings_.process_sigma.find(p.parameter);
    if (p.process_group.empty() || sigma == settings_.process_sigma.end() || sigma->second <= 0) return 0.0;
    auto [it, inserted] = process_shift.emplace(std::make_pair(p.process_group, p.parameter), 0.0);
    if (inserted) {
      const std::uint64_t stream = random::mix_stream(sample, random::fnv1a64("process:" + p.process_group));
      it->second = sigma->second * random::unit_normal(seed, stream, static_cast<std::uint64_t>(p.counter));
    }
    return it->second;
  };
  std::vector<MismatchDraw> draws;
  draws.reserve(parameters_.size());
  for (const auto& parameter : parameters_) {
    const MismatchParameter& p = parameter.declared;
    const std::uint64_t stream = random::mix_stream(sample, parameter.name_hash);
    const double value = p.nominal + shift_of(p) +
                         parameter.sigma * random::unit_normal(seed, stream, static_cast<std::uint64_t>(p.counter));
    draws.push_back({p.instance, p.parameter, std::max(value, p.lowest)});
  }
  return draws;
}

void MismatchPlan::apply(Circuit& circuit, const std::vector<MismatchDraw>& draws) {
  for (const auto& d : draws)
    if (!circuit.set_instance_param(d.instance, d.parameter, d.value))
      throw SimulationError("Monte Carlo: cannot set " + d.parameter + " of '" + d.instance + "'");
}

}  // namespace picospice
