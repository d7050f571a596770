// Runs fuzz target inputs without libFuzzer: `picospice_fuzz_replay TARGET FILE_OR_DIR...` feeds
// every file to the target once, so the seed corpus and every crash input found so far run as
// ordinary CTest cases in any build (tests/fuzz/README.md). A crash or sanitizer report fails the
// case; an error message is the expected answer to bad input and is swallowed by the target.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

using FuzzTarget = int (*)(const std::uint8_t*, std::size_t);

extern "C" int fuzz_netlist_parse(const std::uint8_t*, std::size_t);
extern "C" int fuzz_netlist_simulate(const std::uint8_t*, std::size_t);
extern "C" int fuzz_network_json(const std::uint8_t*, std::size_t);
extern "C" int fuzz_calibration_json(const std::uint8_t*, std::size_t);
extern "C" int fuzz_waveform_readers(const std::uint8_t*, std::size_t);
extern "C" int fuzz_lowering(const std::uint8_t*, std::size_t);

int main(int argc, char** argv) {
  const std::map<std::string, FuzzTarget> targets = {
      {"netlist_parse", fuzz_netlist_parse},         {"netlist_simulate", fuzz_netlist_simulate},
      {"network_json", fuzz_network_json},           {"calibration_json", fuzz_calibration_json},
      {"waveform_readers", fuzz_waveform_readers}, {"lowering", fuzz_lowering}};
  if (argc < 3 || !targets.count(argv[1])) {
    std::fprintf(stderr, "usage: picospice_fuzz_replay TARGET FILE_OR_DIR...\ntargets:");
    for (const auto& [name, target] : targets) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 2; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    if (!std::filesystem::exists(path)) continue;  // a target without regression inputs yet
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::directory_iterator(path))
        if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') files.push_back(entry.path());
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s\n", file.string().c_str());
    targets.at(argv[1])(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%zu inputs ran through %s without a crash\n", files.size(), argv[1]);
  return files.empty() ? 1 : 0;
}
