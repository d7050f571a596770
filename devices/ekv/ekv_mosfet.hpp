// M: the EKV MOSFET device group (level=ekv models).
//   Mname d g s b MODEL W=.. L=.. [M=1] [DVTO=0] [DKP=0] [noise=0|1]
// The drain current leaves node d and enters node s through the device; a gmin conductance
// (EvalRequest::gmin) sits across d-s. Terminal charges load q when the request wants reactive
// terms. Instances are stored as structure-of-arrays; model parameters are copied out of the card.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "devices/device.hpp"
#include "devices/ekv/ekv_evaluation.hpp"
#include "devices/ekv/ekv_limiting.hpp"
#include "devices/ekv/ekv_params.hpp"

namespace picospice {

// One row of the `.op` report. Voltages and current are actual (PMOS negative when conducting);
// vp is NMOS-referred and bulk-referred, gm/gms/gds are dId/dVG, -dId/dVS, dId/dVD.
struct EkvOpRow {
  std::string name;
  std::string model;
  double id = 0.0, vgs = 0.0, vds = 0.0, vp = 0.0;
  double gm = 0.0, gms = 0.0, gds = 0.0;
  double inversion_coefficient = 0.0;
  ekv::EkvRegion region = ekv::EkvRegion::Weak;
  bool saturated = false;
};

class EkvMosfetGroup final : public DeviceGroup {
 public:
  std::string_view type_name() const override { return "ekv_mosfet"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<EkvMosfetGroup>(*this); }

  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void set_temperature(double kelvin) override;
  void evaluate(EvalRequest& request) override { evaluate_range(request, 0, size()); }
  bool can_split() const override { return true; }
  void list_range_entries(std::size_t begin, std::size_t end, std::vector<int>& slots,
                          std::vector<Index>& rows) const override;
  void evaluate_range(EvalRequest& request, std::size_t begin, std::size_t end) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  // "dvto" (V) or "dkp" (relative); false for an unknown instance or parameter.
  bool set_instance_param(std::string_view instance, std::string_view param, double value) override;
  void reset_state() override;
  // Transient noise: channel thermal noise 4kT*Gn (generator 0, drain to source) and, with
  // noiseflicker=1 and KF > 0, flicker KF*gm^2/(M W L COX f^AF) (generator 1). See the .cpp.
  void list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>& out) override;
  double noise_density(std::size_t source, const double* x) const override;
  // Pelgrom mismatch: "dvto" (V, sigma AVTO/sqrt(W L M), counter 0) and "dkp" (relative, sigma
  // AKP/sqrt(W L M), counter 1, clamped at -0.9 so a huge AKP cannot make KP negative), with one
  // process group per polarity ("nmos", "pmos").
  void list_mismatch_parameters(std::vector<MismatchParameter>& out) const override;
  OperatingPointTable operating_point_table(const double* x) const override;
  // Each level=ekv model as the behavioral subcircuit of ekv_ngspice_subcircuit.hpp.
  void list_ngspice_subcircuits(double kelvin, std::map<std::string, NgspiceSubcircuit>& out) const override;

  std::vector<EkvOpRow> op_report(const double* x) const;

  // For this device's own tests and reports.
  const std::string& instance_name(std::size_t i) const { return names_[i]; }
  const ekv::EkvModelParams& instance_model(std::size_t i) const { return models_[model_of_[i]]; }
  ekv::EkvInstanceParams instance_params(std::size_t i) const { return {w_[i], l_[i], m_[i], dvto_[i], dkp_[i]}; }
  // The full evaluation of instance i at the unknowns x (no limiting), e.g. for reports and tests.
  ekv::EkvEvaluation evaluate_instance(std::size_t i, const double* x, bool want_charges = true) const;

 private:
  // What a load needs of an evaluation: the current, charges and their derivatives.
  struct Linearization {
    double id = 0.0;
    std::array<double, 4> did{};
    std::array<double, 4> charge{};
    std::array<std::array<double, 4>, 4> capacitance{};
  };
  std::size_t model_index(const ModelCard& card, double default_tnom_celsius);
  // `bypassed`: bypass_holds(i, r, x), which the caller has already asked.
  const Linearization& evaluation_for(std::size_t i, EvalRequest& r, const double (&x)[4], bool bypassed,
                                      ekv::EkvTerminalVoltages& v);
  void forget_evaluations();
  // Whether instance i's cached evaluation may stand for one at its terminal voltages x.
  bool bypass_holds(std::size_t i, const EvalRequest& r, const double (&x)[4]) const;
  // How far each terminal (d, g, s, b) of instance i may move from its cached voltages for the
  // cached evaluation to stand (bypass_holds).
  void bypass_tolerances(std::size_t i, const EvalRequest& r, double (&tolerance)[4]) const;
  // Adds (sign +1) or removes (-1) instance i's cached linearization to or from the latency sums.
  void add_latent(std::size_t i, const EvalRequest& r, LatentSums& sums, double sign) const;

