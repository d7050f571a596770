// `picospice agree`: borderline-dependent frames, Monte Carlo agreement under mismatch, and the
// acceptance on random networks (docs/requirements.md, 'Co-design agreement';
// codesign/agreement*.hpp, borderline_dependence.hpp).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/unit/latch_network.hpp"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "base/data_files.hpp"
#include "codesign/agreement.hpp"
#include "codesign/agreement_mc.hpp"
#include "codesign/borderline_dependence.hpp"
#include "codesign/calibration.hpp"
#include "codesign/sequence.hpp"

using namespace picospice;
using namespace picospice::network;
using nlohmann::json;

namespace {

const std::string kExamples = std::string(PICOSPICE_SOURCE_DIR) + "/netlists/examples/";
const std::string kData = std::string(PICOSPICE_TEST_DATA) + "/netlist/network/";


std::vector<Vector> frames_of(std::initializer_list<double> xs) {
  std::vector<Vector> f;
  for (double x : xs) f.push_back({x});
  return f;
}

constexpr FrameClass D = FrameClass::determined, B = FrameClass::borderline, X = FrameClass::borderline_dependent;

std::vector<FrameClass> unit_classes(const FrameClasses& c, int layer, int unit) {
  std::vector<FrameClass> out;
  for (const auto& frame : c[layer]) out.push_back(frame[unit]);
  return out;
}

}  // namespace

TEST_CASE("borderline-dependent frames: a borderline decision held through the band", "[agree]") {
  const Network net = network_from_json(latch_json());
  //                                   low  bl-up hold hold high hold low  bl-lo hold bl-up hold low
  const auto classes = classify_frames(net, frames_of({0.1, 0.71, 0.5, 0.5, 1.0, 0.5, 0.2, 0.305, 0.5, 0.69, 0.5, 0.1}));
  // A borderline frame near beta2 may switch high or hold; the holds after it inherit either
  // state until the candidate leaves the band. Near beta1 from a low state, both ways give low:
  // nothing after it depends on it.
  CHECK(unit_classes(classes, 0, 0) == std::vector<FrameClass>{D, B, X, X, D, D, D, B, D, B, X, D});
  CHECK(classes[1].empty());  // the readout is not classified
}

TEST_CASE("borderline-dependent frames propagate to the next layer", "[agree]") {
  json j = latch_json();
  // Layer 1 sees 2 * h0 = s0 of layer 0 (0 or 1, never near its thresholds 0.3 and 0.7).
  j["layers"].insert(j["layers"].begin() + 1,
                     json::parse(R"({"type": "bmru", "W_c": [[2.0]], "beta1": [0.3], "delta": [0.4],
                                     "alpha": [0.5], "W_p": [[1.0]]})"));
  const Network net = network_from_json(j);
  const auto classes = classify_frames(net, frames_of({0.1, 0.71, 0.5, 1.0, 0.5, 0.1}));
  CHECK(unit_classes(classes, 0, 0) == std::vector<FrameClass>{D, B, X, D, D, D});
  // Layer 1's own candidate is 0 or 1, never borderline; but while layer 0 is undetermined so
  // is it, including the frame of layer 0's borderline decision.
  CHECK(unit_classes(classes, 1, 0) == std::vector<FrameClass>{D, X, X, D, D, D});
}

TEST_CASE("agreement reports determined frames beside the non-borderline ones", "[agree]") {
  const Network net = load_network(kExamples + "latch1.json");
  const auto seq = read_sequence_csv(kExamples + "latch1.csv", 1);
  const AgreementReport r = run_agreement(net, seq.frames);
  CHECK(r.borderline_frames + r.borderline_dependent_frames + r.determined_frames == r.frames);
  CHECK(r.compared_frames == r.frames - r.borderline_frames);
  REQUIRE(r.frame_classes.size() == 1);
  CHECK(r.frame_classes[0].size() == static_cast<std::size_t>(r.frames));
  CHECK(r.state_agreement_all == 1.0);  // measured: the latch follows every frame
  CHECK(r.state_agreement_determined == 1.0);
  // The replay takes the circuit's state at borderline frames; since the circuit matches the
  // software there too, it is the software run, with the same borderline frames.
  CHECK(r.state_agreement_replayed == 1.0);
  CHECK(r.replayed_compared_frames == r.compared_frames);
  REQUIRE(r.units.size() == 1);
  CHECK(r.units[0].replayed_borderline == r.units[0].borderline);
}

