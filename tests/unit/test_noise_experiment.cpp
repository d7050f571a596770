// The noise-accumulation experiment (netlists/cells/noise_experiment.hpp, `picospice
// noise-experiment`): small, fast versions of its claims, its statistics, and its resumable runs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netlists/cells/noise_experiment.hpp"

using namespace picospice;
using namespace picospice::cells;

namespace {

// Short runs: a coarse noise grid (5 kHz, 100 us) is enough for the analog loop, whose state
// node (~70 pF) is far slower than that; the cell's fast nodes then see less noise, which only
// makes its bound easier to meet, not the loop's growth.
NoiseExperimentSettings small_settings() {
  NoiseExperimentSettings s;
  s.noise_fmax = 5e3;
  s.frames = 50;
  s.seeds = 12;
  s.accumulation = true;
  s.suppression = false;
  s.flips = false;
  return s;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

// ~20 s on a loaded machine, so [slow].
TEST_CASE("noise experiment: the analog loop's deviation grows, the cell's stays bounded", "[noise-exp][slow]") {
  const NoiseExperimentSettings s = small_settings();
  const NoiseExperimentSetup setup = prepare_noise_experiment(s);
  // The calibration gives the loop the gain asked for, and the cell switches both ways.
  CHECK(setup.loop_gain_measured == Approx(s.loop_gain).margin(1e-3));
  CHECK(setup.slope_factor_ut == Approx(1.35 * 0.02585).epsilon(0.05));  // the nch card's n = 1.35
  CHECK(setup.up_switch > setup.down_switch);
  CHECK(setup.out_high > 0.9 * s.bias.igain);

  std::map<std::string, NoiseTaskResult> results;
  for (const auto& task : plan_noise_tasks(s)) results[task.id] = run_noise_task(s, setup, task);
  const auto summary = summarize_noise_experiment(s, setup, results);
  REQUIRE(summary.accumulation.size() == 50u);
  const auto& rows = summary.accumulation;

  // A leaky integrator of gain a keeps the fraction a^2t of earlier noise variance, so its std
  // grows as sqrt(1 - a^(2t)): at a = 0.98 frames 45-49 over frames 8-12 is ~1.5x, over frames
  // 0-2 ~3x. Averages over 5 (3) frames tame the scatter of a 12-seed std (~20% per frame).
  auto mean_std = [&](int from, int to) {
    double sum = 0;
    for (int f = from; f <= to; ++f) sum += rows[f].analog_std;
    return sum / (to - from + 1);
  };
  INFO("analog std frames 0-2: " << mean_std(0, 2) << ", 8-12: " << mean_std(8, 12) << ", 45-49: " << mean_std(45, 49));
  CHECK(mean_std(45, 49) > 1.2 * mean_std(8, 12));
  CHECK(mean_std(45, 49) > 1.8 * mean_std(0, 2));
  CHECK(rows[10].analog_std > 0);
  // The cell: no state flips, and its output deviation stays within 2% of the level separation
  // at every frame (levels restored each frame, nothing carried over).
  const double separation = setup.out_high - setup.out_low;
  int mismatches = 0;
  double worst = 0;
  for (const auto& r : rows) {
    mismatches += r.cell_state_mismatches;
    worst = std::max(worst, r.cell_std);
  }
  CHECK(mismatches == 0);
  INFO("cell worst std " << worst << " of separation " << separation);
  CHECK(worst < 0.02 * separation);
  // The cell's state follows the input pattern: high after the set frame, low after the reset.
  CHECK(rows[1].cell_state_clean == 1);
  CHECK(rows[s.frames / 2 + 1].cell_state_clean == 0);
}

TEST_CASE("noise experiment: runs are reproducible per seed and differ across seeds", "[noise-exp]") {
  NoiseExperimentSettings s = small_settings();
  s.accumulation = false;
  s.suppression = true;
  s.hold_time = 2e-3;
  s.hold_settle = 0.5e-3;
  s.hold_sample_step = 100e-6;
  const NoiseExperimentSetup setup = prepare_noise_experiment(s);
  const NoiseTask a{NoiseTaskKind::Hold, "hold/high/s0", 0, "high", 1.0};
  const NoiseTask b{NoiseTaskKind::Hold, "hold/high/s1", 1, "high", 1.0};
  const NoiseTask clean{NoiseTaskKind::Hold, "hold/high/clean", std::nullopt, "high", 0.0};
  const auto ra = run_noise_task(s, setup, a);
  const auto ra2 = run_noise_task(s, setup, a);
  const auto rb = run_noise_task(s, setup, b);
  const auto rc = run_noise_task(s, setup, clean);
  REQUIRE(ra.values.size() == 40u);
  CHECK(ra.values == ra2.values);
  CHECK(ra.values != rb.values);
  // The noise-free run is flat; the noisy one moves around it.
  double spread_clean = 0, spread_noisy = 0;
  for (std::size_t j = 0; j < 20; ++j) {
    spread_clean = std::max(spread_clean, std::fabs(rc.values[j] - rc.values[0]));
    spread_noisy = std::max(spread_noisy, std::fabs(ra.values[j] - rc.values[j]));
  }
  CHECK(spread_clean < 1e-14);
  CHECK(spread_noisy > 1e-13);
  // The netlist names the seed and the scale; the noise-free one has scale 0.
  CHECK(noise_task_netlist(s, setup, clean).find("noisescale=0") != std::string::npos);
  CHECK(noise_task_netlist(s, setup, a).find("noisescale=1") != std::string::npos);
}

TEST_CASE("noise experiment: line fit and flip-rate statistics", "[noise-exp]") {
  const LineFit exact = fit_line({1, 2, 3, 4}, {3, 5, 7, 9});
  CHECK(exact.slope == Approx(2.0));
  CHECK(exact.intercept == Approx(1.0));
  CHECK(exact.r_squared == Approx(1.0));
  const LineFit rough = fit_line({1, 2, 3, 4}, {3, 5.5, 6.5, 9});
  CHECK(rough.r_squared < 1.0);
  CHECK(rough.r_squared > 0.9);
  CHECK_THROWS(fit_line({1}, {1}));
  CHECK_THROWS(fit_line({2, 2}, {1, 3}));

  // Rates: flips / time observed unflipped (censored exponential waiting times).
  NoiseExperimentSettings s;
  s.accumulation = s.suppression = false;
  s.flip_scales = {2, 4};
  s.flip_seeds = 2;
  std::map<std::string, NoiseTaskResult> results;
  results["flip/x2/s0"] = {"flip/x2/s0", {0.0, 0.02}};
  results["flip/x2/s1"] = {"flip/x2/s1", {1.0, 0.01}};
  results["flip/x4/s0"] = {"flip/x4/s0", {1.0, 0.001}};
  results["flip/x4/s1"] = {"flip/x4/s1", {1.0, 0.003}};
  const auto summary = summarize_noise_experiment(s, NoiseExperimentSetup{}, results);
  REQUIRE(summary.flips.size() == 2u);
  CHECK(summary.flips[0].rate == Approx(1.0 / 0.03));
  CHECK(summary.flips[1].rate == Approx(2.0 / 0.004));
  CHECK(summary.fit.points == 1);  // only scale 4 has two flips: no fit
  results["flip/x4/s1"] = {"flip/x4/s1", {1.0}};
  CHECK_THROWS(summarize_noise_experiment(s, NoiseExperimentSetup{}, results));
}

TEST_CASE("noise experiment: bad settings are refused with a message", "[noise-exp]") {
  NoiseExperimentSettings s;
  s.loop_gain = 1.0;
  CHECK_THROWS_WITH(s.check(), Catch::Contains("loop gain"));
  s = {};
  s.frames = 1;
  CHECK_THROWS_WITH(s.check(), Catch::Contains("frames"));
  s = {};
  s.flip_scales = {3};
  CHECK_THROWS_WITH(s.check(), Catch::Contains("two noise scales"));
  s = {};
  s.bias.iwidth = 400e-12;
  CHECK_THROWS(s.check());
}

TEST_CASE("noise-experiment command: interrupted runs resume to the same results", "[noise-exp]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "picospice_noise_exp_test";
  fs::remove_all(dir);
  const std::string common = std::string(PICOSPICE_BINARY) +
                             " noise-experiment --parts suppression --hold-seeds 3 --hold-time 2m --noisefmax 5k"
                             " --no-plot";
  auto run = [&](const std::string& out, const std::string& extra) {
    return std::system((common + " -o " + (dir / out).string() + " " + extra + " > /dev/null 2>&1").c_str());
  };
  const int interrupted = run("a", "-j 2 --stop-after 3");
  CHECK(WEXITSTATUS(interrupted) == 130);
  const std::string partial = read_text(dir / "a" / "tasks.jsonl");
  CHECK(std::count(partial.begin(), partial.end(), '\n') == 4);  // the header and three tasks
  CHECK(!fs::exists(dir / "a" / "summary.json"));
  CHECK(WEXITSTATUS(run("a", "-j 2")) == 0);  // resumes
  CHECK(WEXITSTATUS(run("b", "-j 1")) == 0);  // uninterrupted, one job
  const auto a = nlohmann::json::parse(read_text(dir / "a" / "summary.json"));
  const auto b = nlohmann::json::parse(read_text(dir / "b" / "summary.json"));
  CHECK(a["suppression"] == b["suppression"]);
  REQUIRE(a["suppression"].size() == 2u);
  // Other settings in the same directory are refused, not mixed in.
  CHECK(WEXITSTATUS(run("a", "--seed 2")) != 0);
  fs::remove_all(dir);
}
