// `picospice lower NET.json --input SEQ.csv -o NET.cir`: a BMRU network and an input sequence as
// a netlist of cell-library primitives (codesign/lowering.hpp), ready for `picospice run`
// and `picospice export-ngspice`.
#include <fmt/format.h>

#include <memory>
#include <optional>

#include "base/atomic_file.hpp"
#include "codesign/calibration.hpp"
#include "codesign/lowering.hpp"
#include "codesign/sequence.hpp"
#include "tools/area_option.hpp"
#include "tools/command.hpp"
#include "tools/grid_option.hpp"

namespace picospice::tools {
namespace {

using namespace picospice::network;

struct LowerOptions {
  std::string network, input, output, calibrate, library;
  std::string area = "1", area_budget;
  std::string unit_current;  // empty: the network file's
  std::vector<std::string> area_from;
  bool no_blanking = false;
  int reference_ratio_limit = LoweringOptions{}.reference_ratio_limit;
  std::string grid = "32";
};

int run_lower(const LowerOptions& o) {
  Network net = load_network(o.network);
  apply_unit_current_option(o.unit_current, net);
  const InputSequence seq = read_sequence_csv(o.input, net.inputs);
  std::optional<CellCalibration> calibration;
  LoweringOptions options;
  apply_area_options(o.area, o.area_budget, options);
  apply_area_from_option(o.area_from, net.inputs, options);
  options.frame_blanking = !o.no_blanking;
  options.reference_ratio_limit = o.reference_ratio_limit;
  options.cell_library = o.library;
  options.title = o.network;
  if (!o.calibrate.empty()) {
    calibration = load_calibration(o.calibrate);
    options.calibration = &*calibration;
  }
  const auto grids = apply_grid_option(o.grid, net, seq.frames, options);
  if (!grids.empty()) fmt::print(stderr, "picospice lower: grid auto: {}\n", describe_grids(grids));
  const LoweredNetwork lowered = lower_network(net, seq.frames, options);
  for (const auto& w : lowered.warnings) fmt::print(stderr, "picospice lower: warning: {}: {}\n", o.calibrate, w);
  write_file_atomically(o.output, [&](std::ostream& out) { out << lowered.netlist; });
  const auto& e = lowered.largest_error;
  for (const auto& line : lowered.area_report) fmt::print(stderr, "picospice lower: area auto: {}\n", line);
  std::string by_layer;
  for (std::size_t l = 0; l < lowered.gate_area_by_layer.size(); ++l)
    by_layer += fmt::format("{}layer {} {:.1f}", l ? ", " : "", l, lowered.gate_area_by_layer[l] * 1e12);
  fmt::print(stderr, "picospice lower: {} transistors, gate area {:.1f} um^2 ({}) at area {}, {} frames ({} s), largest "
             "quantization error {:.4g}{} -> {}\n",
             lowered.transistors, lowered.gate_area * 1e12, by_layer, describe_area(options), lowered.frames,
             lowered.tstop, std::abs(e.effective - e.wanted), e.path.empty() ? "" : " at " + e.path, o.output);
  return 0;
}

}  // namespace

CommandAction add_lower_command(CLI::App& app) {
  auto options = std::make_shared<LowerOptions>();
  auto* cmd = app.add_subcommand("lower", "Lower a BMRU network (picospice-bmru/1 JSON) and an input sequence to a\n"
                                          "transistor netlist of cells.lib primitives, with a .tran over all frames.");
  add_network_arguments(cmd, options->network, options->input);
  cmd->add_option("-o,--output", options->output, "the netlist to write")->required();
  cmd->add_option("--calibrate", options->calibrate,
                  "characterization file (`picospice characterize schmitt9 --sweep all -o FILE`): pre-distort "
                  "the cell biases")
      ->check(CLI::ExistingFile);
  add_grid_option(cmd, options->grid);
  cmd->add_option("--library", options->library, "cell library to .include (default: the source tree's cells.lib)")
      ->check(CLI::ExistingFile);
  add_area_option(cmd, options->area, kAreaAutoHelp);
  add_area_budget_option(cmd, options->area_budget);
  add_area_from_option(cmd, options->area_from);
  add_no_blanking_flag(cmd, options->no_blanking);
  add_reference_ratio_option(cmd, options->reference_ratio_limit);
  add_unit_current_option(cmd, options->unit_current);
  return [options] { return run_lower(*options); };
}

}  // namespace picospice::tools
