// `--grid auto`: per layer the coarsest mirror grid whose quantization stays inside the borderline
// margin (codesign/weight_grid.hpp).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "codesign/lowering.hpp"
#include "codesign/network.hpp"
#include "codesign/weight_grid.hpp"
#include "tests/run_command.hpp"

using namespace picospice;
using namespace picospice::network;

namespace {
const std::string kExamples = std::string(PICOSPICE_SOURCE_DIR) + "/netlists/examples/";
}

TEST_CASE("grid auto: the coarsest grid that keeps every candidate inside the margin", "[grid]") {
  Network net = load_network(kExamples + "latch1.json");  // W_c 1, beta1 0.3, W_p 1, readout -1/+1
  const std::vector<Vector> frames{{0.1}, {1.0}, {0.5}, {1.0}};
  // Weights on the 1/4 grid need no finer one: every layer takes the coarsest.
  auto grids = choose_grids(net, frames);
  REQUIRE(grids.size() == 2);
  CHECK(grids[0].grid == 4);
  CHECK(grids[0].worst_move == 0);
  CHECK(grids[1].grid == 4);

  // W_c = 0.5 + 1/64: every grid up to 1/32 moves the candidate at x = 1 by 1/64 = 0.0156 units,
  // more than the margin max(2% of beta1 = 0.006, 0.01); 1/64 holds it exactly.
  std::get<BmruLayer>(net.layers[0]).W_c[0][0] = 0.5 + 1.0 / 64;
  grids = choose_grids(net, frames);
  CHECK(grids[0].grid == 64);
  CHECK(grids[0].within_margin);
  CHECK(worst_quantization_move(net.layers[0], frames, 32) == Approx(1.5625));
  CHECK(grids[1].grid == 4);  // the readout did not change

  // The grid follows the inputs: at x <= 0.6 the same weight moves the candidate by at most
  // 0.6/64 = 0.0094 units on every grid, inside the margin, so the coarsest does.
  CHECK(choose_grids(net, {{0.1}, {0.6}})[0].grid == 4);

  // The lowering takes the grids per layer.
  LoweringOptions options;
  for (const auto& g : grids) options.layer_grids.push_back(g.grid);
  const LoweredNetwork lowered = lower_network(net, frames, options);
  CHECK(std::get<BmruLayer>(lowered.effective.layers[0]).W_c[0][0] == 0.5 + 1.0 / 64);
  CHECK(lowered.netlist.find("multiples of per layer l0 1/64, l1 1/4") != std::string::npos);
  options.layer_grids = {64};
  CHECK_THROWS_AS(lower_network(net, frames, options), NetworkError);  // one grid for two layers
}

TEST_CASE("grid auto: finer than the finest is reported, not hidden", "[grid]") {
  Network net = load_network(kExamples + "latch1.json");
  std::get<BmruLayer>(net.layers[0]).W_c[0][0] = 0.5 + 1.0 / 1024;  // needs 1/1024 at x = 20
  const auto grids = choose_grids(net, {{20.0}});
  CHECK(grids[0].grid == kAutoGrids[std::size(kAutoGrids) - 1]);
  CHECK_FALSE(grids[0].within_margin);
  CHECK(grids[0].worst_move > 1);
}

TEST_CASE("lower --grid auto reports the grid per layer; a bad grid is an error", "[grid]") {
  const std::string out = (std::filesystem::temp_directory_path() / fmt::format("grid_auto_{}.cir", ::getpid())).string();
  const std::string args = fmt::format("lower {}latch1.json --input {}latch1.csv -o {} --grid ", kExamples, kExamples, out);
  const auto automatic = testing::run_picospice(args + "auto");
  INFO(automatic.describe());
  CHECK(automatic.succeeded());
  CHECK(automatic.output.find("grid auto: l0 1/4 (0.00 of the margin), l1 1/4") != std::string::npos);
  for (const char* bad : {"0", "3x", "automatic", "-2"}) CHECK_REFUSED_WITH(testing::run_picospice(args + bad), "--grid");
  std::filesystem::remove(out);
  // agree reports the choice in its JSON.
  const auto agreed = testing::run_picospice(
      fmt::format("agree {}latch1.json --input {}latch1.csv --grid auto --format json", kExamples, kExamples));
  REQUIRE_SUCCEEDS(agreed);
  const auto report = nlohmann::json::parse(agreed.output);
  REQUIRE(report["grid_auto"].size() == 2);
  CHECK(report["grid_auto"][0]["grid"] == 4);
  CHECK(report["grid_auto"][0]["within_margin"] == true);
}
