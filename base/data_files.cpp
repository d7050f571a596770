#include "base/data_files.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace picospice {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> data_directories() {
  std::vector<fs::path> places;
  if (const char* env = std::getenv("PICOSPICE_DATA_DIR"); env && *env) places.emplace_back(env);
  std::error_code error;
  const fs::path binary = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path dir = binary.parent_path();
    for (const fs::path& base : {dir, dir.parent_path()})
      for (const fs::path& place : {base.parent_path() / "share" / "picospice", base / "share" / "picospice"})
        if (std::find(places.begin(), places.end(), place) == places.end()) places.push_back(place);
  }
  return places;
}

}  // namespace

fs::path data_file(const std::string& relative) {
  std::string looked;
  for (const fs::path& dir : data_directories()) {
    const fs::path candidate = dir / relative;
    std::error_code error;
    // Absolute, because the path is written into netlists (the lowering's .include of the cell
    // library) that are read from other directories: a relative PICOSPICE_DATA_DIR would then be
    // resolved against the netlist's folder instead of the working directory.
    if (fs::is_regular_file(candidate, error)) {
      const fs::path absolute = fs::absolute(candidate, error);
      return error ? candidate : absolute;
    }
    looked += "\n  " + candidate.string();
  }
  throw std::runtime_error("cannot find the data file '" + relative +
                           "' that ships with picospice; looked in:" + looked +
                           "\nSet PICOSPICE_DATA_DIR to the folder holding cells/ and examples/ "
                           "(netlists/ of a source checkout)");
}

}  // namespace picospice
