// The BMRU trainer (training/): datasets, the BPTT gradient, determinism,
// checkpoint/resume, hardware-aware quantization, and a tiny training run with an accuracy floor.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <nlohmann/json.hpp>

#include "base/counter_rng.hpp"
#include "codesign/lowering.hpp"
#include "training/bptt.hpp"
#include "training/checkpoint.hpp"
#include "training/dataset.hpp"
#include "training/digits.hpp"
#include "training/hardware_aware.hpp"
#include "training/model.hpp"
#include "training/restarts.hpp"
#include "training/trainer.hpp"
#include "tests/unit/pulse_task.hpp"
#include "tests/skip_test.hpp"

using namespace picospice::training;
namespace fs = std::filesystem;

namespace {

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("picospice_test_training_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string dataset_error(const fs::path& dir) {
  try {
    load_dataset(dir);
  } catch (const DatasetError& e) {
    return e.what();
  }
  return "(no error)";
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

const char* kTinyJson = R"({"format": "picospice-dataset/1", "name": "tiny", "inputs": 2, "classes": 2,
  "splits": {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"}})";
const char* kHeader = "clip,frame,label,x0,x1\n";

}  // namespace

TEST_CASE("datasets round-trip through save and load", "[training]") {
  const fs::path dir = scratch_dir("roundtrip");
  Dataset d = pulse_dataset();
  d.train[0].frames[1][2] = 0.1 + 1e-16 * 3;  // a number that needs all 17 digits
  d.provenance = {{"generator", "test"}, {"seed", 7}};
  save_dataset(d, dir);
  const Dataset back = load_dataset(dir / "dataset.json");
  CHECK(back.name == d.name);
  CHECK(back.inputs == 3);
  CHECK(back.classes == 3);
  CHECK(back.class_names == d.class_names);
  CHECK(back.provenance == d.provenance);
  REQUIRE(back.train.size() == d.train.size());
  REQUIRE(back.test.size() == d.test.size());
  for (std::size_t i = 0; i < d.train.size(); ++i) {
    CHECK(back.train[i].id == d.train[i].id);
    CHECK(back.train[i].label == d.train[i].label);
    CHECK(back.train[i].frames == d.train[i].frames);  // bit-identical numbers
  }
  CHECK(load_dataset(dir).validation.size() == 30);  // the directory works as well as the file
  // Without word spans nothing about them is written, so such a dataset is written as before.
  CHECK_FALSE(fs::exists(dir / "train_word_spans.csv"));
  CHECK(back.train[1].word_begin == -1);
  fs::remove_all(dir);
}

TEST_CASE("word spans round-trip and are checked against their split's clips", "[training]") {
  const fs::path dir = scratch_dir("word_spans");
  Dataset d = pulse_dataset();
  d.train[1].word_begin = 0;
  d.train[1].word_end = 3;
  d.test[2].word_begin = 4;
  d.test[2].word_end = 12;
  save_dataset(d, dir);
  const Dataset back = load_dataset(dir);
  CHECK(back.train[1].word_begin == 0);
  CHECK(back.train[1].word_end == 3);
  CHECK(back.test[2].word_begin == 4);
  CHECK(back.test[2].word_end == 12);
  CHECK_FALSE(back.train[0].has_word_span());
  CHECK_FALSE(back.validation[1].has_word_span());

  const auto with_spans = [&](const std::string& spans) {
    write_text(dir / "train_word_spans.csv", spans);
    return dataset_error(dir);
  };
  CHECK(with_spans("clip,begin,end\ntrain1,2,5\n") == "(no error)");
  CHECK_THAT(with_spans("clip,begin,end\ntrain1,2,13\n"),
             Catch::Contains("train_word_spans.csv:2") && Catch::Contains("not within its 12 frames"));
  CHECK_THAT(with_spans("clip,begin,end\ntrain1,5,5\n"), Catch::Contains("not within its 12 frames"));
  CHECK_THAT(with_spans("clip,begin,end\nnobody,0,1\n"), Catch::Contains("clip \"nobody\" is not in this split"));
  CHECK_THAT(with_spans("clip,begin,end\ntrain1,0,1\ntrain1,0,2\n"),
             Catch::Contains("train_word_spans.csv:3") && Catch::Contains("has a word span already"));
  CHECK_THAT(with_spans("clip,start,end\n"), Catch::Contains("header `clip,begin,end`"));
  CHECK_THAT(with_spans("clip,begin,end\ntrain1,a,2\n"), Catch::Contains("must be integers"));

  Dataset bad = pulse_dataset();
  bad.train[0].word_begin = 3;
  bad.train[0].word_end = 2;
  CHECK_THROWS_WITH(save_dataset(bad, dir / "out"), Catch::Contains("word span [3, 2)"));
  fs::remove_all(dir);
}

TEST_CASE("malformed datasets are errors naming the file, line and fault", "[training]") {
  const fs::path dir = scratch_dir("malformed");
  const auto with_train = [&](const std::string& train) {
    write_text(dir / "dataset.json", kTinyJson);
    write_text(dir / "train.csv", train);
    write_text(dir / "validation.csv", kHeader);
    write_text(dir / "test.csv", kHeader);
    return dataset_error(dir);
  };
  CHECK(with_train(std::string(kHeader) + "a,0,0,0.1,0.2\na,1,0,0.3,0.4\nb,0,1,0,0\n") == "(no error)");
  CHECK_THAT(with_train("clip,frame,label,x0\n"), Catch::Contains("train.csv:1") && Catch::Contains("header"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,0,2,0.1,0.2\n"),
             Catch::Contains("train.csv:2") && Catch::Contains("label 2 is out of range"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,0,0,0.1,0.2\na,2,0,0.1,0.2\n"),
             Catch::Contains("train.csv:3") && Catch::Contains("frame 1 was expected"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,1,0,0.1,0.2\n"), Catch::Contains("starts at frame 1"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,0,0,0.1,-0.2\n"),
             Catch::Contains("train.csv:2") && Catch::Contains("negative input"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,0,0,0.1,nan\n"), Catch::Contains("not a finite number"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,0,0,0.1,0.2\na,1,1,0.1,0.2\n"),
             Catch::Contains("differs from its frame 0's label"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,0,0,0,0\nb,0,0,0,0\na,0,0,0,0\n"),
             Catch::Contains("train.csv:4") && Catch::Contains("appears again"));
  CHECK_THAT(with_train(std::string(kHeader) + "a,0,0,0.1\n"), Catch::Contains("expected 5 fields"));

  write_text(dir / "dataset.json", R"({"format": "picospice-dataset/2", "inputs": 2, "classes": 2, "splits": {}})");
  CHECK_THAT(dataset_error(dir), Catch::Contains("dataset.json") && Catch::Contains("format"));
  write_text(dir / "dataset.json", R"({"format": "picospice-dataset/1", "inputs": 2, "classes": 2,
    "splits": {"train": "train.csv", "validation": "validation.csv"}})");
  CHECK_THAT(dataset_error(dir), Catch::Contains("splits.test: missing"));
  write_text(dir / "dataset.json", R"({"format": "picospice-dataset/1", "input": 2})");
  CHECK_THAT(dataset_error(dir), Catch::Contains("input: unknown key"));
  write_text(dir / "dataset.json", "{\"format\": ");
  CHECK_THAT(dataset_error(dir), Catch::Contains("not valid JSON"));
  CHECK_THAT(dataset_error(dir / "nowhere"), Catch::Contains("no such dataset"));

  Dataset bad = pulse_dataset();
  bad.train[3].frames[2].pop_back();
  CHECK_THROWS_WITH(save_dataset(bad, dir / "out"), Catch::Contains("frame 2 has 2 values, expected 3"));
  bad = pulse_dataset();
  bad.train[0].id = "a,b";
  CHECK_THROWS_AS(save_dataset(bad, dir / "out"), DatasetError);
  fs::remove_all(dir);
}

TEST_CASE("the digits task reads sklearn's file into a fixed split", "[training]") {
  if (find_digits_file().empty()) SKIP_TEST("digits.csv.gz not found (Debian package python3-sklearn)");
  const Dataset d = load_digits();
  CHECK(d.inputs == 8);
  CHECK(d.classes == 10);
  CHECK(d.train.size() == 1258);
  CHECK(d.validation.size() == 270);
  CHECK(d.test.size() == 269);
  for (const auto* split : {&d.train, &d.validation, &d.test})
    for (const Clip& c : *split) {
      REQUIRE(c.frames.size() == 8);
      for (const auto& f : c.frames)
        for (double v : f) REQUIRE((v >= 0 && v <= 1));
    }
  // The split is a fixed function of the file: loading twice gives the same clips in the same order.
  const Dataset again = load_digits();
  CHECK(again.test.front().id == d.test.front().id);
  CHECK(again.train.back().frames == d.train.back().frames);
  // Every image is in exactly one split.
  std::set<std::string> ids;
  for (const auto* split : {&d.train, &d.validation, &d.test})
    for (const Clip& c : *split) ids.insert(c.id);
  CHECK(ids.size() == 1797);
  CHECK_THROWS_WITH(load_digits("/nonexistent/digits.csv.gz"), Catch::Contains("no digits.csv.gz"));
  // The default scan reads columns: the row scan's frame t, input k is the column scan's frame k,
  // input t (the same image transposed), in the same split.
  const Dataset rows = load_digits({}, DigitsScan::Rows);
  REQUIRE(rows.test.front().id == d.test.front().id);
  for (int t = 0; t < 8; ++t)
    for (int k = 0; k < 8; ++k) REQUIRE(rows.test.front().frames[t][k] == d.test.front().frames[k][t]);
  CHECK(rows.test.front().frames != d.test.front().frames);
  CHECK(parse_digits_scan("rows") == DigitsScan::Rows);
  CHECK_THROWS_AS(parse_digits_scan("diagonal"), std::invalid_argument);
}

TEST_CASE("the BPTT gradient equals finite differences of the smooth-step network", "[training]") {
  // In smooth mode the forward pass (network::infer) uses H = a steep logistic and the backward
  // pass its true derivative, so the two must agree to finite-difference accuracy. The same
  // backward code runs in training with the exact step and the surrogate.
  // Four cases: BMRU layers only with the loss on every frame; a linear layer in front with the
  // loss on the voted frames only; trained output projections W_p, b_p (3 outputs per layer); and
  // the first shape with the threshold margin term (bptt.hpp), whose gradient reaches W_c, b_c,
  // beta1 and delta, and through the first layer's outputs the earlier layer too; and the first
  // shape with the loss on a keyword clip's best run of 3 frames (max-pooling, --loss-on-best-run).
  const int shape_case = GENERATE(0, 1, 2, 3, 4, 5);
  const bool with_front = shape_case == 1;
  const ModelLayout layout(ModelShape{3, 3, 2, 4, with_front ? 5 : 0, shape_case == 2 ? 3 : 0});
  const int vote_last = with_front ? 2 : 0;
  Eigen::VectorXd theta = initial_theta(layout, 5);
  // Spread the thresholds so that units sit in all three regions over the clip.
  for (int i = 0; i < layout.size(); ++i) theta[i] += 0.3 * picospice::random::unit_normal(9, 1, i);
  Clip clip = pulse_clips(2, 4, "g")[1];
  clip.word_begin = 1;  // for the loss after the word: frame 0 aims at class 0, frame 1 is not scored
  clip.word_end = 3;
  BackwardOptions options;
  options.step.sigmoid_steepness = 12.0;
  options.loss_on_voted_frames = with_front;
  if (shape_case == 3) options.margin = {0.4, 0.7};
  if (shape_case == 4) options.keyword.best_run = 3;
  if (shape_case == 5) options.keyword.after_word = 1;
  REQUIRE(clip.label > 0);  // best_run and after_word apply to keyword clips only

  // The objective: cross-entropy plus the margin penalty (zero without a margin).
  const auto loss_at = [&](const Eigen::VectorXd& th) {
    const Realized r = realize(layout, th);
    const ClipOutcome o = clip_outcome(to_network(layout, r.values, vote_last), clip, options.step, with_front,
                                       options.margin, options.keyword);
    return o.loss + o.margin_penalty;
  };
  const Realized r = realize(layout, theta);
  Eigen::VectorXd gradient = Eigen::VectorXd::Zero(layout.size());
  const ClipOutcome outcome =
      clip_gradient(layout, r.values, to_network(layout, r.values, vote_last), clip, options, 1.0, gradient);
  gradient = gradient.cwiseProduct(r.derivative);
  if (shape_case == 3) REQUIRE(outcome.margin_penalty > 0.05);  // candidates do fall inside the margin

  int compared = 0, nonzero = 0;
  double worst = 0;
  for (int i = 0; i < layout.size(); ++i) {
    const double h = 1e-6;
    Eigen::VectorXd plus = theta, minus = theta;
    plus[i] += h;
    minus[i] -= h;
    const double numeric = (loss_at(plus) - loss_at(minus)) / (2 * h);
    const double error = std::abs(numeric - gradient[i]) / std::max(1e-4, std::abs(numeric));
    worst = std::max(worst, error);
    ++compared;
    nonzero += std::abs(numeric) > 1e-4;
  }
  INFO("shape case " << shape_case << "; worst relative error " << worst);
  CHECK(worst < 1e-4);
  CHECK(nonzero > compared / 5);  // the check covered real gradients, not only zeros
}

namespace {

// A small untrained 2-layer network whose readout is not yet decided, for the loss tests.
picospice::network::Network loss_test_network() {
  const ModelLayout layout(ModelShape{3, 3, 2, 4, 0, 0});
  Eigen::VectorXd theta = initial_theta(layout, 3);
  for (int i = 0; i < layout.size(); ++i) theta[i] += 0.3 * picospice::random::unit_normal(4, 1, i);
  return to_network(layout, realize(layout, theta).values, 0);
}

// Softmax cross-entropy of logits z against class k, written out independently of bptt.cpp.
double frame_cross_entropy(const picospice::network::Vector& z, int k) {
  double top = z[0], total = 0;
  for (double v : z) top = std::max(top, v);
  for (double v : z) total += std::exp(v - top);
  return -(z[k] - top - std::log(total));
}

}  // namespace

TEST_CASE("the best-run loss scores a keyword clip on its most likely run only", "[training]") {
  // With best_run K, a clip of class k > 0 is scored on the K consecutive frames of largest
  // summed log p(k), a background clip on every frame: recompute both from the logits.
  const picospice::network::Network net = loss_test_network();
  for (const Clip& clip : pulse_clips(3, 6, "b")) {
    const picospice::network::InferenceResult r = picospice::network::infer(net, clip.frames);
    std::vector<double> ce;  // each frame's cross-entropy against the clip's label
    for (const auto& z : r.logits) ce.push_back(frame_cross_entropy(z, clip.label));
    for (int K : {1, 3, 5}) {
      double expected = 0;
      if (clip.label == 0) {
        for (double e : ce) expected += e / ce.size();
      } else {
        expected = 1e300;
        for (std::size_t s = 0; s + K <= ce.size(); ++s) {
          double sum = 0;
          for (int t = 0; t < K; ++t) sum += ce[s + t];
          expected = std::min(expected, sum / K);
        }
      }
      INFO("clip " << clip.id << " label " << clip.label << " K " << K);
      CHECK(clip_outcome(net, clip, {}, false, {}, KeywordFrames{K}).loss == Approx(expected).epsilon(1e-12));
    }
    // Without it, every frame: the mean (for a keyword clip larger than its best run's).
    double mean = 0;
    for (double e : ce) mean += e / ce.size();
    CHECK(clip_outcome(net, clip, {}, false, {}, KeywordFrames{0}).loss == Approx(mean).epsilon(1e-12));
  }
}

TEST_CASE("the loss after the word scores a keyword clip before and after its word, not inside it", "[training]") {
  // With after_word N and a word span [b, e), a keyword clip aims at class 0 on frames t < b and at
  // its class on t >= e - N (never before b); a background clip on every frame: recompute from the logits.
  const picospice::network::Network net = loss_test_network();
  for (Clip clip : pulse_clips(3, 6, "w")) {
    clip.word_begin = 2;
    clip.word_end = 6;
    const picospice::network::InferenceResult r = picospice::network::infer(net, clip.frames);
    const auto ce = [&](int t, int k) { return frame_cross_entropy(r.logits[t], k); };
    for (int N : {0, 2, 9}) {
      double sum = 0;
      int scored = 0;
      for (int t = 0; t < 12; ++t) {
        const bool before = t < clip.word_begin, after = t >= std::max(clip.word_begin, clip.word_end - N);
        if (clip.label == 0 || before || after) {
          sum += ce(t, clip.label == 0 || before ? 0 : clip.label);
          ++scored;
        }
      }
      INFO("clip " << clip.id << " label " << clip.label << " N " << N);
      CHECK(clip_outcome(net, clip, {}, false, {}, KeywordFrames{0, N}).loss == Approx(sum / scored).epsilon(1e-12));
    }
  }
  // A keyword clip without a span cannot be scored so (the trainer refuses such a dataset first).
  const Clip unspanned = pulse_clips(2, 6, "u")[1];
  REQUIRE(unspanned.label > 0);
  CHECK_THROWS_AS(clip_outcome(net, unspanned, {}, false, {}, KeywordFrames{0, 2}), std::logic_error);
}

TEST_CASE("the surrogate is 1/(1+(pi a x)^2)", "[training]") {
  CHECK(surrogate_derivative(0, 2) == 1.0);
  CHECK(surrogate_derivative(1.0 / M_PI, 1) == Approx(0.5));
  CHECK(surrogate_derivative(0.5 / M_PI, 2) == Approx(0.5));
}

TEST_CASE("hardware-aware quantization matches the lowering's grid", "[training]") {
  CHECK(quantize_weight(0.51, 32) == 16.0 / 32);
  CHECK(quantize_weight(-0.01, 32) == 0.0);
  CHECK(quantize_weight(-1.3, 8) == -10.0 / 8);
  const MismatchSigmas s = mismatch_sigmas_from_cells();
  // Pelgrom with AVTO 5 mV um on 1u x 4u and 2u x 4u pairs: a few to ~15 percent.
  CHECK(s.gain == Approx(0.072).epsilon(0.05));
  CHECK(s.threshold > s.gain);
  CHECK(s.weight > 0.08);
  CHECK(s.weight < 0.15);

  TrainOptions o;
  o.hardware.enabled = true;
  const ModelLayout layout(ModelShape{3, 3, 1, 4});
  const auto net = network_for(layout, initial_theta(layout, 1), o);
  std::vector<std::vector<double>> frames(3, std::vector<double>(3, 0.5));
  const auto lowered = picospice::network::lower_network(net, frames);
  CHECK(lowered.largest_error.effective == lowered.largest_error.wanted);  // already on the grid
}

TEST_CASE("training is deterministic for a seed and resumes exactly", "[training]") {
  const Dataset d = pulse_dataset();
  TrainOptions o = pulse_options(4, 4);
  o.hardware.enabled = true;  // exercises the noise draws too
  const auto json_of = [](const TrainResult& r) { return picospice::network::network_to_json(r.network).dump(); };

  const std::string first = json_of(train(d, o));
  o.threads = 1;
  CHECK(json_of(train(d, o)) == first);  // thread count does not matter
  o.threads = 2;
  o.seed = 1;
  CHECK(json_of(train(d, o)) != first);  // the seed does
  o.seed = 0;

  // Stop after epoch 2 (as Ctrl-C would), then resume from the checkpoint.
  const fs::path dir = scratch_dir("resume");
  o.checkpoint = (dir / "run.checkpoint").string();
  std::atomic<bool> stop{false};
  TrainCallbacks callbacks;
  callbacks.epoch_done = [&](const EpochReport& r) {
    if (r.epoch == 2) stop = true;
  };
  const TrainResult stopped = train(d, o, callbacks, &stop);
  CHECK(stopped.interrupted);
  CHECK(stopped.epochs_done == 2);
  o.resume = true;
  const TrainResult resumed = train(d, o);
  CHECK(resumed.epochs_done == 4);
  CHECK(json_of(resumed) == first);

  o.units = 5;  // a checkpoint made with other settings is refused
  CHECK_THROWS_WITH(train(d, o), Catch::Contains("other settings") && Catch::Contains("units"));
  o.units = 4;
  o.resume = false;
  // Run detection longer than every clip could never fire: refused, not trained to a constant.
  o.detect_run = static_cast<int>(d.train.front().frames.size()) + 1;
  CHECK_THROWS_WITH(train(d, o), Catch::Contains("--detect-run") && Catch::Contains("longer than every training clip"));
  o.detect_run = 0;
  o.loss_on_best_run = true;  // the best run needs a run length
  CHECK_THROWS_WITH(train(d, o), Catch::Contains("--loss-on-best-run needs --detect-run"));
  o.loss_on_best_run = false;
  o.detect_decrement = 1;  // so does the up/down count
  CHECK_THROWS_WITH(train(d, o), Catch::Contains("--detect-decrement changes the run of --detect-run K"));
  // With a run length, the count is the trained network's rule, and recorded with the settings.
  o.detect_run = 2;
  o.checkpoint.clear();
  const TrainResult counted = train(d, o);
  CHECK(counted.network.detect_run == 2);
  CHECK(counted.network.detect_decrement == 1);
  CHECK(train_config(d, o).at("detect_decrement") == 1);
  CHECK_FALSE(train_config(d, pulse_options(4, 3)).contains("detect_decrement"));  // older checkpoints still resume
  o.detect_run = 0;
  o.detect_decrement = 0;
  fs::remove_all(dir);
}

TEST_CASE("the loss after the word needs every keyword clip's span and trains with it", "[training]") {
  Dataset d = pulse_dataset();
  TrainOptions o = pulse_options(4, 3);
  o.loss_after_word = 1;
  // The pulse task's clips have no spans: refused, naming a clip.
  CHECK_THROWS_WITH(train(d, o), Catch::Contains("--loss-after-word needs the word span") &&
                                     Catch::Contains("training clip \"train1\""));
  for (auto* split : {&d.train, &d.validation, &d.test})
    for (Clip& clip : *split) {
      if (clip.label == 0) continue;
      clip.word_begin = 0;  // the pulse: frames 0..2
      clip.word_end = 3;
    }
  // The test split is scored with the same frames after training: its spans are needed too.
  Dataset no_test_span = d;
  no_test_span.test[1].word_begin = no_test_span.test[1].word_end = -1;
  CHECK_THROWS_WITH(train(no_test_span, o), Catch::Contains("test clip \"test1\" has none"));
  o.loss_on_best_run = true;
  o.detect_run = 3;
  CHECK_THROWS_WITH(train(d, o), Catch::Contains("not with --loss-on-best-run"));
  o.loss_on_best_run = false;
  o.detect_run = 0;
  const TrainResult r = train(d, o);
  CHECK(r.epochs_done == 3);
  CHECK(train_config(d, o).at("loss_after_word") == 1);  // recorded: a checkpoint is not resumed with another loss
  CHECK_FALSE(train_config(d, pulse_options(4, 3)).contains("loss_after_word"));  // older checkpoints still resume
}

TEST_CASE("a tiny training run learns a task that needs the hold", "[training]") {
  const Dataset d = pulse_dataset();
  TrainOptions o = pulse_options(8, 15);
  const TrainResult r = train(d, o);
  const SplitScore test = evaluate(r.network, d.test);
  INFO("test vote accuracy " << test.vote_accuracy << ", frame accuracy " << test.frame_accuracy);
  CHECK(test.vote_accuracy >= 0.9);    // chance: 1/3
  CHECK(test.frame_accuracy >= 0.9);  // frames 3..11 (75% of them) are right only through the latch
  // The result is a valid network file.
  const auto reread = picospice::network::network_from_json(picospice::network::network_to_json(r.network));
  CHECK(reread.layers.size() == 2);
}

TEST_CASE("train --relax learns the hold through a graded state annealed to the step", "[training]") {
  const Dataset d = pulse_dataset();
  TrainOptions o = pulse_options(8, 15);
  o.relax_from = 0.2;
  o.relax_to = 0.005;
  CHECK(o.relax_width(0) == Approx(0.2));  // geometric from TAU0 in the first epoch to TAU1 in the last
  CHECK(o.relax_width(14) == Approx(0.005));
  CHECK(o.relax_width(7) == Approx(std::sqrt(0.2 * 0.005)));
  const TrainResult r = train(d, o);
  // Scored with the exact step (evaluate's default): the chip's latch, not the graded state trained.
  const SplitScore test = evaluate(r.network, d.test);
  INFO("test vote accuracy " << test.vote_accuracy << ", frame accuracy " << test.frame_accuracy);
  CHECK(test.vote_accuracy >= 0.9);
  CHECK(test.frame_accuracy >= 0.9);
  CHECK(train_config(d, o).at("relax") == nlohmann::json{0.2, 0.005});  // a checkpoint is not resumed otherwise
  CHECK_FALSE(train_config(d, pulse_options(8, 15)).contains("relax"));  // older checkpoints still resume

  // Hardware-aware too: every noisy copy relaxed alike; the result is judged with the exact step.
  TrainOptions hw = o;
  hw.hardware.enabled = true;
  const SplitScore noisy = evaluate(train(d, hw).network, d.test);
  INFO("hardware-aware relaxed: test vote accuracy " << noisy.vote_accuracy);
  CHECK(noisy.vote_accuracy >= 0.9);

  TrainOptions bad = pulse_options(8, 2);
  bad.relax_from = 0.01;
  bad.relax_to = 0.1;  // widening
  CHECK_THROWS_WITH(train(d, bad), Catch::Contains("--relax"));
  bad.relax_to = 0;
  CHECK_THROWS_WITH(train(d, bad), Catch::Contains("--relax"));
}

TEST_CASE("train --choose-run keeps the epoch and the run length best on validation together", "[training]") {
  const Dataset d = pulse_dataset();
  TrainOptions o = pulse_options(8, 6);
  o.detect_run = 6;  // what the loss would score, and the rule before a choice
  o.choose_run_from = 1;
  o.choose_run_to = 12;  // every run length a 12-frame clip allows
  std::vector<EpochReport> reports;
  TrainCallbacks callbacks;
  callbacks.epoch_done = [&](const EpochReport& r) { reports.push_back(r); };
  const TrainResult r = train(d, o, callbacks);
  REQUIRE(r.best_epoch >= 1);
  const EpochReport& kept = reports[static_cast<std::size_t>(r.best_epoch - 1)];
  // The network stores the kept epoch's length, and scoring it with that rule gives the score the
  // epoch was ranked by; no other length in the range does better on validation.
  CHECK(r.network.detect_run == kept.detect_run);
  CHECK(evaluate(r.network, d.validation).vote_accuracy == Approx(kept.validation.vote_accuracy));
  for (int run = o.choose_run_from; run <= o.choose_run_to; ++run) {
    picospice::network::Network other = r.network;
    other.detect_run = run;
    CHECK(evaluate(other, d.validation).vote_accuracy <= kept.validation.vote_accuracy + 1e-12);
  }
  for (const EpochReport& e : reports) CHECK((e.detect_run >= 1 && e.detect_run <= 12));

  // One pass serves every length: the same accuracies as scoring each rule on its own, for the run
  // and for the up/down count.
  for (const int decrement : {0, 1}) {
    picospice::network::Network net = r.network;
    net.detect_decrement = decrement;
    const std::vector<double> accuracy = run_rule_accuracies(net, d.test, 2, 11, 1);
    REQUIRE(accuracy.size() == 10);
    for (int run = 2; run <= 11; ++run) {
      net.detect_run = run;
      INFO("decrement " << decrement << ", run " << run);
      CHECK(accuracy[static_cast<std::size_t>(run - 2)] == Approx(evaluate(net, d.test).vote_accuracy));
    }
  }

  CHECK(train_config(d, o).at("choose_run") == nlohmann::json{1, 12});  // a checkpoint is not resumed otherwise
  CHECK_FALSE(train_config(d, pulse_options(8, 6)).contains("choose_run"));  // older checkpoints still resume
  TrainOptions bad = o;
  bad.detect_run = 0;  // no rule to train the loss on
  CHECK_THROWS_WITH(train(d, bad), Catch::Contains("--choose-run KMIN KMAX needs"));
  bad = o;
  bad.choose_run_from = 13;  // KMIN > KMAX
  CHECK_THROWS_WITH(train(d, bad), Catch::Contains("--choose-run KMIN KMAX needs"));
  Dataset no_validation = d;
  no_validation.validation.clear();
  CHECK_THROWS_WITH(train(no_validation, o), Catch::Contains("--choose-run chooses on the validation split"));
}

TEST_CASE("hardware-aware mismatch sigmas fall as 1/sqrt(area factor)", "[training][hw]") {
  const MismatchSigmas one = mismatch_sigmas_from_cells(), four = mismatch_sigmas_from_cells(4);
  // Pelgrom: sigma ~ 1/sqrt(W L); W and L both times sqrt(K) make the area K times.
  CHECK(four.weight == Approx(one.weight / 2));
  CHECK(four.bias == Approx(one.bias / 2));
  CHECK(four.threshold == Approx(one.threshold / 2));
  CHECK(four.gain == Approx(one.gain / 2));
  CHECK(mismatch_sigmas_from_cells(16).threshold == Approx(one.threshold / 4));
  CHECK_THROWS_AS(mismatch_sigmas_from_cells(0), std::invalid_argument);
  CHECK_THROWS_AS(mismatch_sigmas_from_cells(-1), std::invalid_argument);
}

TEST_CASE("a run resumed from a start checkpoint begins at its parameters (train --init-from)", "[training][hw]") {
  // `train --init-from` (write_start_checkpoint) writes a checkpoint of the new run's settings, no
  // epoch done, a fresh optimizer and the other run's best parameters, and resumes it. With a
  // vanishing learning rate the result must be the network of those parameters, not of the seed's
  // initialization.
  const Dataset d = pulse_dataset();
  TrainOptions o;
  o.layers = 1;
  o.units = 4;
  o.epochs = 1;
  o.batch = 16;
  o.learning_rate = 1e-12;
  o.final_learning_rate = 0;
  o.hardware.enabled = true;
  o.hardware.sigmas = mismatch_sigmas_from_cells(4);
  const ModelLayout layout(ModelShape{d.inputs, d.classes, o.layers, o.units, o.linear});
  const Eigen::VectorXd start = initial_theta(layout, 7);  // another seed's parameters
  REQUIRE(start != initial_theta(layout, o.seed));

  const fs::path dir = scratch_dir("init_from");
  Checkpoint source;  // another run that finished an epoch with `start` as its best parameters
  source.config = train_config(d, o);
  source.epochs_done = 1;
  source.theta = start;
  source.best_epoch = 1;
  source.best_theta = start;
  source.adam.m = Eigen::VectorXd::Zero(start.size());
  source.adam.v = Eigen::VectorXd::Zero(start.size());
  const std::string source_path = (dir / "source.checkpoint").string();
  save_checkpoint(source, source_path);
  o.checkpoint = (dir / "start.checkpoint").string();
  write_start_checkpoint(d, o, source_path);
  o.resume = true;
  const TrainResult r = train(d, o);
  CHECK(r.epochs_done == 1);
  // The largest difference between two networks' numbers (the tiny step moves them by ~1e-12).
  const auto distance = [](const picospice::network::Network& a, const picospice::network::Network& b) {
    double largest = 0;
    const std::function<void(const nlohmann::json&, const nlohmann::json&)> walk = [&](const nlohmann::json& x,
                                                                                     const nlohmann::json& y) {
      if (x.is_number() && y.is_number()) largest = std::max(largest, std::abs(x.get<double>() - y.get<double>()));
      if (x.is_array() && y.is_array() && x.size() == y.size())
        for (std::size_t i = 0; i < x.size(); ++i) walk(x[i], y[i]);
      if (x.is_object() && y.is_object())
        for (const auto& [key, value] : x.items())
          if (y.contains(key)) walk(value, y[key]);
    };
    walk(picospice::network::network_to_json(a), picospice::network::network_to_json(b));
    return largest;
  };
  CHECK(distance(r.network, network_for(layout, start, o)) < 1e-6);
  CHECK(distance(r.network, network_for(layout, initial_theta(layout, o.seed), o)) > 1e-3);
}

TEST_CASE("train --restarts keeps the restart with the best validation score", "[training]") {
  const Dataset d = pulse_dataset();
  TrainOptions o = pulse_options(3, 3);
  CHECK(restart_seed(5, 0) == 5);
  CHECK(restart_seed(5, 1) != 5);
  CHECK(restart_seed(5, 1) != restart_seed(5, 2));
  CHECK(restart_seed(5, 1) != restart_seed(6, 1));
  const auto json_of = [](const picospice::network::Network& n) { return picospice::network::network_to_json(n).dump(); };

  // One restart is the plain run.
  CHECK(json_of(train_with_restarts(d, o, 1).kept.network) == json_of(train(d, o).network));

  const fs::path dir = scratch_dir("restarts");
  o.checkpoint = (dir / "run.checkpoint").string();
  const RestartsResult r = train_with_restarts(d, o, 3);
  REQUIRE(r.restarts.size() == 3);
  for (const RestartReport& report : r.restarts) {
    CHECK(fs::exists(o.checkpoint + ".restart" + std::to_string(report.restart)));
    CHECK(report.seed == restart_seed(o.seed, report.restart));
    const RestartReport& kept = r.restarts[std::size_t(r.kept_restart)];
    CHECK((kept.validation.vote_accuracy > report.validation.vote_accuracy ||
           (kept.validation.vote_accuracy == report.validation.vote_accuracy &&
            kept.validation.frame_accuracy >= report.validation.frame_accuracy)));
  }
  // The kept network is its restart's, and the kept checkpoint is the plain checkpoint path.
  CHECK(json_of(r.kept.network) == json_of(r.restarts[std::size_t(r.kept_restart)].network));
  CHECK(load_checkpoint(o.checkpoint).best_theta ==
        load_checkpoint(o.checkpoint + ".restart" + std::to_string(r.kept_restart)).best_theta);
  // Restart k is the plain run of its seed.
  TrainOptions single = o;
  single.seed = restart_seed(o.seed, 2);
  single.checkpoint.clear();
  CHECK(json_of(train(d, single).network) == json_of(r.restarts[2].network));

  o.resume = true;
  CHECK_THROWS_WITH(train_with_restarts(d, o, 2), Catch::Contains("--resume"));
  CHECK_THROWS_AS(train_with_restarts(d, o, 0), std::invalid_argument);
  fs::remove_all(dir);
}

TEST_CASE("epochs and restarts rank by vote accuracy, then frame accuracy, a tie keeping the earlier", "[training]") {
  using picospice::training::ranks_above;
  using picospice::training::SplitScore;
  SplitScore a, b;
  a.vote_accuracy = 0.9;
  a.frame_accuracy = 0.5;
  b.vote_accuracy = 0.8;
  b.frame_accuracy = 0.99;
  CHECK(ranks_above(a, b));   // the vote decides first
  CHECK_FALSE(ranks_above(b, a));
  b.vote_accuracy = 0.9;
  CHECK(ranks_above(b, a));   // equal votes: the frames decide
  b.frame_accuracy = a.frame_accuracy;
  CHECK_FALSE(ranks_above(a, b));  // a full tie is not better
  CHECK_FALSE(ranks_above(b, a));
}

TEST_CASE("train --freeze-linear keeps the linear layer's starting parameters and trains the rest", "[training]") {
  const Dataset d = pulse_dataset();
  TrainOptions o = pulse_options(2, 3);
  o.linear = 3;
  o.freeze_linear = true;
  const ModelLayout layout(ModelShape{d.inputs, d.classes, o.layers, o.units, o.linear});
  Eigen::VectorXd start = initial_theta(layout, o.seed);
  picospice::training::project(layout, start);
  const picospice::network::Network initial = network_for(layout, start, o);
  const TrainResult r = train(d, o);
  REQUIRE(r.best_epoch > 0);
  const auto& before = std::get<picospice::network::LinearLayer>(initial.layers[0]);
  const auto& after = std::get<picospice::network::LinearLayer>(r.network.layers[0]);
  CHECK(after.W == before.W);
  CHECK(after.b == before.b);
  const auto& bmru_before = std::get<picospice::network::BmruLayer>(initial.layers[1]);
  const auto& bmru_after = std::get<picospice::network::BmruLayer>(r.network.layers[1]);
  CHECK(bmru_after.W_c != bmru_before.W_c);  // the rest did train
  // Without the flag the same run moves the linear layer; the flag needs a linear layer.
  o.freeze_linear = false;
  CHECK(std::get<picospice::network::LinearLayer>(train(d, o).network.layers[0]).W != before.W);
  o.freeze_linear = true;
  o.linear = 0;
  CHECK_THROWS_WITH(train(d, o), Catch::Contains("--freeze-linear needs a linear layer"));
}
