// The threshold margin of the trainer (training/bptt.hpp, `train --margin`), the
// software mismatch check (software_mismatch.hpp, `train --mismatch-check`) and `evaluate`.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/counter_rng.hpp"
#include "training/bptt.hpp"
#include "training/model.hpp"
#include "training/software_mismatch.hpp"
#include "training/trainer.hpp"
#include "tests/run_command.hpp"
#include "tests/unit/pulse_task.hpp"

using namespace picospice::training;
namespace fs = std::filesystem;
namespace network = picospice::network;

namespace {

// The margin penalty (bptt.hpp) at rho = `relative`, weight 1, summed over the clips: how much of
// the clips' unit-frames sit near a switching point, and how near.
double penalty_near_thresholds(const network::Network& net, const std::vector<Clip>& clips, double relative) {
  double total = 0;
  for (const Clip& clip : clips) total += clip_outcome(net, clip, {}, false, {relative, 1.0}).margin_penalty;
  return total;
}

}  // namespace

TEST_CASE("the margin term is (1 - |c - beta| / (rho beta))^2 with exact derivatives", "[training][margin]") {
  const double rho = 0.2, beta = 0.5;  // m = 0.1
  CHECK(margin_term(0.5, beta, rho).penalty == Approx(1.0));
  CHECK(margin_term(0.55, beta, rho).penalty == Approx(0.25));
  CHECK(margin_term(0.45, beta, rho).penalty == Approx(0.25));
  CHECK(margin_term(0.61, beta, rho).penalty == 0.0);  // outside the margin: no term, no gradient
  CHECK(margin_term(0.61, beta, rho).d_candidate == 0.0);
  CHECK(margin_term(0.3, beta, 0).penalty == 0.0);  // rho = 0: off
  for (const double c : {0.43, 0.47, 0.52, 0.58}) {
    const double h = 1e-7;
    const double by_c = (margin_term(c + h, beta, rho).penalty - margin_term(c - h, beta, rho).penalty) / (2 * h);
    const double by_beta = (margin_term(c, beta + h, rho).penalty - margin_term(c, beta - h, rho).penalty) / (2 * h);
    INFO("c = " << c);
    CHECK(margin_term(c, beta, rho).d_candidate == Approx(by_c).epsilon(1e-5));
    CHECK(margin_term(c, beta, rho).d_threshold == Approx(by_beta).epsilon(1e-5));
  }
}

TEST_CASE("fine-tuning with the threshold margin moves candidates off the thresholds", "[training][margin]") {
  // Train the pulse task plainly, then continue from its best parameters with the margin (what
  // `train --init-from ... --margin` does) and measure how much the test unit-frames sit within
  // 10% of a threshold (the margin penalty at rho 0.1): the margin stage must at least halve it
  // and keep the accuracy.
  const Dataset d = pulse_dataset();
  const fs::path dir = fs::temp_directory_path() / "picospice_test_threshold_margin";
  fs::remove_all(dir);
  fs::create_directories(dir);
  TrainOptions o = pulse_options(8, 15);
  o.checkpoint = (dir / "plain.checkpoint").string();
  const TrainResult plain = train(d, o);
  const double near_plain = penalty_near_thresholds(plain.network, d.test, 0.1);

  TrainOptions m = pulse_options(8, 15);
  m.margin = {0.2, 0.3};
  m.epochs = 10;
  m.learning_rate = 0.01;
  m.checkpoint = (dir / "margin.checkpoint").string();
  write_start_checkpoint(d, m, o.checkpoint);
  m.resume = true;
  const TrainResult tuned = train(d, m);
  const double near_tuned = penalty_near_thresholds(tuned.network, d.test, 0.1);
  const SplitScore plain_score = evaluate(plain.network, d.test), tuned_score = evaluate(tuned.network, d.test);
  INFO("margin penalty at rho 0.1 over the test clips: plain " << near_plain << ", with the margin " << near_tuned
       << "; test vote accuracy " << plain_score.vote_accuracy << " -> " << tuned_score.vote_accuracy);
  REQUIRE(near_plain >= 1.0);  // the plain network does rest near its thresholds
  CHECK(near_tuned <= near_plain / 2);
  CHECK(tuned_score.vote_accuracy >= 0.9);
  fs::remove_all(dir);
}

