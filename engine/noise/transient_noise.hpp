// Transient device noise (docs/requirements.md, 'Transient noise'): noise currents in parallel with
// noisy devices, sampled on a fixed time grid k*NT and injected into the transient's residual as
// known currents.
//
// How it works (and why each rule holds):
//  - The grid step is NT = 1/(2 noisefmax) unless noisetstep is given. The transient lands on every
//    grid time (without restarting its integration order) and never steps further than NT, so each
//    step lies inside one grid interval (kNT, (k+1)NT].
//  - Each generator (an instance's thermal, shot or flicker source) has a random address: the
//    stream mix_stream(generator index, FNV-1a hash of the hierarchical instance name), keyed by the
//    noise seed, counter k. Its k-th unit normal is a pure function of (seed, name, generator, k)
//    (Philox, base/counter_rng.hpp): no dependence on step sizes, rejected steps,
//    threads, or other devices.
//  - A white generator of one-sided density S has samples of variance S/(2 NT) (times noisescale^2):
//    a held sample of that variance has density 2 NT var = S at low frequency.
//  - advance(k, x) is called once per grid time k*NT, with the accepted solution there (k = 0 with
//    the initial operating point). It evaluates each density at x and draws:
//      linear (default): sample k+1 with the density at k*NT, so that on (kNT, (k+1)NT] the
//                        current is interpolated between samples k and k+1. Sample k+1's density is
//                        therefore the one at k*NT, one grid step old: a documented lag of NT.
//                        (Sample 0 uses the density at t = 0.)
//      hold:             sample k with the density at k*NT, held over (kNT, (k+1)NT].
//    Rejected steps re-evaluate inject() at other times in the same interval and draw nothing.
//  - Linear interpolation low-pass filters the sample train with a triangle of width 2 NT (density
//    S * sinc^4(f NT) at low frequency S). A first-order RC then has, at the grid times, the
//    variance kT/C * (a^2 + b^2 + 2 e a b) / ((1 - e^2) NT RC / 2) with e = exp(-NT/RC) and a, b the
//    weights of samples k and k+1 in the exact step response; about 1 - NT/(2 RC): 0.995 at
//    NT = RC/100, the test case of docs/requirements.md, 'Statistical validation'. Hold gives
//    0.99999 there.
//  - Flicker generators are sums of single-pole processes (devices/noise/flicker_poles.hpp), whose
//    per-pole normals use the same addressing with a part index; the sum is scaled by the square
//    root of the flicker density coefficient at the grid time.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/circuit.hpp"
#include "devices/noise/flicker_poles.hpp"

namespace picospice {

class TransientNoise {
 public:
  // Asks every group for its noise generators (always, so TRNOISE sources learn the seed; device
  // generators only when `.options trannoise=1`). Throws SimulationError when trannoise is on
  // without noisefmax or noisetstep.
  explicit TransientNoise(Circuit& circuit);

  bool active() const { return !sources_.empty(); }   // any device generator to inject
  double grid_step() const { return step_; }           // NT, s (0 when trannoise is off)
  std::int64_t grid_index() const { return k_; }       // the last k advanced to, -1 before
  // The grid time of index k, computed as k * NT (never accumulated).
  double grid_time(std::int64_t k) const { return static_cast<double>(k) * step_; }

  // At grid time k*NT with accepted unknowns x: densities and new samples (see the file comment).
  // k must follow the previous call by one (or be 0 first); a gap is filled with the same x.
  void advance(std::int64_t k, const double* x);
  // Adds every generator's current at request.time to the residual.
  void inject(EvalRequest& request) const;

  std::size_t size() const { return sources_.size(); }
  const NoiseSourceSpec& spec(std::size_t s) const { return sources_[s].spec; }
  // The current of generator s at the start and end of the present grid interval (equal for hold).
  double sample_low(std::size_t s) const { return sources_[s].low; }
  double sample_high(std::size_t s) const { return sources_[s].high; }

  // Output header lines, in the `Option: name=value` form ngspice's `load` reads.
  std::vector<std::string> header_notes() const;

  // The random address of part `part` (0 white, 1 + j for flicker pole j) of a generator.
  static std::uint64_t stream_of(const std::string& instance, int generator, int part = 0);

 private:
  struct Source {
    NoiseSourceSpec spec;
    DeviceGroup* group = nullptr;
    std::size_t local = 0;          // the index the group gave it
    std::uint64_t stream = 0;       // white part
    int bank = -1;                  // flicker: index into banks_
    std::vector<std::uint64_t> pole_streams;
    std::vector<double> pole_state; // flicker: each pole's value at grid index pole_index
    std::int64_t pole_index = -1;
    double low = 0.0, high = 0.0;
  };
  double flicker_sum(Source& source, std::int64_t k);  // advances the poles to index k
  double draw(Source& source, double density, std::int64_t k);

  TransientNoiseOptions options_;
  bool any_noise_option_ = false;
  double step_ = 0.0;
  std::int64_t k_ = -1;
  std::vector<Source> sources_;
  std::vector<noise::FlickerPoles> banks_;
};

// The device group the transient adds while it runs: its evaluate() injects the noise currents.
// It owns no unknowns or matrix entries and is linear (a known current).
class NoiseInjectionGroup final : public DeviceGroup {
 public:
  explicit NoiseInjectionGroup(const TransientNoise& noise) : noise_(&noise) {}
  std::string_view type_name() const override { return "transient_noise"; }
  std::size_t size() const override { return noise_->size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<NoiseInjectionGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder&) override { card.fail("not an element"); }
  void bind_slots(SlotBinder&) override {}
  void evaluate(EvalRequest& request) override { noise_->inject(request); }
  void list_dc_connections(std::vector<DcConnection>&) const override {}
  bool is_linear() const override { return true; }

 private:
  const TransientNoise* noise_;
};

namespace noise {
// The noise seed of Monte Carlo sample `sample`: a pure function of the study's seed, the
// netlist's noiseseed and the sample index, so samples are independent and reproducible.
std::uint64_t sample_noise_seed(std::uint64_t mc_seed, std::uint64_t netlist_seed, std::uint64_t sample);
}  // namespace noise

}  // namespace picospice
