// The picospice-bmru/1 network format and the software model (codesign/).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/unit/latch_network.hpp"

#include "codesign/inference.hpp"
#include "codesign/network.hpp"

using namespace picospice::network;
using nlohmann::json;

namespace {

std::string load_error(const json& j) {
  try {
    network_from_json(j);
  } catch (const NetworkError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<Vector> frames_of(std::initializer_list<double> xs) {
  std::vector<Vector> f;
  for (double x : xs) f.push_back({x});
  return f;
}

}  // namespace

TEST_CASE("network files load with defaults", "[network]") {
  const Network n = network_from_json(latch_json());
  CHECK(n.unit_current == 1e-9);
  CHECK(n.frame == 0.01);
  CHECK(n.vote_last == 0);
  REQUIRE(n.layers.size() == 2);
  const auto& b = std::get<BmruLayer>(n.layers[0]);
  CHECK(b.b_c == Vector{0.0});
  CHECK(b.s0 == std::vector<int>{0});
  CHECK_FALSE(b.skip);
  CHECK(n.classes() == 2);
  // Round trip through the writer.
  CHECK(network_to_json(n)["layers"][0]["beta1"] == json::array({0.3}));
}

TEST_CASE("malformed network files name the JSON path of the fault", "[network]") {
  json j = latch_json();
  j["layers"][0]["W_c"] = json::parse("[[1.0, 2.0]]");
  CHECK(load_error(j) == "layers[0].W_c: expected Nx1, got 1x2");

  j = json::parse(R"({"format": "picospice-bmru/1", "inputs": 4, "layers": [
      {"type": "bmru", "W_c": [[1,1,1,1],[1,1,1,1],[1,1,1,1],[1,1,1,1]], "beta1": [0,0,0,0], "delta": [0,0,0,0],
       "alpha": [1,1,1,1], "W_p": [[1,1,1,1],[1,1,1,1],[1,1,1,1],[1,1,1,1]]},
      {"type": "bmru", "W_c": [[1,1,1],[1,1,1],[1,1,1],[1,1,1]], "beta1": [0,0,0,0], "delta": [0,0,0,0],
       "alpha": [1,1,1,1], "W_p": [[1,1,1,1]]},
      {"type": "readout", "W": [[1]]}]})");
  CHECK(load_error(j) == "layers[1].W_c: expected Nx4, got 4x3");

  j = latch_json();
  j["layers"][0]["delta"] = json::array({-0.1});
  CHECK(load_error(j) == "layers[0].delta[0]: must be >= 0, got -0.1");
  j = latch_json();
  j["layers"][0]["alpha"] = json::array({-1});
  CHECK(load_error(j).rfind("layers[0].alpha[0]: must be >= 0", 0) == 0);
  j = latch_json();
  j["layers"][0]["beta1"] = json::array({"x"});
  CHECK(load_error(j) == "layers[0].beta1[0]: expected a number, got a string");
  j = latch_json();
  j["layers"][0]["beta1"] = json::array({std::numeric_limits<double>::infinity()});
  CHECK(load_error(j) == "layers[0].beta1[0]: not a finite number");
  j = latch_json();
  j["layers"][0]["beta1"] = json::array({std::nan("")});
  CHECK(load_error(j) == "layers[0].beta1[0]: not a finite number");
  j = latch_json();
  j["layers"][0]["skip"] = true;
  j["layers"][0]["W_p"] = json::parse("[[1.0], [1.0]]");
  j["layers"][1]["W"] = json::parse("[[1.0, 1.0]]");
  CHECK(load_error(j).rfind("layers[0].skip: a skip connection needs as many outputs", 0) == 0);
  j = latch_json();
  j["layers"][0]["type"] = "gru";
  CHECK(load_error(j).rfind("layers[0].type: unknown layer type gru", 0) == 0);
  j = latch_json();
  j.erase("format");
  CHECK(load_error(j).rfind("format: missing", 0) == 0);
  j = latch_json();
  j["format"] = "picospice-bmru/2";
  CHECK(load_error(j).rfind("format: expected \"picospice-bmru/1\"", 0) == 0);
  j = latch_json();
  j["layers"][0]["Wc"] = json::parse("[[1.0]]");
  CHECK(load_error(j).rfind("layers[0].Wc: unknown key", 0) == 0);
  j = latch_json();
  j["layers"][0].erase("W_p");
  CHECK(load_error(j) == "layers[0].W_p: missing");
  j = latch_json();
  j["layers"].erase(1);
  CHECK(load_error(j) == "layers[0].type: the last layer must be a readout (the logits)");
}

