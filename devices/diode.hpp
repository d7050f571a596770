#pragma once
#include "devices/device.hpp"

namespace picospice {

// D: a junction diode (SPICE level 1): Shockley current, optional reverse breakdown, depletion
// and diffusion charge, series resistance through an internal node, pn-junction limiting.
class DiodeGroup final : public DeviceGroup {
 public:
  std::string_view type_name() const override { return "diode"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<DiodeGroup>(*this); }
  void add_instance(const ElementCard& card, CircuitBuilder& builder) override;
  void bind_slots(SlotBinder& binder) override;
  void set_temperature(double kelvin) override;
  void evaluate(EvalRequest& request) override;
  void list_dc_connections(std::vector<DcConnection>& out) const override;
  void reset_state() override;
  // Shot noise 2q|I| across the junction, thermal noise 4kT/RS of the series resistance, and with
  // noiseflicker=1 flicker noise KF*|I|^AF/f (SPICE2's diode noise model).
  void list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>& out) override;
  double noise_density(std::size_t source, const double* x) const override;

  // The `.model` parameters (SI units, temperatures in kelvin).
  struct Model {
    double is = 1e-14;       // A, saturation current
    double n = 1.0;          // emission coefficient
    double rs = 0.0;         // ohm, series resistance
    double cjo = 0.0;        // F, zero-bias junction capacitance
    double vj = 1.0;         // V, junction potential
    double m = 0.5;          // grading coefficient
    double fc = 0.5;         // forward-bias depletion capacitance coefficient
    double tt = 0.0;         // s, transit time
    double bv = 0.0;         // V, reverse breakdown voltage (0: no breakdown)
    double ibv = 1e-3;       // A, current at breakdown
    double eg = 1.11;        // eV, energy gap for the IS temperature dependence
    double xti = 3.0;        // IS temperature exponent
    double tnom = 300.15;    // K, temperature the parameters were measured at
    double kf = 0.0;         // flicker noise coefficient (A^(2-AF))
    double af = 1.0;         // flicker noise current exponent
  };
  // Values at the device temperature, already multiplied by area * m.
  struct Scaled {
    double nvt = 0;          // V, N * kT/q
    double is = 0, ibv = 0;  // A
    double cjo = 0, vj = 0;  // F, V
    double vcrit = 0;        // V, where the limiting rule starts
    double vcrit_breakdown = 0;
    double series_conductance = 0;  // S; 0 without RS
    double kelvin = 300.15;         // K, the device temperature
  };
  // The junction at voltage vd: current and charge with their derivatives.
  struct Junction { double current, conductance, charge, capacitance; };
  static Junction junction(const Model& model, const Scaled& scaled, double vd, double gmin);
  static Scaled scale(const Model& model, double area, double kelvin);
  static Model read_model(const ModelCard& card, const SimOptions& options);

 private:
  struct Slots { PairSlots junction, series; };
  std::vector<std::string> names_;
  std::vector<Index> anode_, cathode_, internal_;  // internal_ == anode_ without RS
  std::vector<Model> models_;
  std::vector<double> area_;           // area * m
  std::vector<double> temperature_offset_;  // K above the circuit temperature (dtemp=)
  std::vector<double> fixed_temperature_;   // K (temp=), NaN when not given
  std::vector<bool> off_;
  std::vector<Scaled> scaled_;
  std::vector<double> last_vd_;        // junction voltage of the previous evaluation (limiting)
  std::vector<Slots> slots_;
  std::vector<char> noisy_;  // 0 for noise=0
  struct NoiseGenerator { std::size_t instance; int kind; };  // kind: 0 shot, 1 series R, 2 flicker
  std::vector<NoiseGenerator> noise_generators_;
};

}  // namespace picospice
