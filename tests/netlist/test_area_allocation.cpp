// `--area auto` (codesign/area_allocation.hpp): per-unit device area from the margins, within a
// gate-area budget, and the lowering's gate-area count against the elaborated netlist.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>

#include "codesign/area_allocation.hpp"
#include "codesign/lowering.hpp"
#include "codesign/sequence.hpp"
#include "devices/device.hpp"
#include "netlists/elaborate.hpp"
#include "tests/run_command.hpp"

using namespace picospice;
using namespace picospice::network;

namespace {

const std::string kExamples = std::string(PICOSPICE_SOURCE_DIR) + "/netlists/examples/";

// Sum of W*L*M over every transistor of the elaborated netlist, as the devices report it for mismatch.
double elaborated_gate_area(const std::string& netlist) {
  const auto circuit = elaborate_text(netlist, "area.cir");
  std::vector<MismatchParameter> parameters;
  for (const auto& group : circuit->groups) group->list_mismatch_parameters(parameters);
  std::map<std::string, double> areas;
  for (const auto& p : parameters) areas[p.instance] = p.area;
  double total = 0;
  for (const auto& [name, area] : areas) total += area;
  return total;
}

double cost(const std::vector<double>& area, const std::vector<double>& gate) {
  return std::inner_product(area.begin(), area.end(), gate.begin(), 0.0);
}

}  // namespace

TEST_CASE("area allocation: monotone in the margin, within the budget, the minimum without a near decision",
          "[area]") {
  // Four units of equal gate area: margins 0.5, 1, 2 sigmas at area 1 and one never near (need 0).
  std::vector<UnitMargin> margins(4);
  const double sigmas[] = {0.5, 1.0, 2.0, std::numeric_limits<double>::infinity()};
  for (int u = 0; u < 4; ++u) margins[u].unit = u, margins[u].smallest_sigmas = sigmas[u];
  std::vector<double> need;
  for (const auto& m : margins) need.push_back(needed_area(m, 4));
  CHECK(need[0] == Approx(64));
  CHECK(need[1] == Approx(16));
  CHECK(need[2] == Approx(4));
  CHECK(need[3] == 0);
  CHECK(needed_area(UnitMargin{0, 0, 4.5}, 4) == 0);  // beyond the target: nothing needed
  const std::vector<double> gate{1, 1, 1, 1};
  for (double budget : {4.0, 6.0, 10.0, 20.0, 40.0, 100.0}) {
    INFO("budget " << budget);
    const auto area = allocate_unit_areas(need, gate, budget);
    CHECK(cost(area, gate) <= budget * (1 + 1e-9));
    CHECK(area[0] >= area[1]);
    CHECK(area[1] >= area[2]);
    CHECK(area[2] >= area[3]);
    CHECK(area[3] == 1);  // the unit with no near-threshold decision keeps the minimum
    for (double a : area) CHECK((a >= 1 && a <= 16));
  }
  // Water-filling: a budget that covers every need gives each unit what it needs (capped at the
  // maximum) and leaves the rest; a tighter one fills the small needs first: 10 = 3 + 3 + 3 + 1.
  CHECK(allocate_unit_areas(need, gate, 40) == std::vector<double>{16, 16, 4, 1});
  const auto tight = allocate_unit_areas(need, gate, 10);
  CHECK(tight[0] == Approx(3));
  CHECK(tight[2] == Approx(3));
  CHECK(allocate_unit_areas(need, gate, 30)[2] == Approx(4));  // 12.5 + 12.5 + 4 + 1
  // The budget is spent (to within the bisection) when it binds.
  CHECK(cost(allocate_unit_areas(need, gate, 10), gate) == Approx(10).epsilon(1e-6));
  // Less than the minimum for everyone: the minimum.
  CHECK(allocate_unit_areas(need, gate, 2) == std::vector<double>(4, 1.0));
  CHECK_THROWS_AS(allocate_unit_areas(need, {1, 1}, 10), std::invalid_argument);
}

