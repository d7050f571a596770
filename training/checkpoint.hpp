// The trainer's checkpoint: everything needed to continue a run exactly where it stopped (after
// the last finished epoch), as JSON (`picospice-train-checkpoint/1`). Doubles are written in
// nlohmann's shortest round-trip form, so a resumed run is bit-identical to an uninterrupted one.
#pragma once
#include <Eigen/Core>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "codesign/json_file.hpp"
#include "training/adamw.hpp"

namespace picospice::training {

inline constexpr const char* kCheckpointFormatTag = "picospice-train-checkpoint/1";

struct Checkpoint {
  nlohmann::json config;       // the run's settings; a resume must match them
  int epochs_done = 0;
  Eigen::VectorXd theta;       // after epochs_done epochs
  AdamWState adam;
  int best_epoch = 0;          // 1-based; 0: none yet
  Eigen::VectorXd best_theta;
  nlohmann::json best_score;   // what the best epoch was chosen by
  nlohmann::json history = nlohmann::json::array();  // one object per finished epoch
};

// Written atomically (base/atomic_file.hpp): a crash never leaves half a checkpoint.
void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path);
// Throws std::runtime_error naming the file and what is wrong. `role`: JsonFileRole::run_state for
// the checkpoint a resumed run continues (and rewrites after each epoch); JsonFileRole::input for
// one that only seeds a new run (`--init-from`), which the run must not overwrite.
Checkpoint load_checkpoint(const std::filesystem::path& path, JsonFileRole role = JsonFileRole::input);

}  // namespace picospice::training
