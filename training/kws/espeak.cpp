// Running espeak-ng (see espeak.hpp): posix_spawnp with stdout and stderr on pipes, both drained
// with poll() so neither can fill up and stall the child.
#include "training/kws/espeak.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

extern char** environ;

namespace picospice::kws {
namespace {

constexpr const char* kProgram = "espeak-ng";

std::string describe(const SpeechRequest& r) {
  return fmt::format("espeak-ng -v {} -s {} -p {} \"{}\"", r.voice, r.words_per_minute, r.pitch, r.text);
}

}  // namespace

bool espeak_available() {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const auto candidate = std::filesystem::path(dir) / kProgram;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

Audio synthesize_speech(const SpeechRequest& request) {
  if (request.text.empty()) throw SpeechError("speech synthesis: empty text");
  if (request.text.front() == '-') throw SpeechError(fmt::format("speech synthesis: text \"{}\" starts with '-'", request.text));
  for (unsigned char c : request.text)
    if (c < 0x20 || c == 0x7f) throw SpeechError("speech synthesis: text holds a control character");
  if (request.voice.empty() || request.voice.front() == '-') throw SpeechError("speech synthesis: invalid voice name");
  if (!espeak_available())
    throw SpeechError("speech synthesis needs the espeak-ng program (Debian package espeak-ng; tools/setup installs it)");

  const std::string speed = std::to_string(request.words_per_minute), pitch = std::to_string(request.pitch);
  std::vector<std::string> args = {kProgram, "-v", request.voice, "-s", speed, "-p", pitch, "--stdout", request.text};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw SpeechError(fmt::format("pipe: {}", std::strerror(errno)));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw SpeechError(fmt::format("pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, kProgram, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawned != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw SpeechError(fmt::format("cannot run {}: {}", kProgram, std::strerror(spawned)));
  }

  std::vector<std::uint8_t> wav;
  std::string errors;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (auto& fd : fds) {
      if (fd.fd < 0 || !(fd.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fd.fd, buffer, sizeof buffer);
      if (n > 0) {
        if (fd.fd == out_pipe[0]) wav.insert(wav.end(), buffer, buffer + n);
        else errors.append(buffer, std::size_t(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fd.fd);
        fd.fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw SpeechError(fmt::format("{} failed (exit status {}): {}", describe(request),
                                  WIFEXITED(status) ? WEXITSTATUS(status) : -1, errors.empty() ? "no message" : errors));
  Audio audio = parse_wav(wav, describe(request));
  if (audio.samples.empty())
    throw SpeechError(fmt::format("{} produced no audio{}{}", describe(request), errors.empty() ? "" : ": ", errors));
  return audio;
}

}  // namespace picospice::kws
