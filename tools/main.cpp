// picospice: the command line. Each subcommand lives in tools/command_*.cpp.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <map>

#include "base/atomic_file.hpp"
#include "base/errors.hpp"
#include "tools/command.hpp"
#include "tools/mpi/mpi_sweep.hpp"

namespace {

int run_command_line(int argc, char** argv) {
  using namespace picospice;
  CLI::App app{
      "picospice " PICOSPICE_VERSION
      ": a transistor-level circuit simulator for picoamp analog circuits.\n"
      "Netlists use the ngspice dialect. Run `picospice COMMAND --help` for each command."};
  app.set_version_flag("--version", std::string("picospice ") + PICOSPICE_VERSION + "\n" + tools::mpi::build_description());
  app.require_subcommand(1);
  std::map<CLI::App*, tools::CommandAction> actions;
  auto add = [&](tools::CommandAction action) { actions[app.get_subcommands({}).back()] = std::move(action); };
  add(tools::add_run_command(app));
  add(tools::add_plot_command(app));
  add(tools::add_export_ngspice_command(app));
  add(tools::add_compare_command(app));
  add(tools::add_characterize_command(app));
  add(tools::add_mc_command(app));
  add(tools::add_mc_merge_command(app));
  add(tools::add_infer_command(app));
  add(tools::add_lower_command(app));
  add(tools::add_agree_command(app));
  add(tools::add_noise_experiment_command(app));
  add(tools::add_train_command(app));
  add(tools::add_evaluate_command(app));
  add(tools::add_dataset_command(app));
  add(tools::add_demo_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, action] : actions)
    if (sub->parsed()) return action();
  return 0;
}

}  // namespace

// Every error, wherever it starts (setting up the commands included), is a message and exit
// status 1, never an abort.
int main(int argc, char** argv) {
  picospice::install_temporary_cleanup_on_signals();
  picospice::protect_input_files();
  try {
    return run_command_line(argc, argv);
  } catch (const picospice::NetlistError& e) {
    fmt::print(stderr, "{}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "error: an unknown internal error\n");
  }
  return 1;
}