namespace {
// One BMRU unit with the given switching parameters (only beta1 and delta matter here).
BmruLayer one_unit(double beta1, double delta) {
  BmruLayer layer;
  layer.W_c = {{1.0}};
  layer.beta1 = {beta1};
  layer.delta = {delta};
  layer.alpha = {1.0};
  return layer;
}
}  // namespace

TEST_CASE("the BMRU update: force low, hold in the band, force high", "[network]") {
  const BmruLayer unit = one_unit(0.3, 0.4);
  CHECK(unit.beta2(0) == Approx(0.7));
  CHECK(bmru_update(unit, 0, 0.2, 1) == 0);   // below beta1
  CHECK(bmru_update(unit, 0, 0.3, 1) == 1);   // beta1 itself holds
  CHECK(bmru_update(unit, 0, 0.5, 0) == 0);   // band holds 0
  CHECK(bmru_update(unit, 0, 0.5, 1) == 1);   // band holds 1
  CHECK(bmru_update(unit, 0, 0.7, 0) == 0);   // beta2 itself holds
  CHECK(bmru_update(unit, 0, 0.71, 0) == 1);  // above beta2
}

TEST_CASE("inference on a hand-computed latch sequence", "[network]") {
  const Network n = network_from_json(latch_json());
  const auto r = infer(n, frames_of({0.1, 0.5, 1.0, 0.5, 0.2, 0.5, 0.9}));
  std::vector<double> states;
  for (const auto& s : r.layers[0].state) states.push_back(s[0]);
  CHECK(states == std::vector<double>{0, 0, 1, 1, 0, 0, 1});
  CHECK(r.layers[0].h[2][0] == 0.5);
  CHECK(r.logits[2] == Vector{-0.25, 0.25});
  CHECK(r.frame_class == std::vector<int>{0, 0, 1, 1, 0, 0, 1});
  CHECK(r.vote.decision == 0);  // 4 frames against 3
  CHECK(r.vote.margin == 1);
}

TEST_CASE("the candidate is a ReLU and s0 starts the hold", "[network]") {
  json j = latch_json();
  j["layers"][0]["W_c"] = json::parse("[[-1.0]]");
  j["layers"][0]["b_c"] = json::array({0.5});
  j["layers"][0]["s0"] = json::array({1});
  const Network n = network_from_json(j);
  const auto r = infer(n, frames_of({0.0, 0.6, 0.0}));
  CHECK(r.layers[0].candidate[0][0] == 0.5);  // in the band: s0 = 1 held
  CHECK(r.layers[0].state[0][0] == 1);
  CHECK(r.layers[0].candidate[1][0] == 0.0);  // max(-0.1, 0)
  CHECK(r.layers[0].state[1][0] == 0);
  CHECK(r.layers[0].state[2][0] == 0);        // 0.5 in the band holds 0 now
}

TEST_CASE("skip connections add the layer input after the ReLU", "[network]") {
  json j = latch_json();
  j["layers"][0]["skip"] = true;
  j["layers"][0]["W_p"] = json::parse("[[-1.0]]");
  j["layers"][0]["b_p"] = json::array({0.2});
  const Network n = network_from_json(j);
  const auto r = infer(n, frames_of({1.0, 0.1}));
  // Frame 0: h = 0.5, max(-0.5 + 0.2, 0) + 1.0 = 1.0. Frame 1: h = 0, max(0.2, 0) + 0.1 = 0.3.
  CHECK(r.layers[0].output[0][0] == Approx(1.0));
  CHECK(r.layers[0].output[1][0] == Approx(0.3));
}

TEST_CASE("votes: vote_last windows and ties to the lower class", "[network]") {
  const Vote all = majority_vote({1, 1, 0, 0}, 2, 0);
  CHECK(all.decision == 0);  // a tie goes to the lower class
  CHECK(all.margin == 0);
  CHECK(all.borderline);
  const Vote last = majority_vote({0, 0, 0, 1, 1}, 2, 2);
  CHECK(last.first_frame == 3);
  CHECK(last.decision == 1);
  CHECK(argmax({0.5, 0.5, 0.1}) == 0);

  json j = latch_json();
  j["vote_last"] = 2;
  const auto r = infer(network_from_json(j), frames_of({0.1, 0.1, 0.1, 1.0, 1.0}));
  CHECK(r.vote.decision == 1);
}

