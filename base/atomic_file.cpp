#include "base/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <streambuf>
#include <system_error>
#include <utility>

namespace picospice {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_with_errno(const std::string& what, int error) {
  throw std::runtime_error(what + ": " + std::strerror(error));
}

// Writes all of [data, data + size) to fd; false (errno set) on a failed or short write.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// ----- the table of temporaries a signal handler removes
// Fixed slots of plain characters and a lock-free state, because a signal handler may only read
// memory and call async-signal-safe functions (unlink, rmdir). States: 0 free, 1 being filled,
// 2 a path to remove.
constexpr int kCleanupSlots = 128;
constexpr std::size_t kCleanupPathBytes = 4096;
struct CleanupSlot {
  std::atomic<int> state{0};
  bool directory = false;
  char path[kCleanupPathBytes];
};
CleanupSlot cleanup_slots[kCleanupSlots];
static_assert(std::atomic<int>::is_always_lock_free);

int register_for_cleanup(const std::string& path, bool directory) {
  if (path.size() >= kCleanupPathBytes) return -1;
  for (int i = 0; i < kCleanupSlots; ++i) {
    int expected = 0;
    if (!cleanup_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(cleanup_slots[i].path, path.c_str(), path.size() + 1);
    cleanup_slots[i].directory = directory;
    cleanup_slots[i].state.store(2);
    return i;
  }
  return -1;  // a full table only loses the signal-time cleanup, never the normal one
}

void unregister_for_cleanup(int slot) {
  if (slot >= 0) cleanup_slots[slot].state.store(0);
}

void remove_registered_temporaries() noexcept {
  for (auto& slot : cleanup_slots)
    if (slot.state.load() == 2 && !slot.directory) ::unlink(slot.path);
  for (int i = kCleanupSlots - 1; i >= 0; --i)  // directories after their files
    if (cleanup_slots[i].state.load() == 2 && cleanup_slots[i].directory) ::rmdir(cleanup_slots[i].path);
}

extern "C" void cleanup_signal_handler(int signal) { remove_temporaries_and_reraise(signal); }

// ----- inputs that outputs must not overwrite
struct InputFiles {
  std::atomic<bool> enabled{false};
  std::mutex mutex;
  std::set<std::pair<dev_t, ino_t>> files;
};
InputFiles& input_files() {
  static InputFiles files;
  return files;
}

// ----- where an output really goes

// The descriptor a name stands for (/dev/stdout, /dev/fd/3, /proc/self/fd/3), or -1.
int descriptor_named(const std::string& name) {
  if (name == "/dev/stdout") return 1;
  if (name == "/dev/stderr") return 2;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const std::size_t length = std::strlen(prefix);
    if (name.size() > length && name.compare(0, length, prefix) == 0 &&
        name.find_first_not_of("0123456789", length) == std::string::npos && name.size() - length < 6)
      return std::atoi(name.c_str() + length);
  }
  return -1;
}

// The path with every symbolic link resolved (a dangling link resolves to the name it points at,
// where the output will be created).
fs::path follow_links(fs::path path) {
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
    char buffer[4096];
    const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
    if (n < 0 || n == static_cast<ssize_t>(sizeof buffer)) return path;
    const fs::path next(std::string(buffer, static_cast<std::size_t>(n)));
    path = next.is_absolute() ? next : path.parent_path() / next;
  }
  throw std::runtime_error("cannot write " + path.string() + ": too many levels of symbolic links");
}

unsigned current_umask() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key)
    if (key == "Umask:") {
      std::string value;
      status >> value;
      return static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 8));
    }
  return 022;
}

std::string temporary_directory() {
  const char* dir = std::getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

}  // namespace

// A stream buffer over a file descriptor: buffered writes, seeks (for header patches) and the
// first error kept, so commit() can name it.
namespace detail {
class FdStreamBuffer final : public std::streambuf {
 public:
  explicit FdStreamBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }
  pos_type seekoff(off_type offset, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    if (!drain()) return pos_type(off_type(-1));
    const int whence = dir == std::ios_base::beg ? SEEK_SET : dir == std::ios_base::cur ? SEEK_CUR : SEEK_END;
    const off_t at = ::lseek(fd_, offset, whence);
    if (at < 0) error_ = errno;
    return pos_type(off_type(at));
  }
  pos_type seekpos(pos_type position, std::ios_base::openmode mode) override {
    return seekoff(off_type(position), std::ios_base::beg, mode);
  }

