// Device models without a parser: hand-built element cards, a mock builder, a real sparsity
// pattern. Every Jacobian is checked against central finite differences of f and q.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>

#include "devices/controlled_sources.hpp"
#include "devices/current_source.hpp"
#include "devices/diode.hpp"
#include "devices/inductor.hpp"
#include "devices/voltage_source.hpp"
#include "engine/sparsity_pattern.hpp"

using namespace picospice;

namespace {

ElementArg num(double v) { ElementArg a; a.value = v; a.is_number = true; return a; }
ElementArg word(const std::string& w) { ElementArg a; a.word = w; return a; }
ElementArg key(const std::string& k, double v) { ElementArg a; a.key = k; a.value = v; a.is_number = true; return a; }

ElementCard card(const std::string& name, std::vector<Index> nodes, std::vector<ElementArg> args,
                 const ModelCard* model = nullptr) {
  ElementCard c;
  c.name = name;
  c.letter = name.empty() ? 0 : name[name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1];
  c.nodes = std::move(nodes);
  for (Index n : c.nodes) c.node_names.push_back(std::to_string(n));
  c.args = std::move(args);
  c.model = model;
  c.location.file = "test.cir";
  c.location.line = 1;
  return c;
}

// Numbers unknowns after `nodes` node voltages; branches and internal nodes come after them.
class MockBuilder final : public CircuitBuilder {
 public:
  explicit MockBuilder(int nodes) : count_(nodes) {}
  Index add_branch(const std::string& instance) override { return branches_[instance] = ++count_; }
  Index branch_of(const std::string& instance, const SourceLocation& where) const override {
    auto it = branches_.find(instance);
    if (it == branches_.end()) throw NetlistError(where, "no voltage source named " + instance);
    return it->second;
  }
  std::string scoped_name(const std::string& referrer, const std::string& local) const override {
    const auto dot = referrer.rfind('.');
    return dot == std::string::npos ? local : referrer.substr(0, dot + 1) + local;
  }
  const SimOptions& options() const override { return options_; }
  Index add_internal_node(const std::string& name) override { internal_.push_back(name); return ++count_; }
  int unknowns() const { return count_; }
  SimOptions options_;
  std::vector<std::string> internal_;

 private:
  int count_;
  std::map<std::string, Index> branches_;
};

// Binds a group's slots into a real pattern and evaluates it at chosen unknowns.
struct Bench {
  DeviceGroup& group;
  int n;
  std::unique_ptr<SparsityPattern> pattern;

  Bench(DeviceGroup& g, int unknowns) : group(g), n(unknowns) {
    PatternBuilder declare(n);
    group.bind_slots(declare);
    pattern = std::make_unique<SparsityPattern>(declare);
    group.bind_slots(*pattern);
  }

  struct Result {
    std::vector<double> f, f_abs, q, jac;
    int limited = 0;
  };

  Result eval(const std::vector<double>& x, double reactive_scale, bool limit = false, double time = 0,
              double source_scale = 1.0, double gmin = 1e-12, bool want_reactive = true) {
    Result out;
    out.f.assign(n + 1, 0.0);
    out.f_abs.assign(n + 1, 0.0);
    out.q.assign(n + 1, 0.0);
    out.jac.assign(pattern->nnz() + 1, 0.0);
    EvalRequest r;
    r.x = x.data();
    r.time = time;
    r.source_scale = source_scale;
    r.reactive_scale = reactive_scale;
    r.want_reactive = want_reactive;
    r.transient = want_reactive;  // as a transient evaluates: sources at their waveform value
    r.limit = limit;
    r.gmin = gmin;
    r.f = out.f.data();
    r.f_abs = out.f_abs.data();
    r.q = out.q.data();
    r.jac = out.jac.data();
    group.evaluate(r);
    out.limited = r.limited;
    return out;
  }

  // A matrix entry; entries never declared read as 0 (so a missing declaration fails the check).
  double entry(const Result& result, Index row, Index column) {
    const int s = pattern->slot(row, column);
    return s == pattern->dummy_slot() ? 0.0 : result.jac[s];
  }

