#include "tools/gnuplot.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/atomic_file.hpp"

namespace picospice::tools {

bool find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((std::filesystem::path(dir) / "gnuplot").c_str(), X_OK) == 0) return true;
  return false;
}

void run_gnuplot(const std::string& script) {
  // A private directory, not a predictable name in /tmp that another user could plant a link at.
  PrivateTemporaryDirectory directory;
  const auto file = directory.file("plot.gp");
  const auto log = directory.file("gnuplot.log");
  write_file_atomically(file, script);
  const int status =
      std::system(fmt::format("gnuplot {} > {} 2>&1", shell_quote(file.string()), shell_quote(log.string())).c_str());
  std::ifstream in(log);
  std::stringstream message;
  message << in.rdbuf();
  if (status != 0) throw std::runtime_error("gnuplot failed: " + message.str());
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string gnuplot_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace picospice::tools
