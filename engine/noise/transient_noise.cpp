#include "engine/noise/transient_noise.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/counter_rng.hpp"
#include "devices/noise/noise_address.hpp"

namespace picospice {

std::uint64_t TransientNoise::stream_of(const std::string& instance, int generator, int part) {
  return noise::noise_stream(instance, generator, part);
}

TransientNoise::TransientNoise(Circuit& circuit) : options_(circuit.options.noise) {
  for (const char* name : {"trannoise", "noisefmax", "noisetstep", "noiseseed", "noisescale", "noiseinterp",
                           "noiseflicker"})
    if (circuit.extra_options.count(name)) any_noise_option_ = true;
  if (options_.enabled) {
    step_ = options_.grid_step();
    if (!(step_ > 0) || !std::isfinite(step_))
      throw SimulationError(".options trannoise=1 needs noisefmax=F (grid step 1/(2F)) or noisetstep=T");
  }
  NoiseSetup setup;
  setup.device_noise = options_.enabled;
  setup.flicker = options_.enabled && options_.flicker;
  setup.seed = options_.seed;
  std::vector<NoiseSourceSpec> specs;
  for (auto& group : circuit.groups) {
    specs.clear();
    group->list_noise_sources(setup, specs);
    if (!options_.enabled) continue;  // TRNOISE sources took the seed; nothing to inject
    for (std::size_t local = 0; local < specs.size(); ++local) {
      Source source;
      source.spec = specs[local];
      source.group = group.get();
      source.local = local;
      source.stream = stream_of(source.spec.instance, source.spec.generator);
      if (source.spec.spectrum == NoiseSourceSpec::Spectrum::Flicker) {
        const double exponent = source.spec.exponent;
        if (!(exponent > 0 && exponent < 2))
          throw SimulationError(fmt::format("flicker noise of '{}': exponent AF = {} is outside (0, 2)",
                                            source.spec.instance, exponent));
        for (std::size_t b = 0; b < banks_.size(); ++b)
          if (banks_[b].exponent() == exponent) source.bank = static_cast<int>(b);
        if (source.bank < 0) {
          banks_.emplace_back(step_, exponent, 0.5 / step_);
          source.bank = static_cast<int>(banks_.size()) - 1;
        }
        const int poles = banks_[source.bank].count();
        for (int j = 0; j < poles; ++j)
          source.pole_streams.push_back(stream_of(source.spec.instance, source.spec.generator, 1 + j));
        source.pole_state.assign(poles, 0.0);
      }
      sources_.push_back(std::move(source));
    }
  }
}

double TransientNoise::flicker_sum(Source& source, std::int64_t k) {
  const noise::FlickerPoles& bank = banks_[source.bank];
  const std::uint64_t seed = options_.seed;
  while (source.pole_index < k) {
    const std::int64_t next = source.pole_index + 1;
    for (int j = 0; j < bank.count(); ++j) {
      const double xi = random::unit_normal(seed, source.pole_streams[j], static_cast<std::uint64_t>(next));
      source.pole_state[j] = next == 0 ? bank.deviation(j) * xi
                                       : bank.rho(j) * source.pole_state[j] + bank.drive(j) * xi;
    }
    source.pole_index = next;
  }
  double sum = 0.0;
  for (double u : source.pole_state) sum += u;
  return sum;
}

// Sample k of a generator whose density (A^2/Hz; flicker: at 1 Hz) is `density`.
double TransientNoise::draw(Source& source, double density, std::int64_t k) {
  const double amplitude = options_.scale * std::sqrt(std::fmax(density, 0.0));
  if (source.spec.spectrum == NoiseSourceSpec::Spectrum::Flicker) return amplitude * flicker_sum(source, k);
  const double xi = random::unit_normal(options_.seed, source.stream, static_cast<std::uint64_t>(k));
  return amplitude * xi / std::sqrt(2.0 * step_);
}

void TransientNoise::advance(std::int64_t k, const double* x) {
  if (k <= k_) throw std::logic_error("TransientNoise::advance: grid index went backwards");
  for (std::int64_t index = k_ + 1; index <= k; ++index) {
    for (auto& source : sources_) {
      const double density = source.group->noise_density(source.local, x);
      if (options_.hold) {
        source.low = source.high = draw(source, density, index);
      } else {
        source.low = index == 0 ? draw(source, density, 0) : source.high;
        source.high = draw(source, density, index + 1);
      }
    }
    k_ = index;
  }
}

void TransientNoise::inject(EvalRequest& request) const {
  if (sources_.empty() || k_ < 0) return;
  double fraction = (request.time - grid_time(k_)) / step_;
  fraction = std::fmin(std::fmax(fraction, 0.0), 1.0);
  for (const auto& source : sources_) {
    const double current = options_.hold ? source.low : source.low + fraction * (source.high - source.low);
    request.add_current(source.spec.from, source.spec.to, current);
  }
}

std::vector<std::string> TransientNoise::header_notes() const {
  if (!options_.enabled && !any_noise_option_) return {};
  std::vector<std::string> notes;
  notes.push_back(fmt::format("Option: trannoise={}", options_.enabled ? 1 : 0));
  notes.push_back(fmt::format("Option: noiseseed={}", options_.seed));
  if (options_.enabled) {
    notes.push_back(fmt::format("Option: noisetstep={}", step_));
    notes.push_back(fmt::format("Option: noisescale={}", options_.scale));
    notes.push_back(fmt::format("Option: noiseinterp={}", options_.hold ? "hold" : "linear"));
    notes.push_back(fmt::format("Option: noiseflicker={}", options_.flicker ? 1 : 0));
  }
  return notes;
}

namespace noise {
std::uint64_t sample_noise_seed(std::uint64_t mc_seed, std::uint64_t netlist_seed, std::uint64_t sample) {
  return random::splitmix64(random::mix_stream(sample, random::splitmix64(mc_seed) ^ netlist_seed) ^
                            0x6e6f697365ull);  // "noise": keeps it apart from the mismatch streams
}
}  // namespace noise

}  // namespace picospice
