#include "base/atomic_file.hpp"

#include <unistd.h>

#include <stdexcept>
#include <system_error>

namespace picospice {

AtomicOutputFile::AtomicOutputFile(std::filesystem::path path) : path_(std::move(path)) {
  // The pid keeps two simultaneous runs writing the same result from sharing a temporary.
  temporary_ = path_;
  temporary_ += ".tmp." + std::to_string(::getpid());
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot create " + temporary_.string());
}

AtomicOutputFile::~AtomicOutputFile() {
  if (!done_) discard();
}

void AtomicOutputFile::discard() {
  done_ = true;
  if (out_.is_open()) out_.close();
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void AtomicOutputFile::commit() {
  if (done_) throw std::logic_error("AtomicOutputFile::commit called twice for " + path_.string());
  out_.flush();
  const bool written = static_cast<bool>(out_);
  out_.close();
  if (!written || out_.fail()) {
    discard();
    throw std::runtime_error("cannot write " + temporary_.string() + " (disk full?)");
  }
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) {
    discard();
    throw std::runtime_error("cannot rename " + temporary_.string() + " to " + path_.string() + ": " +
                             error.message());
  }
  done_ = true;
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  AtomicOutputFile file(path);
  write(file.stream());  // an exception here leaves the destructor to remove the temporary
  file.commit();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(contents.data(), static_cast<std::streamsize>(contents.size())); });
}

}  // namespace picospice
