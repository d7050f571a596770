// D: `Dname a k model [area] [area=a] [m=k] [off] [ic=v] [temp=c] [dtemp=k]`
// with `.model name d (is= n= rs= cjo= vj= m= fc= tt= bv= ibv= eg= xti= tnom=)`.
//
// Equations (SPICE2 level-1 diode; P. Antognetti, G. Massobrio, "Semiconductor Device Modeling
// with SPICE", 2nd ed., ch. 1; L. W. Nagel, "SPICE2", UCB/ERL M520, 1975):
//   id   = IS*(exp(vd/(N*Vt)) - 1) - IBV*exp(-(vd + BV)/(N*Vt)) + gmin*vd
//   qd   = TT*IS*(exp(vd/(N*Vt)) - 1) + depletion charge
//   Cdep = CJO*(1 - vd/VJ)^-M                            for vd < FC*VJ
//        = CJO/(1-FC)^(1+M) * (1 - FC*(1+M) + M*vd/VJ)     above (linear extension)
// Breakdown is a smooth exponential that reaches IBV at vd = -BV (SPICE2 fits BV to IBV; this
// simpler form keeps the current and its derivative continuous everywhere).
// Temperature (same references): with r = T/TNOM,
//   IS(T) = IS * r^(XTI/N) * exp((r - 1) * EG / (N*Vt(T)))
//   VJ(T) = VJ*r - 3*Vt*ln(r) - Eg(TNOM)*r + Eg(T),  Eg(T) = 1.16 - 7.02e-4*T^2/(T + 1108) (silicon)
//   CJO(T) = CJO * (1 + M*(4e-4*(T - TNOM) + 1 - VJ(T)/VJ))
// RS puts an internal node between the series resistance and the junction.
// Noise (transient, engine/noise/, and .noise): shot 2q|id| (id without gmin) across the junction,
// 4kT/RS in the series resistance, and flicker KF*|id|^AF/f (SPICE2; Antognetti and Massobrio
// ch. 1; the ngspice manual's diode noise model), in the transient only with noiseflicker=1.
// `.noise` names them id, rs and 1overf, as ngspice does. `noise=0` on the instance turns all
// three off.
#include "devices/diode.hpp"
#include "devices/device_registry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'d', 2, true, {"d"}, "diode", make_group<DiodeGroup>}};
}  // namespace

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Above this exponent exp() continues as its tangent line, so that currents stay finite when
// limiting is off; pn limiting keeps Newton iterates far below it.
constexpr double kMaxExponent = 80.0;

struct Exponential { double value, derivative; };  // exp(x) and d/dx, linear above kMaxExponent

Exponential limited_exp(double x) {
  if (x <= kMaxExponent) {
    const double e = std::exp(x);
    return {e, e};
  }
  const double e = std::exp(kMaxExponent);
  return {e * (1.0 + (x - kMaxExponent)), e};
}

// Silicon band gap versus temperature (Varshni form with SPICE's coefficients), eV.
double silicon_gap(double kelvin) { return 1.16 - 7.02e-4 * kelvin * kelvin / (kelvin + 1108.0); }

// The pn-junction limiting rule of SPICE2 (Nagel 1975, section on "pnjlim"): above vcrit the
// exponential grows so fast that a full Newton step overshoots. Instead the new voltage is placed
// where the exponential's current matches the linearized prediction of the previous iterate,
// vold + vt*ln(1 + (vnew - vold)/vt); from a non-positive vold, vt*ln(vnew/vt).
// Returns true when it changed vnew.
bool limit_pn_junction(double& vnew, double vold, double vt, double vcrit) {
  if (!(vnew > vcrit) || std::fabs(vnew - vold) <= 2.0 * vt) return false;
  if (vold > 0) {
    const double arg = 1.0 + (vnew - vold) / vt;
    vnew = arg > 0 ? vold + vt * std::log(arg) : vcrit;
  } else {
    vnew = vt * std::log(vnew / vt);
  }
  return true;
}

}  // namespace

