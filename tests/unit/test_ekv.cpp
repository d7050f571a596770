// Unit tests of the EKV MOSFET: the model function against its formula, F(v), symmetry, analytic
// derivatives against finite differences, charge conservation, mismatch parameters, the device
// group (parsing, loading, limiting, report) and input errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "devices/ekv/ekv_evaluation.hpp"
#include "devices/ekv/ekv_interpolation.hpp"
#include "devices/ekv/ekv_limiting.hpp"
#include "devices/ekv/ekv_mosfet.hpp"
#include "devices/ekv/ekv_params.hpp"
#include "devices/device_registry.hpp"
#include "engine/sparsity_pattern.hpp"

using namespace picospice;
using namespace picospice::ekv;

namespace {

constexpr double kRoomKelvin = 300.15;

class EkvTestBuilder final : public CircuitBuilder {
 public:
  Index add_branch(const std::string& instance) override { throw SimulationError("no branches in EKV tests"); }
  Index branch_of(const std::string& instance, const SourceLocation& where) const override {
    throw NetlistError(where, "no branch");
  }
  std::string scoped_name(const std::string& referrer, const std::string& local) const override { return local; }
  const SimOptions& options() const override { return options_; }

 private:
  SimOptions options_;
};

ModelCard make_card(const std::string& type, std::map<std::string, double> params, const std::string& level = "ekv") {
  ModelCard card;
  card.name = type == "pmos" ? "pch" : "nch";
  card.type = type;
  card.params = std::move(params);
  if (!level.empty()) card.words["level"] = level;
  card.location = {"test.cir", 3, 1};
  return card;
}

ElementArg key_value(const std::string& key, double value) {
  ElementArg arg;
  arg.key = key;
  arg.value = value;
  arg.is_number = true;
  arg.location = {"test.cir", 7, 12};
  return arg;
}

ElementCard make_element(const std::string& name, std::vector<Index> nodes, const ModelCard* model,
                         std::vector<ElementArg> args) {
  ElementCard card;
  card.name = name;
  card.nodes = std::move(nodes);
  card.node_names = {"d", "g", "s", "b"};
  card.model = model;
  card.args = std::move(args);
  card.location = {"test.cir", 7, 1};
  return card;
}

// The direct formula in long double: F(v) = ln^2(1 + exp(v/2)).
long double reference_interpolation(long double v) {
  const long double l = std::log(1.0L + std::exp(v / 2));
  return l * l;
}

EkvModelParams simple_model(const std::string& type) {
  return parse_ekv_model(make_card(type, {{"n", 1.35}, {"gamma", 0.0}, {"cox", 0.0}}), 27.0);
}

// Terminal voltages from NMOS-referred, bulk-referred values for either polarity.
EkvTerminalVoltages bias(int polarity, double vb, double vg, double vs, double vd) {
  return {vb + polarity * vd, vb + polarity * vg, vb + polarity * vs, vb};
}

double& terminal(EkvTerminalVoltages& v, int t) {
  return t == kDrain ? v.d : t == kGate ? v.g : t == kSource ? v.s : v.b;
}

}  // namespace

TEST_CASE("ekv: exact simple case equals the EKV formula", "[ekv]") {
  const double ut = physics::thermal_voltage(kRoomKelvin);
  const double n = 1.35, w = 3e-6, l = 2e-6, m = 2;
  EkvInstanceParams inst{w, l, m, 0.0, 0.0};
  for (const std::string type : {"nmos", "pmos"}) {
    const EkvModelParams model = simple_model(type);
    const int polarity = model.polarity;
    const double kp = type == "nmos" ? 300e-6 : 70e-6;
    const double ispec = 2 * n * kp * (w / l) * m * ut * ut;
    for (double vds : {0.01, 0.05, 0.1, 0.3, 1.0, 1.8}) {
      for (int k = 0; k <= 36; ++k) {
        const double vgs = 0.05 * k;
        const EkvEvaluation e = evaluate_ekv(model, kRoomKelvin, inst, bias(polarity, 0.0, vgs, 0.0, vds), false);
        const long double vp = (vgs - 0.45L) / n;
        const long double expected =
            polarity * ispec * (reference_interpolation(vp / ut) - reference_interpolation((vp - vds) / ut));
        INFO(type << " vgs=" << vgs << " vds=" << vds);
        CHECK(e.id == Approx(static_cast<double>(expected)).epsilon(1e-9).margin(0));
        CHECK(e.vp == Approx(static_cast<double>(vp)).epsilon(1e-12).margin(1e-15));
      }
    }
  }
}

