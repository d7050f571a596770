// `picospice evaluate --clip-results`: every clip's decision and the per-frame readout it was
// decided from, so that another decision rule can be tried on a trained network's output.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "codesign/inference.hpp"
#include "codesign/network.hpp"
#include "tests/run_command.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_on(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

}  // namespace

TEST_CASE("evaluate --clip-results writes the readout each decision was made from", "[cli][training]") {
  const fs::path dir = testing::scratch_directory("picospice_evaluate_command");
  const fs::path network_file = fs::path(PICOSPICE_SOURCE_DIR) / "netlists" / "examples" / "kws_trained" / "network.json";
  const network::Network net = network::load_network(network_file);
  constexpr int kFrames = 101, kClips = 12, kRun = 5;
  // Random frames in the encoding's range, loud (0 to 1 unit) in odd clips and silent (0) in
  // even ones: some clips have long "yes" runs and some none, which the check below needs (it is
  // checked, not assumed).
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> level(0.0, 1.0);
  std::vector<std::vector<network::Vector>> clips(kClips);
  std::ofstream(dir / "dataset.json") << R"({"format": "picospice-dataset/1", "inputs": )" << net.inputs
                                      << R"(, "classes": 2,
    "splits": {"train": "test.csv", "validation": "test.csv", "test": "test.csv"}})";
  {
    std::ofstream csv(dir / "test.csv");
    csv << "clip,frame,label";
    for (int k = 0; k < net.inputs; ++k) csv << ",x" << k;
    csv << '\n';
    for (int c = 0; c < kClips; ++c)
      for (int t = 0; t < kFrames; ++t) {
        network::Vector x(std::size_t(net.inputs));
        csv << "clip" << c << ',' << t << ',' << c % 2;
        for (double& v : x) {
          v = std::round(level(rng) * (c % 2 ? 1.0 : 0.0) * 1e4) / 1e4;  // what the CSV holds, so the check infers on the same values
          csv << ',' << v;
        }
        csv << '\n';
        clips[std::size_t(c)].push_back(x);
      }
  }
  const fs::path results = dir / "clips.csv";
  const auto outcome = testing::run_picospice("evaluate " + network_file.string() + " --task " +
                                              (dir / "dataset.json").string() + " --detect-run " +
                                              std::to_string(kRun) + " --mismatch-check 0 --clip-results " +
                                              results.string());
  REQUIRE(outcome.succeeded());
  std::ifstream in(results);
  std::string line;
  REQUIRE(std::getline(in, line));
  CHECK(line == "split,id,label,decision,readout");
  network::Network rule = net;  // the rule the command was asked for
  rule.detect_run = kRun;
  rule.vote_last = 0;
  int rows = 0, yes_decisions = 0;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split_on(line, ',');
    REQUIRE(fields.size() == 5);
    const int clip = std::stoi(fields[1].substr(4));
    const network::InferenceResult software = network::infer(rule, clips.at(std::size_t(clip)));
    std::vector<int> readout;
    for (const std::string& f : split_on(fields[4], ' ')) readout.push_back(std::stoi(f));
    CHECK(readout == software.frame_class);
    CHECK(std::stoi(fields[3]) == network::run_detection(readout, 2, kRun).decision);
    yes_decisions += std::stoi(fields[3]);
    ++rows;
  }
  CHECK(rows == kClips);
  CHECK(yes_decisions > 0);  // the decisions were not all one class, so the rule was exercised
  CHECK(yes_decisions < kClips);
}

}  // namespace picospice
