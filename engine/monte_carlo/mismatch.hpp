// Pelgrom mismatch draws for every device parameter of a circuit that its device declares
// variable (DeviceGroup::list_mismatch_parameters; for the EKV MOSFET dVTO and dKP/KP, see
// devices/ekv/ekv_mosfet.hpp). Per sample k and parameter p of the instance named n:
//     value = nominal_p + coefficient_p / sqrt(area) * z(seed, k, n, counter_p)
//           + process shift of p's process group in sample k,
// clamped below at p's `lowest`. The process shift (zero unless asked for) is one draw per sample,
// process group ("nmos", "pmos") and parameter: sigma * z(seed, k, "process:<group>", counter_p).
// z is random::unit_normal at stream mix_stream(k, fnv1a64(n)): a pure function of the address,
// so results do not depend on threads, order, or devices added elsewhere.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/circuit.hpp"

namespace picospice {

struct MismatchSettings {
  // Replaces every model's coefficient of that name for this study: "avto" (V*m), "akp" (m).
  std::map<std::string, double> coefficients;
  // Sigma of the per-sample global shift of a parameter ("dvto": V, "dkp": relative).
  std::map<std::string, double> process_sigma;
};

// Reads `.options mc_avto=... mc_akp=...` (any `mc_<coefficient>`) and
// `mc_process_sigma_vt=... mc_process_sigma_kp=...` from the circuit's extra options into
// `settings`, leaving values already set (by flags) alone. Throws SimulationError for a value that
// is not a non-negative number.
void read_mismatch_options(const Circuit& circuit, MismatchSettings& settings);

// One parameter value of one instance for one sample.
struct MismatchDraw {
  std::string instance;   // hierarchical name, lower case
  std::string parameter;  // "dvto", "dkp"
  double value = 0.0;     // total: nominal + draw (+ process shift)
};

// The mismatch recipe of one circuit, read once from the nominal (unperturbed) circuit.
class MismatchPlan {
 public:
  MismatchPlan(const Circuit& nominal, const MismatchSettings& settings);

  std::size_t size() const { return parameters_.size(); }
  // Every parameter's value for sample `sample` under `seed`, in the circuit's instance order.
  std::vector<MismatchDraw> draw(std::uint64_t seed, std::uint64_t sample) const;
  // Writes draws into a circuit (a clone of the nominal one) through set_instance_param.
  static void apply(Circuit& circuit, const std::vector<MismatchDraw>& draws);

  // The parameters with their sigma as this study uses it (after coefficient overrides).
  struct Parameter {
    MismatchParameter declared;
    std::uint64_t name_hash = 0;
    double sigma = 0.0;
  };
  const std::vector<Parameter>& parameters() const { return parameters_; }
  // The parameter of `instance` named `parameter`; nullptr if there is none.
  const Parameter* find(const std::string& instance, const std::string& parameter) const;

 private:
  std::vector<Parameter> parameters_;
  MismatchSettings settings_;
};

}  // namespace picospice