 private:
  bool drain() {
    if (error_ != 0) return false;
    const std::size_t size = static_cast<std::size_t>(pptr() - pbase());
    if (size > 0 && !write_all(fd_, pbase(), size)) {
      error_ = errno;
      return false;
    }
    setp(buffer_, buffer_ + sizeof buffer_);
    return true;
  }
  int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};
}  // namespace detail

AtomicOutputFile::AtomicOutputFile(fs::path path) : path_(std::move(path)) {
  if (path_.empty()) throw std::runtime_error("no output file name given");
  const std::string name = path_.string();
  if (const int descriptor = descriptor_named(name); descriptor >= 0) {
    stream_fd_ = ::fcntl(descriptor, F_DUPFD_CLOEXEC, 3);
    if (stream_fd_ < 0) fail_with_errno("cannot write " + name, errno);
    in_place_ = true;
  } else {
    target_ = follow_links(path_);
    struct stat st {};
    if (::stat(target_.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) throw std::runtime_error("cannot write " + name + ": it is a directory");
      if (S_ISREG(st.st_mode)) {
        if ((st.st_mode & 0222) == 0)
          throw std::runtime_error("cannot write " + name + ": the file is read-only (not replacing it)");
        refuse_to_overwrite_input(target_);
        permissions_ = st.st_mode & 07777;
      } else {
        in_place_ = true;
        if (::access(target_.c_str(), W_OK) != 0) fail_with_errno("cannot write " + name, errno);
      }
    } else if (errno != ENOENT) {
      fail_with_errno("cannot write " + name, errno);
    } else {
      permissions_ = 0666 & ~current_umask();
    }
  }

  // The temporary: in the target's directory for a rename, else a spool in the temp directory.
  fs::path directory = in_place_ ? fs::path(temporary_directory()) : target_.parent_path();
  if (directory.empty()) directory = ".";
#ifdef O_TMPFILE
  fd_ = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ >= 0 && !in_place_ && ::access("/proc/self/fd", X_OK) != 0) {
    ::close(fd_);  // it could not be given a name without /proc
    fd_ = -1;
  }
#endif
  if (fd_ < 0) {
    const std::string base = in_place_ ? "picospice-spool" : "." + target_.filename().string();
    std::string pattern = (directory / (base + ".tmp.XXXXXX")).string();
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0) fail_with_errno("cannot create a temporary file in " + directory.string() + " for " + name, errno);
    if (in_place_) {
      ::unlink(pattern.c_str());  // a spool needs no name
    } else {
      named_temporary_ = pattern;
      cleanup_slot_ = register_for_cleanup(pattern, false);
    }
  }
  if (!in_place_ && ::fchmod(fd_, permissions_) != 0) {
    const int error = errno;
    discard();
    fail_with_errno("cannot set the permissions of the output " + name, error);
  }
  buffer_ = std::make_unique<detail::FdStreamBuffer>(fd_);
  out_ = std::make_unique<std::ostream>(buffer_.get());
}

AtomicOutputFile::~AtomicOutputFile() {
  if (!done_) discard();
}

void AtomicOutputFile::discard() noexcept {
  done_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (stream_fd_ >= 0) ::close(stream_fd_);
  stream_fd_ = -1;
  if (!named_temporary_.empty()) ::unlink(named_temporary_.c_str());
  named_temporary_.clear();
  unregister_for_cleanup(cleanup_slot_);
  cleanup_slot_ = -1;
}

void AtomicOutputFile::commit() {
  if (done_) throw std::logic_error("AtomicOutputFile::commit called twice for " + path_.string());
  out_->flush();
  if (!*out_ || buffer_->error() != 0) {
    const int error = buffer_->error() != 0 ? buffer_->error() : EIO;
    discard();
    fail_with_errno("cannot write " + path_.string(), error);
  }
  if (in_place_) commit_in_place();
  else commit_replace();
  done_ = true;
}

