// Ctrl-C for long commands (mc, agree --mc, train, noise-experiment): the first SIGINT/SIGTERM
// sets a flag that the workers read between samples, epochs or tasks, so finished work is kept
// and reported; a second one removes the output temporaries and kills at once
// (base/atomic_file.hpp, remove_temporaries_and_reraise).
#pragma once
#include <atomic>

namespace picospice::tools {

// The flag set by the signal handler. One per process: one command runs at a time.
std::atomic<bool>& stop_requested();

// Installs the handler for its lifetime (and clears the flag); restores the old handlers after.
class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  struct Saved;
  Saved* saved_;
};

}  // namespace picospice::tools