  // Compares df/dx (reactive_scale 0) and dq/dx against central differences at x. dq/dx is read
  // as (J(a0) - J(0)) / a0 with a0 chosen per column so that a0*dq/dx is as large as df/dx:
  // otherwise a tiny capacitance would vanish in the rounding of a large conductance.
  void check_jacobian(std::vector<double> x, double relative_step = 1e-6) {
    x[0] = 0;
    const Result at_dc = eval(x, 0.0);
    constexpr double eps = 2.3e-16;
    for (Index column = 1; column <= n; ++column) {
      const double h = relative_step * std::max(1.0, std::fabs(x[column]));
      std::vector<double> up = x, down = x;
      up[column] += h;
      down[column] -= h;
      const Result fu = eval(up, 0.0), fd = eval(down, 0.0);
      double a0 = 1.0;
      for (Index row = 1; row <= n; ++row) {
        const double dq = std::fabs(fu.q[row] - fd.q[row]) / (2 * h);
        if (dq > 0) a0 = std::max(a0, std::fabs(entry(at_dc, row, column)) / dq);
      }
      const Result with_c = eval(x, a0);
      for (Index row = 1; row <= n; ++row) {
        const double df = (fu.f[row] - fd.f[row]) / (2 * h);
        const double dq = (fu.q[row] - fd.q[row]) / (2 * h);
        const double g = entry(at_dc, row, column);
        const double c = (entry(with_c, row, column) - g) / a0;
        // Rounding of the differences: a few ulps of the row's magnitude over the step.
        const double f_noise = 8 * eps * (std::fabs(fu.f[row]) + std::fabs(fd.f[row])) / h;
        const double q_noise = 8 * eps * (std::fabs(fu.q[row]) + std::fabs(fd.q[row])) / h;
        const double c_noise = 8 * eps * std::fabs(g) / a0;
        INFO("row " << row << " column " << column << " x " << x[column] << " g " << g << " df " << df
                    << " c " << c << " dq " << dq);
        CHECK(g == Approx(df).epsilon(1e-5).margin(f_noise + 1e-12 * std::fabs(g) + 1e-30));
        CHECK(c == Approx(dq).epsilon(1e-5).margin(q_noise + c_noise + 1e-12 * std::fabs(c) + 1e-36));
      }
    }
  }
};

std::vector<double> random_unknowns(int n, std::mt19937& rng, double spread = 2.0) {
  std::uniform_real_distribution<double> any(-spread, spread);
  std::vector<double> x(n + 1);
  for (auto& v : x) v = any(rng);
  x[0] = 0;
  return x;
}

ModelCard diode_model(std::map<std::string, double> params) {
  ModelCard m;
  m.name = "dmod";
  m.type = "d";
  m.params = std::move(params);
  return m;
}

}  // namespace

TEST_CASE("devices: voltage source stamps, signs, waveform and DC parameter", "[devices]") {
  MockBuilder builder(2);
  VoltageSourceGroup group;
  group.add_instance(card("v1", {1, 2}, {word("dc"), num(1.5)}), builder);
  group.add_instance(card("v2", {2, 0}, {word("pulse"), num(0.3), num(1), num(1e-9), num(1e-9), num(1e-9), num(5e-9)}),
                     builder);
  REQUIRE(builder.unknowns() == 4);
  Bench bench(group, builder.unknowns());
  std::mt19937 rng(1);
  for (int i = 0; i < 5; ++i) bench.check_jacobian(random_unknowns(4, rng));

  std::vector<double> x{0, 2.0, 0.25, 1e-3, -2e-3};
  auto dc = bench.eval(x, 0.0, false, 0.0, 0.5, 0, false);
  CHECK(dc.f[1] == Approx(1e-3));             // i(v1) leaves n+ ...
  CHECK(dc.f[2] == Approx(-1e-3 - 2e-3));     // ... enters n-; i(v2) leaves node 2
  CHECK(dc.f[3] == Approx(2.0 - 0.25 - 0.5 * 1.5));  // source stepping scales the value
  CHECK(dc.f[4] == Approx(0.25 - 0.5 * 0.3));         // no DC: the waveform at t = 0
  auto tran = bench.eval(x, 1e9, false, 3e-9);
  CHECK(tran.f[4] == Approx(0.25 - 1.0));

  CHECK(group.set_instance_param("v2", "dc", 0.9));
  CHECK_FALSE(group.set_instance_param("v2", "w", 1));
  CHECK_FALSE(group.set_instance_param("v9", "dc", 1));
  CHECK(bench.eval(x, 0.0, false, 0.0, 1.0, 0, false).f[4] == Approx(0.25 - 0.9));

  std::vector<DcConnection> connections;
  group.list_dc_connections(connections);
  REQUIRE(connections.size() == 2);
  CHECK(connections[0].kind == DcConnection::Kind::DefinesVoltage);
  // The corners one at a time: 1n, 2n, 7n, 8n, then none.
  std::vector<double> breakpoints;
  for (double t = group.next_breakpoint(0); t < 1e-6 && breakpoints.size() < 10; t = group.next_breakpoint(t))
    breakpoints.push_back(t);
  REQUIRE(breakpoints.size() == 4);
  CHECK(breakpoints[0] == Approx(1e-9));
  CHECK(breakpoints[3] == Approx(8e-9));
}

