// Fuzz target: raw (binary and ASCII) and CSV waveform files -> read_raw / read_csv, then a
// comparison of the file with itself (interpolation, events). The first byte picks the reader.
#include <cstdint>
#include <exception>

#include "engine/output/csv_reader.hpp"
#include "engine/output/raw_reader.hpp"
#include "engine/output/waveform_compare.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool csv = data[0] & 1;
  try {
    const auto path = picospice::fuzz::input_file(picospice::fuzz::as_text(data + 1, size - 1), csv ? ".csv" : ".raw");
    const auto plots = picospice::read_waveform_file(path);
    picospice::CompareSettings settings;
    for (const auto& plot : plots) (void)picospice::compare_plot(plot, plot, settings);
  } catch (const std::exception&) {
  }
  return 0;
}
