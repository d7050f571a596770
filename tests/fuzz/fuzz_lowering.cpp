// Fuzz target: a network JSON -> lower_network (two frames of inputs) -> parse and elaborate the
// lowered netlist, as `picospice lower` and `agree` do. Networks over 400 weights are skipped: the
// netlist text grows with them and the search slows down without reaching new code.
#include <cstdint>
#include <exception>

#include "codesign/json_file.hpp"
#include "codesign/lowering.hpp"
#include "netlists/elaborate.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

std::size_t weight_count(const picospice::network::Network& net) {
  std::size_t count = 0;
  for (const auto& layer : net.layers) count += picospice::network::layer_input_width(layer) *
                                                picospice::network::layer_output_width(layer);
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  try {
    const auto doc = picospice::parse_json_text(picospice::fuzz::as_text(data + 1, size - 1), "fuzz.json");
    const auto net = picospice::network::network_from_json(doc);
    if (weight_count(net) > 400 || net.inputs > 32) return 0;
    picospice::network::LoweringOptions options;
    options.grid = 1 + data[0] % 64;
    std::vector<picospice::network::Vector> frames(2, picospice::network::Vector(net.inputs, 0.5));
    frames[1].assign(net.inputs, 1.5);
    const auto lowered = picospice::network::lower_network(net, frames, options);
    auto circuit = picospice::elaborate_text(lowered.netlist, "lowered.cir");
  } catch (const std::exception&) {
  }
  return 0;
}