TEST_CASE("unit margins: in sigmas at area 1 from the threshold that decides", "[area]") {
  // The latch: c = x, beta1 0.3, beta2 0.7, s0 0. Inputs 0.6 (low: beta2 decides, 0.1 below),
  // 1.0 (switches high), 0.5 (high: beta1 decides, 0.2 above).
  const Network net = load_network(kExamples + "latch1.json");
  const auto& layer = std::get<BmruLayer>(net.layers[0]);
  REQUIRE(layer.beta1[0] == Approx(0.3));
  REQUIRE(layer.beta2(0) == Approx(0.7));
  const std::vector<Vector> frames{{0.6}, {1.0}, {0.5}};
  const double spread = 0.01;
  const auto margins = unit_margins(net, {frames}, spread, 4);
  REQUIRE(margins.size() == 1);
  const double copy = std::sqrt(2.0) * spread, w = layer.W_c[0][0], b = layer.b_c[0];
  const auto sigmas = [&](double x, double threshold) {
    const double c = w * x + b;
    // The weight's copy, the bias, the cell's copy of c and the threshold's reference (inputs exact).
    return std::abs(c - threshold) / (copy * std::sqrt(w * x * w * x + b * b + c * c + threshold * threshold));
  };
  const double expected = std::min({sigmas(0.6, 0.7), sigmas(1.0, 0.7), sigmas(0.5, 0.3)});
  CHECK(margins[0].smallest_sigmas == Approx(expected));
  CHECK(margins[0].frames == 3);
}

TEST_CASE("the lowering counts its gate area as the elaborated netlist has it, per unit as allocated", "[area]") {
  const Network net = load_network(kExamples + "kws_2x4.json");
  const auto seq = read_sequence_csv(kExamples + "kws_2x4.csv", net.inputs);
  const std::vector<Vector> frames(seq.frames.begin(), seq.frames.begin() + 12);
  LoweringOptions one, four, mixed;
  four.area = 4;
  const LoweredNetwork a1 = lower_network(net, frames, one), a4 = lower_network(net, frames, four);
  // The netlist writes W and L to 6 significant digits: the count agrees to about 1e-6.
  CHECK(a1.gate_area == Approx(elaborated_gate_area(a1.netlist)).epsilon(1e-5));
  CHECK(a4.gate_area == Approx(4 * a1.gate_area).epsilon(1e-9));
  double layers = 0;
  for (double g : a4.gate_area_by_layer) layers += g;
  CHECK(layers == Approx(a4.gate_area));
  // Explicit per-unit factors: each unit's own devices scale with its factor, the rest with `area`.
  mixed.area = 2;
  mixed.unit_area = {{1, 3, 8, 1}, {2, 2, 16, 1}, {}};
  const LoweredNetwork m = lower_network(net, frames, mixed);
  CHECK(m.gate_area == Approx(elaborated_gate_area(m.netlist)).epsilon(1e-5));
  CHECK(m.unit_area == mixed.unit_area);
  CHECK(m.unit_gate_area[0][2] == Approx(8 * a1.unit_gate_area[0][2]).epsilon(1e-9));
  CHECK(m.unit_gate_area[1][2] == Approx(16 * a1.unit_gate_area[1][2]).epsilon(1e-9));
  CHECK(m.netlist.find("xcell_l0_u2 l0_u2_in") != std::string::npos);
  CHECK(m.netlist.find("schmitt9 area=8\n") != std::string::npos);
  // A malformed allocation is refused.
  mixed.unit_area = {{1, 3}, {2, 2, 16, 1}, {}};
  CHECK_THROWS_AS(lower_network(net, frames, mixed), NetworkError);
  mixed.unit_area = {{1, 3, -1, 1}, {2, 2, 16, 1}, {}};
  CHECK_THROWS_AS(lower_network(net, frames, mixed), NetworkError);
}

