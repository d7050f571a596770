// The subcommands of the `picospice` program. Each lives in its own file and adds itself to the
// CLI11 application, returning the action to run when the user picked it.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace picospice::tools {

using CommandAction = std::function<int()>;

CommandAction add_run_command(CLI::App& app);
CommandAction add_plot_command(CLI::App& app);
CommandAction add_export_ngspice_command(CLI::App& app);
CommandAction add_compare_command(CLI::App& app);
CommandAction add_characterize_command(CLI::App& app);
CommandAction add_mc_command(CLI::App& app);
CommandAction add_infer_command(CLI::App& app);
CommandAction add_lower_command(CLI::App& app);
CommandAction add_agree_command(CLI::App& app);

}  // namespace picospice::tools
