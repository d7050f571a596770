// Result files appear only once complete: a reader (a plotting tool, a regression script, a
// second picospice run) never sees half a file, even if the simulator is killed mid-write.
#pragma once
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string_view>

namespace picospice {

// A file written over time (a waveform streamed point by point) under a temporary name
// `<path>.tmp.<pid>`, renamed over `path` by commit(). Destroyed without commit(), it removes the
// temporary: an interrupted or failed run leaves no partial file looking complete. The stream is
// seekable, so a writer may go back and patch a header (the raw file's point count).
class AtomicOutputFile {
 public:
  // Throws std::runtime_error naming the file when the temporary cannot be created.
  explicit AtomicOutputFile(std::filesystem::path path);
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  std::ostream& stream() { return out_; }
  const std::filesystem::path& path() const { return path_; }
  // Flushes, checks every write succeeded, closes and renames. Throws std::runtime_error naming
  // the file (disk full, rename refused); the temporary is removed then.
  void commit();

 private:
  void discard();
  std::filesystem::path path_, temporary_;
  std::ofstream out_;
  bool done_ = false;
};

// Calls write(stream) on an AtomicOutputFile and commits it. Throws std::runtime_error naming the
// path if the file cannot be opened, written or renamed; the temporary file is removed on failure.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);
// The same for a text (or bytes) already in memory.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace picospice