DiodeGroup::Model DiodeGroup::read_model(const ModelCard& card, const SimOptions& options) {
  Model m;
  m.is = card.get("is", m.is);
  m.n = card.get("n", m.n);
  m.rs = card.get("rs", m.rs);
  m.cjo = card.get("cjo", card.get("cj0", card.get("cj", m.cjo)));
  m.vj = card.get("vj", card.get("pb", m.vj));
  m.m = card.get("m", card.get("mj", m.m));
  m.fc = card.get("fc", m.fc);
  m.tt = card.get("tt", m.tt);
  m.bv = card.get("bv", m.bv);
  m.ibv = card.get("ibv", m.ibv);
  m.eg = card.get("eg", m.eg);
  m.xti = card.get("xti", m.xti);
  m.tnom = card.get("tnom", options.tnom) + physics::zero_celsius;
  m.kf = card.get("kf", m.kf);
  m.af = card.get("af", m.af);
  auto fail = [&](const std::string& message) {
    throw NetlistError(card.location, "diode model " + card.name + ": " + message);
  };
  if (!(m.is > 0)) fail("is must be positive");
  if (!(m.n > 0)) fail("n must be positive");
  if (!(m.rs >= 0)) fail("rs must not be negative");
  if (!(m.cjo >= 0)) fail("cjo must not be negative");
  if (!(m.vj > 0)) fail("vj must be positive");
  if (!(m.m >= 0)) fail("m must not be negative");
  if (!(m.fc >= 0 && m.fc < 1)) fail("fc must be in [0, 1)");
  if (!(m.tt >= 0)) fail("tt must not be negative");
  if (!(m.bv >= 0)) fail("bv must not be negative");
  if (m.bv > 0 && !(m.ibv > 0)) fail("ibv must be positive");
  if (!(m.eg > 0)) fail("eg must be positive");
  if (!(m.tnom > 0)) fail("tnom must be above absolute zero");
  if (!(m.kf >= 0)) fail("kf must not be negative");
  if (!(m.af > 0)) fail("af must be positive");
  return m;
}

void DiodeGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  if (!card.model) card.fail("diode " + card.name + " needs a model");
  Model model = read_model(*card.model, builder.options());
  double area = 1, multiplier = 1, dtemp = 0, temp = kNaN;
  bool off = false, have_area = false, noisy = true;
  for (const auto& arg : card.args) {
    if (arg.is_number && arg.key.empty() && !have_area) { area = arg.value; have_area = true; }
    else if (arg.key == "area") { area = arg.value; have_area = true; }
    else if (arg.key == "m") multiplier = arg.value;
    else if (arg.key == "dtemp") dtemp = arg.value;
    else if (arg.key == "temp") temp = arg.value + physics::zero_celsius;
    else if (arg.key == "ic") {}  // use .ic on the nodes
    else if (arg.key == "noise") {
      if (arg.value != 0 && arg.value != 1) card.fail(arg, "noise= of diode " + card.name + " must be 0 or 1");
      noisy = arg.value != 0;
    }
    else if (!arg.is_number && arg.key.empty() && arg.word == "off") off = true;
    else card.fail_unexpected(arg, "diode", "an area or area=, m=, off, ic=, temp=, dtemp=, noise=");
  }
  if (!(area > 0)) card.fail("diode " + card.name + ": area must be positive");
  if (!(multiplier > 0)) card.fail("diode " + card.name + ": m must be positive");
  names_.push_back(card.name);
  anode_.push_back(card.nodes[0]);
  cathode_.push_back(card.nodes[1]);
  internal_.push_back(model.rs > 0 ? builder.add_internal_node(card.name + "#internal") : card.nodes[0]);
  models_.push_back(model);
  area_.push_back(area * multiplier);
  temperature_offset_.push_back(dtemp);
  fixed_temperature_.push_back(temp);
  off_.push_back(off);
  noisy_.push_back(noisy);
  last_vd_.push_back(0.0);
  slots_.emplace_back();
  const double circuit_kelvin = builder.options().temp + physics::zero_celsius;
  scaled_.push_back(scale(model, area * multiplier, std::isnan(temp) ? circuit_kelvin + dtemp : temp));
}