  // Models (one entry per distinct .model used) and their temperature-scaled parameters.
  std::vector<ekv::EkvModelParams> models_;
  std::vector<ekv::EkvTemperatureParams> model_at_temperature_;
  double kelvin_ = 300.15;

  // Instances, structure-of-arrays.
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::size_t> index_of_;
  std::vector<std::size_t> model_of_;
  std::vector<Index> drain_, gate_, source_, bulk_;
  std::vector<double> w_, l_, m_, dvto_, dkp_;
  std::vector<std::array<int, 8>> conductance_slots_;   // rows d, s x columns d, g, s, b
  std::vector<std::array<int, 16>> capacitance_slots_;  // rows d, g, s, b x columns d, g, s, b
  // Limiting history: the last bias actually evaluated (NMOS-referred, bulk-referred).
  std::vector<ekv::BulkReferredBias> last_bias_;
  std::vector<char> has_last_bias_;
  // Device bypass (EvalRequest::bypass_fraction): each instance's last full evaluation, as far as
  // a load needs it, and the voltages it was made at; held = 0 none, 1 currents only, 2 with
  // charges. Four cache lines an instance, the voltages first: every iteration reads them for
  // every instance (a 256-unit layer's 86396 instances do not fit the cache, and the operating-
  // point fields of EkvEvaluation, which no load reads, made each one five to six lines).
  struct alignas(64) Bypass {
    ekv::EkvTerminalVoltages v;
    // The bypass tolerance of the drain and the source, in units of the tolerance (>= 1; see
    // weak_side_scale in the .cpp): the terminal on the pinched-off side of a saturated channel
    // may move further, as the current and charges depend on it only through the small reverse
    // (or forward) component.
    float drain_scale = 1.0f, source_scale = 1.0f;
    char held = 0;
    char bypassed_before = 0;        // latency: the last evaluation with latency sums bypassed it
    Linearization evaluation;
  };
  std::vector<Bypass> bypass_;
  // Latency: instance i's evaluation is in the latency sums of epoch latent_epoch_[i] (0: none).
  // Compact, as the node watch skips the instances in the sums by it alone.
  std::vector<unsigned long> latent_epoch_;

  // The node watch of a range of instances that share latency sums (a chunk, or the whole group).
  // Each instance in the sums may stay there while each terminal stays within its bypass
  // tolerance of the voltage it was evaluated at; a node's window [low, high] lies within that
  // interval of every instance in the sums with a terminal there. While a node's voltage stays in
  // its window none of those instances need a look; only where it left the window are they
  // checked one by one (and the window made again from those that stay). Windows only narrow as
  // instances enter; one that leaves leaves the window narrower than needed, which costs a check,
  // never a wrong result. On a lowered network most instances sit in the sums at nodes that do
  // not move: checking each of them at every iteration had cost as much as the evaluations.
  struct NodeWatch {
    std::size_t begin = 0, end = 0;
    unsigned long epoch = 0;       // the sums' epoch the windows belong to (0: none yet)
    unsigned long generation = 0;  // generation_ they were made at
    std::vector<Index> nodes;      // the distinct terminal nodes of the range
    std::vector<double> low, high;                  // by index into nodes
    std::vector<std::size_t> first;                 // instances at nodes[k]: at[first[k] .. first[k+1])
    std::vector<std::size_t> at;                    // instance indices
    std::vector<std::array<int, 4>> terminal_node;  // by instance - begin: index into nodes
    // For --stats: the pass of check_moved_nodes in which each instance was last checked and
    // stayed, so that one checked at two moved nodes counts once.
    unsigned long pass = 0;
    std::vector<unsigned long> stayed_in_pass;  // by instance - begin
  };
  // A NodeWatch that copies as empty: a clone (another worker's circuit) builds its own.
  struct NodeWatchSlot {
    std::unique_ptr<NodeWatch> watch;
    NodeWatchSlot() = default;
    NodeWatchSlot(const NodeWatchSlot&) {}
    NodeWatchSlot& operator=(const NodeWatchSlot&) {
      watch.reset();
      return *this;
    }
  };
  std::vector<NodeWatchSlot> node_watches_;  // by the range's first instance; sized in bind_slots
  // Counts changes that invalidate cached evaluations behind the watch's back (parameters,
  // temperature, a reset): the next evaluation then checks every instance, as without a watch.
  unsigned long generation_ = 1;
  NodeWatch* node_watch(std::size_t begin, std::size_t end);
  // Narrows the windows of instance i's terminals to its own intervals.
  void narrow_windows(NodeWatch& watch, std::size_t i, const EvalRequest& r) const;
  // Checks the instances in the sums at every node that left its window; takes out those whose
  // bypass no longer holds and makes the window again from the rest. Returns how many instances
  // were checked and stayed.
  long check_moved_nodes(NodeWatch& watch, EvalRequest& r, LatentSums& sums);
  // Transient noise: noise=0 instances, and the (instance, kind) of each listed generator.
  std::vector<char> noisy_;
  struct NoiseGenerator { std::size_t instance; int kind; };  // kind 0 channel, 1 flicker
  std::vector<NoiseGenerator> noise_generators_;
};

}  // namespace picospice
