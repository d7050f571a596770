// Result files appear only once complete: a reader (a plotting tool, a regression script, a
// second picospice run) never sees half a file, even if the simulator is killed mid-write.
#pragma once
#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace picospice {

// Calls write(stream) on `<path>.tmp.<pid>`, then renames it over `path`. Throws
// std::runtime_error naming the path if the file cannot be opened, written or renamed; the
// temporary file is removed on failure.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);
// The same for a text (or bytes) already in memory.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace picospice
