// Result files appear only once complete: a reader (a plotting tool, a regression script, a
// second picospice run) never sees half a file, even if the simulator is killed mid-write.
//
// Where the output goes:
//  - A regular file (or a name that does not exist yet) is written as an unnamed temporary in the
//    same directory (Linux O_TMPFILE, so even kill -9 leaves nothing behind; elsewhere mkstemp
//    under a hidden name that a signal handler removes) and renamed over the name by commit(),
//    after fsync. A file that is replaced keeps its permission bits; a read-only one is refused.
//  - A symbolic link is followed: the file it points to is replaced, the link stays.
//  - Anything that is not a regular file (/dev/null, /dev/full, a FIFO, a terminal, /dev/stdout)
//    is written in place at commit(), from a spool file in the temporary directory: a device node
//    is never replaced by a regular file, and a writer may still seek back to patch a header.
//  - A file that this process has read as an input (note_input_file) is never overwritten.
// Every write, flush, fsync, close and rename is checked: a full disk is an error naming the file,
// never a short or empty file renamed into place.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace picospice {

namespace detail {
class FdStreamBuffer;
}

class AtomicOutputFile {
 public:
  // Throws std::runtime_error naming the file when it may not or cannot be written.
  explicit AtomicOutputFile(std::filesystem::path path);
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  std::ostream& stream() { return *out_; }
  const std::filesystem::path& path() const { return path_; }
  // Flushes, checks every write succeeded, syncs and renames (or copies into a non-regular
  // target). Throws std::runtime_error naming the file (disk full, rename refused); the temporary
  // is removed then.
  void commit();

 private:
  void discard() noexcept;
  void commit_replace();
  void commit_in_place();

  std::filesystem::path path_;      // as given, for messages
  std::filesystem::path target_;    // after following symbolic links
  bool in_place_ = false;           // target is not a regular file: copy the spool into it
  int stream_fd_ = -1;              // /dev/stdout, /dev/fd/N: a duplicate of that descriptor
  int fd_ = -1;                     // the temporary (or spool) being written
  int cleanup_slot_ = -1;           // the temporary's name in the signal-time cleanup table
  std::filesystem::path named_temporary_;  // empty when the temporary has no name (O_TMPFILE)
  unsigned permissions_ = 0666;
  std::unique_ptr<detail::FdStreamBuffer> buffer_;
  std::unique_ptr<std::ostream> out_;
  bool done_ = false;
};

// Calls write(stream) on an AtomicOutputFile and commits it. Throws std::runtime_error naming the
// path if the file cannot be opened, written or renamed; the temporary file is removed on failure.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);
// The same for a text (or bytes) already in memory.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// Remembers that this process read `path` as an input (a netlist, an include, a raw file), so
// that no output of the same run overwrites it (`run x.cir -o x.cir`). Identity is the file's
// device and inode, however its name was spelled. Silently ignores a path it cannot stat.
// Only once protect_input_files() was called: the command line runs one command per process, while
// a library user (a test) may well write a file, read it back and write it again.
void protect_input_files();
void note_input_file(const std::filesystem::path& path);
// Throws std::runtime_error when `path` (after symbolic links) is a file noted as an input.
void refuse_to_overwrite_input(const std::filesystem::path& path);

// Removes temporaries on SIGINT, SIGTERM and SIGHUP, then dies of the signal as before. The
// command line installs it once at start (a process-wide table, since a signal handler can reach
// nothing else).
void install_temporary_cleanup_on_signals();
// What that handler does, for another handler that takes over SIGINT for a while
// (tools/stop_on_signal.hpp): unlinks every registered temporary, restores the default action and
// re-raises `signal`. Async-signal-safe.
[[noreturn]] void remove_temporaries_and_reraise(int signal);

// A private directory (mode 0700, mkdtemp) under the system temporary directory for files another
// program reads (a gnuplot script and its data): no predictable name, no planted symbolic link.
// Removed with everything in it when destroyed, and by the signal handler above.
class PrivateTemporaryDirectory {
 public:
  PrivateTemporaryDirectory();  // throws std::runtime_error when it cannot be made
  ~PrivateTemporaryDirectory();
  PrivateTemporaryDirectory(const PrivateTemporaryDirectory&) = delete;
  PrivateTemporaryDirectory& operator=(const PrivateTemporaryDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // `path()/name`, registered for removal on a signal.
  std::filesystem::path file(const std::string& name);

 private:
  std::filesystem::path path_;
  std::vector<int> slots_;
};

}  // namespace picospice
