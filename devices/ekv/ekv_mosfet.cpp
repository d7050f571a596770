// The EKV MOSFET device group: element parsing, slot binding, parameters, noise, mismatch and
// reports. The load loop (bypass, latency and its node watch, limiting, stamping) lives in
// ekv_mosfet_load.cpp; the model equations in ekv_evaluation.cpp; the limiting rule in
// ekv_limiting.hpp.
#include "devices/ekv/ekv_mosfet.hpp"
#include "devices/device_registry.hpp"
#include "devices/ekv/ekv_ngspice_subcircuit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'m', 4, true, {"nmos", "pmos"}, "ekv_mosfet", make_group<EkvMosfetGroup>}};
}  // namespace

using ekv::kBulk;
using ekv::kDrain;
using ekv::kGate;
using ekv::kSource;

namespace {

constexpr const char* kAcceptedArgs = "w, l, m, dvto, dkp, noise";

void check_dkp(double dkp, const std::string& what) {
  if (!std::isfinite(dkp) || dkp <= -1.0)
    throw SimulationError(what + ": DKP must be finite and greater than -1 (KP*(1+DKP) > 0), got " +
                          fmt::format("{:g}", dkp));
}

}  // namespace

std::size_t EkvMosfetGroup::model_index(const ModelCard& card, double default_tnom_celsius) {
  ekv::EkvModelParams parsed = ekv::parse_ekv_model(card, default_tnom_celsius);
  for (std::size_t k = 0; k < models_.size(); ++k)
    if (models_[k] == parsed) return k;
  models_.push_back(parsed);
  model_at_temperature_.push_back(ekv::ekv_at_temperature(parsed, kelvin_));
  return models_.size() - 1;
}

void EkvMosfetGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  if (!card.model) card.fail("MOSFET " + card.name + " needs a .model name after its four nodes");
  if (card.nodes.size() != 4) card.fail("MOSFET " + card.name + " needs four nodes: drain gate source bulk");
  double w = 0, l = 0, m = 1, dvto = 0, dkp = 0;
  bool have_w = false, have_l = false, noisy = true;
  for (const auto& arg : card.args) {
    if (arg.key.empty())
      card.fail(arg, "unexpected argument '" + (arg.is_number ? fmt::format("{:g}", arg.value) : arg.word) +
                         "' for MOSFET " + card.name + "; give key=value pairs (" + kAcceptedArgs + ")");
    if (!std::isfinite(arg.value)) card.fail(arg, "MOSFET " + card.name + ": " + arg.key + " must be finite");
    if (arg.key == "w") { w = arg.value; have_w = true; }
    else if (arg.key == "l") { l = arg.value; have_l = true; }
    else if (arg.key == "m") m = arg.value;
    else if (arg.key == "dvto") dvto = arg.value;
    else if (arg.key == "dkp") dkp = arg.value;
    else if (arg.key == "noise") {  // transient noise on (1, default) or off (0)
      if (arg.value != 0 && arg.value != 1) card.fail(arg, "noise= of MOSFET " + card.name + " must be 0 or 1");
      noisy = arg.value != 0;
    }
    else card.fail(arg, "unknown parameter '" + arg.key + "' for MOSFET " + card.name + "; accepted: " + kAcceptedArgs);
  }
  if (!have_w || !have_l) card.fail("MOSFET " + card.name + " needs W= and L= (in meters, e.g. W=1u L=2u)");
  if (!(w > 0)) card.fail("MOSFET " + card.name + ": W must be positive, got " + fmt::format("{:g}", w));
  if (!(l > 0)) card.fail("MOSFET " + card.name + ": L must be positive, got " + fmt::format("{:g}", l));
  if (!(m > 0)) card.fail("MOSFET " + card.name + ": M must be positive, got " + fmt::format("{:g}", m));
  if (!(dkp > -1.0)) card.fail("MOSFET " + card.name + ": DKP must be greater than -1");

  kelvin_ = builder.options().temp + physics::zero_celsius;
  for (std::size_t k = 0; k < models_.size(); ++k) model_at_temperature_[k] = ekv::ekv_at_temperature(models_[k], kelvin_);
  model_of_.push_back(model_index(*card.model, builder.options().tnom));

  index_of_[card.name] = names_.size();
  names_.push_back(card.name);
  drain_.push_back(card.nodes[0]);
  gate_.push_back(card.nodes[1]);
  source_.push_back(card.nodes[2]);
  bulk_.push_back(card.nodes[3]);
  w_.push_back(w);
  l_.push_back(l);
  m_.push_back(m);
  dvto_.push_back(dvto);
  dkp_.push_back(dkp);
  conductance_slots_.emplace_back();
  capacitance_slots_.emplace_back();
  last_bias_.emplace_back();
  has_last_bias_.push_back(0);
  bypass_.emplace_back();
  latent_epoch_.push_back(0);
  noisy_.push_back(noisy);
}

