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

}  // namespace picospice