TEST_CASE("ekv: F(v) is accurate and does not overflow", "[ekv]") {
  for (double v = -60; v <= 60; v += 0.37) {
    const InterpolationValue f = ekv_interpolation(v);
    const long double lv = v;
    const long double l = std::log1p(std::exp(lv / 2));  // log1p: long double alone loses e^-30
    const long double logistic_ref = 1.0L / (1.0L + std::exp(-lv / 2));
    INFO("v=" << v);
    CHECK(f.value == Approx(static_cast<double>(l * l)).epsilon(1e-13));
    CHECK(f.derivative == Approx(static_cast<double>(l * logistic_ref)).epsilon(1e-13));
  }
  // Weak inversion limit exp(v), accurate far below machine epsilon of 1 + exp(v/2).
  for (double v : {-100.0, -300.0, -600.0}) {
    const InterpolationValue f = ekv_interpolation(v);
    CHECK(f.value == Approx(std::exp(v)).epsilon(1e-12));
    CHECK(f.derivative == Approx(std::exp(v)).epsilon(1e-12));
  }
  const InterpolationValue low = ekv_interpolation(-1e4);
  const InterpolationValue high = ekv_interpolation(1e4);
  CHECK(std::isfinite(low.value));
  CHECK(std::isfinite(low.derivative));
  CHECK(low.value == 0.0);  // exp(-1e4) underflows to 0 in double as well
  CHECK(low.derivative >= 0.0);
  CHECK(std::isfinite(high.value));
  CHECK(high.value == Approx(2.5e7).epsilon(1e-14));  // (v/2)^2
  CHECK(high.derivative == Approx(5e3).epsilon(1e-14));  // v/2
  CHECK(ekv_interpolation(-1e300).value == 0.0);
}

namespace {

struct ModelVariant {
  std::string label;
  std::map<std::string, double> params;
};

std::vector<ModelVariant> derivative_variants() {
  return {
      {"constant N, charges", {{"n", 1.35}, {"cox", 8.5e-3}}},
      {"constant N, plain", {{"n", 1.35}, {"cox", 0.0}}},
      {"GAMMA/PHI, LAMBDA, THETA, UCRIT, overlaps",
       {{"gamma", 0.55}, {"phi", 0.85}, {"lambda", 0.08}, {"theta", 0.3}, {"ucrit", 3e6}, {"cox", 8.5e-3},
        {"cgso", 3e-10}, {"cgdo", 2e-10}, {"cgbo", 1e-10}}},
      {"constant N, E0, UCRIT, LAMBDA",
       {{"n", 1.3}, {"lambda", 0.05}, {"e0", 1e8}, {"ucrit", 5e6}, {"cox", 8.5e-3}, {"cgdo", 3e-10}}},
      {"GAMMA/PHI defaults", {}},
  };
}

}  // namespace

