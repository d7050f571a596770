// `--area auto` (codesign/area_allocation.hpp): per-unit device area from the margins, within a
// gate-area budget, and the lowering's gate-area count against the elaborated netlist.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <sstream>
#include <string>

#include "codesign/area_allocation.hpp"
#include "codesign/inference.hpp"
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

namespace {

// A unit whose errors change the decision of each of `sequences` sequences at `margin` sigmas
// (both directions, one mode), or never (infinity).
DecisionMargin unit_with_margin(int unit, double margin, int sequences = 2) {
  DecisionMargin m;
  m.unit = unit;
  m.sequences = sequences;
  m.up.assign(sequences, margin);
  m.down.assign(sequences, std::numeric_limits<double>::infinity());
  return m;
}

}  // namespace

TEST_CASE("expected decision loss: the normal tail of each margin at the area's sigma", "[area]") {
  const DecisionMargin m = unit_with_margin(0, 1.0);
  // Q(1) = 0.158655 at area 1; at area 4 the sigma halves: Q(2) = 0.0227501.
  CHECK(expected_decision_loss(m, 1) == Approx(0.158655).epsilon(1e-5));
  CHECK(expected_decision_loss(m, 4) == Approx(0.0227501).epsilon(1e-5));
  // Two margins in one sequence add; a second sequence that never changes halves the mean.
  DecisionMargin two = m;
  two.down = {1.0, std::numeric_limits<double>::infinity()};
  CHECK(expected_decision_loss(two, 1) == Approx(1.5 * 0.158655).epsilon(1e-5));
  CHECK(expected_decision_loss(unit_with_margin(0, std::numeric_limits<double>::infinity()), 1) == 0);
  CHECK(expected_decision_loss(DecisionMargin{}, 1) == 0);  // nothing scored
  CHECK(unit_with_margin(0, 0.7).smallest() == Approx(0.7));
}

TEST_CASE("area allocation: the closer unit gets more, within the budget, the rest raises the least", "[area]") {
  // Four units of equal gate area: margins 0.5, 1, 2 sigmas at area 1 and one that never changes
  // a decision.
  std::vector<DecisionMargin> margins;
  const double sigmas[] = {0.5, 1.0, 2.0, std::numeric_limits<double>::infinity()};
  for (int u = 0; u < 4; ++u) margins.push_back(unit_with_margin(u, sigmas[u]));
  const std::vector<double> gate{1, 1, 1, 1};
  const auto total_loss = [&](const std::vector<double>& area) {
    double loss = 0;
    for (std::size_t u = 0; u < area.size(); ++u) loss += expected_decision_loss(margins[u], area[u]);
    return loss;
  };
  for (double budget : {4.0, 6.0, 10.0, 20.0, 40.0}) {
    INFO("budget " << budget);
    const auto area = allocate_unit_areas(margins, gate, budget);
    CHECK(cost(area, gate) <= budget * (1 + 1e-9));
    CHECK(area[0] >= area[1] * 0.999);
    CHECK(area[1] >= area[2] * 0.999);
    CHECK(area[3] <= area[2] * (1 + 1e-9));  // the unit whose errors never change a decision: the least
    for (double a : area) CHECK((a >= 1 && a <= 16 * (1 + 1e-12)));
    // No worse than spreading the same budget evenly over the units that can use it.
    const double even = std::min(16.0, (budget - 1) / 3);
    CHECK(total_loss(area) <= total_loss({even, even, even, 1}) * (1 + 1e-9) + 1e-12);
  }
  // A budget that covers the decisions: each unit stops where its loss reaches the floor (1e-6),
  // the 2-sigma unit at (4.75 / 2)^2 = 5.6 or so, the 0.5- and 1-sigma units at the maximum, and
  // the rest of the budget raises the units below a common level to it (here only the unit that
  // never matters: 40 - 16 - 16 - 5.6).
  const auto rich = allocate_unit_areas(margins, gate, 40);
  CHECK(rich[0] == Approx(16));
  CHECK(rich[1] == Approx(16));
  CHECK(rich[2] > 4);
  CHECK(rich[2] < 8);
  CHECK(expected_decision_loss(margins[2], rich[2]) <= 1.1e-6);
  CHECK(rich[3] == Approx(40 - 32 - rich[2]).epsilon(1e-6));
  CHECK(rich[3] < rich[2]);
  CHECK(cost(rich, gate) == Approx(40).epsilon(1e-6));
  // More than every unit at the maximum can use: the maximum, the rest unspent.
  CHECK(allocate_unit_areas(margins, gate, 1000) == std::vector<double>(4, 16.0));
  // Less than the minimum for everyone: the minimum.
  CHECK(allocate_unit_areas(margins, gate, 2) == std::vector<double>(4, 1.0));
  CHECK_THROWS_AS(allocate_unit_areas(margins, {1, 1}, 10), std::invalid_argument);
}