void AtomicOutputFile::commit_replace() {
  auto fail = [&](const std::string& what) {
    const int error = errno;
    discard();
    fail_with_errno(what, error);
  };
  if (::fsync(fd_) != 0) fail("cannot write " + path_.string());
  if (named_temporary_.empty()) {
    // Give the unnamed file a hidden name beside the target, then rename it over the target
    // (linkat cannot replace a name itself).
    const std::string proc_name = "/proc/self/fd/" + std::to_string(fd_);
    for (int attempt = 0;; ++attempt) {
      const fs::path name = target_.parent_path() / ("." + target_.filename().string() + ".tmp." +
                                                     std::to_string(::getpid()) + "." + std::to_string(attempt));
      cleanup_slot_ = register_for_cleanup(name.string(), false);
      if (::linkat(AT_FDCWD, proc_name.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        named_temporary_ = name;
        break;
      }
      const int error = errno;
      unregister_for_cleanup(cleanup_slot_);
      cleanup_slot_ = -1;
      if (error != EEXIST || attempt > 100) {
        errno = error;
        fail("cannot create a temporary name for " + path_.string());
      }
    }
  }
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("cannot write " + path_.string());
  if (::rename(named_temporary_.c_str(), target_.c_str()) != 0)
    fail("cannot rename " + named_temporary_.string() + " to " + target_.string());
  named_temporary_.clear();
  unregister_for_cleanup(cleanup_slot_);
  cleanup_slot_ = -1;
}

void AtomicOutputFile::commit_in_place() {
  const std::string name = path_.string();
  auto fail = [&](int error) {
    discard();
    fail_with_errno("cannot write " + name, error);
  };
  int out = stream_fd_;
  if (out < 0) {
    out = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (out < 0) fail(errno);
    stream_fd_ = out;  // closed by discard() on failure
  }
  if (::lseek(fd_, 0, SEEK_SET) != 0) fail(errno);
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(errno);
    if (n == 0) break;
    if (!write_all(out, chunk, static_cast<std::size_t>(n))) fail(errno);
  }
  stream_fd_ = -1;
  if (::close(out) != 0 && errno != EINTR) fail(errno);
  ::close(fd_);
  fd_ = -1;
}

void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  AtomicOutputFile file(path);
  write(file.stream());  // an exception here leaves the destructor to remove the temporary
  file.commit();
}

void write_file_atomically(const fs::path& path, std::string_view contents) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(contents.data(), static_cast<std::streamsize>(contents.size())); });
}

void protect_input_files() { input_files().enabled.store(true); }

void note_input_file(const fs::path& path) {
  if (!input_files().enabled.load()) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  auto& inputs = input_files();
  std::lock_guard lock(inputs.mutex);
  inputs.files.emplace(st.st_dev, st.st_ino);
}

void refuse_to_overwrite_input(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  auto& inputs = input_files();
  std::lock_guard lock(inputs.mutex);
  if (inputs.files.count({st.st_dev, st.st_ino}))
    throw std::runtime_error("refusing to write " + path.string() + ": it is an input of this run");
}

void install_temporary_cleanup_on_signals() {
  struct sigaction action {};
  action.sa_handler = cleanup_signal_handler;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    // A signal the parent set to be ignored (nohup) stays ignored.
    if (::sigaction(signal, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(signal, &action, nullptr);
  }
}

void remove_temporaries_and_reraise(int signal) {
  remove_registered_temporaries();
  ::signal(signal, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(signal);
  ::_exit(128 + signal);
}

PrivateTemporaryDirectory::PrivateTemporaryDirectory() {
  std::string pattern = (fs::path(temporary_directory()) / "picospice-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    fail_with_errno("cannot create a private temporary directory in " + temporary_directory(), errno);
  path_ = pattern;
  slots_.push_back(register_for_cleanup(pattern, true));
}

PrivateTemporaryDirectory::~PrivateTemporaryDirectory() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
  for (int slot : slots_) unregister_for_cleanup(slot);
}

fs::path PrivateTemporaryDirectory::file(const std::string& name) {
  const fs::path file = path_ / name;
  slots_.push_back(register_for_cleanup(file.string(), false));
  return file;
}

}  // namespace picospice