DiodeGroup::Scaled DiodeGroup::scale(const Model& model, double area, double kelvin) {
  Scaled s;
  const double vt = physics::thermal_voltage(kelvin);
  const double ratio = kelvin / model.tnom;
  s.nvt = model.n * vt;
  s.kelvin = kelvin;
  s.is = area * model.is * std::pow(ratio, model.xti / model.n) *
         std::exp((ratio - 1.0) * model.eg / s.nvt);
  s.ibv = area * model.ibv;
  const double vj = model.vj * ratio - 3.0 * vt * std::log(ratio) - silicon_gap(model.tnom) * ratio +
                    silicon_gap(kelvin);
  s.vj = std::max(vj, 0.01 * model.vj);  // guard far outside the model's temperature range
  s.cjo = area * model.cjo * std::max(0.0, 1.0 + model.m * (4e-4 * (kelvin - model.tnom) + 1.0 - s.vj / model.vj));
  // vcrit: where the diode's current curvature makes Newton overshoot (Nagel 1975),
  // N*Vt*ln(N*Vt / (sqrt(2)*IS)).
  s.vcrit = s.nvt * std::log(s.nvt / (std::sqrt(2.0) * s.is));
  s.vcrit_breakdown = model.bv > 0 ? s.nvt * std::log(s.nvt / (std::sqrt(2.0) * s.ibv)) : 0.0;
  s.series_conductance = model.rs > 0 ? area / model.rs : 0.0;
  return s;
}

DiodeGroup::Junction DiodeGroup::junction(const Model& model, const Scaled& s, double vd, double gmin) {
  Junction j{};
  const Exponential forward = limited_exp(vd / s.nvt);
  const double diffusion_current = s.is * (forward.value - 1.0);
  const double diffusion_conductance = s.is * forward.derivative / s.nvt;
  j.current = diffusion_current + gmin * vd;
  j.conductance = diffusion_conductance + gmin;
  if (model.bv > 0) {
    const Exponential reverse = limited_exp(-(vd + model.bv) / s.nvt);
    j.current -= s.ibv * reverse.value;
    j.conductance += s.ibv * reverse.derivative / s.nvt;
  }
  // Diffusion (stored minority) charge, TT times the diffusion current.
  j.charge = model.tt * diffusion_current;
  j.capacitance = model.tt * diffusion_conductance;
  if (s.cjo > 0) {
    const double vj = s.vj, m = model.m, fc = model.fc;
    const bool log_form = std::fabs(1.0 - m) < 1e-9;  // M = 1 integrates to a logarithm
    auto depletion_charge = [&](double v) {  // integral of CJO*(1 - v/VJ)^-M from 0 to v
      const double u = 1.0 - v / vj;
      return log_form ? -s.cjo * vj * std::log(u) : s.cjo * vj / (1.0 - m) * (1.0 - std::pow(u, 1.0 - m));
    };
    const double corner = fc * vj;
    if (vd < corner) {
      const double u = 1.0 - vd / vj;
      j.charge += depletion_charge(vd);
      j.capacitance += s.cjo * std::pow(u, -m);
    } else {
      const double f2 = std::pow(1.0 - fc, 1.0 + m), f3 = 1.0 - fc * (1.0 + m);
      j.charge += depletion_charge(corner) +
                  s.cjo / f2 * (f3 * (vd - corner) + m / (2.0 * vj) * (vd * vd - corner * corner));
      j.capacitance += s.cjo / f2 * (f3 + m * vd / vj);
    }
  }
  return j;
}

void DiodeGroup::bind_slots(SlotBinder& binder) {
  for (std::size_t i = 0; i < size(); ++i) {
    slots_[i].junction.bind(binder, internal_[i], cathode_[i]);
    if (internal_[i] != anode_[i]) slots_[i].series.bind(binder, anode_[i], internal_[i]);
  }
}