TEST_CASE("devices: current source direction and multiplier", "[devices]") {
  MockBuilder builder(2);
  CurrentSourceGroup group;
  group.add_instance(card("i1", {1, 2}, {num(2e-9), key("m", 2)}), builder);
  group.add_instance(card("i2", {0, 2}, {word("sin"), num(0), num(1e-9), num(1e3)}), builder);
  Bench bench(group, builder.unknowns());
  std::mt19937 rng(2);
  bench.check_jacobian(random_unknowns(2, rng));
  std::vector<double> x{0, 0.1, 0.2};
  auto r = bench.eval(x, 0.0, false, 0.25e-3);
  CHECK(r.f[1] == Approx(4e-9));                 // leaves n+
  CHECK(r.f[2] == Approx(-4e-9 - 1e-9));         // enters n- (and i2's peak at a quarter period)
  CHECK(r.f_abs[2] == Approx(5e-9));
  CHECK(group.set_instance_param("i1", "dc", 1e-9));
  CHECK(bench.eval(x, 0.0, false, 0.0, 1.0, 0, false).f[1] == Approx(2e-9));
  std::vector<DcConnection> connections;
  group.list_dc_connections(connections);
  CHECK(connections.empty());
}

TEST_CASE("devices: inductor is a DC short with flux -L*i", "[devices]") {
  MockBuilder builder(2);
  InductorGroup group;
  group.add_instance(card("l1", {1, 2}, {num(1e-6)}), builder);
  group.add_instance(card("l2", {2, 0}, {key("l", 4e-3), key("m", 2)}), builder);
  Bench bench(group, builder.unknowns());
  std::mt19937 rng(3);
  for (int i = 0; i < 5; ++i) bench.check_jacobian(random_unknowns(4, rng));
  std::vector<double> x{0, 1.0, 0.4, 2e-3, 5e-3};
  auto r = bench.eval(x, 1e6);
  CHECK(r.f[1] == Approx(2e-3));
  CHECK(r.f[3] == Approx(0.6));
  CHECK(r.q[3] == Approx(-1e-6 * 2e-3));
  CHECK(r.q[4] == Approx(-2e-3 * 5e-3));
  CHECK_THROWS_AS(group.add_instance(card("l3", {1, 0}, {}), builder), NetlistError);
}

TEST_CASE("devices: controlled sources E, G, F, H", "[devices]") {
  // Nodes 1..4; a voltage source v1 provides the controlling current for F and H.
  MockBuilder builder(4);
  VoltageSourceGroup sources;
  sources.add_instance(card("x1.vsense", {4, 0}, {num(0)}), builder);
  REQUIRE(sources.branch(0) == 5);

  VcvsGroup e;
  e.add_instance(card("e1", {1, 0, 2, 3}, {num(10)}), builder);
  VccsGroup g;
  g.add_instance(card("g1", {1, 2, 3, 4}, {num(1e-3), key("m", 2)}), builder);
  CccsGroup f;
  f.add_instance(card("x1.f1", {2, 3}, {word("vsense"), num(5)}), builder);
  CcvsGroup h;
  h.add_instance(card("x1.h1", {3, 1}, {word("vsense"), num(100)}), builder);
  f.link(builder);
  h.link(builder);
  const int n = builder.unknowns();  // 4 nodes + vsense, e1, h1 branches
  REQUIRE(n == 7);

  std::mt19937 rng(4);
  for (DeviceGroup* group : std::vector<DeviceGroup*>{&e, &g, &f, &h}) {
    Bench bench(*group, n);
    for (int i = 0; i < 3; ++i) bench.check_jacobian(random_unknowns(n, rng));
  }

  std::vector<double> x{0, 1.0, 0.3, 0.1, 0.05, 2e-3, 7e-3, 4e-3};
  {
    Bench bench(e, n);
    auto r = bench.eval(x, 0);
    CHECK(r.f[1] == Approx(7e-3));                        // e1's branch current leaves n+
    CHECK(r.f[6] == Approx(1.0 - 10 * (0.3 - 0.1)));      // v(n+) - gain * v(control)
  }
  {
    Bench bench(g, n);
    auto r = bench.eval(x, 0);
    CHECK(r.f[1] == Approx(2e-3 * (0.1 - 0.05)));
    CHECK(r.f[2] == Approx(-2e-3 * (0.1 - 0.05)));
  }
  {
    Bench bench(f, n);
    auto r = bench.eval(x, 0);
    CHECK(r.f[2] == Approx(5 * 2e-3));
    CHECK(r.f[3] == Approx(-5 * 2e-3));
  }
  {
    Bench bench(h, n);
    auto r = bench.eval(x, 0);
    CHECK(r.f[7] == Approx(0.1 - 1.0 - 100 * 2e-3));
    CHECK(r.f[3] == Approx(4e-3));
  }
  std::vector<DcConnection> connections;
  e.list_dc_connections(connections);
  g.list_dc_connections(connections);
  f.list_dc_connections(connections);
  h.list_dc_connections(connections);
  CHECK(connections.size() == 2);  // E and H define voltages; G and F do not connect

  CccsGroup dangling;
  dangling.add_instance(card("f9", {1, 0}, {word("vnothing"), num(1)}), builder);
  CHECK_THROWS_AS(dangling.link(builder), NetlistError);
  CHECK_THROWS_AS(CcvsGroup().add_instance(card("h9", {1, 0}, {num(1)}), builder), NetlistError);
  CHECK_THROWS_AS(VcvsGroup().add_instance(card("e9", {1, 0, 2, 0}, {word("poly"), num(1)}), builder),
                  NetlistError);
}

