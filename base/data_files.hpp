// Where picospice finds the files it ships with (the cell library, the examples): no path of the
// source tree is compiled into the binary. A data file `cells/cells.lib` is looked up in
//   1. $PICOSPICE_DATA_DIR, when set (an installed copy elsewhere, or a checkout);
//   2. <directory of the running binary>/../share/picospice   (after `cmake --install`);
//   3. <directory of the running binary>/share/picospice      (a build tree: CMake links the
//      source folders netlists/cells and netlists/examples there);
//   4. the same two places one level further up (the test binary lives in <build>/tests/).
#pragma once
#include <filesystem>
#include <string>

namespace picospice {

// The full path of a shipped data file, e.g. data_file("cells/cells.lib"). Throws
// std::runtime_error naming every place it looked when the file is in none of them.
std::filesystem::path data_file(const std::string& relative);

}  // namespace picospice
