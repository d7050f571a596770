// Options that take two numbers: `dataset kws --snr MIN MAX` and its kin, `train --relax TAU0 TAU1`.
// One parser for both, so every such option refuses a missing, non-numeric or infinite value alike
// (CLI11 reports "NAME: ... could not be converted").
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace picospice::tools {

// "NAME A B": two finite numbers, stored in `first` and `second` as given.
CLI::Option* add_number_pair_option(CLI::App* app, const std::string& name, double& first, double& second,
                                    const std::string& help, const std::string& type_name);

// "NAME MIN MAX": a pair with MIN <= MAX.
CLI::Option* add_range_option(CLI::App* app, const std::string& name, double& low, double& high,
                              const std::string& help);

}  // namespace picospice::tools