TEST_CASE("ekv: swapping drain and source negates the current exactly", "[ekv]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> gate(-0.3, 1.8), channel(0.0, 1.8), body(-0.3, 0.3);
  EkvInstanceParams inst{2e-6, 1e-6, 1, 0.01, 0.02};
  for (const auto& variant : derivative_variants()) {
    for (const std::string type : {"nmos", "pmos"}) {
      const EkvModelParams model = parse_ekv_model(make_card(type, variant.params), 27.0);
      for (int k = 0; k < 50; ++k) {
        const double vb = body(rng), vg = gate(rng), vs = channel(rng), vd = channel(rng);
        const EkvEvaluation a = evaluate_ekv(model, kRoomKelvin, inst, bias(model.polarity, vb, vg, vs, vd));
        const EkvEvaluation b = evaluate_ekv(model, kRoomKelvin, inst, bias(model.polarity, vb, vg, vd, vs));
        INFO(variant.label << " " << type);
        CHECK(a.id == -b.id);
        // Charges swap between drain and source (to rounding: the partition sums in another order),
        // unless the overlap capacitances themselves differ between the two sides.
        if (model.cgso != model.cgdo) continue;
        double scale = 1e-40;
        for (double q : a.charge) scale += std::fabs(q);
        CHECK(a.charge[kDrain] == Approx(b.charge[kSource]).epsilon(1e-12).margin(1e-13 * scale));
        CHECK(a.charge[kGate] == Approx(b.charge[kGate]).epsilon(1e-12).margin(1e-13 * scale));
      }
    }
  }
}

TEST_CASE("ekv: analytic conductances and capacitances match finite differences", "[ekv]") {
  std::mt19937_64 rng(2024);
  // NMOS-referred, bulk-referred ranges: from deep weak inversion (Id ~ 1e-15 A at vg ~ -0.3 V)
  // to strong inversion, forward and reverse.
  std::uniform_real_distribution<double> gate(-0.35, 1.8), source(0.0, 0.6), drain(0.0, 1.8), body(-0.3, 0.3);
  const EkvInstanceParams inst{2e-6, 1e-6, 2, 0.01, 0.02};
  double smallest_current = 1.0, largest_current = 0.0;
  for (const auto& variant : derivative_variants()) {
    for (const std::string type : {"nmos", "pmos"}) {
      const EkvModelParams model = parse_ekv_model(make_card(type, variant.params), 27.0);
      for (double kelvin : {kRoomKelvin, 358.15}) {
        const double ut = physics::thermal_voltage(kelvin);
        const double h = 1e-3 * ut;  // central differences: truncation ~ (h/UT)^2/6 ~ 2e-7 relative
        for (int k = 0; k < 40; ++k) {
          double vs = source(rng), vd = drain(rng);
          if (k % 3 == 0) std::swap(vs, vd);  // reverse operation too
          if (std::fabs(vd - vs) < 1e-3) continue;
          const EkvTerminalVoltages v0 = bias(model.polarity, body(rng), gate(rng), vs, vd);
          const EkvEvaluation e = evaluate_ekv(model, kelvin, inst, v0);
          smallest_current = std::min(smallest_current, std::fabs(e.id));
          largest_current = std::max(largest_current, std::fabs(e.id));
          double charge_scale = model.cox * inst.w * inst.l * inst.m * ut;
          for (double q : e.charge) charge_scale += std::fabs(q);
          for (int c = 0; c < 4; ++c) {
            EkvTerminalVoltages up = v0, down = v0;
            terminal(up, c) += h;
            terminal(down, c) -= h;
            const EkvEvaluation eu = evaluate_ekv(model, kelvin, inst, up);
            const EkvEvaluation ed = evaluate_ekv(model, kelvin, inst, down);
            const double g_fd = (eu.id - ed.id) / (2 * h);
            INFO(variant.label << " " << type << " T=" << kelvin << " column " << c << " vd=" << v0.d << " vg="
                               << v0.g << " vs=" << v0.s << " vb=" << v0.b << " id=" << e.id);
            // Honest tolerance: FD truncation and rounding of the currents (|id|/UT scale).
            CHECK(e.did[c] == Approx(g_fd).epsilon(1e-5).margin(1e-8 * std::fabs(e.id) / ut + 1e-40));
            for (int r = 0; r < 4; ++r) {
              const double c_fd = (eu.charge[r] - ed.charge[r]) / (2 * h);
              INFO("charge row " << r);
              CHECK(e.capacitance[r][c] == Approx(c_fd).epsilon(1e-5).margin(1e-8 * charge_scale / ut + 1e-40));
            }
          }
          // Operating-point conductances are the same derivatives.
          CHECK(e.gm == e.did[kGate]);
          CHECK(e.gds == e.did[kDrain]);
          CHECK(e.gms == -e.did[kSource]);
        }
      }
    }
  }
  CHECK(smallest_current < 1e-14);  // the points did reach deep weak inversion
  CHECK(largest_current > 1e-4);    // and strong inversion
}

