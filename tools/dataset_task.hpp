// The --task / --data / --scan arguments that `train` and `evaluate` share: which dataset to load.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "training/dataset.hpp"

namespace picospice::tools {

struct DatasetTask {
  std::string task;              // digits, kws, or a picospice-dataset/1 directory / dataset.json
  std::string data;              // digits: digits.csv.gz or its directory; kws: the dataset directory
  std::string scan = "columns";  // --task digits: the order the image is read in (digits.hpp)
};

void add_dataset_task_options(CLI::App* cmd, DatasetTask& task);

// Throws std::runtime_error (no kws set there, --scan or --data where they do not apply) or the
// dataset's own errors.
training::Dataset load_task(const DatasetTask& task);

}  // namespace picospice::tools