TEST_CASE("agree --mc: the same samples for any number of jobs, and mismatch changes the circuit", "[agree]") {
  const Network net = load_network(kExamples + "latch1.json");
  const auto seq = read_sequence_csv(kExamples + "latch1.csv", 1);
  AgreementMcSettings settings;
  settings.samples = 4;
  settings.seed = 11;
  settings.jobs = 1;
  const AgreementMcResult one = run_agreement_mc(net, seq.frames, settings);
  settings.jobs = 3;
  const AgreementMcResult three = run_agreement_mc(net, seq.frames, settings);
  REQUIRE(one.samples.size() == 4);
  REQUIRE(three.samples.size() == 4);
  CHECK_FALSE(one.interrupted);
  CHECK(one.mosfets > 20);  // every transistor of the lowered latch is varied
  for (std::size_t k = 0; k < 4; ++k) {
    INFO("sample " << k);
    REQUIRE(one.samples[k].ok());
    CHECK(one.samples[k].index == k);
    // Bit-identical: each sample is a pure function of (seed, k).
    CHECK(one.samples[k].report.power_total_w == three.samples[k].report.power_total_w);
    CHECK(one.samples[k].report.candidate_mae == three.samples[k].report.candidate_mae);
    CHECK(one.samples[k].report.state_agreement == three.samples[k].report.state_agreement);
  }
  // Different draws give different circuits: the supply power differs between samples.
  CHECK(one.samples[0].report.power_total_w != one.samples[1].report.power_total_w);
  // Another seed, other draws.
  settings.seed = 12;
  settings.samples = 1;
  const AgreementMcResult other = run_agreement_mc(net, seq.frames, settings);
  CHECK(other.samples[0].report.power_total_w != one.samples[0].report.power_total_w);

  const auto rows = agreement_mc_rows(one);
  REQUIRE(rows.size() == 4);
  CHECK(rows[2].values[0] == one.samples[2].report.state_agreement);
  const auto worst = worst_samples(one, 2);
  REQUIRE(worst.size() == 2);
  CHECK(worst[0]->report.state_agreement <= worst[1]->report.state_agreement);
}

TEST_CASE("agree --mc without mismatch reproduces the nominal agreement", "[agree]") {
  const Network net = load_network(kExamples + "latch1.json");
  const auto seq = read_sequence_csv(kExamples + "latch1.csv", 1);
  const AgreementReport nominal = run_agreement(net, seq.frames);
  AgreementMcSettings settings;
  settings.samples = 1;
  settings.mismatch.coefficients["avto"] = 0.0;
  settings.mismatch.coefficients["akp"] = 0.0;
  const AgreementMcResult mc = run_agreement_mc(net, seq.frames, settings);
  REQUIRE(mc.samples.size() == 1);
  REQUIRE(mc.samples[0].ok());
  CHECK(mc.samples[0].report.power_total_w == Approx(nominal.power_total_w).epsilon(1e-9));
  CHECK(mc.samples[0].report.candidate_mae == Approx(nominal.candidate_mae).epsilon(1e-9));
  CHECK(mc.samples[0].report.state_agreement == nominal.state_agreement);
}

TEST_CASE("agree --mc: an interrupted run keeps exactly the samples it finished", "[agree]") {
  const Network net = load_network(kExamples + "latch1.json");
  const auto seq = read_sequence_csv(kExamples + "latch1.csv", 1);
  AgreementMcSettings settings;
  settings.samples = 6;
  settings.seed = 5;
  settings.jobs = 2;
  settings.stop_after = 2;
  std::uint64_t last_progress = 0;
  settings.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(total == 6);
    last_progress = done;
  };
  const AgreementMcResult cut = run_agreement_mc(net, seq.frames, settings);
  CHECK(cut.interrupted);
  REQUIRE(cut.samples.size() == 2);
  CHECK(last_progress == 2);
  settings.stop_after.reset();
  settings.progress = nullptr;
  settings.samples = 2;
  const AgreementMcResult full = run_agreement_mc(net, seq.frames, settings);
  CHECK_FALSE(full.interrupted);
  for (std::size_t k = 0; k < 2; ++k) CHECK(cut.samples[k].report.power_total_w == full.samples[k].report.power_total_w);
  // A stop requested before the start runs nothing.
  std::atomic<bool> stop{true};
  settings.stop = &stop;
  const AgreementMcResult none = run_agreement_mc(net, seq.frames, settings);
  CHECK(none.interrupted);
  CHECK(none.samples.empty());
}

