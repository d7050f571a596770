// Where a lowered network's power goes (the per-block breakdown), and what the lowering does to
// bring it down.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "codesign/agreement.hpp"
#include "codesign/lowering.hpp"
#include "codesign/sequence.hpp"
#include "tests/run_command.hpp"

using namespace picospice;
using namespace picospice::network;

namespace {

const std::string kExamples = std::string(PICOSPICE_SOURCE_DIR) + "/netlists/examples/";
const std::string kData = std::string(PICOSPICE_TEST_DATA) + "/netlist/network/";

double sum_of_blocks(const AgreementReport& r) {
  double sum = 0;
  for (const auto& b : r.power_blocks) sum += b.watts;
  return sum;
}

}  // namespace

TEST_CASE("power breakdown: every block measured on its own supply, summing to the total", "[lowering][power]") {
  const Network net = load_network(kData + "random_seed2.json");
  const auto seq = read_sequence_csv(kData + "random_seed2.csv", net.inputs);
  AgreementOptions shared, detailed;
  detailed.lowering.power_breakdown = true;
  const AgreementReport plain = run_agreement(net, seq.frames, shared);
  const AgreementReport r = run_agreement(net, seq.frames, detailed);
  CHECK(plain.power_blocks.empty());
  REQUIRE_FALSE(r.power_blocks.empty());
  // The same circuit: only the supplies are split, so the states and the total stay.
  CHECK(r.state_agreement == plain.state_agreement);
  CHECK(r.power_total_w == Approx(plain.power_total_w).epsilon(1e-3));
  // The blocks partition the total (the cells' blanking is taken out of their references).
  CHECK(sum_of_blocks(r) == Approx(r.power_total_w).epsilon(1e-9));
  double cells = 0;
  std::map<PowerKind, int> count;
  for (const auto& b : r.power_blocks) {
    INFO(b.block << " " << power_kind_name(b.kind) << " " << b.watts * 1e9 << " nW");
    CHECK(b.watts > -1e-13);  // nothing delivers power back to a supply
    ++count[b.kind];
    if (b.kind != PowerKind::bias && b.kind != PowerKind::mirror) cells += b.watts;
  }
  CHECK(cells == Approx(r.power_cells_w).epsilon(1e-9));
  // One core, references and blanking share per cell; one blanking reference per BMRU layer.
  const int units = static_cast<int>(r.units.size());
  CHECK(count[PowerKind::cell_core] == units);
  CHECK(count[PowerKind::cell_references] == units);
  CHECK(count[PowerKind::cell_blanking] == units);
  CHECK(count[PowerKind::blanking_reference] >= 1);
  CHECK(power_of_kind(r.power_blocks, PowerKind::cell_blanking) > 0);
  CHECK(power_of_kind(r.power_blocks, PowerKind::mirror) > 0);
}

