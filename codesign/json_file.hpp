// Reading JSON files (networks, calibrations, checkpoints, datasets) so that bad input is a
// message naming the file and the place in it, never nlohmann's exception text or a crash:
//  - every error says "FILE: at JSON_PATH (byte N): what", e.g. "net.json: at layers[0].W_c[1][2]
//    (byte 312): number overflow: '1e999' is not a finite double";
//  - documents nested deeper than kMaxJsonDepth are refused while reading (nlohmann's dump() and
//    other recursive code would overflow the stack on 65,000 nested brackets);
//  - files larger than kMaxJsonBytes are refused before they fill memory.
#pragma once
#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace picospice {

constexpr std::size_t kMaxJsonDepth = 256;
constexpr std::size_t kMaxJsonBytes = std::size_t{512} << 20;

// What a file read is to the run. An input is never overwritten by the run (base/atomic_file.hpp:
// a result written over the network it was read from is refused). A run's own state (the
// checkpoint that `train --resume` continues) is read and then rewritten, so it is not an input.
enum class JsonFileRole { input, run_state };

// Parses the file; throws std::runtime_error as described above. `what` names the kind of file
// in the "cannot open" message ("network file", "calibration file").
nlohmann::json read_json_file(const std::filesystem::path& path, const std::string& what,
                              JsonFileRole role = JsonFileRole::input);

// Parses text as read_json_file does, naming `source` in messages (tests, fuzzing).
nlohmann::json parse_json_text(const std::string& text, const std::string& source);

// A nlohmann exception's message without its "[json.exception.type_error.302] " prefix.
std::string json_error_text(const std::exception& error);

}  // namespace picospice