void DiodeGroup::set_temperature(double kelvin) {
  for (std::size_t i = 0; i < size(); ++i) {
    const double t = std::isnan(fixed_temperature_[i]) ? kelvin + temperature_offset_[i] : fixed_temperature_[i];
    scaled_[i] = scale(models_[i], area_[i], t);
  }
}

void DiodeGroup::reset_state() { std::fill(last_vd_.begin(), last_vd_.end(), 0.0); }

void DiodeGroup::evaluate(EvalRequest& r) {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const Model& model = models_[i];
    const Scaled& s = scaled_[i];
    const Index a = anode_[i], ai = internal_[i], k = cathode_[i];
    const double v = r.x[ai] - r.x[k];

    // The voltage the junction is evaluated at: v itself, or a limited one.
    double vd = v;
    bool limited = false;
    if (r.cold_start) {
      vd = off_[i] ? 0.0 : s.vcrit;  // SPICE starts junctions near conduction unless `off`
      limited = true;
    } else if (r.limit) {
      limited = limit_pn_junction(vd, last_vd_[i], s.nvt, s.vcrit);
      if (model.bv > 0) {
        // The same rule mirrored into breakdown, on u = -(vd + BV).
        double u = -(vd + model.bv);
        if (limit_pn_junction(u, -(last_vd_[i] + model.bv), s.nvt, s.vcrit_breakdown)) {
          vd = -(u + model.bv);
          limited = true;
        }
      }
    }
    last_vd_[i] = vd;
    if (limited && vd != v) ++r.limited;

    const Junction j = junction(model, s, vd, r.gmin);
    // Load the linearization at vd evaluated at v, so the residual agrees with the Jacobian.
    const double dv = v - vd;
    r.add_current(ai, k, j.current + j.conductance * dv);
    double g = j.conductance;
    if (r.want_reactive) {
      r.add_charge(ai, k, j.charge + j.capacitance * dv);
      g += r.reactive_scale * j.capacitance;
    }
    slots_[i].junction.add(r.jac, g);

    if (ai != a) {
      r.add_current(a, ai, s.series_conductance * (r.x[a] - r.x[ai]));
      slots_[i].series.add(r.jac, s.series_conductance);
    }
  }
}

void DiodeGroup::list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>& out) {
  noise_generators_.clear();
  if (!setup.device_noise) return;
  using Spectrum = NoiseSourceSpec::Spectrum;
  for (std::size_t i = 0; i < size(); ++i) {
    if (!noisy_[i]) continue;
    noise_generators_.push_back({i, 0});
    out.push_back({names_[i], 0, internal_[i], cathode_[i], Spectrum::White, 1.0, "id"});
    if (internal_[i] != anode_[i]) {
      noise_generators_.push_back({i, 1});
      out.push_back({names_[i], 1, anode_[i], internal_[i], Spectrum::White, 1.0, "rs"});
    }
    if (setup.flicker && models_[i].kf > 0) {
      noise_generators_.push_back({i, 2});
      out.push_back({names_[i], 2, internal_[i], cathode_[i], Spectrum::Flicker, 1.0, "1overf"});
    }
  }
}

double DiodeGroup::noise_density(std::size_t source, const double* x) const {
  const NoiseGenerator& g = noise_generators_[source];
  const std::size_t i = g.instance;
  const Scaled& s = scaled_[i];
  if (g.kind == 1) return 4.0 * physics::boltzmann * s.kelvin * s.series_conductance;
  const double id = std::fabs(junction(models_[i], s, x[internal_[i]] - x[cathode_[i]], 0.0).current);
  if (g.kind == 0) return 2.0 * physics::charge * id;
  return models_[i].kf * std::pow(id, models_[i].af);
}

void DiodeGroup::list_dc_connections(std::vector<DcConnection>& out) const {
  for (std::size_t i = 0; i < size(); ++i) {
    if (internal_[i] != anode_[i]) out.push_back({names_[i], anode_[i], internal_[i], DcConnection::Kind::Conducts});
    out.push_back({names_[i], internal_[i], cathode_[i], DcConnection::Kind::Conducts});
  }
}

}  // namespace picospice