TEST_CASE("ekv: charges are conserved", "[ekv]") {
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> gate(-1.0, 1.8), channel(-0.2, 1.8), body(-0.5, 0.5);
  const EkvInstanceParams inst{5e-6, 2e-6, 1, 0.0, 0.0};
  for (const auto& variant : derivative_variants()) {
    for (const std::string type : {"nmos", "pmos"}) {
      const EkvModelParams model = parse_ekv_model(make_card(type, variant.params), 27.0);
      for (int k = 0; k < 100; ++k) {
        const EkvEvaluation e =
            evaluate_ekv(model, kRoomKelvin, inst, bias(model.polarity, body(rng), gate(rng), channel(rng), channel(rng)));
        double sum = 0, scale = 1e-30;
        for (double q : e.charge) { sum += q; scale += std::fabs(q); }
        INFO(variant.label << " " << type);
        CHECK(std::fabs(sum) <= 1e-13 * scale);
        for (int c = 0; c < 4; ++c) {
          double column = 0, column_scale = 1e-40;
          for (int r = 0; r < 4; ++r) { column += e.capacitance[r][c]; column_scale += std::fabs(e.capacitance[r][c]); }
          CHECK(std::fabs(column) <= 1e-13 * column_scale);
        }
      }
    }
  }
  // COX = 0 and no overlaps: no charge at all.
  const EkvEvaluation none = evaluate_ekv(simple_model("nmos"), kRoomKelvin, inst, {1.0, 1.0, 0.0, 0.0});
  for (double q : none.charge) CHECK(q == 0.0);
}

TEST_CASE("ekv: DVTO and DKP scale the weak-inversion current", "[ekv]") {
  const double ut = physics::thermal_voltage(kRoomKelvin);
  for (const std::string type : {"nmos", "pmos"}) {
    const EkvModelParams model = simple_model(type);
    const EkvTerminalVoltages v = bias(model.polarity, 0.0, 0.0, 0.0, 0.5);  // VGS = 0: deep weak, saturated
    const EkvEvaluation base = evaluate_ekv(model, kRoomKelvin, {1e-6, 1e-6, 1, 0.0, 0.0}, v);
    const EkvEvaluation shifted = evaluate_ekv(model, kRoomKelvin, {1e-6, 1e-6, 1, 0.02, 0.0}, v);
    const EkvEvaluation scaled = evaluate_ekv(model, kRoomKelvin, {1e-6, 1e-6, 1, 0.0, 0.1}, v);
    INFO(type);
    CHECK(base.region == EkvRegion::Weak);
    CHECK(base.saturated);
    CHECK(shifted.id / base.id == Approx(std::exp(-0.02 / (1.35 * ut))).epsilon(1e-3));
    CHECK(std::fabs(shifted.id) < std::fabs(base.id));  // positive DVTO: harder to turn on, both types
    CHECK(scaled.id / base.id == Approx(1.1).epsilon(1e-12));
  }
}

TEST_CASE("ekv: temperature scales UT, VTO and KP", "[ekv]") {
  const EkvModelParams model = parse_ekv_model(make_card("nmos", {{"n", 1.35}, {"tcv", 1e-3}, {"bex", -1.5}}), 27.0);
  const EkvTemperatureParams hot = ekv_at_temperature(model, 350.15);
  CHECK(hot.thermal_voltage == Approx(physics::thermal_voltage(350.15)));
  CHECK(hot.vto_nmos_referred == Approx(0.45 - 1e-3 * 50).epsilon(1e-12));
  CHECK(hot.kp == Approx(300e-6 * std::pow(350.15 / 300.15, -1.5)).epsilon(1e-12));
  const EkvModelParams pmos = parse_ekv_model(make_card("pmos", {{"n", 1.35}, {"tcv", 1e-3}}), 27.0);
  CHECK(ekv_at_temperature(pmos, 350.15).vto_nmos_referred == Approx(0.45 - 1e-3 * 50).epsilon(1e-12));
  CHECK(physics::thermal_voltage(kRoomKelvin) == Approx(0.025865).epsilon(1e-4));
}

