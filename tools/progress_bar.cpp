#include "tools/progress_bar.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace picospice::tools {

ProgressBar::ProgressBar()
    : enabled_(isatty(fileno(stderr)) != 0), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(const std::string& label, double fraction) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && fraction < 1.0) return;
  last_draw_ = now;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int width = 40;
  const int filled = static_cast<int>(fraction * width);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = fraction > 1e-3 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  fmt::print(stderr, "\r{:>5} [{}{}] {:5.1f}%  {:.1f}s elapsed, ETA {:.1f}s ", label,
             std::string(filled, '#'), std::string(width - filled, '.'), fraction * 100.0,
             elapsed, eta);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\r{:80}\r", "");
    std::fflush(stderr);
  }
  drawn_ = false;
}

}  // namespace picospice::tools
