#include "netlists/cell_library.hpp"

#include "base/data_files.hpp"

namespace picospice::cells {

std::string cell_library_path() { return data_file("cells/cells.lib").string(); }

}  // namespace picospice::cells