void EkvMosfetGroup::bind_slots(SlotBinder& binder) {
  node_watches_.assign(size(), NodeWatchSlot{});
  for (std::size_t i = 0; i < size(); ++i) {
    const Index node[4] = {drain_[i], gate_[i], source_[i], bulk_[i]};
    for (int c = 0; c < 4; ++c) {
      conductance_slots_[i][c] = binder.slot(node[kDrain], node[c]);
      conductance_slots_[i][4 + c] = binder.slot(node[kSource], node[c]);
    }
    // The gate draws no DC current: its row holds only charge derivatives, weak entries a
    // transient may leave out of the factored matrix (a mirror's gate line would otherwise be tied
    // to every summing node its outputs drive, and back).
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c)
        capacitance_slots_[i][4 * r + c] =
            r == kGate && c != kGate ? binder.weak_slot(node[r], node[c]) : binder.slot(node[r], node[c]);
  }
}

void EkvMosfetGroup::list_range_entries(std::size_t begin, std::size_t end, std::vector<int>& slots,
                                        std::vector<Index>& rows) const {
  for (std::size_t i = begin; i < end; ++i) {
    slots.insert(slots.end(), conductance_slots_[i].begin(), conductance_slots_[i].end());
    slots.insert(slots.end(), capacitance_slots_[i].begin(), capacitance_slots_[i].end());
    rows.insert(rows.end(), {drain_[i], gate_[i], source_[i], bulk_[i]});
  }
}

void EkvMosfetGroup::set_temperature(double kelvin) {
  kelvin_ = kelvin;
  forget_evaluations();
  for (std::size_t k = 0; k < models_.size(); ++k) model_at_temperature_[k] = ekv::ekv_at_temperature(models_[k], kelvin);
}

void EkvMosfetGroup::list_mismatch_parameters(std::vector<MismatchParameter>& out) const {
  for (std::size_t i = 0; i < size(); ++i) {
    const ekv::EkvModelParams& model = instance_model(i);
    const double ut = physics::thermal_voltage(kelvin_);
    // Weak inversion: I ~ KP exp((VG - VTO)/(N UT)), so d ln I / d VTO = -1/(N UT). Without a
    // constant N the slope at VP = 0, n = 1 + GAMMA/(2 sqrt(PHI)), stands in (EKV 2.6).
    const double slope = model.constant_slope() ? model.slope_factor : 1.0 + model.gamma / (2.0 * std::sqrt(model.phi));
    const std::string group = model.polarity > 0 ? "nmos" : "pmos";
    const double area = w_[i] * l_[i] * m_[i];
    MismatchParameter vt;
    vt.instance = names_[i];
    vt.parameter = "dvto";
    vt.coefficient = "avto";
    vt.coefficient_value = model.avto;
    vt.area = area;
    vt.nominal = dvto_[i];
    vt.counter = 0;
    vt.process_group = group;
    vt.log_current_sensitivity = -1.0 / (slope * ut);
    out.push_back(vt);
    MismatchParameter kp = vt;
    kp.parameter = "dkp";
    kp.coefficient = "akp";
    kp.coefficient_value = model.akp;
    kp.nominal = dkp_[i];
    kp.lowest = -0.9;
    kp.counter = 1;
    kp.log_current_sensitivity = 1.0;
    out.push_back(kp);
  }
}

