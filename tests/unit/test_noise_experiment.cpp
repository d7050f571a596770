// The noise-accumulation experiment (experiments/noise_experiment.hpp, `picospice
// noise-experiment`): small, fast versions of its claims, its statistics, and its resumable runs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "experiments/noise_experiment.hpp"
#include "tests/run_command.hpp"

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

std::string fmt_id(const std::string& part, int k) { return part + "/s" + std::to_string(k); }

using picospice::testing::read_text;

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
  // grows as sqrt(1 - a^(2t)): at a = 0.995 frames 45-49 over frames 8-12 is ~2x, over frames
  // 0-2 ~4x. Averages over 5 (3) frames tame the scatter of a 12-seed std (~20% per frame).
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

  // The variance trends: the analog loop's variance rises across the window, clear of its standard
  // error, close to the leaky integrator's shape; the cell's high stretch shows no such rise (its
  // variance changes by less than its own mean across the stretch).
  REQUIRE(summary.trends.size() == 3u);
  const auto& analog = summary.trends[0];
  const auto& high = summary.trends[1];
  INFO("analog change " << analog.relative_change << " +- " << analog.relative_change_se << ", late/early "
                        << analog.measured_late_early << " (predicted " << analog.predicted_late_early << ")");
  INFO("cell high change " << high.relative_change << " +- " << high.relative_change_se);
  CHECK(analog.series == "analog");
  // With 12 seeds the jackknife error of the change is ~0.6 (0.31 with 50 seeds over 100 frames),
  // for an expected change of ~1.7 over 50 frames: ~2.5 standard errors, so 1.5 is asked.
  CHECK(analog.slope > 0);
  CHECK(analog.relative_change > 1.5 * analog.relative_change_se);
  CHECK(analog.relative_change > 1.0);
  CHECK(analog.measured_late_early > 0.4 * analog.predicted_late_early);
  CHECK(analog.measured_late_early < 2.5 * analog.predicted_late_early);
  CHECK(high.series == "cell high");
  CHECK(std::fabs(high.relative_change) < 1.0);
}

TEST_CASE("noise experiment: variance trends and their jackknife errors", "[noise-exp]") {
  // Synthetic deviations: seed k's analog state deviates by c_k sqrt(f + 1), so the variance over
  // seeds is var(c) (f + 1), exactly linear in the frame; the cell's deviates by a constant d_k.
  NoiseExperimentSettings s;
  s.frames = 20;
  s.seeds = 6;
  s.suppression = s.flips = false;
  const std::vector<double> c{1, -2, 0.5, 3, -1, 0}, d{2, -1, 0, 1, -3, 1};
  std::map<std::string, NoiseTaskResult> results;
  std::vector<double> zero(s.frames, 0.0);
  results["analog/clean"] = {"analog/clean", zero};
  results["cell/clean"] = {"cell/clean", zero};
  for (int k = 0; k < s.seeds; ++k) {
    std::vector<double> a, b;
    for (int f = 0; f < s.frames; ++f) a.push_back(c[k] * std::sqrt(f + 1.0)), b.push_back(d[k]);
    results[fmt_id("analog", k)] = {fmt_id("analog", k), a};
    results[fmt_id("cell", k)] = {fmt_id("cell", k), b};
  }
  NoiseExperimentSetup setup;
  setup.loop_gain_measured = 0.99;
  setup.out_high = 1;
  const auto summary = summarize_noise_experiment(s, setup, results);
  REQUIRE(summary.trends.size() == 3u);
  double mean = 0, ss = 0;
  for (double v : c) mean += v / c.size();
  for (double v : c) ss += (v - mean) * (v - mean);
  const double var_c = ss / (c.size() - 1);
  const auto& analog = summary.trends[0];
  CHECK(analog.first_frame == 0);
  CHECK(analog.last_frame == 19);
  CHECK(analog.slope == Approx(var_c));
  CHECK(analog.mean_variance == Approx(var_c * 10.5));  // mean of f + 1 over 0..19
  CHECK(analog.relative_change == Approx(19 / 10.5));
  CHECK(analog.slope_se > 0);                     // leaving a seed out changes var(c)
  CHECK(analog.slope_se < analog.slope);
  CHECK(analog.measured_late_early == Approx(15.5 / 5.5));  // frames 10-19 over 0-9
  CHECK(analog.predicted_late_early > 1);
  for (int t = 1; t <= 2; ++t) {  // the cell: flat, with no spread to speak of
    CHECK(summary.trends[t].slope == Approx(0).margin(1e-12));
    CHECK(summary.trends[t].slope_se == Approx(0).margin(1e-12));
    CHECK(summary.trends[t].predicted_late_early == 0);
  }
  CHECK(summary.trends[1].first_frame == 1);
  CHECK(summary.trends[1].last_frame == 9);
  CHECK(summary.trends[2].first_frame == 11);
}

