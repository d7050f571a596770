// The helper that runs the picospice binary from tests (tests/run_command.hpp) must tell a
// refusal from a crash: a process killed by a signal has not exited, whatever its status number.
#include <catch2/catch.hpp>
#include <signal.h>

#include "tests/run_command.hpp"

using picospice::testing::run_command;

TEST_CASE("run_command: an exit status and the output, stdout and stderr together", "[run-command]") {
  const auto outcome = run_command({"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"});
  CHECK(outcome.exited);
  CHECK(outcome.exit_status == 3);
  CHECK(outcome.signal == 0);
  CHECK_THAT(outcome.output, Catch::Contains("to-stdout") && Catch::Contains("to-stderr"));
  CHECK(!outcome.succeeded());
  CHECK(run_command({"/bin/sh", "-c", "exit 0"}).succeeded());
}

TEST_CASE("run_command: a process killed by a signal has not exited", "[run-command]") {
  for (const int signal : {SIGSEGV, SIGABRT}) {
    const auto outcome = run_command({"/bin/sh", "-c", "ulimit -c 0; echo before; kill -" + std::to_string(signal) + " $$"});
    INFO(outcome.describe());
    CHECK(!outcome.exited);
    CHECK(outcome.signal == signal);
    CHECK(!outcome.succeeded());
    CHECK_THAT(outcome.output, Catch::Contains("before"));
    CHECK_THAT(outcome.describe(), Catch::Contains("killed by signal " + std::to_string(signal)));
  }
}

TEST_CASE("run_command: a program that cannot be started says so", "[run-command]") {
  const auto outcome = run_command({"/nonexistent/program"});
  CHECK(outcome.exited);
  CHECK(outcome.exit_status == 127);
  CHECK_THAT(outcome.output, Catch::Contains("cannot run /nonexistent/program"));
}
