// The `--area K` option of `picospice lower` and `picospice agree` (LoweringOptions::area), and
// `--no-blanking`: one definition, so both commands parse and explain them the same way.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace picospice::tools {

// Adds `--area K` to a command, stored as written (engineering suffixes allowed: 4, 2.5, 1k).
void add_area_option(CLI::App* cmd, std::string& area);

// Adds `--no-blanking` (LoweringOptions::frame_blanking off), the other lowering design switch
// both commands share.
void add_no_blanking_flag(CLI::App* cmd, bool& no_blanking);

// The factor K of `--area K`: a finite number > 0, or std::invalid_argument naming the option.
double parse_area_factor(const std::string& text);

}  // namespace picospice::tools
