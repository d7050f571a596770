// Pelgrom mismatch draws for every EKV MOSFET of a circuit (DESIGN.md section 3).
//
// Per sample k and instance with hierarchical name n (W, L, M from its line, AVTO, AKP from its
// model card, or the global overrides):
//     dVTO    = DVTO_netlist + AVTO/sqrt(W L M) * z(seed, k, n, counter 0)
//     dKP/KP  = DKP_netlist  + AKP /sqrt(W L M) * z(seed, k, n, counter 1)
// plus, when asked, one process shift per sample shared by all NMOS (stream "process:nmos") and
// one shared by all PMOS ("process:pmos"): sigma_vt * z(counter 0), sigma_kp * z(counter 1).
// z is random::unit_normal at stream mix_stream(k, fnv1a64(n)): a pure function of the address.
//
// The relative KP change is clamped at -0.9 so that a huge AKP cannot make KP negative; with
// realistic coefficients (a few percent) the clamp never acts.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/circuit.hpp"

namespace picospice {

struct MismatchSettings {
  std::optional<double> avto;  // V*m: replaces every model's AVTO when set
  std::optional<double> akp;   // m: replaces every model's AKP when set
  double process_sigma_vt = 0.0;  // V: sigma of the per-sample global threshold shift
  double process_sigma_kp = 0.0;  // relative: sigma of the per-sample global KP change
};

// Reads `.options mc_avto=... mc_akp=... mc_process_sigma_vt=... mc_process_sigma_kp=...` from
// the circuit's extra options into `settings`, leaving values already set (by flags) alone.
// Throws SimulationError for a value that is not a non-negative number.
void read_mismatch_options(const Circuit& circuit, MismatchSettings& settings);

// One instance's values for one sample.
struct MismatchDraw {
  std::string instance;  // hierarchical name, lower case
  double dvto = 0.0;     // V, total (netlist base + draw)
  double dkp = 0.0;      // relative, total
};

// The mismatch recipe of one circuit, read once from the nominal (unperturbed) circuit.
class MismatchPlan {
 public:
  MismatchPlan(const Circuit& nominal, const MismatchSettings& settings);

  std::size_t size() const { return instances_.size(); }
  // Every MOSFET's values for sample `sample` under `seed`, in the circuit's instance order.
  std::vector<MismatchDraw> draw(std::uint64_t seed, std::uint64_t sample) const;
  // Writes draws into a circuit (a clone of the nominal one) through set_instance_param.
  static void apply(Circuit& circuit, const std::vector<MismatchDraw>& draws);

  struct Instance {
    std::string name;
    std::uint64_t name_hash = 0;
    int polarity = 1;            // +1 NMOS, -1 PMOS
    double base_dvto = 0.0, base_dkp = 0.0;
    double sigma_vt = 0.0, sigma_kp = 0.0;
  };
  const std::vector<Instance>& instances() const { return instances_; }

 private:
  std::vector<Instance> instances_;
  MismatchSettings settings_;
};

}  // namespace picospice