TEST_CASE("ekv: model card errors", "[ekv]") {
  CHECK_THROWS_WITH(parse_ekv_model(make_card("nmos", {}, ""), 27.0), Catch::Contains("only level=ekv"));
  CHECK_THROWS_WITH(parse_ekv_model(make_card("nmos", {}, "bsim3"), 27.0), Catch::Contains("only level=ekv"));
  CHECK_THROWS_WITH(parse_ekv_model(make_card("nmos", {{"level", 1}}, ""), 27.0), Catch::Contains("only level=ekv"));
  CHECK_THROWS_WITH(parse_ekv_model(make_card("nmos", {}, ""), 27.0), Catch::Contains("test.cir:3:1"));
  CHECK_THROWS_WITH(parse_ekv_model(make_card("nmos", {{"vth0", 0.4}}), 27.0),
                    Catch::Contains("unknown EKV parameter 'vth0'") && Catch::Contains("vto"));
  CHECK_THROWS_AS(parse_ekv_model(make_card("nmos", {{"kp", -1}}), 27.0), NetlistError);
  CHECK_THROWS_AS(parse_ekv_model(make_card("nmos", {{"theta", 0.1}, {"e0", 1e8}}), 27.0), NetlistError);
  CHECK_THROWS_AS(parse_ekv_model(make_card("nmos", {{"n", 0.5}}), 27.0), NetlistError);
  const EkvModelParams ok = parse_ekv_model(make_card("pmos", {}), 27.0);
  CHECK(ok.polarity == -1);
  CHECK(ok.vto == -0.45);
  CHECK(ok.kp == 70e-6);
  CHECK_FALSE(ok.constant_slope());
}

TEST_CASE("ekv: element line errors", "[ekv]") {
  EkvTestBuilder builder;
  const ModelCard card = make_card("nmos", {{"n", 1.35}});
  auto add = [&](std::vector<ElementArg> args, const ModelCard* model = nullptr) {
    EkvMosfetGroup group;
    group.add_instance(make_element("m1", {1, 2, 3, 0}, model ? model : &card, std::move(args)), builder);
  };
  CHECK_NOTHROW(add({key_value("w", 1e-6), key_value("l", 1e-6)}));
  CHECK_THROWS_WITH(add({key_value("w", 1e-6)}), Catch::Contains("needs W= and L="));
  CHECK_THROWS_WITH(add({key_value("w", 0), key_value("l", 1e-6)}), Catch::Contains("W must be positive"));
  CHECK_THROWS_WITH(add({key_value("w", 1e-6), key_value("l", -1e-6)}), Catch::Contains("L must be positive"));
  CHECK_THROWS_WITH(add({key_value("w", 1e-6), key_value("l", NAN)}), Catch::Contains("finite"));
  CHECK_THROWS_WITH(add({key_value("w", 1e-6), key_value("l", 1e-6), key_value("m", 0)}), Catch::Contains("M must"));
  CHECK_THROWS_WITH(add({key_value("w", 1e-6), key_value("l", 1e-6), key_value("ad", 1e-12)}),
                    Catch::Contains("unknown parameter 'ad'") && Catch::Contains("test.cir:7:12"));
  ElementArg positional;
  positional.is_number = true;
  positional.value = 1e-6;
  CHECK_THROWS_AS(add({positional, key_value("l", 1e-6)}), NetlistError);
  const ModelCard wrong_level = make_card("nmos", {}, "");
  CHECK_THROWS_WITH(add({key_value("w", 1e-6), key_value("l", 1e-6)}, &wrong_level), Catch::Contains("only level=ekv"));
  EkvMosfetGroup group;
  CHECK_THROWS_WITH(group.add_instance(make_element("m2", {1, 2, 3, 0}, nullptr, {}), builder),
                    Catch::Contains("needs a .model"));
}

