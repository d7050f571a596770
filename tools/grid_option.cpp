#include "tools/grid_option.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace picospice::tools {

void add_grid_option(CLI::App* cmd, std::string& grid) {
  cmd->add_option("--grid", grid,
                  "quantize |w| to multiples of 1/N of the unit mirror width (default 32), or `auto`: per layer\n"
                  "the coarsest of 1/4 ... 1/256 whose quantization moves no candidate (bmru) or output of the\n"
                  "layer, on the input sequence, by more than the borderline margin (max(2%, 0.01 units))");
}

std::vector<network::LayerGrid> apply_grid_option(const std::string& text, const network::Network& network,
                                                  const std::vector<network::Vector>& frames,
                                                  network::LoweringOptions& options) {
  if (text == "auto") {
    const auto grids = network::choose_grids(network, frames);
    options.layer_grids.clear();
    for (const auto& g : grids) options.layer_grids.push_back(g.grid);
    return grids;
  }
  std::size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < 1)
    throw std::invalid_argument(fmt::format("--grid {}: expected a whole number >= 1 or `auto`", text));
  options.grid = value;
  options.layer_grids.clear();
  return {};
}

std::string describe_grids(const std::vector<network::LayerGrid>& grids) {
  std::string text;
  for (const auto& g : grids) {
    text += fmt::format("{}l{} 1/{} ({:.2f} of the margin{})", text.empty() ? "" : ", ", g.layer, g.grid, g.worst_move,
                        g.within_margin ? "" : ": above it even at the finest grid");
  }
  return text;
}

}  // namespace picospice::tools
