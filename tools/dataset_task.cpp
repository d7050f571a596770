// Loading the dataset of --task (see dataset_task.hpp).
#include "tools/dataset_task.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>

#include "training/digits.hpp"

namespace picospice::tools {
namespace {

// Where `--task kws` looks without --data (relative to the working directory; DATASET.md).
constexpr const char* kKwsDefaultDir = "data/kws";

}  // namespace

void add_dataset_task_options(CLI::App* cmd, DatasetTask& t) {
  cmd->add_option("--task", t.task, "digits, kws, or a dataset directory / dataset.json")->required();
  cmd->add_option("--data", t.data, "digits: digits.csv.gz or its directory; kws: the dataset directory (default data/kws)");
  cmd->add_option("--scan", t.scan,
                  "digits: read each image as 8 frames of its columns, left to right, or of its rows, top to\n"
                  "bottom (training/digits.hpp says why columns are the default)")
      ->capture_default_str()->check(CLI::IsMember({"columns", "rows"}));
}

training::Dataset load_task(const DatasetTask& t) {
  if (t.task != "digits" && t.scan != "columns") throw std::runtime_error("--scan applies to --task digits only");
  if (t.task == "digits") return training::load_digits(t.data, training::parse_digits_scan(t.scan));
  if (t.task == "kws") {
    const std::filesystem::path dir = t.data.empty() ? kKwsDefaultDir : t.data;
    if (!std::filesystem::exists(dir / "dataset.json"))
      throw std::runtime_error(fmt::format("{}: no keyword-spotting dataset there; synthesize it first with "
                                           "`picospice dataset kws -o {}`", (dir / "dataset.json").string(),
                                           dir.string()));
    return training::load_dataset(dir);
  }
  if (!t.data.empty()) throw std::runtime_error("--data applies to --task digits and kws; for a dataset of your own "
                                                "give its directory (or dataset.json) as --task");
  return training::load_dataset(t.task);
}

}  // namespace picospice::tools
