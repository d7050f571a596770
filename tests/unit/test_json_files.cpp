// JSON inputs (codesign/json_file.hpp): errors name the file and the JSON path, never nlohmann's
// exception text; deep nesting and huge numbers are refused instead of crashing or overflowing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "codesign/calibration.hpp"
#include "codesign/json_file.hpp"
#include "codesign/network.hpp"
#include "tests/run_command.hpp"
#include "training/checkpoint.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;

fs::path write_json(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "picospice_json_files";
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kLatch =
    R"({"format": "picospice-bmru/1", "unit_current": 1e-9, "frame": 0.01, "inputs": 1, "layers": [
  {"type": "bmru", "W_c": [[1.0]], "b_c": [0.0], "beta1": [0.3], "delta": [0.4], "alpha": [1.0], "s0": [0],
   "W_p": [[1.0]], "b_p": [0.0], "skip": false},
  {"type": "readout", "W": [[1.0]], "b": [0.0]}]})";

}  // namespace

TEST_CASE("a number that overflows a double names the file, the JSON path and the byte", "[json]") {
  std::string text = kLatch;
  text.replace(text.find("[[1.0]]"), 7, "[[1e999]]");
  const fs::path path = write_json("overflow.json", text);
  const std::string message = message_of([&] { network::load_network(path); });
  CHECK_THAT(message, Catch::Contains(path.string() + ": not valid JSON at layers[0].W_c[0][0] (byte") &&
                          Catch::Contains("number overflow parsing '1e999'"));
  CHECK_THAT(message, !Catch::Contains("json.exception"));
}

TEST_CASE("JSON nested deeper than 256 levels is refused while reading, without a crash", "[json]") {
  const std::string deep = std::string(65625, '[') + std::string(65625, ']');
  const fs::path path = write_json("deep.json", R"({"format": "picospice-bmru/1", "layers": [{"type": )" + deep + "}]}");
  CHECK_THAT(message_of([&] { network::load_network(path); }),
             Catch::Contains("not valid JSON at layers[0].type") && Catch::Contains("nested deeper than 256 levels"));
  CHECK_THAT(message_of([] { parse_json_text("[1, 2", "x.json"); }),
             Catch::StartsWith("x.json: not valid JSON at [2] (byte 6): parse error"));
}

TEST_CASE("a calibration file with wrong types says what is wrong, not nlohmann's type_error", "[json]") {
  const fs::path format = write_json("calibration_format.json", R"({"format": 5, "cell": "schmitt9"})");
  CHECK_THAT(message_of([&] { network::load_calibration(format); }),
             Catch::Contains("format is not picospice-cell-calibration") && !Catch::Contains("json.exception"));
  const fs::path top = write_json("calibration_array.json", "[1, 2, 3]");
  CHECK_THAT(message_of([&] { network::load_calibration(top); }), Catch::Contains("the top level is not an object"));
  std::ifstream real(std::string(PICOSPICE_TEST_DATA) + "/netlist/network/schmitt9_calibration.json");
  std::string text((std::istreambuf_iterator<char>(real)), std::istreambuf_iterator<char>());
  REQUIRE(text.find("\"vdd\"") != std::string::npos);
  const auto at = text.find(':', text.find("\"vdd\""));
  text.replace(at + 1, text.find_first_of(",}", at) - at - 1, " \"high\"");
  const fs::path vdd = write_json("calibration_vdd.json", text);
  CHECK_THAT(message_of([&] { network::load_calibration(vdd); }),
             Catch::Contains("conditions.vdd is not a finite number") && !Catch::Contains("json.exception"));
  const fs::path overflow = write_json("calibration_overflow.json", R"({"format": "picospice-cell-calibration", "x": -1e999})");
  CHECK_THAT(message_of([&] { network::load_calibration(overflow); }),
             Catch::Contains("not valid JSON at x (byte") && Catch::Contains("number overflow"));
}

