// The `--area K` option of `picospice lower` and `picospice agree` (LoweringOptions::area), also
// used by `train` and `evaluate` for the mismatch of that device size (mismatch_report.hpp), and
// `--no-blanking`: one definition, so the commands parse and explain them the same way.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "codesign/lowering.hpp"

namespace picospice::tools {

// Adds `--area K` to a command, stored as written (engineering suffixes allowed: 4, 2.5, 1k).
// `more_help` is appended to the help (what else the factor sets in this command).
CLI::Option* add_area_option(CLI::App* cmd, std::string& area, const std::string& more_help = "");

// Adds `--no-blanking` (LoweringOptions::frame_blanking off), the other lowering design switch
// both commands share.
void add_no_blanking_flag(CLI::App* cmd, bool& no_blanking);

// Adds `--reference-ratio-limit K` (LoweringOptions::reference_ratio_limit; 1: every bias
// reference carries its full current, as before the ratios).
void add_reference_ratio_option(CLI::App* cmd, int& limit);

// Adds `--unit-current A` (default: the network file's unit_current): the current of one model
// unit in the lowered circuit.
CLI::Option* add_unit_current_option(CLI::App* cmd, std::string& current);
// Sets network.unit_current from the option's text (nothing when empty); throws
// std::invalid_argument naming the option unless it is a current between 10 pA and 10 nA.
void apply_unit_current_option(const std::string& current, network::Network& network);

// The factor K of `--area K`: a finite number > 0, or std::invalid_argument naming the option.
double parse_area_factor(const std::string& text);

// `picospice lower` and `agree` also take `--area auto` (per-unit area from the margins,
// codesign/area_allocation.hpp) and `--area-budget UM2` (its total gate area in um^2; default the
// total at uniform area 4). The help text of both, for add_area_option's more_help:
extern const char* const kAreaAutoHelp;
CLI::Option* add_area_budget_option(CLI::App* cmd, std::string& budget);
// Adds `--area-from FILE` (repeatable; LoweringOptions::area_sequences): with --area auto, the
// input sequences whose margins size the units instead of the lowered input's own.
CLI::Option* add_area_from_option(CLI::App* cmd, std::vector<std::string>& files);
// Reads the --area-from files (sequences of `inputs` columns) into options.area_sequences; throws
// std::invalid_argument when given without --area auto.
void apply_area_from_option(const std::vector<std::string>& files, int inputs, network::LoweringOptions& options);
// Sets LoweringOptions::area / area_auto / area_budget from the two options' text; throws
// std::invalid_argument naming the option on a bad value, or when a budget comes without auto.
void apply_area_options(const std::string& area, const std::string& budget, network::LoweringOptions& options);
// "auto" or the factor, for messages and JSON ("4", "auto").
std::string describe_area(const network::LoweringOptions& options);

}  // namespace picospice::tools
