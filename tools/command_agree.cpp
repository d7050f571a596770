// `picospice agree NET.json --input SEQ.csv`: lowers a BMRU network, simulates it in-process and
// reports how closely the circuit follows the software model, and what it costs in power
// (netlists/network/agreement.hpp).
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "netlists/network/agreement.hpp"
#include "netlists/network/sequence.hpp"
#include "tools/agreement_plot.hpp"
#include "tools/command.hpp"
#include "tools/gnuplot.hpp"

namespace picospice::tools {
namespace {

using json = nlohmann::ordered_json;  // keys in the order written: the first
using namespace picospice::network;

struct AgreeOptions {
  std::string network, input, calibrate, plot_dir, library;
  std::string format = "table";
  int grid = LoweringOptions{}.grid;
  int mc = 0, jobs = 1;
  std::uint64_t seed = 1;
};

json report_json(const AgreementReport& r) {
  json per_unit = json::array(), layers = json::array();
  for (const auto& u : r.units) per_unit.push_back(u.agreement);
  for (const auto& l : r.layers)
    layers.push_back({{"layer", l.layer}, {"power_cells_w", l.cells_w}, {"power_other_w", l.other_w}});
  json units = json::array();
  for (const auto& u : r.units)
    units.push_back({{"layer", u.layer}, {"unit", u.unit}, {"agreement", u.agreement}, {"borderline", u.borderline},
                     {"candidate_mae", u.candidate_mae}});
  return json{{"state_agreement", r.state_agreement},
              {"state_agreement_per_unit", per_unit},
              {"borderline_frames", r.borderline_frames},
              {"decision_agreement", r.decision_agreement},
              {"candidate_mae", r.candidate_mae},
              {"logit_correlation", r.logit_correlation},
              {"power_total_w", r.power_total_w},
              {"power_cells_w", r.power_cells_w},
              {"energy_per_inference_j", r.energy_per_inference_j},
              {"transistors", r.transistors},
              // Beyond the stable keys: detail for a reader.
              {"compared_frames", r.compared_frames},
              {"state_agreement_quantized", r.state_agreement_quantized},
              {"software_decision", r.software_decision},
              {"circuit_decision", r.circuit_decision},
              {"borderline_clip", r.borderline_clip},
              {"frame_class_agreement", r.frame_class_agreement},
              {"largest_quantization_error", r.largest_quantization_error},
              {"power_per_layer", layers},
              {"units", units},
              {"frames", r.frames},
              {"simulation_seconds", r.simulation_seconds}};
}

void print_table(const AgreementReport& r) {
  fmt::print("{:<10} {:>9} {:>10} {:>10}\n", "unit", "agree %", "borderline", "cand MAE");
  for (const auto& u : r.units)
    fmt::print("{:<10} {:>9.1f} {:>10} {:>10.4f}\n", fmt::format("l{}_u{}", u.layer, u.unit), 100 * u.agreement,
               u.borderline, u.candidate_mae);
  fmt::print("\nstate agreement     {:.2f}% of {} non-borderline unit-frames ({} borderline); against the quantized "
             "weights {:.2f}%\n",
             100 * r.state_agreement, r.compared_frames, r.borderline_frames, 100 * r.state_agreement_quantized);
  fmt::print("decision            software {}, circuit {}: {}{}\n", r.software_decision, r.circuit_decision,
             r.decision_agreement ? "agree" : "DIFFER", r.borderline_clip ? " (borderline clip)" : "");
  fmt::print("frame classes       {:.1f}% of frames agree\n", 100 * r.frame_class_agreement);
  fmt::print("candidate MAE       {:.4f} units\n", r.candidate_mae);
  fmt::print("logit correlation   {:.4f}\n", r.logit_correlation);
  fmt::print("power               {:.2f} nW total, {:.2f} nW in the recurrent cells, {:.2f} nW elsewhere\n",
             r.power_total_w * 1e9, r.power_cells_w * 1e9, (r.power_total_w - r.power_cells_w) * 1e9);
  for (const auto& l : r.layers)
    fmt::print("  layer {}           {:.2f} nW cells, {:.2f} nW mirrors and biases\n", l.layer, l.cells_w * 1e9,
               l.other_w * 1e9);
  fmt::print("energy / inference  {:.3g} J ({} frames)\n", r.energy_per_inference_j, r.frames);
  fmt::print("transistors         {} (largest quantization error {:.4g})\n", r.transistors,
             r.largest_quantization_error);
  fmt::print("simulation          {:.2f} s\n", r.simulation_seconds);
}

int run_agree(const AgreeOptions& o) {
  if (o.mc > 0)
    throw std::runtime_error("agree --mc: not yet implemented (the Monte Carlo engine is still being built); run "
                             "without --mc for the nominal circuit");
  const Network net = load_network(o.network);
  const InputSequence seq = read_sequence_csv(o.input, net.inputs);
  std::optional<CellCalibration> calibration;
  AgreementOptions options;
  options.lowering.grid = o.grid;
  options.lowering.cell_library = o.library;
  options.lowering.title = o.network;
  if (!o.calibrate.empty()) {
    calibration = load_calibration(o.calibrate);
    options.lowering.calibration = &*calibration;
  }
  const AgreementReport report = run_agreement(net, seq.frames, options);
  if (o.format == "json") fmt::print("{}\n", report_json(report).dump(2));
  else print_table(report);
  if (!o.plot_dir.empty()) {
    if (!find_gnuplot()) fmt::print(stderr, "picospice agree: gnuplot not found, plots skipped\n");
    else {
      write_agreement_plots(report, o.plot_dir);
      fmt::print(stderr, "picospice agree: plots in {}/states.png and {}/logits.png\n", o.plot_dir, o.plot_dir);
    }
  }
  return 0;
}

}  // namespace

CommandAction add_agree_command(CLI::App& app) {
  auto options = std::make_shared<AgreeOptions>();
  auto* cmd = app.add_subcommand(
      "agree", "Lower a BMRU network, simulate it, and compare the circuit with the software model:\n"
               "state agreement (non-borderline unit-frames), decision, candidate error, logit correlation,\n"
               "supply power and energy per inference. Each frame is sampled at 90% of its length.");
  add_network_arguments(cmd, options->network, options->input);
  cmd->add_option("--calibrate", options->calibrate, "characterization file: pre-distort the cell biases")
      ->check(CLI::ExistingFile);
  cmd->add_option("--grid", options->grid, "quantize |w| to multiples of 1/N of the unit mirror width (default 32)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--library", options->library, "cell library (default: the source tree's cells.lib)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--format", options->format, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--plot", options->plot_dir, "write states.png and logits.png (gnuplot) into this directory");
  cmd->add_option("--mc", options->mc, "Monte Carlo runs under mismatch (not yet implemented)");
  cmd->add_option("--seed", options->seed, "Monte Carlo seed (with --mc)");
  cmd->add_option("--jobs", options->jobs, "Monte Carlo worker threads (with --mc)");
  return [options] { return run_agree(*options); };
}

}  // namespace picospice::tools