TEST_CASE("ratioed bias references: same states and switching, a fraction of the references' power",
          "[lowering][power]") {
  // The floor follows the reference line's time constant: 6 * C * N * UT / window, C = 2 x 8 um^2
  // x 8.5 fF/um^2 x area.
  const double window = 0.0038;  // 10 ms frames, two BMRU layers: releases end at 42%, deadline 80%
  CHECK(reference_floor(window, 1) == Approx(6 * 136e-15 * 1.35 * 0.025865 / window).epsilon(1e-3));
  CHECK(reference_floor(window, 4) == Approx(4 * reference_floor(window, 1)));
  CHECK(reference_ratio(1e-9, window, 1, 16) == 16);   // capped
  CHECK(reference_ratio(20e-12, window, 1, 16) == 2);  // floor ~7.5 pA
  CHECK(reference_ratio(5e-12, window, 1, 16) == 1);   // below the floor: not ratioed
  CHECK(reference_ratio(1e-9, window, 1, 1) == 1);     // off
  // A blanked cell's I_thresh ratio never exceeds its I_width ratio (scaled by ith / iw when the
  // width current is the larger): reference_ratio.hpp.
  CHECK(blanked_reference_ratios(1e-9, 200e-12, window, 1, 32) == std::pair{std::min(32, reference_ratio(200e-12, window, 1, 32)), reference_ratio(200e-12, window, 1, 32)});
  CHECK(blanked_reference_ratios(100e-12, 400e-12, window, 1, 32).first == reference_ratio(400e-12, window, 1, 32) / 4);
  CHECK(blanked_reference_ratios(1e-9, 1e-9, window, 1, 32) == std::pair{32, 32});
  CHECK(blanked_reference_ratios(1e-9, 5e-12, window, 1, 32) == std::pair{1, 1});
  // The onset: the I_width excess must lead, iw W / kw >= ith T / kt (reference_ratio.hpp).
  CHECK(onset_ordered_width(1.85, 2.25, 403e-12, 159e-12, 32, 32) == Approx(1.85 * 403.0 / 159.0));
  CHECK(onset_ordered_width(1.0, 3.0, 400e-12, 200e-12, 32, 32) == 3.0);  // already ordered
  CHECK(onset_ordered_width(1.0, 1.5, 400e-12, 200e-12, 8, 16) == Approx(4.0));

  const Network net = load_network(kData + "random_seed2.json");
  const auto seq = read_sequence_csv(kData + "random_seed2.csv", net.inputs);
  AgreementOptions full, ratioed;
  full.lowering.reference_ratio_limit = 1;
  full.lowering.power_breakdown = ratioed.lowering.power_breakdown = true;
  const AgreementReport a = run_agreement(net, seq.frames, full);
  const AgreementReport b = run_agreement(net, seq.frames, ratioed);
  // The cells see the same biases: every state and (within the mirrors' tolerance) every
  // candidate as with full-current references.
  CHECK(b.circuit_states == a.circuit_states);
  CHECK(b.candidate_mae == Approx(a.candidate_mae).margin(2e-3));
  CHECK(b.unsettled_frames == 0);
  // The cell cores draw what they drew; the references and the blanking they carry a fraction.
  CHECK(power_of_kind(b.power_blocks, PowerKind::cell_core) ==
        Approx(power_of_kind(a.power_blocks, PowerKind::cell_core)).epsilon(0.02));
  CHECK(power_of_kind(b.power_blocks, PowerKind::cell_references) <
        0.25 * power_of_kind(a.power_blocks, PowerKind::cell_references));
  CHECK(power_of_kind(b.power_blocks, PowerKind::cell_blanking) <
        0.25 * power_of_kind(a.power_blocks, PowerKind::cell_blanking));
  CHECK(power_of_kind(b.power_blocks, PowerKind::bias) < power_of_kind(a.power_blocks, PowerKind::bias));
  CHECK(b.power_total_w < 0.8 * a.power_total_w);
}

TEST_CASE("the unit current scales every current: the same states, the power in proportion", "[lowering][power]") {
  const Network net = load_network(kData + "random_seed2.json");
  const auto seq = read_sequence_csv(kData + "random_seed2.csv", net.inputs);
  Network lower_current = net;
  lower_current.unit_current = 0.85 * net.unit_current;
  const AgreementReport a = run_agreement(net, seq.frames, {});
  const AgreementReport b = run_agreement(lower_current, seq.frames, {});
  CHECK(b.circuit_states == a.circuit_states);
  CHECK(b.state_agreement == a.state_agreement);
  CHECK(b.unsettled_frames == 0);
  // Not exactly 0.85: the reference ratios are set against a floor in amperes (reference_ratio.hpp),
  // and leakage does not scale.
  CHECK(b.power_total_w / a.power_total_w == Approx(0.85).margin(0.03));
}

TEST_CASE("lower --unit-current: written into the netlist; nonsense refused", "[lowering][cli]") {
  namespace fs = std::filesystem;
  const fs::path dir = testing::scratch_directory("picospice_unit_current");
  const std::string latch = kExamples + "latch1.json --input " + kExamples + "latch1.csv";
  const std::string out = (dir / "latch.cir").string();
  const auto done = testing::run_picospice("lower " + latch + " -o " + out + " --unit-current 850p");
  INFO(done.describe());
  REQUIRE(done.succeeded());
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("unit current 8.5e-10 A"));
  // The layer's blanking reference is one unit.
  CHECK_THAT(text, Catch::Contains("8.5e-10"));
  CHECK_REFUSED_WITH(testing::run_picospice("lower " + latch + " -o " + out + " --unit-current 0"),
                     "--unit-current 0: expected a current between 10p and 10n");
  CHECK_REFUSED_WITH(testing::run_picospice("agree " + latch + " --unit-current 1"),
                     "--unit-current 1: expected a current between 10p and 10n");
}