TEST_CASE("noise experiment: suppression attributable to the input noise, from twin runs", "[noise-exp]") {
  // Synthetic hold runs: the noise-free run is 0; the twin without input noise carries the cell's
  // own noise; the run with input noise adds a part caused by it, 10 (input) and 0.1 (output).
  NoiseExperimentSettings s;
  s.accumulation = s.flips = false;
  s.hold_seeds = 3;
  s.hold_time = 4e-3;
  s.hold_sample_step = 1e-3;  // 4 samples per probe
  NoiseExperimentSetup setup;
  setup.up_switch = 300, setup.mid_input = 200, setup.down_switch = 100;  // margins 100
  setup.out_high = 500, setup.out_low = 0;
  std::map<std::string, NoiseTaskResult> results;
  const std::vector<double> own_in{1, -1, 2, 0}, own_out{3, -2, 1, -1}, caused{1, -1, -1, 1};
  for (const std::string state : {"low", "high"}) {
    results["hold/" + state + "/clean"] = {"", std::vector<double>(8, 0.0)};
    for (int k = 0; k < 3; ++k) {
      std::vector<double> with, without;
      for (int j = 0; j < 4; ++j) without.push_back((k + 1) * own_in[j]), with.push_back((k + 1) * own_in[j] + 10 * caused[j]);
      for (int j = 0; j < 4; ++j) without.push_back(own_out[j]), with.push_back(own_out[j] + 0.1 * caused[j] * (k + 1));
      results["hold/" + state + "/s" + std::to_string(k)] = {"", with};
      results["hold/" + state + "/cellonly/s" + std::to_string(k)] = {"", without};
    }
  }
  const auto summary = summarize_noise_experiment(s, setup, results);
  REQUIRE(summary.suppression.size() == 2u);
  const auto& r = summary.suppression[1];
  CHECK(r.twin_seeds == 3);
  // Paired input differences: 10 * caused, every seed: std over the 12 values = 10 sqrt(12/11).
  CHECK(r.input_std_attributable == Approx(10 * std::sqrt(12.0 / 11.0)));
  // Paired output differences: 0.1 (k+1) caused: mean 0, sum of squares 0.01 * 4 * (1 + 4 + 9).
  CHECK(r.output_std_attributable == Approx(std::sqrt(0.01 * 4 * 14 / 11.0)));
  CHECK(r.output_std_attributable_se > 0);
  // The twins' own output: {3, -2, 1, -1} in every seed, mean 0.25, squares about it 14.75 a seed.
  CHECK(r.output_std_own == Approx(std::sqrt(3 * 14.75 / 11.0)));
  CHECK(r.suppression_attributable ==
        Approx((r.input_std_attributable / 100) / (r.output_std_attributable / 500)));
  // Without the twins the attributable figures stay empty and the raw ones remain.
  for (int k = 0; k < 3; ++k) results.erase("hold/high/cellonly/s" + std::to_string(k));
  const auto raw = summarize_noise_experiment(s, setup, results);
  CHECK(raw.suppression[1].twin_seeds == 0);
  CHECK(std::isnan(raw.suppression[1].suppression_attributable));
  CHECK(raw.suppression[1].suppression > 0);
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

  // The twin without input noise: the same options line (so the same seed), a noiseless weight
  // mirror, and the cell's own noise unchanged: its output deviates from the noise-free run, but
  // its input differs from the partner's (the input noise is gone).
  NoiseTask twin = a;
  twin.id = "hold/high/cellonly/s0";
  twin.input_noise = false;
  const std::string with_text = noise_task_netlist(s, setup, a), twin_text = noise_task_netlist(s, setup, twin);
  const auto options_line = [](const std::string& text) {
    const auto at = text.find(".options trannoise");
    return text.substr(at, text.find('\n', at) - at);
  };
  CHECK(options_line(with_text) == options_line(twin_text));
  CHECK(twin_text.find("Mwo win ref vdd vdd pch W=2u L=4u noise=0") != std::string::npos);
  CHECK(with_text.find("noise=0\nV") != std::string::npos);  // only the probes are noiseless there
  CHECK(with_text.find("Mwo") == std::string::npos);
  const auto rt = run_noise_task(s, setup, twin);
  REQUIRE(rt.values.size() == 40u);
  double own = 0, input_change = 0;
  for (std::size_t j = 0; j < 20; ++j) {
    own = std::max(own, std::fabs(rt.values[20 + j] - rc.values[20 + j]));
    input_change = std::max(input_change, std::fabs(ra.values[j] - rt.values[j]));
  }
  CHECK(own > 1e-13);           // the cell's own output noise is still there
  CHECK(input_change > 1e-13);  // and the input noise is gone
  // The plan pairs every noisy hold run with its twin.
  NoiseExperimentSettings plan = s;
  plan.hold_seeds = 2;
  int twins = 0;
  for (const auto& task : plan_noise_tasks(plan)) twins += task.kind == NoiseTaskKind::Hold && !task.input_noise;
  CHECK(twins == 4);
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
  const std::string common =
      "noise-experiment --parts suppression --hold-seeds 3 --hold-time 2m --noisefmax 5k --no-plot";
  auto run = [&](const std::string& out, const std::string& extra) {
    return picospice::testing::run_picospice(common + " -o " + (dir / out).string() + " " + extra);
  };
  const auto interrupted = run("a", "-j 2 --stop-after 3");
  INFO(interrupted.describe());
  CHECK(interrupted.exited);
  CHECK(interrupted.exit_status == 130);
  const std::string partial = read_text(dir / "a" / "tasks.jsonl");
  CHECK(std::count(partial.begin(), partial.end(), '\n') == 4);  // the header and three tasks
  CHECK(!fs::exists(dir / "a" / "summary.json"));
  REQUIRE_SUCCEEDS(run("a", "-j 2"));  // resumes
  REQUIRE_SUCCEEDS(run("b", "-j 1"));  // uninterrupted, one job
  const auto a = nlohmann::json::parse(read_text(dir / "a" / "summary.json"));
  const auto b = nlohmann::json::parse(read_text(dir / "b" / "summary.json"));
  CHECK(a["suppression"] == b["suppression"]);
  REQUIRE(a["suppression"].size() == 2u);
  // Other settings in the same directory are refused, not mixed in.
  CHECK_REFUSED_WITH(run("a", "--seed 2"), "holds results of other settings");
  fs::remove_all(dir);
}