namespace {

// A one-instance circuit: unknowns 1 = d, 2 = g, 3 = s, bulk at ground.
struct OneTransistor {
  EkvTestBuilder builder;
  ModelCard card;
  EkvMosfetGroup group;
  PatternBuilder declared{3};
  std::unique_ptr<SparsityPattern> pattern;

  explicit OneTransistor(const std::string& type, std::map<std::string, double> params) : card(make_card(type, params)) {
    group.add_instance(make_element("m1", {1, 2, 3, 0}, &card,
                                    {key_value("w", 2e-6), key_value("l", 1e-6), key_value("m", 2)}),
                       builder);
    group.bind_slots(declared);
    pattern = std::make_unique<SparsityPattern>(declared);
    group.bind_slots(*pattern);
    group.set_temperature(kRoomKelvin);
  }
};

struct Loaded {
  std::vector<double> f, f_abs, q, jac;
  int limited = 0;
};

Loaded load(EkvMosfetGroup& group, const SparsityPattern& pattern, const std::vector<double>& x, bool limit,
            bool cold_start = false, double gmin = 1e-12) {
  Loaded out{std::vector<double>(4), std::vector<double>(4), std::vector<double>(4),
             std::vector<double>(pattern.nnz() + 1)};
  EvalRequest r;
  r.x = x.data();
  r.want_reactive = true;
  r.reactive_scale = 1e3;
  r.limit = limit;
  r.cold_start = cold_start;
  r.gmin = gmin;
  r.f = out.f.data();
  r.f_abs = out.f_abs.data();
  r.q = out.q.data();
  r.jac = out.jac.data();
  group.evaluate(r);
  out.limited = r.limited;
  return out;
}

}  // namespace

TEST_CASE("ekv: group loads currents, charges and the Jacobian into bound slots", "[ekv]") {
  for (const std::string type : {"nmos", "pmos"}) {
    OneTransistor t(type, {{"n", 1.35}, {"lambda", 0.05}, {"cgso", 1e-10}});
    const double p = type == "nmos" ? 1 : -1;
    const std::vector<double> x{0.0, p * 1.0, p * 0.6, p * 0.1};
    const Loaded l = load(t.group, *t.pattern, x, false);
    const EkvEvaluation e = t.group.evaluate_instance(0, x.data());
    const double i = e.id + 1e-12 * (x[1] - x[3]);
    INFO(type);
    CHECK(l.f[1] == Approx(i).epsilon(1e-14));
    CHECK(l.f[3] == Approx(-i).epsilon(1e-14));
    CHECK(l.f[2] == 0.0);
    CHECK(l.f_abs[1] == Approx(std::fabs(i)));
    const int node[4] = {1, 2, 3, 0};
    for (int c = 0; c < 3; ++c) {
      const double gmin = c == kDrain ? 1e-12 : c == kSource ? -1e-12 : 0.0;
      CHECK(l.jac[t.pattern->slot(1, node[c])] ==
            Approx(e.did[c] + gmin + 1e3 * e.capacitance[kDrain][c]).epsilon(1e-13).margin(1e-30));
      CHECK(l.jac[t.pattern->slot(2, node[c])] == Approx(1e3 * e.capacitance[kGate][c]).epsilon(1e-13).margin(1e-30));
      CHECK(l.jac[t.pattern->slot(3, node[c])] ==
            Approx(-e.did[c] - gmin + 1e3 * e.capacitance[kSource][c]).epsilon(1e-13).margin(1e-30));
    }
    for (int r = 0; r < 3; ++r) CHECK(l.q[node[r]] == Approx(e.charge[r]).epsilon(1e-14));
  }
}