TEST_CASE("a checkpoint with an out-of-range count is refused before any conversion", "[json]") {
  const fs::path path = write_json(
      "checkpoint.json", R"({"format": "picospice-train-checkpoint/1", "config": {}, "epochs_done": 1e10, "adam_step": 1,
                             "best_epoch": 0, "best_score": 0, "history": []})");
  const std::string message = message_of([&] { training::load_checkpoint(path); });
  CHECK_THAT(message, Catch::Contains("epochs_done: expected a whole number from 0 to 1e+06, got 10000000000.0") ||
                          Catch::Contains("not a training checkpoint"));
  CHECK_THAT(message, !Catch::Contains("json.exception"));
}

TEST_CASE("infer on a network JSON nested 65,625 deep exits with a message, not a signal", "[json]") {
  const std::string deep = std::string(65625, '[') + std::string(65625, ']');
  const fs::path path = write_json("deep_cli.json", R"({"format": "picospice-bmru/1", "layers": [{"type": )" + deep + "}]}");
  const std::string sequence = std::string(PICOSPICE_SOURCE_DIR) + "/netlists/examples/latch1.csv";
  CHECK_REFUSED_WITH(testing::run_picospice("infer " + path.string() + " --input " + sequence), "nested deeper than 256 levels");
}

// A checkpoint is a run's own state: `train --resume` and `train --init-from` read it and then
// rewrite it after every epoch. The guard that refuses to overwrite a run's inputs
// (base/atomic_file.hpp) once refused that second write, so both stopped after reading.
TEST_CASE("train --init-from and --resume rewrite their own checkpoint, which is not an input", "[json][training]") {
  const fs::path dir = fs::temp_directory_path() / "picospice_json_files" / "own_checkpoint";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "dataset.json") << R"({"format": "picospice-dataset/1", "inputs": 1, "classes": 2,
    "splits": {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"}})";
  for (const char* split : {"train", "validation", "test"}) {
    std::ofstream csv(dir / (std::string(split) + ".csv"));
    csv << "clip,frame,label,x0\n";
    for (int clip = 0; clip < 8; ++clip)  // class 1: a pulse in frame 0 (the hold must keep it)
      for (int frame = 0; frame < 4; ++frame) csv << "c" << clip << ',' << frame << ',' << clip % 2 << ','
                                                  << (clip % 2 && frame == 0 ? 2.0 : 0.1) << '\n';
  }
  const std::string task = " --task " + (dir / "dataset.json").string() + " --layers 1 --units 2 --batch 4"
                           " --mismatch-check 0 --seed 1";
  const std::string first = (dir / "first.json").string();
  const auto outcome = testing::run_picospice("train" + task + " --epochs 2 -o " + first);
  REQUIRE(outcome.succeeded());
  const auto tuned = testing::run_picospice("train" + task + " --epochs 3 --init-from " + first + ".checkpoint -o " +
                                            (dir / "tuned.json").string());
  CHECK(tuned.succeeded());
  CHECK_THAT(tuned.output, Catch::Contains("best epoch") && !Catch::Contains("refusing"));
  CHECK(training::load_checkpoint(dir / "tuned.json.checkpoint").epochs_done == 3);
  // A run interrupted after its first epoch (the tuned run's checkpoint cut back to it), resumed:
  // epochs 2 and 3 each rewrite the checkpoint it was read from.
  const std::string resumed_output = (dir / "resumed.json").string();
  training::Checkpoint interrupted = training::load_checkpoint(dir / "tuned.json.checkpoint");
  interrupted.epochs_done = 1;
  interrupted.best_epoch = 1;
  interrupted.history = nlohmann::json::array({interrupted.history.at(0)});
  training::save_checkpoint(interrupted, resumed_output + ".checkpoint");
  const auto resumed = testing::run_picospice("train" + task + " --epochs 3 --resume -o " + resumed_output);
  CHECK(resumed.succeeded());
  CHECK_THAT(resumed.output, !Catch::Contains("refusing"));
  CHECK(training::load_checkpoint(resumed_output + ".checkpoint").epochs_done == 3);
  // The checkpoint that only seeds a run is still an input: a run may not write its start over it.
  const auto onto_source = testing::run_picospice("train" + task + " --epochs 3 --init-from " + first +
                                                  ".checkpoint --checkpoint " + first + ".checkpoint -o " +
                                                  (dir / "clobber.json").string());
  CHECK_REFUSED_WITH(onto_source, "is an input of this run");
  fs::remove_all(dir);
}

}  // namespace picospice
