// The `--grid N|auto` option of `picospice lower` and `picospice agree`: the mirror grid of the
// weights, one for every layer (N), or per layer the coarsest that keeps quantization inside the
// borderline margin (auto: codesign/weight_grid.hpp). One definition for both commands.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "codesign/lowering.hpp"
#include "codesign/weight_grid.hpp"

namespace picospice::tools {

// Adds `--grid N|auto`, stored as written.
void add_grid_option(CLI::App* cmd, std::string& grid);

// Sets options.grid (a number) or options.layer_grids (auto, chosen for `network` on `frames`);
// returns the per-layer choices of auto (empty for a number). Throws std::invalid_argument for
// text that is neither a whole number >= 1 nor "auto".
std::vector<network::LayerGrid> apply_grid_option(const std::string& text, const network::Network& network,
                                                  const std::vector<network::Vector>& frames,
                                                  network::LoweringOptions& options);

// "l0 1/16 (0.62 of the margin), l1 1/64 (0.91), l2 1/8 (0.40)", with a note for a layer that
// stays above its margin even at the finest grid.
std::string describe_grids(const std::vector<network::LayerGrid>& grids);

}  // namespace picospice::tools
