// The cell library against docs/requirements.md, 'Cell specification'. Every figure is measured
// here from a simulation of netlists/cells/cells.lib (codesign/characterize.hpp); the limits are
// that section's. Default tests use short loops at the range ends; [slow] runs the full
// characterization sweeps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "codesign/characterize.hpp"
#include "tests/run_command.hpp"

using namespace picospice;
using picospice::testing::run_picospice;
using cells::SchmittBias;

namespace {

// Bias points at the corners of the range: I_thresh 100 pA-3 nA, I_width 10 pA-1.5 nA (< I_thresh),
// I_gain 50 pA-1 nA.
const std::vector<SchmittBias> kRangeEnds{
    {100e-12, 10e-12, 50e-12}, {100e-12, 90e-12, 1e-9}, {350e-12, 200e-12, 500e-12},
    {3e-9, 10e-12, 50e-12},    {3e-9, 1.5e-9, 1e-9},    {1e-9, 500e-12, 350e-12}};

cells::CharacterizationSettings dc_only(int points = 400) { return {points, false}; }

double switch_tolerance(double target) { return std::max(0.05 * target, 20e-12); }

void check_switching(const cells::SchmittFigures& f) {
  const double up_target = f.bias.ithresh, down_target = f.bias.ithresh - f.bias.iwidth;
  INFO("ithresh " << f.bias.ithresh << " iwidth " << f.bias.iwidth << " igain " << f.bias.igain << " vdd "
                  << f.conditions.vdd << " temp " << f.conditions.temp_celsius);
  INFO("up_switch " << f.up_switch << " (target " << up_target << "), down_switch " << f.down_switch
                    << " (target " << down_target << ")");
  REQUIRE(std::isfinite(f.up_switch));
  REQUIRE(std::isfinite(f.down_switch));
  CHECK(std::fabs(f.up_switch - up_target) <= switch_tolerance(up_target));
  CHECK(std::fabs(f.down_switch - down_target) <= switch_tolerance(down_target));
  CHECK(f.down_switch <= f.up_switch);
}

}  // namespace

TEST_CASE("cells: schmitt9 switches up at I_thresh and down at I_thresh - I_width over the range", "[cells]") {
  for (const auto& b : kRangeEnds) check_switching(cells::characterize_schmitt(b, {}, dc_only()));
}

TEST_CASE("cells: schmitt9 output is I_gain when high and below 5 pA when low", "[cells]") {
  for (const auto& b : kRangeEnds) {
    const auto f = cells::characterize_schmitt(b, {}, dc_only());
    INFO("ithresh " << b.ithresh << " iwidth " << b.iwidth << " igain " << b.igain << ": out_high " << f.out_high
                    << " out_low " << f.out_low);
    CHECK(std::fabs(f.out_high - b.igain) <= 0.05 * b.igain + 15e-12);
    CHECK(f.out_low < 5e-12);
  }
}

TEST_CASE("cells: each schmitt9 bias moves only its own parameter", "[cells]") {
  // beta2 = up_switch, delta = up_switch - down_switch, alpha = out_high. Sweeping one bias over
  // its range, the other two parameters move by less than 5% of the swept range.
  struct Sweep {
    const char* name;
    std::vector<SchmittBias> points;
    int own;  // 0 beta2, 1 delta, 2 alpha
  };
  const std::vector<Sweep> sweeps{
      {"ithresh", {{100e-12, 50e-12, 500e-12}, {600e-12, 50e-12, 500e-12}, {3e-9, 50e-12, 500e-12}}, 0},
      {"iwidth", {{3e-9, 10e-12, 500e-12}, {3e-9, 300e-12, 500e-12}, {3e-9, 1.5e-9, 500e-12}}, 1},
      {"igain", {{350e-12, 200e-12, 50e-12}, {350e-12, 200e-12, 300e-12}, {350e-12, 200e-12, 1e-9}}, 2}};
  for (const auto& s : sweeps) {
    double lo[3] = {1, 1, 1}, hi[3] = {-1, -1, -1};
    for (const auto& b : s.points) {
      const auto f = cells::characterize_schmitt(b, {}, dc_only());
      const double p[3] = {f.up_switch, f.up_switch - f.down_switch, f.out_high};
      for (int k = 0; k < 3; ++k) lo[k] = std::min(lo[k], p[k]), hi[k] = std::max(hi[k], p[k]);
    }
    const auto& first = s.points.front();
    const auto& last = s.points.back();
    const double range = s.own == 0 ? last.ithresh - first.ithresh
                         : s.own == 1 ? last.iwidth - first.iwidth
                                      : last.igain - first.igain;
    for (int k = 0; k < 3; ++k) {
      if (k == s.own) continue;
      INFO("sweep " << s.name << ": parameter " << k << " moves " << hi[k] - lo[k] << " A over a range of " << range);
      CHECK(hi[k] - lo[k] < 0.05 * range);
    }
  }
}

TEST_CASE("cells: schmitt9 settles within 2 ms after steps up and down", "[cells]") {
  for (const auto& b : {kRangeEnds[0], kRangeEnds[2], kRangeEnds[4]}) {
    const auto f = cells::characterize_schmitt(b, {}, {300, true});
    INFO("ithresh " << b.ithresh << " iwidth " << b.iwidth << " igain " << b.igain << ": settle " << f.settle_time);
    CHECK(f.settle_time > 0);
    CHECK(f.settle_time < 2e-3);
  }
}