TEST_CASE("area auto stays within the budget of uniform area 4 and sizes the near units up", "[area]") {
  const Network net = load_network(kExamples + "kws_2x4.json");
  const auto seq = read_sequence_csv(kExamples + "kws_2x4.csv", net.inputs);
  LoweringOptions four, automatic;
  four.area = 4;
  automatic.area_auto = true;
  const LoweredNetwork uniform = lower_network(net, seq.frames, four), sized = lower_network(net, seq.frames, automatic);
  CHECK(sized.gate_area <= uniform.gate_area * (1 + 1e-9));
  CHECK(sized.gate_area == Approx(elaborated_gate_area(sized.netlist)).epsilon(1e-5));
  CHECK(sized.netlist.find("(--area auto, area_allocation.hpp)") != std::string::npos);
  REQUIRE(sized.area_report.size() >= 2);
  // The allocation follows the margins the report lists: a unit closer (in sigmas) never gets less.
  const UnitDeviceSpread spread = unit_device_current_spread(1.0);
  const auto margins = unit_margins(sized.effective, {seq.frames}, std::max(spread.nmos, spread.pmos), 4);
  for (const auto& a : margins)
    for (const auto& b : margins)
      if (a.smallest_sigmas < b.smallest_sigmas) CHECK(sized.unit_area[a.layer][a.unit] >= sized.unit_area[b.layer][b.unit]);
  for (const auto& m : margins)
    if (!(m.smallest_sigmas < 4)) CHECK(sized.unit_area[m.layer][m.unit] == 1);
  // A smaller budget is kept too; one below the network at area 1 is refused.
  automatic.area_budget = 2.5 * uniform.gate_area / 4;
  CHECK(lower_network(net, seq.frames, automatic).gate_area <= automatic.area_budget * (1 + 1e-9));
  automatic.area_budget = 0.5 * uniform.gate_area / 4;
  CHECK_THROWS_WITH(lower_network(net, seq.frames, automatic), Catch::Contains("below this network's gate area at area 1"));
  // --area-from: the margins of the given sequences decide; the input's own sequence given as one
  // reproduces the default, and a constant input with no decision near a threshold sizes nothing up.
  automatic.area_budget = 0;
  automatic.area_sequences = {seq.frames};
  CHECK(lower_network(net, seq.frames, automatic).unit_area == sized.unit_area);
  automatic.area_sequences = {std::vector<Vector>(3, Vector(net.inputs, 0.0))};
  const UnitDeviceSpread spread0 = unit_device_current_spread(1.0);
  const auto quiet = unit_margins(sized.effective, automatic.area_sequences, std::max(spread0.nmos, spread0.pmos), 4);
  const LoweredNetwork from_quiet = lower_network(net, seq.frames, automatic);
  for (const auto& m : quiet)
    if (!(m.smallest_sigmas < 4)) CHECK(from_quiet.unit_area[m.layer][m.unit] == 1);
  automatic.area_sequences = {{Vector(net.inputs + 1, 0.0)}};
  CHECK_THROWS_WITH(lower_network(net, seq.frames, automatic), Catch::Contains("--area-from sequence differs in width"));
}

TEST_CASE("lower --area auto reports the gate area; bad area options are refused", "[area][cli]") {
  namespace fs = std::filesystem;
  const fs::path dir = testing::scratch_directory("picospice_area_auto");
  const std::string net = kExamples + "kws_2x4.json", input = " --input " + kExamples + "kws_2x4.csv";
  const std::string out = " -o " + (dir / "auto.cir").string();
  const auto done = testing::run_picospice("lower " + net + input + out + " --area auto");
  INFO(done.describe());
  REQUIRE(done.succeeded());
  CHECK_THAT(done.output, Catch::Contains("picospice lower: area auto: budget"));
  CHECK_THAT(done.output, Catch::Contains("um^2 (layer 0 "));
  CHECK_THAT(done.output, Catch::Contains("at area auto"));
  // agree reports it in JSON, with the per-unit factors.
  const std::string latch = kExamples + "latch1.json --input " + kExamples + "latch1.csv";
  const auto agreed = testing::run_picospice("agree " + latch + " --area auto --format json");
  INFO(agreed.describe());
  REQUIRE(agreed.succeeded());
  CHECK_THAT(agreed.output, Catch::Contains("\"gate_area_um2\""));
  CHECK_THAT(agreed.output, Catch::Contains("\"gate_area_by_layer_um2\""));
  CHECK_THAT(agreed.output, Catch::Contains("\"unit_area\""));
  CHECK_THAT(agreed.output, Catch::Contains("\"auto\""));
  CHECK_REFUSED_WITH(testing::run_picospice("lower " + net + input + out + " --area 4 --area-budget 3000"),
                     "--area-budget 3000: only with --area auto");
  CHECK_REFUSED_WITH(testing::run_picospice("lower " + net + input + out + " --area auto --area-budget -5"),
                     "--area-budget -5: expected a positive gate area in um^2");
  CHECK_REFUSED_WITH(testing::run_picospice("lower " + net + input + out + " --area auto --area-budget 10"),
                     "below this network's gate area at area 1");
  CHECK_REFUSED_WITH(testing::run_picospice("lower " + net + input + out + " --area automatic"),
                     "--area automatic: expected a positive number");
  CHECK_REFUSED_WITH(testing::run_picospice("agree " + net + input + " --area 1 --area-budget 3000"),
                     "--area-budget 3000: only with --area auto");
  // --area-from: the allocation comes from other sequences, and says so; only with auto.
  const std::string from = " --area-from " + kExamples + "kws_2x4.csv";
  const auto sized = testing::run_picospice("lower " + net + input + out + " --area auto" + from);
  INFO(sized.describe());
  REQUIRE(sized.succeeded());
  CHECK_THAT(sized.output, Catch::Contains("over 1 --area-from sequences"));
  CHECK_REFUSED_WITH(testing::run_picospice("lower " + net + input + out + " --area 4" + from),
                     "only with --area auto");
}