TEST_CASE("agree --noise: device noise changes the circuit, reproducibly from its seed", "[agree]") {
  const Network net = load_network(kExamples + "latch1.json");
  const auto seq = read_sequence_csv(kExamples + "latch1.csv", 1);
  const AgreementReport quiet = run_agreement(net, seq.frames);
  AgreementOptions options;
  options.noise.enabled = true;
  options.noise.seed = 1;
  const AgreementReport one = run_agreement(net, seq.frames, options);
  options.noise.seed = 2;
  const AgreementReport two = run_agreement(net, seq.frames, options);
  CHECK(one.candidate_mae != quiet.candidate_mae);
  CHECK(one.candidate_mae != two.candidate_mae);
  // At noisescale 1 the latch's decisions are far from its thresholds: noise does not flip them.
  CHECK(one.state_agreement == 1.0);
  CHECK(agreement_netlist(lower_network(net, seq.frames), options).find(
            ".options trannoise=1 noisefmax=10000 noiseseed=2 noisescale=1") != std::string::npos);

  // Under --mc each sample draws its own noise from (noise seed, MC seed, sample). (A noisy Monte
  // Carlo run is not exercised here: some (mismatch, noise seed) pairs currently make the noisy
  // transient crawl, e.g. `agree latch1 --noise --noise-seed 2 --mc 1 --seed 5`; an engine issue.)
  CHECK(sample_noise_seed(options.noise, 4, 0) != sample_noise_seed(options.noise, 4, 1));
}

TEST_CASE("the calibration snapshot describes today's cell", "[agree]") {
  // A stale snapshot calibrates every cell's lower switching point off by 1-2 borderline margins
  // (calibration.hpp); regenerate tests/netlist/network/schmitt9_calibration.json when this fails.
  const CellCalibration cal = load_calibration(kData + "schmitt9_calibration.json");
  const auto stale = calibration_staleness(cal);
  INFO(stale.value_or("current"));
  CHECK_FALSE(stale.has_value());
  // And the check notices a file whose measurements no longer hold.
  CellCalibration moved = cal;
  moved.check_row.down_switch -= 10e-12;  // the stale snapshot was 2-17 pA off
  CHECK(calibration_staleness(moved).has_value());
}

TEST_CASE("a small random network agrees on its determined frames, calibrated", "[agree]") {
  const Network net = load_network(kData + "random_seed2.json");
  const auto seq = read_sequence_csv(kData + "random_seed2.csv", net.inputs);
  const CellCalibration cal = load_calibration(kData + "schmitt9_calibration.json");
  AgreementOptions options;
  options.lowering.calibration = &cal;
  const AgreementReport r = run_agreement(net, seq.frames, options);
  // Measured: 100% of 249 non-borderline unit-frames, 1 borderline, none borderline-dependent.
  CHECK(r.state_agreement_determined >= 0.99);
  CHECK(r.state_agreement >= 0.99);
  CHECK(r.state_agreement_replayed >= 0.99);
  CHECK(r.determined_frames + r.borderline_dependent_frames == r.compared_frames);
  CHECK(r.decision_agreement);
}

TEST_CASE("frame blanking: a cell holds through a candidate dip between frames", "[agree]") {
  // Layer 1's candidate is 0.5 + 1.5 y0 - 1.0 y1 with y0 = y1 = layer 0's output: 0.5 or 1.0,
  // always inside its band [0.3, 1.15], so it holds its initial 1. When layer 0 switches high
  // (frame 2) its sinking path (-1.0 y1, one NMOS mirror) reaches the candidate before the
  // sourcing path (+1.5 y0, NMOS copy then PMOS mirror): the candidate dips towards -0.5. When
  // layer 0 switches low (frame 4) the sink lets go first: a spike towards 2.0.
  const Network net = network_from_json(json::parse(R"({
    "format": "picospice-bmru/1", "inputs": 1,
    "layers": [
      {"type": "bmru", "W_c": [[1.0]], "beta1": [0.3], "delta": [0.4], "alpha": [1.0], "W_p": [[1.0], [1.0]]},
      {"type": "bmru", "W_c": [[1.5, -1.0]], "b_c": [0.5], "beta1": [0.3], "delta": [0.85], "alpha": [0.5],
       "s0": [1], "W_p": [[1.0]]},
      {"type": "readout", "W": [[-1.0], [1.0]], "b": [0.125, -0.125]}
    ]})"));
  const auto frames = frames_of({0.1, 0.1, 1.0, 1.0, 0.1, 0.1});
  const AgreementReport blanked = run_agreement(net, frames);
  CHECK(blanked.borderline_frames == 0);
  CHECK(blanked.state_agreement == 1.0);
  CHECK(blanked.decision_agreement);
  // Without blanking the dip resets the cell in frame 2 and it stays low (measured: 33.3% of
  // layer 1's frames agree): the defect blanking removes.
  AgreementOptions continuous;
  continuous.lowering.frame_blanking = false;
  const AgreementReport unblanked = run_agreement(net, frames, continuous);
  REQUIRE(unblanked.units.size() == 2);
  CHECK(unblanked.units[1].agreement < 0.5);
}

