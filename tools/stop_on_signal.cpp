#include "tools/stop_on_signal.hpp"

#include <csignal>

#include "base/atomic_file.hpp"

namespace picospice::tools {
namespace {
std::atomic<bool> flag{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag must be safe to set from a signal handler");
// The first signal asks the workers to stop; a second one removes the temporaries and dies of it.
extern "C" void request_stop(int signal) {
  if (flag.exchange(true)) remove_temporaries_and_reraise(signal);
}
}  // namespace

std::atomic<bool>& stop_requested() { return flag; }

struct StopOnSignal::Saved {
  struct sigaction old_int {}, old_term {};
};

StopOnSignal::StopOnSignal() : saved_(new Saved) {
  flag.store(false);
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, &saved_->old_int);
  sigaction(SIGTERM, &action, &saved_->old_term);
}

StopOnSignal::~StopOnSignal() {
  sigaction(SIGINT, &saved_->old_int, nullptr);
  sigaction(SIGTERM, &saved_->old_term, nullptr);
  delete saved_;
}

}  // namespace picospice::tools
