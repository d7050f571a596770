// Running an external program (a speech engine) without a shell: posix_spawnp with stdin, stdout
// and stderr on pipes, the output drained with poll() so neither pipe can fill up and stall the
// child. No shell is involved, so no argument (a word to say) is ever interpreted.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace picospice::kws {

struct ProgramOutput {
  int exit_status = -1;  // -1: killed by a signal
  std::vector<std::uint8_t> out;
  std::string errors;  // its stderr
};

// True when an executable `program` is on PATH.
bool program_on_path(const std::string& program);

// Runs args[0] (looked up on PATH) with args, writes `input` to its stdin and closes it, and
// returns what it wrote and its exit status. Throws std::runtime_error when it cannot be started.
ProgramOutput run_program(const std::vector<std::string>& args, const std::string& input = {});

}  // namespace picospice::kws
