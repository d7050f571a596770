#include "tools/lowering_flags.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "base/numbers.hpp"
#include "codesign/sequence.hpp"
#include "tools/progress_bar.hpp"

namespace picospice::tools {

CLI::Option* add_area_option(CLI::App* cmd, std::string& area, const std::string& more_help) {
  return cmd->add_option("--area", area,
                         "device-area factor K > 0 (default 1; suffixes ok): every transistor's W and L times sqrt(K).\n"
                         "W/L, so every current, weight and switching point, is unchanged. Buys matching: Pelgrom\n"
                         "mismatch sigma falls as 1/sqrt(K). Costs K times the gate area and capacitance, so the\n"
                         "cells and mirrors settle ~K times slower (at 1 nA/unit they take 0.2-2.3 ms at K = 1,\n"
                         "against a 10 ms frame)." + more_help);
}

void add_no_blanking_flag(CLI::App* cmd, bool& no_blanking) {
  cmd->add_flag("--no-blanking", no_blanking,
                "leave out frame blanking (codesign/frame_blanking.hpp): saves its power and 2 transistors\n"
                "per cell, but the cells then react to the transients between frames (for experiments)");
}

void add_reference_ratio_option(CLI::App* cmd, int& limit) {
  cmd->add_option("--reference-ratio-limit", limit,
                  "largest bias reference ratio k (default 32): a reference carries its current / k at the same\n"
                  "gate area, so it draws 1/k of the supply current; 1 gives every reference its full current")
      ->check(CLI::Range(1, 1024));
}

CLI::Option* add_unit_current_option(CLI::App* cmd, std::string& current) {
  return cmd->add_option("--unit-current", current,
                         "the current of one model unit, in A (default: the network file's unit_current, 1 nA by\n"
                         "convention; suffixes ok: 850p). Every weight, bias, threshold and output current scales with\n"
                         "it, the weights' mirror ratios and the blanking plan stay the same: the supply power falls in\n"
                         "proportion, and the cells and mirrors settle as much slower (C*UT/I). Allowed 10 pA - 10 nA,\n"
                         "where the library's unit devices stay in weak inversion (inversion coefficient < 1)");
}

void apply_unit_current_option(const std::string& current, network::Network& network) {
  if (current.empty()) return;
  // Weak inversion of the unit devices (cells.lib: Ispec 63 nA for the PMOS, and a cell branch
  // carries up to ~4.5 units) bounds it above; below 10 pA the cells' own offsets and leakage
  // floor (a few pA, docs/design.md) are no longer small against a unit.
  constexpr double kLowest = 10e-12, kHighest = 10e-9;
  double amps = 0;
  if (!try_parse_number(current, amps) || !std::isfinite(amps) || amps < kLowest || amps > kHighest)
    throw std::invalid_argument(
        fmt::format("--unit-current {}: expected a current between 10p and 10n (amperes; e.g. 850p)", current));
  network.unit_current = amps;
}

double parse_area_factor(const std::string& text) {
  double value = 0;
  if (!try_parse_number(text, value) || !std::isfinite(value) || value <= 0)
    throw std::invalid_argument(fmt::format("--area {}: expected a positive number (the device-area factor K)", text));
  return value;
}

const char* const kAreaAutoHelp =
    "\n`auto`: each BMRU unit's own devices (cell, references, bias, input mirror outputs) sized from how much\n"
    "their mismatch would cost the decisions over the input: the smallest error of the unit, in Pelgrom sigmas at\n"
    "area 1, that changes a sequence's decision in the software model, for its switching and its output level; the\n"
    "areas minimize the expected decisions lost (codesign/area_allocation.hpp). The shared devices get the uniform\n"
    "factor the --area-budget buys. The gate area and the predicted loss are reported.";

CLI::Option* add_area_budget_option(CLI::App* cmd, std::string& budget) {
  return cmd->add_option("--area-budget", budget,
                         "with --area auto: the total gate area (sum of W*L) in um^2 (default: the network's total at\n"
                         "uniform --area 4)");
}

CLI::Option* add_area_from_option(CLI::App* cmd, std::vector<std::string>& files) {
  return cmd->add_option("--area-from", files,
                         "with --area auto: size the units from the margins over these input sequences (CSV as\n"
                         "--input; repeat or list several) instead of the input's own, so one allocation, made\n"
                         "from data the circuit is not tested on, serves every input")
      ->check(CLI::ExistingFile);
}

void apply_area_from_option(const std::vector<std::string>& files, int inputs, network::LoweringOptions& options) {
  if (files.empty()) return;
  if (!options.area_auto)
    throw std::invalid_argument(fmt::format("--area-from {}: only with --area auto", files.front()));
  for (const auto& file : files) options.area_sequences.push_back(network::read_sequence_csv(file, inputs).frames);
}

void apply_area_options(const std::string& area, const std::string& budget, network::LoweringOptions& options) {
  options.area_auto = area == "auto";
  if (options.area_auto) {
    // The decision margins take seconds to minutes on large networks with many --area-from sequences.
    auto bar = std::make_shared<ProgressBar>();
    options.area_progress = [bar](std::size_t done, std::size_t total) {
      if (done < total) bar->update(fmt::format("area auto: decision margins, sequence {} of {}", done + 1, total),
                                    static_cast<double>(done) / static_cast<double>(total));
      else bar->finish();
    };
  }
  options.area = options.area_auto ? 1.0 : parse_area_factor(area);
  if (budget.empty()) return;
  if (!options.area_auto)
    throw std::invalid_argument(fmt::format("--area-budget {}: only with --area auto (--area {} fixes every device)",
                                            budget, area));
  double um2 = 0;
  if (!try_parse_number(budget, um2) || !std::isfinite(um2) || um2 <= 0)
    throw std::invalid_argument(fmt::format("--area-budget {}: expected a positive gate area in um^2", budget));
  options.area_budget = um2 * 1e-12;
}

std::string describe_area(const network::LoweringOptions& options) {
  return options.area_auto ? "auto" : fmt::format("{:g}", options.area);
}

}  // namespace picospice::tools