namespace {

struct SeedAgreement {
  AgreementReport uncalibrated, calibrated;
};

// The acceptance's random networks (docs/requirements.md, 'Co-design agreement'):
// netlists/examples/random_network --seed S (1-2 layers of 4-16 units, 50 frames), written to a
// temporary directory, run without and with calibration.
SeedAgreement agree_on_random_network(int seed, const CellCalibration& cal) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("picospice_agree_{}_{}", ::getpid(), seed);
  fs::create_directories(dir);
  const std::string json_path = (dir / "net.json").string(), csv_path = (dir / "seq.csv").string();
  const std::string command = fmt::format("python3 {}random_network --seed {} -o {} --sequence {}", kExamples, seed,
                                          json_path, csv_path);
  REQUIRE(std::system(command.c_str()) == 0);
  const Network net = load_network(json_path);
  const auto seq = read_sequence_csv(csv_path, net.inputs);
  fs::remove_all(dir);
  SeedAgreement result;
  result.uncalibrated = run_agreement(net, seq.frames);
  AgreementOptions options;
  options.lowering.calibration = &cal;
  result.calibrated = run_agreement(net, seq.frames, options);
  return result;
}

void report_seed(int seed, const SeedAgreement& a) {
  const auto& u = a.uncalibrated;
  const auto& c = a.calibrated;
  WARN(fmt::format("seed {:2d}: uncalibrated {:6.2f}% non-borderline, {:6.2f}% determined; calibrated {:6.2f}% "
                   "non-borderline, {:6.2f}% determined ({} of {} non-borderline unit-frames borderline-dependent)",
                   seed, 100 * u.state_agreement, 100 * u.state_agreement_determined, 100 * c.state_agreement,
                   100 * c.state_agreement_determined, c.borderline_dependent_frames, c.compared_frames));
}

}  // namespace

TEST_CASE("acceptance: random networks agree on 99% of their determined frames with calibration", "[agree][slow]") {
  // docs/requirements.md, 'Co-design agreement', per network. Seed 11 was a known failure before frame blanking
  // (frame_blanking.hpp): in frame 4 l1_u2's candidate steps from 0.39 to 1.01 inside its band
  // [0.30, 1.15], so it must hold 1, but a layer-0 cell switching high reached it through a
  // one-stage sinking path ~70 us before the two-stage sourcing path; the candidate dipped to 0
  // for ~50 us and the cell reset and held 0 for the rest of the sequence (43 unit-frames).
  const CellCalibration cal = load_calibration(kData + "schmitt9_calibration.json");
  int agreeing_u = 0, compared_u = 0, agreeing_c = 0, compared_c = 0;
  double mae_u = 0, mae_c = 0;
  constexpr int kSeeds = 20;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const SeedAgreement a = agree_on_random_network(seed, cal);
    report_seed(seed, a);
    INFO("seed " << seed);
    CHECK(a.calibrated.state_agreement_determined >= 0.99);
    agreeing_u += static_cast<int>(std::lround(a.uncalibrated.state_agreement * a.uncalibrated.compared_frames));
    compared_u += a.uncalibrated.compared_frames;
    agreeing_c += static_cast<int>(std::lround(a.calibrated.state_agreement * a.calibrated.compared_frames));
    compared_c += a.calibrated.compared_frames;
    mae_u += a.uncalibrated.candidate_mae;
    mae_c += a.calibrated.candidate_mae;
  }
  WARN(fmt::format("pooled non-borderline agreement: uncalibrated {:.2f}%, calibrated {:.2f}%; mean candidate MAE "
                   "{:.4f} -> {:.4f} units",
                   100.0 * agreeing_u / compared_u, 100.0 * agreeing_c / compared_c, mae_u / kSeeds, mae_c / kSeeds));
  // Calibration must improve the agreement measurably.
  CHECK(agreeing_c * compared_u > agreeing_u * compared_c);
  CHECK(mae_c < 0.5 * mae_u);
}

TEST_CASE("a relative PICOSPICE_DATA_DIR finds the cell library from any netlist's folder", "[agree]") {
  namespace fs = std::filesystem;
  // The lowering writes the cell library's path into a netlist read from the network's folder.
  const fs::path relative = fs::relative(fs::path(PICOSPICE_SOURCE_DIR) / "netlists", fs::current_path());
  const char* saved = std::getenv("PICOSPICE_DATA_DIR");
  const std::string restore = saved ? saved : "";
  ::setenv("PICOSPICE_DATA_DIR", relative.c_str(), 1);
  const fs::path found = picospice::data_file("cells/cells.lib");
  if (saved) ::setenv("PICOSPICE_DATA_DIR", restore.c_str(), 1);
  else ::unsetenv("PICOSPICE_DATA_DIR");
  CHECK(found.is_absolute());
  CHECK(fs::equivalent(found, fs::path(PICOSPICE_SOURCE_DIR) / "netlists" / "cells" / "cells.lib"));
}
