// Skipping a test that cannot run on this machine (a missing external program or data file), so
// that CTest reports it as skipped instead of passed. Catch2 v2 has no skip of its own: the test
// prints a marker line and returns, and tests/CMakeLists.txt gives every Catch2 test
// SKIP_REGULAR_EXPRESSION on that marker (PICOSPICE_SKIP_MARKER, defined there for the compiler
// too).
#pragma once
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

// Ends the current test case as skipped, saying why. Use only at the top of a TEST_CASE.
#define SKIP_TEST(reason)                                              \
  do {                                                                 \
    std::cout << PICOSPICE_SKIP_MARKER << " " << reason << std::endl;  \
    WARN("skipped: " << reason);                                       \
    return;                                                            \
  } while (false)

namespace picospice::testing {

// True when `program` runs on this machine (it is found on PATH and exits with status 0 for
// `program ARGUMENT`).
inline bool program_available(const char* program, const char* argument) {
  const std::string command = std::string(program) + " " + argument + " > /dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

}  // namespace picospice::testing
