// The subcommands of the `picospice` program. Each lives in its own file and adds itself to the
// CLI11 application, returning the action to run when the user picked it.
#pragma once
#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <thread>

namespace picospice::tools {

using CommandAction = std::function<int()>;

// The two arguments every network command takes: the network file and its input sequence.
inline void add_network_arguments(CLI::App* cmd, std::string& network, std::string& input) {
  cmd->add_option("network", network, "the network (picospice-bmru/1 JSON)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--input", input, "input CSV: one row per frame, one column per input, model units")
      ->required()
      ->check(CLI::ExistingFile);
}

// --jobs: the number asked for, or one per hardware thread when it is 0 (the default).
inline int jobs_or_all_cores(int requested) {
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

CommandAction add_run_command(CLI::App& app);
CommandAction add_plot_command(CLI::App& app);
CommandAction add_export_ngspice_command(CLI::App& app);
CommandAction add_compare_command(CLI::App& app);
CommandAction add_characterize_command(CLI::App& app);
CommandAction add_mc_command(CLI::App& app);
CommandAction add_mc_merge_command(CLI::App& app);
CommandAction add_infer_command(CLI::App& app);
CommandAction add_lower_command(CLI::App& app);
CommandAction add_agree_command(CLI::App& app);
CommandAction add_noise_experiment_command(CLI::App& app);
CommandAction add_train_command(CLI::App& app);
CommandAction add_evaluate_command(CLI::App& app);
CommandAction add_dataset_command(CLI::App& app);
CommandAction add_demo_command(CLI::App& app);

}  // namespace picospice::tools