TEST_CASE("devices: diode Jacobian from deep reverse to strong forward bias at two temperatures",
          "[devices]") {
  const ModelCard plain = diode_model({{"is", 1e-14}, {"n", 1.05}});
  const ModelCard full = diode_model({{"is", 2e-15}, {"n", 1.3}, {"rs", 10}, {"cjo", 1e-12}, {"vj", 0.7},
                                      {"m", 0.4}, {"tt", 5e-9}, {"bv", 6}, {"ibv", 1e-6}, {"eg", 1.11},
                                      {"xti", 3}});
  const ModelCard abrupt = diode_model({{"cjo", 2e-12}, {"m", 1.0}, {"fc", 0.3}, {"tt", 1e-9}});
  for (double celsius : {27.0, 85.0}) {
    for (const ModelCard* model : {&plain, &full, &abrupt}) {
      MockBuilder builder(2);
      DiodeGroup group;
      group.add_instance(card("d1", {1, 2}, {num(2.0), key("m", 3)}, model), builder);
      group.set_temperature(celsius + physics::zero_celsius);
      const int n = builder.unknowns();
      Bench bench(group, n);
      for (double vd : {-20.0, -6.5, -6.0, -3.0, -0.5, 0.0, 0.2, 0.3, 0.5, 0.65, 0.7, 0.8, 0.9}) {
        // Junction voltage vd across the diode (and the internal node, when there is one).
        std::vector<double> x(n + 1, 0.0);
        x[1] = vd + 0.3;
        x[2] = 0.3;
        if (n == 3) x[3] = vd + 0.3 - 0.01;
        INFO("model with " << model->params.size() << " parameters, T " << celsius << " C, vd " << vd);
        bench.check_jacobian(x);
      }
    }
  }
}

TEST_CASE("devices: diode current, temperature scaling and series resistance", "[devices]") {
  const ModelCard model = diode_model({{"is", 1e-14}, {"n", 1.5}, {"eg", 1.11}, {"xti", 3}});
  MockBuilder builder(1);
  DiodeGroup group;
  group.add_instance(card("d1", {1, 0}, {}, &model), builder);
  Bench bench(group, 1);
  const double t_nom = 27 + physics::zero_celsius;
  group.set_temperature(t_nom);
  const double vt = physics::thermal_voltage(t_nom);
  auto r = bench.eval({0, 0.6}, 0, false, 0, 1, 0);
  CHECK(r.f[1] == Approx(1e-14 * (std::exp(0.6 / (1.5 * vt)) - 1)).epsilon(1e-12));
  CHECK(r.f_abs[1] == Approx(std::fabs(r.f[1])));

  // IS(T) = IS * (T/Tnom)^(XTI/N) * exp((T/Tnom - 1) * EG / (N*Vt(T))).
  const double t_hot = 100 + physics::zero_celsius;
  group.set_temperature(t_hot);
  const double vt_hot = physics::thermal_voltage(t_hot);
  const double ratio = t_hot / t_nom;
  const double is_hot = 1e-14 * std::pow(ratio, 3 / 1.5) * std::exp((ratio - 1) * 1.11 / (1.5 * vt_hot));
  r = bench.eval({0, 0.6}, 0, false, 0, 1, 0);
  CHECK(r.f[1] == Approx(is_hot * (std::exp(0.6 / (1.5 * vt_hot)) - 1)).epsilon(1e-12));
  CHECK(r.f[1] > 10 * 1e-14 * (std::exp(0.6 / (1.5 * vt)) - 1));

  // gmin sits in parallel with the junction.
  r = bench.eval({0, -1.0}, 0, false, 0, 1, 1e-9);
  CHECK(r.f[1] == Approx(-1e-9 - is_hot).epsilon(1e-9));

  // RS asks for an internal node and conducts between the anode and it.
  const ModelCard with_rs = diode_model({{"rs", 50}});
  MockBuilder builder2(2);
  DiodeGroup series;
  series.add_instance(card("x1.d2", {1, 2}, {num(2)}, &with_rs), builder2);
  REQUIRE(builder2.internal_ == std::vector<std::string>{"x1.d2#internal"});
  Bench bench2(series, builder2.unknowns());
  auto rs = bench2.eval({0, 1.0, 0.0, 0.5}, 0, false, 0, 1, 0);
  CHECK(rs.f[1] == Approx((1.0 - 0.5) * 2 / 50));
  std::vector<DcConnection> connections;
  series.list_dc_connections(connections);
  CHECK(connections.size() == 2);

  CHECK_THROWS_AS(DiodeGroup().add_instance(card("d3", {1, 0}, {}), builder), NetlistError);  // no model
  const ModelCard bad = diode_model({{"is", -1}});
  CHECK_THROWS_AS(DiodeGroup().add_instance(card("d3", {1, 0}, {}, &bad), builder), NetlistError);
}