TEST_CASE("run detection: a class > 0 held for K frames anywhere, else the background", "[network]") {
  // A late word: 6 background frames, then 3 frames of class 1. A vote over all frames says 0.
  const std::vector<int> late{0, 0, 0, 0, 0, 0, 1, 1, 1};
  CHECK(majority_vote(late, 2, 0).decision == 0);
  const Vote three = run_detection(late, 2, 3);
  CHECK(three.decision == 1);
  CHECK(three.counts == std::vector<int>{6, 3});  // each class's longest run
  CHECK(three.margin == 0);
  const Vote four = run_detection(late, 2, 4);
  CHECK(four.decision == 0);  // a run one frame short is not a detection
  CHECK(four.margin == 1);
  // A broken run does not add up: 1 1 0 1 1 has no run of 3.
  CHECK(run_detection({1, 1, 0, 1, 1}, 2, 3).decision == 0);
  // Three classes: the detected class with the longer run wins; ties to the lower index.
  CHECK(run_detection({2, 2, 2, 0, 1, 1, 1, 1}, 3, 3).decision == 1);
  CHECK(run_detection({2, 2, 2, 0, 1, 1, 1}, 3, 3).decision == 1);
  CHECK(run_detection({2, 2, 2, 0, 1, 1}, 3, 3).decision == 2);

  // Stored in the network file, used by infer, and not combined with vote_last.
  json j = latch_json();
  j["detect_run"] = 2;
  const Network n = network_from_json(j);
  CHECK(n.detect_run == 2);
  CHECK(network_to_json(n).at("detect_run") == 2);
  CHECK_FALSE(network_to_json(network_from_json(latch_json())).contains("detect_run"));  // files without it unchanged
  CHECK(infer(n, frames_of({0.1, 0.1, 0.1, 1.0, 1.0})).vote.decision == 1);
  CHECK(infer(n, frames_of({0.1, 0.1, 0.1, 0.1, 1.0})).vote.decision == 0);
  CHECK(decision_rule_text(n) == "a class > 0 on the readout for 2 consecutive frames (else class 0)");
  j["vote_last"] = 3;
  CHECK_THROWS_WITH(network_from_json(j), Catch::Contains("detect_run") && Catch::Contains("vote_last must then be 0"));
}

TEST_CASE("run detection with a decrement: an up/down count that a short dip does not restart", "[network]") {
  // 1 1 0 1 1: no run of 3, but the count goes 1 2 1 2 3 with decrement 1 (and 1 2 0 1 2 with 2).
  const std::vector<int> dipped{1, 1, 0, 1, 1};
  const Vote one = run_detection(dipped, 2, 3, 1);
  CHECK(one.decision == 1);
  CHECK(one.counts == std::vector<int>{1, 3});  // each class's highest count
  CHECK(run_detection(dipped, 2, 3, 2).decision == 0);
  CHECK(run_detection(dipped, 2, 3, 2).counts == std::vector<int>{1, 2});
  // The count never goes below 0: a long background does not bank a debt.
  CHECK(run_detection({0, 0, 0, 0, 0, 1, 1, 1}, 2, 3, 1).decision == 1);
  // Decrement 0 is the run rule, on every sequence.
  const std::vector<std::vector<int>> sequences{{0, 1, 1, 0, 1, 1, 1}, {1, 0, 1, 0, 1, 0}, {2, 2, 0, 1, 1, 1, 2}};
  for (const auto& seq : sequences) {
    const Vote run = run_detection(seq, 3, 3);
    const Vote zero = run_detection(seq, 3, 3, 0);
    CHECK(zero.decision == run.decision);
    CHECK(zero.counts == run.counts);
  }
  // Stored with detect_run, refused without it, used by infer, written only when used.
  json j = latch_json();
  j["detect_run"] = 3;
  j["detect_decrement"] = 1;
  const Network n = network_from_json(j);
  CHECK(n.detect_decrement == 1);
  CHECK(network_to_json(n).at("detect_decrement") == 1);
  CHECK_FALSE(network_to_json(network_from_json(latch_json())).contains("detect_decrement"));
  CHECK(decision_rule_text(n) == "a class > 0 counted to 3 on the readout, +1 on its frames and -1 on others (else class 0)");
  CHECK(decide({1, 1, 0, 1, 1}, n).decision == 1);
  Network consecutive = n;
  consecutive.detect_decrement = 0;
  CHECK(decide({1, 1, 0, 1, 1}, consecutive).decision == 0);
  j.erase("detect_run");
  CHECK_THROWS_WITH(network_from_json(j), Catch::Contains("detect_decrement") && Catch::Contains("needs detect_run"));
}

