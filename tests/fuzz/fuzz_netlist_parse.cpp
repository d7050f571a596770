// Fuzz target: netlist text -> parse -> elaborate (no simulation). Includes resolve against the
// fuzzer's working directory; a netlist that names a real file reads it, as the command line would.
#include <cstdint>
#include <exception>

#include "netlists/elaborate.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto circuit = picospice::elaborate_text(picospice::fuzz::as_text(data, size), "fuzz.cir");
  } catch (const std::exception&) {
  }
  return 0;
}
