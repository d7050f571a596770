// Adding a device type is one file: this test file alone defines a device, registers it, and a
// netlist uses it through the ordinary elaborate -> System -> analysis path, Monte Carlo and the
// operating-point report included. Nothing in devices/, engine/ or netlists/ knows about it.
#include <catch2/catch.hpp>

#include <cmath>

#include "devices/device_registry.hpp"
#include "engine/analyses/op_report.hpp"
#include "engine/monte_carlo/mismatch.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

namespace picospice {
namespace {

// `Yname a b g=G [dg=0]`: a conductance G*(1 + dg) from a to b, with a made-up Pelgrom-style
// mismatch on dg (coefficient "ay", per instance, over a unit "area" of 4). The letter Y has no
// element in ngspice's dialect that picospice reads.
class TestConductanceGroup final : public DeviceGroup {
 public:
  std::string_view type_name() const override { return "test_conductance"; }
  std::size_t size() const override { return names_.size(); }
  std::unique_ptr<DeviceGroup> clone() const override { return std::make_unique<TestConductanceGroup>(*this); }
  bool is_linear() const override { return true; }

  void add_instance(const ElementCard& card, CircuitBuilder&) override {
    double g = 0, dg = 0;
    for (const auto& arg : card.args) {
      if (arg.key == "g") g = arg.value;
      else if (arg.key == "dg") dg = arg.value;
      else card.fail(arg, "Y elements take g= and dg=");
    }
    if (!(g > 0)) card.fail("Y element " + card.name + " needs g= > 0");
    names_.push_back(card.name);
    a_.push_back(card.nodes[0]);
    b_.push_back(card.nodes[1]);
    g_.push_back(g);
    dg_.push_back(dg);
    slots_.emplace_back();
  }
  void bind_slots(SlotBinder& binder) override {
    for (std::size_t i = 0; i < size(); ++i) slots_[i].bind(binder, a_[i], b_[i]);
  }
  void evaluate(EvalRequest& r) override {
    for (std::size_t i = 0; i < size(); ++i) {
      const double g = g_[i] * (1 + dg_[i]);
      r.add_current(a_[i], b_[i], g * (r.x[a_[i]] - r.x[b_[i]]));
      slots_[i].add(r.jac, g);
    }
  }
  void list_dc_connections(std::vector<DcConnection>& out) const override {
    for (std::size_t i = 0; i < size(); ++i) out.push_back({names_[i], a_[i], b_[i], DcConnection::Kind::Conducts});
  }
  bool set_instance_param(std::string_view instance, std::string_view param, double value) override {
    for (std::size_t i = 0; i < size(); ++i)
      if (names_[i] == instance && param == "dg") {
        dg_[i] = value;
        return true;
      }
    return false;
  }
  void list_mismatch_parameters(std::vector<MismatchParameter>& out) const override {
    for (std::size_t i = 0; i < size(); ++i) {
      MismatchParameter p;
      p.instance = names_[i];
      p.parameter = "dg";
      p.coefficient = "ay";
      p.coefficient_value = 0.1;  // sigma = 0.1 / sqrt(4) = 5%
      p.area = 4;
      p.nominal = dg_[i];
      p.lowest = -0.5;
      p.log_current_sensitivity = 1;
      out.push_back(p);
    }
  }
  OperatingPointTable operating_point_table(const double* x) const override {
    OperatingPointTable table;
    table.title = "test conductances";
    table.columns = {{"i (A)"}};
    for (std::size_t i = 0; i < size(); ++i)
      table.rows.push_back({names_[i], {g_[i] * (1 + dg_[i]) * (x[a_[i]] - x[b_[i]])}});
    return table;
  }

 private:
  std::vector<std::string> names_;
  std::vector<Index> a_, b_;
  std::vector<double> g_, dg_;
  std::vector<PairSlots> slots_;
};

const DeviceRegistration kRegistered{{'y', 2, false, {}, "test_conductance", make_group<TestConductanceGroup>}};

constexpr const char* kNetlist = R"(one test conductance
I1 0 a 1m
Y1 a 0 g=2m
.op
.end
)";

}  // namespace

TEST_CASE("a device defined in one file alone is elaborated, simulated and reported", "[devices]") {
  auto circuit = elaborate_text(kNetlist, "y.cir");
  REQUIRE(circuit->find_group("test_conductance") != nullptr);
  const auto plots = run_analyses(*circuit);
  REQUIRE(plots.size() == 1);
  CHECK(plots[0].find("v(a)")->values[0] == Approx(0.5));  // 1 mA into 2 mS

  const auto tables = device_operating_points(*circuit, plots[0]);
  REQUIRE(tables.size() == 1);
  CHECK(tables[0].title == "test conductances");
  CHECK(std::get<double>(tables[0].rows[0].cells[0]) == Approx(1e-3));
}

TEST_CASE("a device defined in one file alone takes part in Monte Carlo through its own parameters", "[devices][mc]") {
  auto circuit = elaborate_text(kNetlist, "y.cir");
  MismatchPlan plan(*circuit, {});
  REQUIRE(plan.size() == 1);
  CHECK(plan.find("y1", "dg")->sigma == Approx(0.05));
  const auto draws = plan.draw(1, 3);
  REQUIRE(draws.size() == 1);
  MismatchPlan::apply(*circuit, draws);
  const auto plots = run_analyses(*circuit);
  CHECK(plots[0].find("v(a)")->values[0] == Approx(0.5 / (1 + draws[0].value)));

  MismatchSettings wider;
  wider.coefficients["ay"] = 0.4;  // an override by the coefficient's name reaches any device
  CHECK(MismatchPlan(*circuit, wider).find("y1", "dg")->sigma == Approx(0.2));
}

TEST_CASE("the device registry is ordered and finds every built-in element letter", "[devices]") {
  const auto& kinds = device_registry();
  for (std::size_t k = 1; k < kinds.size(); ++k) CHECK(kinds[k - 1].letter <= kinds[k].letter);
  for (char letter : std::string("rclvi efgh y"))
    if (letter != ' ') CHECK(find_device_kind(letter, nullptr) != nullptr);
}

}  // namespace picospice