TEST_CASE("ekv: limiting caps the forward rise and converges to the exact current", "[ekv]") {
  OneTransistor t("nmos", {{"n", 1.35}});
  const std::vector<double> x0{0.0, 0.0, 0.0, 0.0};
  const Loaded cold = load(t.group, *t.pattern, x0, true, true);
  CHECK(cold.limited == 0);
  const std::vector<double> x1{0.0, 1.8, 1.8, 0.0};  // gate from 0 to 1.8 V: forward argument +51
  const Loaded first = load(t.group, *t.pattern, x1, true);
  CHECK(first.limited == 1);
  const double exact = t.group.evaluate_instance(0, x1.data()).id + 1e-12 * 1.8;
  CHECK(first.f[1] != Approx(exact));
  // The linearization about the limited point still has the exact Jacobian of that point, and
  // repeated evaluation at the same x walks the stored bias to x, after which nothing is limited.
  Loaded last = first;
  int iterations = 0;
  while (last.limited && iterations < 10) { last = load(t.group, *t.pattern, x1, true); ++iterations; }
  CHECK(iterations <= 3);
  CHECK(last.limited == 0);
  CHECK(last.f[1] == Approx(exact).epsilon(1e-12));
  // Without limiting, the exact current at once.
  t.group.reset_state();
  const Loaded free = load(t.group, *t.pattern, x1, false);
  CHECK(free.limited == 0);
  CHECK(free.f[1] == Approx(exact).epsilon(1e-12));
  // A falling step is never limited.
  const Loaded fall = load(t.group, *t.pattern, x0, true);
  CHECK(fall.limited == 0);
}

TEST_CASE("ekv: limited loading is consistent with the linearization at the limited bias", "[ekv]") {
  // The rule of ekv_limiting.hpp predicts the limited gate voltage; the loaded residual must be
  // i(v_lim) + J(v_lim) (x - v_lim) there.
  OneTransistor t("nmos", {{"n", 1.35}});
  const std::vector<double> x0{0.0, 0.5, 0.0, 0.0};  // d = 0.5 V, g = 0, s = 0
  load(t.group, *t.pattern, x0, true, true);
  const std::vector<double> x1{0.0, 0.5, 1.6, 0.0};  // gate step +1.6 V
  const Loaded l = load(t.group, *t.pattern, x1, true, false, 0.0);
  REQUIRE(l.limited == 1);
  const double ut = physics::thermal_voltage(kRoomKelvin);
  const double a0 = (0.0 - 0.45) / 1.35 / ut, a1 = (1.6 - 0.45) / 1.35 / ut;
  // The rise counts from the cut-off floor when the previous bias lies below it (ekv_limiting.hpp).
  const double start = std::max(a0, kLimitCutoffArgument);
  const double rise = a1 - start;
  const double fraction = (start + kLimitRiseThreshold * (1 + std::log(rise / kLimitRiseThreshold)) - a0) / (a1 - a0);
  const std::vector<double> v{0.0, 0.5, 1.6 * fraction, 0.0};
  const EkvEvaluation e = t.group.evaluate_instance(0, v.data(), false);
  CHECK(l.f[1] == Approx(e.id + e.did[kGate] * (1.6 - v[2])).epsilon(1e-9));
  CHECK(fraction > 0.1);
  CHECK(fraction < 0.9);
}

TEST_CASE("ekv: a limited step rises by the full allowance where the argument is not linear along it", "[ekv]") {
  // With body effect, VP flattens in deep cut-off, and here the source rises with the gate: the
  // forward argument is far from linear along the step. The old linear estimate of the fraction
  // landed below a0 on such steps (a 64-unit lowered layer's operating point crept for 20 Newton
  // iterations); the limited bias must sit at start + allowance exactly.
  const EkvModelParams model = parse_ekv_model(make_card("nmos", {{"gamma", 0.8}, {"phi", 0.7}}), 27.0);
  const double ut = physics::thermal_voltage(kRoomKelvin);
  const double threshold = model.vto;
  auto argument = [&](const BulkReferredBias& b) {
    return (ekv_pinch_off_voltage(model, ut, threshold, b.vg) - std::min(b.vs, b.vd)) / ut;
  };
  const BulkReferredBias previous{-3.0, 0.2, 0.3};
  BulkReferredBias proposed{25.0, 1.5, 20.0};
  const double a0 = argument(previous), a1 = argument(proposed);
  REQUIRE(a0 < kLimitStrongArgument);
  REQUIRE(a1 - std::max(a0, kLimitCutoffArgument) > kLimitRiseThreshold);
  REQUIRE(limit_forward_rise(model, ut, threshold, previous, proposed));
  const double start = std::max(a0, kLimitCutoffArgument);
  const double allowed = kLimitRiseThreshold * (1 + std::log((a1 - start) / kLimitRiseThreshold));
  CHECK(argument(proposed) == Approx(start + allowed).epsilon(1e-9));
  // Still on the segment from the previous bias to the proposed one.
  const double fraction = (proposed.vg - previous.vg) / (25.0 - previous.vg);
  CHECK(fraction > 0.0);
  CHECK(fraction < 1.0);
  CHECK(proposed.vd - previous.vd == Approx(fraction * (20.0 - previous.vd)).epsilon(1e-12));
}