ekv::EkvEvaluation EkvMosfetGroup::evaluate_instance(std::size_t i, const double* x, bool want_charges) const {
  const ekv::EkvTerminalVoltages v{x[drain_[i]], x[gate_[i]], x[source_[i]], x[bulk_[i]]};
  const std::size_t k = model_of_[i];
  return ekv::evaluate_ekv(models_[k], model_at_temperature_[k], instance_params(i), v, want_charges);
}

void EkvMosfetGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i) {
    out.push_back({names_[i], drain_[i], source_[i], DcConnection::Kind::Conducts});
    out.push_back({names_[i], drain_[i], bulk_[i], DcConnection::Kind::Conducts});
    out.push_back({names_[i], source_[i], bulk_[i], DcConnection::Kind::Conducts});
  }
}

bool EkvMosfetGroup::set_instance_param(std::string_view instance, std::string_view param, double value) {
  auto it = index_of_.find(std::string(instance));
  if (it == index_of_.end()) return false;
  const std::size_t i = it->second;
  if (param == "dvto") {
    if (!std::isfinite(value)) throw SimulationError(names_[i] + ": DVTO must be finite");
    dvto_[i] = value;
    bypass_[i].held = 0;
    ++generation_;
    return true;
  }
  if (param == "dkp") {
    check_dkp(value, names_[i]);
    dkp_[i] = value;
    bypass_[i].held = 0;
    ++generation_;
    return true;
  }
  return false;
}

void EkvMosfetGroup::reset_state() {
  for (auto& has : has_last_bias_) has = 0;
  forget_evaluations();
}

void EkvMosfetGroup::forget_evaluations() {
  for (auto& cache : bypass_) cache.held = 0;
  ++generation_;
}

OperatingPointTable EkvMosfetGroup::operating_point_table(const double* x) const {
  OperatingPointTable table;
  table.title = "MOSFETs (EKV)";
  // IC = id/Ispec (the larger of forward and reverse); vp is NMOS-referred.
  table.columns = {{"model"},          {"id (A)"}, {"vgs (V)", true}, {"vds (V)", true}, {"vp (V)", true},
                   {"gm (S)"},         {"gms (S)"}, {"gds (S)"},      {"IC"},            {"region"},
                   {"saturated"}};
  for (const EkvOpRow& r : op_report(x))
    table.rows.push_back({r.name,
                          {r.model, r.id, r.vgs, r.vds, r.vp, r.gm, r.gms, r.gds, r.inversion_coefficient,
                           std::string(ekv::region_name(r.region)), std::string(r.saturated ? "yes" : "no")}});
  return table;
}

void EkvMosfetGroup::list_ngspice_subcircuits(double kelvin, std::map<std::string, NgspiceSubcircuit>& out) const {
  std::map<std::string, const ekv::EkvModelParams*> used;
  for (std::size_t i = 0; i < size(); ++i) {
    const ekv::EkvModelParams& model = instance_model(i);
    auto [it, inserted] = used.emplace(model.name, &model);
    if (!inserted && !(*it->second == model))
      throw NetlistError(SourceLocation{},
                         "EKV model '" + model.name + "' takes different values in different subcircuit "
                         "instances (its parameters depend on subcircuit parameters); export-ngspice writes one "
                         "subcircuit per model name and cannot represent that");
  }
  for (const auto& [name, model] : used) {
    NgspiceSubcircuit sub;
    sub.subcircuit = ekv_subcircuit_name(name);
    sub.definition = ekv_ngspice_subcircuit(*model, kelvin);
    sub.dropped_arguments = {"noise"};  // picospice's transient-noise switch; ngspice runs no noise here
    sub.header_notes = ekv_ngspice_header_notes(kelvin - physics::zero_celsius);
    out[name] = std::move(sub);
  }
}