TEST_CASE("the software mismatch check perturbs every parameter reproducibly", "[training][margin]") {
  const Dataset d = pulse_dataset();
  const TrainResult trained = train(d, pulse_options(8, 15));
  const network::Network& net = trained.network;

  // Run 0 is the nominal network: the weights rounded to the grid, nothing else changed.
  const network::Network nominal = perturbed_network(net, mismatch_sigmas_from_cells(), 32, 1, 0);
  const auto& layer = std::get<network::BmruLayer>(nominal.layers[0]);
  const auto& original = std::get<network::BmruLayer>(net.layers[0]);
  for (std::size_t u = 0; u < layer.units(); ++u) {
    for (double w : layer.W_c[u]) CHECK(std::abs(w * 32 - std::round(w * 32)) < 1e-9);
    CHECK(layer.beta1[u] == original.beta1[u]);
    CHECK(layer.alpha[u] == original.alpha[u]);
  }
  // A perturbed copy moves every kind of parameter.
  const network::Network copy = perturbed_network(net, uniform_sigmas(0.1), 32, 1, 3);
  const auto& moved = std::get<network::BmruLayer>(copy.layers[0]);
  CHECK(moved.beta1[0] != layer.beta1[0]);
  CHECK(moved.delta[0] != layer.delta[0]);
  CHECK(moved.alpha[0] != layer.alpha[0]);
  CHECK(moved.b_c[0] != layer.b_c[0]);
  CHECK(std::get<network::ReadoutLayer>(copy.layers.back()).W[0][0] !=
        std::get<network::ReadoutLayer>(nominal.layers.back()).W[0][0]);

  // No noise: every copy keeps every decision. Borderline clips are counted, not scored.
  const SoftwareMismatchScore none = software_mismatch_agreement(net, d.test, uniform_sigmas(0), 32, 5, 1);
  CHECK(none.agreement == 1.0);
  CHECK(none.clips + none.borderline_clips == static_cast<int>(d.test.size()));
  // Reproducible, whatever the thread count; more noise keeps fewer decisions.
  const SoftwareMismatchScore small = software_mismatch_agreement(net, d.test, uniform_sigmas(0.05), 32, 20, 1, 2);
  const SoftwareMismatchScore again = software_mismatch_agreement(net, d.test, uniform_sigmas(0.05), 32, 20, 1, 1);
  CHECK(small.agreement == again.agreement);
  CHECK(small.worst_clip == again.worst_clip);
  const SoftwareMismatchScore large = software_mismatch_agreement(net, d.test, uniform_sigmas(0.6), 32, 20, 1);
  INFO("agreement at sigma 5%: " << small.agreement << ", at 60%: " << large.agreement);
  CHECK(large.agreement < small.agreement);
  CHECK(large.agreement < 0.98);
}

TEST_CASE("evaluate command: scores a network file on a dataset and checks its mismatch", "[training][margin]") {
  // `picospice evaluate` on a picospice-dataset/1 directory: the accuracy it prints is the
  // in-process evaluate()'s, and a network of another shape is a clear error, not a crash.
  const Dataset d = pulse_dataset();
  const fs::path dir = fs::temp_directory_path() / "picospice_test_evaluate";
  fs::remove_all(dir);
  save_dataset(d, dir / "pulse");
  const network::Network net = train(d, pulse_options(8, 15)).network;
  {
    std::ofstream(dir / "net.json") << network::network_to_json(net).dump();
  }
  const auto run = [&](const std::string& args) { return picospice::testing::run_picospice("evaluate " + args); };
  const auto scored = run((dir / "net.json").string() + " --task " + (dir / "pulse").string() +
                          " --mismatch-check 10 --sigma 0.05");
  REQUIRE_SUCCEEDS(scored);
  const std::string& text = scored.output;
  const SplitScore test = evaluate(net, d.test);
  CHECK_THAT(text, Catch::Contains(fmt::format("vote accuracy {:5.1f}%", 100 * test.vote_accuracy)));
  CHECK_THAT(text, Catch::Contains("test: decision kept in") && Catch::Contains("of 10 copies"));

  // --loss-on-best-run prints the loss train --loss-on-best-run minimizes, at the rule's K; a
  // network that votes has no K to take and is refused.
  const auto best_run = run((dir / "net.json").string() + " --task " + (dir / "pulse").string() +
                            " --detect-run 3 --loss-on-best-run --mismatch-check 0");
  REQUIRE_SUCCEEDS(best_run);
  network::Network detecting = net;
  detecting.detect_run = 3;
  detecting.vote_last = 0;
  const SplitScore every_frame = evaluate(detecting, d.test), best = evaluate(detecting, d.test, 2, false, KeywordFrames{3});
  CHECK(best.loss != every_frame.loss);
  CHECK_THAT(best_run.output, Catch::Contains(fmt::format("loss {:.4f}", best.loss)));
  CHECK_REFUSED_WITH(run((dir / "net.json").string() + " --task " + (dir / "pulse").string() + " --loss-on-best-run"),
                     "give --detect-run K");

  // Two inputs instead of three.
  network::Network other = net;
  auto& layer = std::get<network::BmruLayer>(other.layers[0]);
  for (auto& row : layer.W_c) row.pop_back();
  other.inputs = 2;
  {
    std::ofstream(dir / "other.json") << network::network_to_json(other).dump();
  }
  const auto refused = run((dir / "other.json").string() + " --task " + (dir / "pulse").string());
  CHECK_REFUSED_WITH(refused, "2 inputs");
  CHECK_THAT(refused.output, Catch::Contains("3"));
  fs::remove_all(dir);
}