// The shipped example networks (netlists/examples/*/network.json) are read as users read them, and
// each encoding.json beside one encodes as many inputs as the network takes.
TEST_CASE("every shipped example network loads and matches its encoding", "[network]") {
  namespace fs = std::filesystem;
  int networks = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(PICOSPICE_SOURCE_DIR) / "netlists" / "examples")) {
    const fs::path file = entry.path() / "network.json";
    if (!entry.is_directory() || !fs::exists(file)) continue;
    INFO(file.string());
    const Network net = load_network(file);
    ++networks;
    if (const fs::path encoding = entry.path() / "encoding.json"; fs::exists(encoding)) {
      const json e = json::parse(std::ifstream(encoding));
      CHECK(e.at("encoding").at("means").size() == static_cast<std::size_t>(net.inputs));
    }
  }
  CHECK(networks >= 7);  // kws_trained, kws_best_run, kws_2x16_best_run, kws_near_miss, kws_relaxed, kws_robust,
                         // kws_two_engines
}

TEST_CASE("borderline frames: within max(2% of the threshold, 0.01) of beta1 or beta2", "[network]") {
  CHECK(borderline_margin(0.3) == 0.01);                 // the 0.01-unit floor
  CHECK(borderline_margin(3.0) == Approx(0.06));         // 2% of the threshold
  const BmruLayer small = one_unit(0.3, 0.4), large = one_unit(1.0, 2.0);
  CHECK(is_borderline(small, 0, 0.305));                 // 0.01 band around beta1
  CHECK_FALSE(is_borderline(small, 0, 0.32));
  CHECK(is_borderline(small, 0, 0.695));                 // ... and around beta2
  CHECK(is_borderline(large, 0, 2.95));                  // 2% of beta2 = 0.06
  CHECK_FALSE(is_borderline(large, 0, 2.9));
  CHECK(is_borderline(large, 0, 0.985));                 // 0.02 around beta1 = 1
  CHECK_FALSE(is_borderline(large, 0, 0.975));
}

TEST_CASE("a replay takes the given state at borderline frames and the rule everywhere else", "[network]") {
  // Two latches in a row (layer 1 reads layer 0's h = 0.5 s through W_c = 1.5: c1 = 0.75 s0, above
  // its beta2 0.7 when layer 0 is high). Frame 1's 0.705 is borderline for layer 0 (within 0.014
  // of beta2 0.7): the rule sets it high; a choice of 0 keeps it low, and then layer 1, never
  // borderline itself, must follow that choice (c1 = 0 < 0.3) in frame 1 and while layer 0 holds.
  json j = latch_json();
  j["layers"].insert(j["layers"].begin() + 1,
                     json::parse(R"({"type": "bmru", "W_c": [[1.5]], "beta1": [0.3], "delta": [0.4],
                                     "alpha": [0.5], "W_p": [[1.0]]})"));
  const Network n = network_from_json(j);
  const auto frames = frames_of({0.1, 0.705, 0.5, 0.1});
  const auto rule = infer(n, frames);
  std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> asked;
  const auto replay = infer_with_borderline_choices(n, frames, [&](std::size_t l, std::size_t t, std::size_t u) {
    asked.emplace_back(l, t, u);
    return 0;
  });
  auto states = [](const InferenceResult& r, std::size_t layer) {
    std::vector<double> s;
    for (const auto& frame : r.layers[layer].state) s.push_back(frame[0]);
    return s;
  };
  CHECK(states(rule, 0) == std::vector<double>{0, 1, 1, 0});  // set, held at 0.5, reset
  CHECK(states(rule, 1) == std::vector<double>{0, 1, 1, 0});  // c1 = 0.75 sets it, 0 resets it
  // Only the one borderline unit-frame is asked about.
  REQUIRE(asked.size() == 1);
  CHECK(asked[0] == std::make_tuple(std::size_t{0}, std::size_t{1}, std::size_t{0}));
  CHECK(states(replay, 0) == std::vector<double>{0, 0, 0, 0});  // kept low, then held low at 0.5
  CHECK(states(replay, 1) == std::vector<double>{0, 0, 0, 0});
  CHECK(replay.layers[1].candidate[2][0] == 0.0);
  CHECK(replay.logits[2] != rule.logits[2]);
  // With the rule's own choice the replay is the plain run.
  const auto same = infer_with_borderline_choices(n, frames, [](std::size_t, std::size_t, std::size_t) { return 1; });
  CHECK(states(same, 0) == states(rule, 0));
  CHECK(same.logits == rule.logits);
}
