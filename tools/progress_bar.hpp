// A one-line progress bar on stderr, drawn only when stderr is a terminal (so logs and pipes stay
// clean). Redraws at most every 100 ms.
#pragma once
#include <chrono>
#include <string>

namespace picospice::tools {

class ProgressBar {
 public:
  ProgressBar();
  ~ProgressBar();
  void update(const std::string& label, double fraction);
  void finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace picospice::tools
