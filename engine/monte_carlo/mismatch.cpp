#include "engine/monte_carlo/mismatch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "devices/ekv/ekv_mosfet.hpp"
#include "base/counter_rng.hpp"
#include "base/numbers.hpp"

namespace picospice {

namespace {

constexpr std::uint64_t kCounterVt = 0;
constexpr std::uint64_t kCounterKp = 1;
constexpr double kSmallestRelativeKp = -0.9;

std::optional<double> option_number(const Circuit& circuit, const std::string& name) {
  auto it = circuit.extra_options.find(name);
  if (it == circuit.extra_options.end()) return std::nullopt;
  double value = 0;
  if (!try_parse_number(it->second, value) || !std::isfinite(value) || value < 0)
    throw SimulationError(fmt::format(".options {}={}: expected a non-negative number", name, it->second));
  return value;
}

}  // namespace

void read_mismatch_options(const Circuit& circuit, MismatchSettings& settings) {
  if (!settings.avto) settings.avto = option_number(circuit, "mc_avto");
  if (!settings.akp) settings.akp = option_number(circuit, "mc_akp");
  if (settings.process_sigma_vt == 0)
    settings.process_sigma_vt = option_number(circuit, "mc_process_sigma_vt").value_or(0.0);
  if (settings.process_sigma_kp == 0)
    settings.process_sigma_kp = option_number(circuit, "mc_process_sigma_kp").value_or(0.0);
}

MismatchPlan::MismatchPlan(const Circuit& nominal, const MismatchSettings& settings) : settings_(settings) {
  for (const auto& group : nominal.groups) {
    const auto* mosfets = dynamic_cast<const EkvMosfetGroup*>(group.get());
    if (!mosfets) continue;
    for (std::size_t i = 0; i < mosfets->size(); ++i) {
      const auto& model = mosfets->instance_model(i);
      const auto params = mosfets->instance_params(i);
      const double root_area = std::sqrt(params.w * params.l * params.m);
      Instance instance;
      instance.name = mosfets->instance_name(i);
      instance.name_hash = random::fnv1a64(instance.name);
      instance.polarity = model.polarity;
      instance.base_dvto = params.dvto;
      instance.base_dkp = params.dkp;
      instance.sigma_vt = settings.avto.value_or(model.avto) / root_area;
      instance.sigma_kp = settings.akp.value_or(model.akp) / root_area;
      instances_.push_back(std::move(instance));
    }
  }
}

std::vector<MismatchDraw> MismatchPlan::draw(std::uint64_t seed, std::uint64_t sample) const {
  // One global process shift per polarity and sample (zero unless asked for).
  double process_vt[2] = {0, 0}, process_kp[2] = {0, 0};
  const char* process_names[2] = {"process:nmos", "process:pmos"};
  for (int p = 0; p < 2; ++p) {
    const std::uint64_t stream = random::mix_stream(sample, random::fnv1a64(process_names[p]));
    if (settings_.process_sigma_vt > 0)
      process_vt[p] = settings_.process_sigma_vt * random::unit_normal(seed, stream, kCounterVt);
    if (settings_.process_sigma_kp > 0)
      process_kp[p] = settings_.process_sigma_kp * random::unit_normal(seed, stream, kCounterKp);
  }
  std::vector<MismatchDraw> draws;
  draws.reserve(instances_.size());
  for (const auto& instance : instances_) {
    const std::uint64_t stream = random::mix_stream(sample, instance.name_hash);
    const int p = instance.polarity > 0 ? 0 : 1;
    const double dvto = instance.base_dvto + process_vt[p] +
                        instance.sigma_vt * random::unit_normal(seed, stream, kCounterVt);
    const double dkp = instance.base_dkp + process_kp[p] +
                       instance.sigma_kp * random::unit_normal(seed, stream, kCounterKp);
    draws.push_back({instance.name, dvto, std::max(dkp, kSmallestRelativeKp)});
  }
  return draws;
}

void MismatchPlan::apply(Circuit& circuit, const std::vector<MismatchDraw>& draws) {
  auto* group = circuit.find_group("ekv_mosfet");
  for (const auto& d : draws) {
    if (!group || !group->set_instance_param(d.instance, "dvto", d.dvto) ||
        !group->set_instance_param(d.instance, "dkp", d.dkp))
      throw SimulationError("Monte Carlo: cannot set DVTO/DKP of MOSFET '" + d.instance + "'");
  }
}

}  // namespace picospice
