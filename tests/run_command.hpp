// Runs a program (usually the picospice binary) from a test and reports how it ended and what it
// printed. A test that expects a refusal must see the process exit by itself with a non-zero status
// and say why: a crash (killed by SIGSEGV or SIGABRT) also has a "non-zero" status from system(),
// so checking the status alone cannot tell a refusal from a crash.
//
// The program is started directly (fork and execv), not through a shell, so the status is the
// program's own: a shell would report a child killed by signal N as exit status 128+N, which
// cannot be told apart from picospice's own 130 after an interrupt.
#pragma once
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace picospice::testing {

struct ProcessOutcome {
  std::string command;    // the program and its arguments, joined by spaces (for failure messages)
  bool exited = false;    // it ended through exit() or by returning from main, not by a signal
  int exit_status = -1;   // its exit status, when it exited
  int signal = 0;         // the signal that killed it, when it did not exit
  std::string output;     // standard output and standard error, interleaved as written

  bool succeeded() const { return exited && exit_status == 0; }

  std::string describe() const {
    std::ostringstream s;
    s << "command: " << command << "\n";
    if (exited)
      s << "exited with status " << exit_status;
    else
      s << "killed by signal " << signal << " (" << strsignal(signal) << ")";
    s << "; it printed:\n" << output;
    return s.str();
  }
};

// Runs argv[0] with the arguments argv[1...], stdin from /dev/null, and waits for it to end.
inline ProcessOutcome run_command(const std::vector<std::string>& argv) {
  ProcessOutcome outcome;
  for (const auto& word : argv) outcome.command += (outcome.command.empty() ? "" : " ") + word;
  int pipe_ends[2];
  REQUIRE(pipe(pipe_ends) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int null_input = open("/dev/null", O_RDONLY);
    dup2(null_input, STDIN_FILENO);
    dup2(pipe_ends[1], STDOUT_FILENO);
    dup2(pipe_ends[1], STDERR_FILENO);
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    std::vector<char*> arguments;
    for (const auto& word : argv) arguments.push_back(const_cast<char*>(word.c_str()));
    arguments.push_back(nullptr);
    execv(arguments[0], arguments.data());
    const std::string why = "run_command: cannot run " + argv[0] + ": " + std::strerror(errno) + "\n";
    [[maybe_unused]] auto written = write(STDERR_FILENO, why.data(), why.size());
    _exit(127);
  }
  close(pipe_ends[1]);
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(pipe_ends[0], buffer, sizeof buffer);
    if (n > 0)
      outcome.output.append(buffer, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  close(pipe_ends[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.exited = WIFEXITED(status);
  if (outcome.exited) outcome.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

// Runs the picospice binary under test with ARGUMENTS, split at spaces (no quoting: paths in tests
// hold no spaces).
inline ProcessOutcome run_picospice(const std::string& arguments) {
  std::vector<std::string> argv{PICOSPICE_BINARY};
  std::istringstream words(arguments);
  for (std::string word; words >> word;) argv.push_back(word);
  return run_command(argv);
}

// A scratch directory of a test file, `NAME` under the system's temporary directory.
inline std::filesystem::path scratch_directory(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::create_directories(dir);
  return dir;
}

// Writes TEXT byte for byte to DIRECTORY/NAME and returns the path.
inline std::filesystem::path write_scratch_file(const std::filesystem::path& directory, const std::string& name,
                                                const std::string& text) {
  std::ofstream(directory / name, std::ios::binary) << text;
  return directory / name;
}

// The bytes of the file at PATH (empty if it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace picospice::testing

// The process ended by itself with a non-zero exit status (a crash is not a refusal) and its
// output contains MESSAGE.
#define CHECK_REFUSED_WITH(outcome_expression, message)                    \
  do {                                                                     \
    const ::picospice::testing::ProcessOutcome& refused_ = (outcome_expression); \
    INFO(refused_.describe());                                             \
    CHECK(refused_.exited);                                                \
    CHECK(refused_.exit_status != 0);                                      \
    CHECK_THAT(refused_.output, Catch::Contains(message));                 \
  } while (false)

// The process ended by itself with exit status 0.
#define REQUIRE_SUCCEEDS(outcome_expression)                               \
  do {                                                                     \
    const ::picospice::testing::ProcessOutcome& succeeded_ = (outcome_expression); \
    INFO(succeeded_.describe());                                           \
    REQUIRE(succeeded_.succeeded());                                       \
  } while (false)
