// The software mismatch check as `train` and `evaluate` print it (software_mismatch.hpp): per
// split, the share of perturbed copies that keep the network's decision.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "codesign/network.hpp"
#include "training/dataset.hpp"
#include "training/hardware_aware.hpp"

namespace picospice::tools {

// --sigma / --area: where the mismatch sigmas come from.
struct MismatchOptions {
  double sigma = -1;       // >= 0: one sigma for every parameter; < 0: the library's mismatch at `area`
  std::string area = "1";  // the device area factor the network will be lowered with (lowering_flags.hpp)
  training::MismatchSigmas sigmas() const;
  std::string source() const;  // "sigma 0.05" or "the library's mismatch at area 4"
};

// `used_by` completes the help: what the sigmas apply to in this command.
void add_mismatch_options(CLI::App* cmd, MismatchOptions& options, const std::string& used_by);

struct NamedSplit {
  std::string name;
  const std::vector<training::Clip>* clips;
};

// Prints a header naming where the sigmas come from and one line per non-empty split.
void print_software_mismatch(const network::Network& net, const std::vector<NamedSplit>& splits,
                             const MismatchOptions& mismatch, int grid, int copies, std::uint64_t seed, int threads);

}  // namespace picospice::tools