TEST_CASE("cells: schmitt9 static and frame power at 350p/200p/500p", "[cells]") {
  const auto f = cells::characterize_schmitt({350e-12, 200e-12, 500e-12}, {}, {300, true});
  INFO("power_low " << f.power_low << " power_high " << f.power_high << " power_frame " << f.power_frame
                    << " frame reference " << f.frame_reference << " peak supply " << f.peak_supply_current);
  CHECK(f.power_low > 0);
  CHECK(f.power_low < 8e-9);
  CHECK(f.power_high < 8e-9);
  CHECK(f.power_frame <= 1.5 * f.frame_reference);
  CHECK(f.power_frame <= 1.5 * std::max(f.power_low, f.power_high));
  // No crowbar: the supply never draws more than a few times the sum of the bias currents
  // (1.05 nA in the cell, 1.05 nA in its references), far from a microamp.
  CHECK(f.peak_supply_current < 10e-9);
}

TEST_CASE("cells: schmitt9 still switches correctly at 0 C, 70 C, VDD 1.6 V and 2.0 V", "[cells]") {
  const SchmittBias nominal{350e-12, 200e-12, 500e-12};
  const auto reference = cells::characterize_schmitt(nominal, {}, dc_only());
  for (const cells::CellConditions c : {cells::CellConditions{1.8, 0.0}, cells::CellConditions{1.8, 70.0},
                                        cells::CellConditions{1.6, 27.0}, cells::CellConditions{2.0, 27.0}}) {
    for (const auto& b : {nominal, kRangeEnds[0], kRangeEnds[4]}) {
      const auto f = cells::characterize_schmitt(b, c, dc_only());
      check_switching(f);
      CHECK(std::fabs(f.out_high - b.igain) <= 0.05 * b.igain + 15e-12);
      CHECK(f.out_low < 5e-12);
      if (&b == &nominal || (b.ithresh == nominal.ithresh && b.iwidth == nominal.iwidth))
        WARN("corner vdd " << c.vdd << " V, " << c.temp_celsius << " C: up switch shifts "
                           << (f.up_switch - reference.up_switch) * 1e12 << " pA, down switch "
                           << (f.down_switch - reference.down_switch) * 1e12 << " pA");
    }
  }
}

TEST_CASE("cells: mirror ratio error is below 1% over width 0.5-15 um and 0.1-3 nA", "[cells]") {
  for (const char* kind : {"nmos", "pmos"}) {
    const auto points = cells::characterize_mirror(kind);
    REQUIRE(points.size() == 24);
    for (const auto& p : points) {
      INFO(kind << " width " << p.width << " input " << p.input << " error " << p.error);
      CHECK(std::fabs(p.error) < 0.01);
    }
  }
}

TEST_CASE("cells: bad biases are refused", "[cells]") {
  CHECK_THROWS_AS(cells::check_bias({-1e-9, 1e-10, 1e-10}), std::invalid_argument);
  CHECK_THROWS_AS(cells::check_bias({3e-10, 3e-10, 1e-10}), std::invalid_argument);
  CHECK_THROWS_AS(cells::check_bias({3e-10, 4e-10, 1e-10}), std::invalid_argument);
  CHECK_THROWS_AS(cells::sweep_points("ivdd", {}), std::invalid_argument);
  CHECK_NOTHROW(cells::check_bias({3e-10, 2e-10, 5e-10}));
}

TEST_CASE("cells: picospice characterize prints the JSON keys and fails on bad input", "[cells]") {
  const std::string out = "/tmp/picospice_test_cells_characterize.json";
  REQUIRE_SUCCEEDS(run_picospice("characterize schmitt9 --ithresh 500p --iwidth 100p --igain 300p --format json -o " + out));
  std::FILE* file = std::fopen(out.c_str(), "r");
  REQUIRE(file != nullptr);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  std::fclose(file);
  std::remove(out.c_str());
  for (const char* key : {"ithresh", "iwidth", "igain", "up_switch", "down_switch", "out_high", "out_low",
                          "settle_time", "power_low", "power_high", "power_frame"})
    CHECK(text.find(std::string("\"") + key + "\"") != std::string::npos);
  CHECK_REFUSED_WITH(run_picospice("characterize schmitt9 --ithresh 200p --iwidth 300p"),
                     "iwidth (3e-10 A) must be below ithresh (2e-10 A)");
  CHECK_REFUSED_WITH(run_picospice("characterize schmitt9 --igain -1n"), "--igain: -1e-09 A is outside the cell's bias range, 1 pA to 1 uA");
  CHECK_REFUSED_WITH(run_picospice("characterize nand2"), "unknown cell 'nand2'");
}

TEST_CASE("cells: full characterization sweeps meet section 2 at every point", "[cells][slow]") {
  const SchmittBias nominal{350e-12, 200e-12, 500e-12};
  for (const char* which : {"ithresh", "iwidth", "igain"}) {
    for (const auto& b : cells::sweep_points(which, nominal)) {
      const auto f = cells::characterize_schmitt(b, {}, {800, true});
      check_switching(f);
      CHECK(std::fabs(f.out_high - b.igain) <= 0.05 * b.igain + 15e-12);
      CHECK(f.out_low < 5e-12);
      CHECK(f.settle_time < 2e-3);
      // Section 2's power figure is for biases up to a few nA; the calibration sweep goes on to
      // I_thresh = 60 nA, where the threshold bias itself is most of the supply current.
      if (b.ithresh <= 10e-9) CHECK(f.peak_supply_current < 100e-9);
    }
  }
}