std::vector<EkvOpRow> EkvMosfetGroup::op_report(const double* x) const {
  std::vector<EkvOpRow> rows;
  rows.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) {
    const ekv::EkvEvaluation e = evaluate_instance(i, x, false);
    EkvOpRow row;
    row.name = names_[i];
    row.model = instance_model(i).name;
    row.id = e.id;
    row.vgs = x[gate_[i]] - x[source_[i]];
    row.vds = x[drain_[i]] - x[source_[i]];
    row.vp = e.vp;
    row.gm = e.gm;
    row.gms = e.gms;
    row.gds = e.gds;
    row.inversion_coefficient = e.inversion_coefficient;
    row.region = e.region;
    row.saturated = e.saturated;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace picospice

namespace picospice {

// Channel thermal noise, valid from weak to strong inversion: the long-channel result
//     S_id = 4 k T mu / L^2 * |Q_inv|      (total inversion charge; Klaassen and Prins 1967)
// written with the EKV normalized charges (C. C. Enz, F. Krummenacher, E. A. Vittoz, "An analytical
// MOS transistor model valid in all regions of operation...", Analog Integrated Circuits and
// Signal Processing 8, 1995, section on noise; C. Enz, E. Vittoz, "Charge-based MOS transistor
// modeling", Wiley 2006, ch. 6): with q = (sqrt(1 + 4 i) - 1)/2 at each end (i_f at the source,
// i_r at the drain) and Ispec = 2 n KP (W/L) UT^2,
//     S_id = 4 k T Gn,   Gn = (Ispec/UT) * q_I,
//     q_I  = [ (2/3)(qs^2 + qs qd + qd^2) + (qs + qd)/2 ] / (qs + qd + 1).
// Weak inversion (q -> i): Gn -> (Ispec/UT)(i_f + i_r)/2, so S = 2q(I_F + I_R), shot noise of the
// forward and reverse currents. Strong inversion, saturated: Gn -> (2/3) gms = (2/3) n gm.
// Approximations: channel-length modulation and velocity saturation are left out of the noise
// (I_F, I_R are the currents without the CLM factor; ispec includes the mobility factors).
// Flicker (EKV 2.6 manual, M. Bucher, C. Lallement, C. Enz, F. Theodoloz, F. Krummenacher, 1999,
// "noise model"): S = KF gm^2 / (M W L COX f^AF); off when COX = 0. The transient noise and
// `.noise` both read these densities (the latter names them id and 1overf, as ngspice's MOSFETs).
void EkvMosfetGroup::list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>& out) {
  noise_generators_.clear();
  if (!setup.device_noise) return;
  using Spectrum = NoiseSourceSpec::Spectrum;
  for (std::size_t i = 0; i < size(); ++i) {
    if (!noisy_[i]) continue;
    noise_generators_.push_back({i, 0});
    out.push_back({names_[i], 0, drain_[i], source_[i], Spectrum::White, 1.0, "id"});
    const ekv::EkvModelParams& model = models_[model_of_[i]];
    if (setup.flicker && model.kf > 0 && model.cox > 0) {
      noise_generators_.push_back({i, 1});
      out.push_back({names_[i], 1, drain_[i], source_[i], Spectrum::Flicker, model.af, "1overf"});
    }
  }
}

double EkvMosfetGroup::noise_density(std::size_t source, const double* x) const {
  const NoiseGenerator& g = noise_generators_[source];
  const std::size_t i = g.instance;
  const ekv::EkvEvaluation e = evaluate_instance(i, x, false);
  if (g.kind == 1) {
    const ekv::EkvModelParams& model = models_[model_of_[i]];
    return model.kf * e.gm * e.gm / (m_[i] * w_[i] * l_[i] * model.cox);
  }
  // (sqrt(1 + 4i) - 1)/2 in the form that keeps its precision in deep weak inversion (i << 1).
  auto normalized_charge = [](double i_norm) {
    const double i_pos = std::fmax(i_norm, 0.0);
    return 2.0 * i_pos / (std::sqrt(1.0 + 4.0 * i_pos) + 1.0);
  };
  const double qs = normalized_charge(e.forward), qd = normalized_charge(e.reverse);
  const double q_inv = ((2.0 / 3.0) * (qs * qs + qs * qd + qd * qd) + 0.5 * (qs + qd)) / (qs + qd + 1.0);
  // 4 k T Ispec/UT = 4 q Ispec.
  return 4.0 * physics::charge * e.ispec * q_inv;
}

}  // namespace picospice
