// What one Monte Carlo sample produced: one CSV row.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace picospice {

struct SampleResult {
  std::uint64_t index = 0;
  std::optional<double> temperature;      // C, when the sweep cycles through --temps
  std::string status = "ok";              // "ok", or why a value is missing
  std::vector<std::optional<double>> values;  // one per measure column; empty when it failed
  bool ok() const { return status == "ok"; }
};

}  // namespace picospice
