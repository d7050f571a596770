#include "tools/gnuplot.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

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
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / fmt::format("picospice-plot-{}.gp", getpid());
  const fs::path log = fs::path(file).replace_extension(".log");
  {
    std::ofstream out(file);
    out << script;
  }
  const int status = std::system(fmt::format("gnuplot '{}' > '{}' 2>&1", file.string(), log.string()).c_str());
  std::ifstream in(log);
  std::stringstream message;
  message << in.rdbuf();
  fs::remove(file);
  fs::remove(log);
  if (status != 0) throw std::runtime_error("gnuplot failed: " + message.str());
}

std::string gnuplot_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace picospice::tools
