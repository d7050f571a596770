// Shared by the fuzz targets (tests/fuzz/README.md): what counts as a finding and what does not.
// A target feeds its input to one reader; a clear error (any std::exception the command line turns
// into a message) is the expected answer to bad input and is caught here. Anything else (a crash,
// a sanitizer report, a leak, a hang, an exception of another type) is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace picospice::fuzz {

inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A file holding the input, in a directory private to this process, for readers that take a path.
// The same name each time, so a run leaves one file behind at most (removed at exit).
inline std::filesystem::path input_file(const std::string& text, const std::string& extension) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("picospice-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    static struct Remover {
      std::filesystem::path path;
      ~Remover() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
      }
    } remover{d};
    return d;
  }();
  const auto path = dir / ("input" + extension);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

}  // namespace picospice::fuzz
