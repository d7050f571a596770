// The cell library (netlists/cells/cells.lib): the schmitt9 cell, its bias generator, the mirrors
// and the EKV model cards that lowered networks and characterization benches `.include`.
#pragma once
#include <string>

namespace picospice::cells {

// The library file as installed or in the build tree (base/data_files.hpp); throws
// std::runtime_error when it cannot be found.
std::string cell_library_path();

}  // namespace picospice::cells
