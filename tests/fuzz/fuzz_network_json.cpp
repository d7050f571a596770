// Fuzz target: a network JSON file -> load_network (reading, JSON paths in errors, every check).
#include <cstdint>
#include <exception>

#include <nlohmann/json.hpp>

#include "codesign/network.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto net = picospice::network::load_network(
        picospice::fuzz::input_file(picospice::fuzz::as_text(data, size), ".json"));
    (void)picospice::network::network_to_json(net).dump();
  } catch (const std::exception&) {
  }
  return 0;
}
