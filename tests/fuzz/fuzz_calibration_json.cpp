// Fuzz target: a cell calibration JSON file -> load_calibration and the curve inversions it feeds.
#include <cstdint>
#include <exception>

#include "codesign/calibration.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto cal = picospice::network::load_calibration(
        picospice::fuzz::input_file(picospice::fuzz::as_text(data, size), ".json"));
    (void)cal.ithresh_for(0.5e-9);
    (void)cal.iwidth_for(0.2e-9, 0.35e-9);
    (void)cal.igain_for(0.5e-9);
  } catch (const std::exception&) {
  }
  return 0;
}