TEST_CASE("decision margins: the error of the unit that decides, in its sigmas, until the decision changes",
          "[area]") {
  // The latch (c = w x + b, beta1 0.3, beta2 0.7, s0 0, one unit, a readout): an input that holds the
  // candidate at 0.6 never switches it on, so the decision is the readout's choice for state 0; moving
  // the candidate up by 0.1 (plus a hair) switches it on and changes the decision, and no downward
  // move can. Its output level never matters while it stays off.
  const Network net = load_network(kExamples + "latch1.json");
  const auto& layer = std::get<BmruLayer>(net.layers[0]);
  REQUIRE(layer.beta2(0) == Approx(0.7));
  const double w = layer.W_c[0][0], b = layer.b_c[0];
  const double x = (0.6 - b) / w;
  const std::vector<Vector> frames(6, Vector{x});
  const InferenceResult nominal = infer(net, frames);
  REQUIRE(nominal.layers[0].state.back()[0] == 0);
  // Switching the latch on (here at frame 2, then held in the band) changes the decision.
  std::vector<Vector> on = frames;
  on[2] = Vector{(1.0 - b) / w};
  REQUIRE(!nominal.vote.borderline);
  REQUIRE(infer(net, on).vote.decision != nominal.vote.decision);
  const double spread = 0.01;
  const auto margins = decision_margins(net, {frames}, spread);
  REQUIRE(margins.size() == 1);
  REQUIRE(margins[0].sequences == 1);
  REQUIRE(margins[0].up.size() == 2);  // switching and output level
  const double copy = std::sqrt(2.0) * spread;
  const double sigma = copy * std::sqrt(w * x * w * x + b * b + 0.6 * 0.6 + 0.7 * 0.7);
  CHECK(margins[0].up[0] == Approx(0.1 / sigma).epsilon(0.01));
  CHECK(std::isinf(margins[0].down[0]));
  CHECK(std::isinf(margins[0].up[1]));
  CHECK(std::isinf(margins[0].down[1]));
  // A sequence with a borderline decision (a tie: on for three frames, then off) is not scored.
  const std::vector<Vector> split{{(1.0 - b) / w}, {x}, {x}, {(0.1 - b) / w}, {x}, {x}};
  REQUIRE(infer(net, split).vote.borderline);
  CHECK(decision_margins(net, {split}, spread)[0].sequences == 0);
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
  // A mirror whose outputs have mixed sizes gets a diode per size, in parallel on the input: their
  // W/L still sums to the unit device's (every output keeps its ratio |w|), shared in proportion
  // to size^2 so that the small groups' diodes do not dominate the copies' error.
  const double nmos_w_over_l = 1.0 / 4.0;  // the NMOS unit mirror device, 1u/4u
  std::map<std::string, std::vector<std::pair<double, double>>> diodes;  // input -> (W/L, L) per group
  std::istringstream lines(m.netlist);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("xnm_in", 0) != 0) continue;
    const auto field = [&](const std::string& key, double fallback) {
      const auto at = line.find(" " + key + "=");
      return at == std::string::npos ? fallback : std::stod(line.substr(at + key.size() + 2));
    };
    std::istringstream words(line);
    std::string name, input;
    words >> name >> input;
    const double w = field("wi", 1), l = field("l", 4);
    diodes[input].emplace_back(w / l, l);
  }
  int mixed_mirrors = 0;
  for (const auto& [input, groups] : diodes) {
    INFO("mirror of " << input);
    double sum = 0, sum_size2 = 0;
    for (const auto& [ratio, l] : groups) sum += ratio, sum_size2 += (l / 4) * (l / 4);
    CHECK(sum == Approx(nmos_w_over_l).epsilon(1e-4));
    bool mixed_sizes = false;
    for (const auto& [ratio, l] : groups) {
      mixed_sizes = mixed_sizes || std::abs(l - groups.front().second) > 1e-9;
      CHECK(ratio / nmos_w_over_l == Approx((l / 4) * (l / 4) / sum_size2).epsilon(1e-4));
    }
    mixed_mirrors += mixed_sizes;
  }
  CHECK(mixed_mirrors > 0);
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
  // The allocation follows the decision margins: the units whose errors never change the input's
  // decision share the least area (the level the rest of the budget buys); the report lists the
  // margins and the predicted loss.
  const UnitDeviceSpread spread = unit_device_current_spread(1.0);
  const double device_spread = std::max(spread.nmos, spread.pmos);
  const auto margins = decision_margins(sized.effective, {seq.frames}, device_spread);
  const auto least_for_the_indifferent = [](const std::vector<DecisionMargin>& ms, const LoweredNetwork& lowered) {
    double smallest = std::numeric_limits<double>::infinity();
    for (const auto& m : ms) smallest = std::min(smallest, lowered.unit_area[m.layer][m.unit]);
    int indifferent = 0;
    for (const auto& m : ms)
      if (std::isinf(m.smallest())) {
        ++indifferent;
        CHECK(lowered.unit_area[m.layer][m.unit] == Approx(smallest).epsilon(1e-9));
      }
    return indifferent;
  };
  CHECK(least_for_the_indifferent(margins, sized) > 0);
  bool reported = false;
  for (const auto& line : sized.area_report) reported = reported || line.find("predicted decisions lost") != std::string::npos;
  CHECK(reported);
  // A smaller budget is kept too; one below the network at area 1 is refused.
  automatic.area_budget = 2.5 * uniform.gate_area / 4;
  CHECK(lower_network(net, seq.frames, automatic).gate_area <= automatic.area_budget * (1 + 1e-9));
  automatic.area_budget = 0.5 * uniform.gate_area / 4;
  CHECK_THROWS_WITH(lower_network(net, seq.frames, automatic), Catch::Contains("below this network's gate area at area 1"));
  // --area-from: the margins of the given sequences decide; the input's own sequence given as one
  // reproduces the default; a constant input is sized from its own margins, within the budget.
  automatic.area_budget = 0;
  automatic.area_sequences = {seq.frames};
  CHECK(lower_network(net, seq.frames, automatic).unit_area == sized.unit_area);
  automatic.area_sequences = {std::vector<Vector>(3, Vector(net.inputs, 0.0))};
  const auto quiet = decision_margins(sized.effective, automatic.area_sequences, device_spread);
  const LoweredNetwork from_quiet = lower_network(net, seq.frames, automatic);
  least_for_the_indifferent(quiet, from_quiet);
  CHECK(from_quiet.gate_area <= uniform.gate_area * (1 + 1e-9));
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
