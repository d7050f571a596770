// The subcommands of the `picospice` program. Each lives in its own file and adds itself to the
// CLI11 application, returning the action to run when the user picked it.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace picospice::tools {

using CommandAction = std::function<int()>;

// The two arguments every network command takes: the network file and its input sequence.
inline void add_network_arguments(CLI::App* cmd, std::string& network, std::string& input) {
  cmd->add_option("network", network, "the network (picospice-bmru/1 JSON)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--input", input, "input CSV: one row per frame, one column per input, model units")
      ->required()
      ->check(CLI::ExistingFile);
}

CommandAction add_run_command(CLI::App& app);
CommandAction add_plot_command(CLI::App& app);
CommandAction add_export_ngspice_command(CLI::App& app);
CommandAction add_compare_command(CLI::App& app);
CommandAction add_characterize_command(CLI::App& app);
CommandAction add_mc_command(CLI::App& app);
CommandAction add_infer_command(CLI::App& app);
CommandAction add_lower_command(CLI::App& app);
CommandAction add_agree_command(CLI::App& app);
CommandAction add_noise_experiment_command(CLI::App& app);
CommandAction add_train_command(CLI::App& app);
CommandAction add_dataset_command(CLI::App& app);
CommandAction add_demo_command(CLI::App& app);

}  // namespace picospice::tools