TEST_CASE("ekv: instance parameters, DC connections and the operating-point report", "[ekv]") {
  OneTransistor t("nmos", {{"n", 1.35}});
  const std::vector<double> x{0.0, 0.5, 0.2, 0.0};
  const double before = t.group.evaluate_instance(0, x.data()).id;
  CHECK(t.group.set_instance_param("m1", "dvto", 0.01));
  CHECK(t.group.evaluate_instance(0, x.data()).id < before);
  CHECK(t.group.set_instance_param("m1", "dkp", 0.0));
  CHECK_FALSE(t.group.set_instance_param("m1", "vto", 0.5));
  CHECK_FALSE(t.group.set_instance_param("m9", "dvto", 0.01));
  CHECK_THROWS_AS(t.group.set_instance_param("m1", "dkp", -2), SimulationError);

  std::vector<DcConnection> connections;
  t.group.list_dc_connections(connections);
  REQUIRE(connections.size() == 3);
  CHECK(connections[0].a == 1);
  CHECK(connections[0].b == 3);

  const auto rows = t.group.op_report(x.data());
  REQUIRE(rows.size() == 1);
  const EkvOpRow& row = rows[0];
  CHECK(row.name == "m1");
  CHECK(row.vgs == Approx(0.2));
  CHECK(row.vds == Approx(0.5));
  CHECK(row.id > 0);
  CHECK(row.gm > 0);
  CHECK(row.gms > row.gm);  // gms = n gm in saturation
  CHECK(row.gms / row.gm == Approx(1.35).epsilon(0.01));
  CHECK(row.region == EkvRegion::Weak);
  CHECK(row.saturated);
  CHECK(std::string(region_name(row.region)) == "weak");

  const OperatingPointTable table = t.group.operating_point_table(x.data());
  REQUIRE(table.rows.size() == 1);
  REQUIRE(table.rows[0].cells.size() == table.columns.size());
  CHECK(table.rows[0].instance == "m1");
  CHECK(std::get<double>(table.rows[0].cells[1]) == row.id);
  CHECK(std::get<std::string>(table.rows[0].cells[9]) == "weak");

  std::vector<MismatchParameter> parameters;
  t.group.list_mismatch_parameters(parameters);
  REQUIRE(parameters.size() == 2);
  CHECK(parameters[0].parameter == "dvto");
  CHECK(parameters[0].sigma() == Approx(5e-9 / std::sqrt(4e-12)));
  CHECK(parameters[0].process_group == "nmos");
  CHECK(parameters[0].log_current_sensitivity == Approx(-1.0 / (1.35 * physics::thermal_voltage(300.15))));
  CHECK(parameters[1].parameter == "dkp");
  CHECK(parameters[1].sigma() == Approx(1e-8 / std::sqrt(4e-12)));
  CHECK(parameters[1].lowest == -0.9);
  CHECK(parameters[1].log_current_sensitivity == 1.0);
  CHECK(parameters[0].counter != parameters[1].counter);
}

TEST_CASE("ekv: the registry maps M elements with nmos/pmos models to the EKV group", "[ekv]") {
  const ModelCard card = make_card("pmos", {});
  const DeviceKind* kind = find_device_kind('m', &card);
  REQUIRE(kind != nullptr);
  CHECK(kind->group_name == "ekv_mosfet");
  CHECK(kind->pins == 4);
  CHECK(kind->make()->type_name() == "ekv_mosfet");
}