TEST_CASE("devices: diode pn-junction limiting keeps residual and Jacobian consistent", "[devices]") {
  const ModelCard model = diode_model({{"is", 1e-14}, {"cjo", 1e-12}, {"tt", 1e-9}});
  MockBuilder builder(1);
  DiodeGroup group;
  group.add_instance(card("d1", {1, 0}, {}, &model), builder);
  Bench bench(group, 1);
  const double vt = physics::thermal_voltage(27 + physics::zero_celsius);
  const double vcrit = vt * std::log(vt / (std::sqrt(2.0) * 1e-14));

  // From the reset state (vd = 0) a jump to 3 V is pulled back to vt*ln(3/vt).
  group.reset_state();
  auto r = bench.eval({0, 3.0}, 1.0, true, 0, 1, 0);
  CHECK(r.limited == 1);
  const double v_limited = vt * std::log(3.0 / vt);
  const DiodeGroup::Scaled scaled = DiodeGroup::scale(DiodeGroup::read_model(model, SimOptions{}), 1.0,
                                                      27 + physics::zero_celsius);
  const DiodeGroup::Model params = DiodeGroup::read_model(model, SimOptions{});
  const auto j = DiodeGroup::junction(params, scaled, v_limited, 0);
  CHECK(r.f[1] == Approx(j.current + j.conductance * (3.0 - v_limited)));
  CHECK(r.q[1] == Approx(j.charge + j.capacitance * (3.0 - v_limited)));
  CHECK(r.jac[bench.pattern->slot(1, 1)] == Approx(j.conductance + j.capacitance));

  // The next iterate limits against the stored voltage: vold + vt*ln(1 + (vnew - vold)/vt).
  r = bench.eval({0, 1.0}, 0.0, true, 0, 1, 0);
  CHECK(r.limited == 1);
  const double expected = v_limited + vt * std::log(1 + (1.0 - v_limited) / vt);
  const auto j2 = DiodeGroup::junction(params, scaled, expected, 0);
  CHECK(r.f[1] == Approx(j2.current + j2.conductance * (1.0 - expected)));

  // Small changes, and any voltage below vcrit, pass untouched.
  r = bench.eval({0, expected + vt}, 0.0, true, 0, 1, 0);
  CHECK(r.limited == 0);
  r = bench.eval({0, -5.0}, 0.0, true, 0, 1, 0);
  CHECK(r.limited == 0);
  CHECK(vcrit > 0.6);
  CHECK(vcrit < 0.8);

  // A cold start evaluates the junction at vcrit.
  std::vector<double> f(2), f_abs(2), q(2), jac(bench.pattern->nnz() + 1);
  std::vector<double> x{0, 0.0};
  EvalRequest cold;
  cold.x = x.data();
  cold.cold_start = true;
  cold.gmin = 0;
  cold.f = f.data();
  cold.f_abs = f_abs.data();
  cold.q = q.data();
  cold.jac = jac.data();
  group.evaluate(cold);
  const auto jc = DiodeGroup::junction(params, scaled, vcrit, 0);
  CHECK(cold.limited == 1);
  CHECK(f[1] == Approx(jc.current - jc.conductance * vcrit));
}
