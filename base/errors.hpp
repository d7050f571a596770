// Errors are values the user can act on: every one says where (file:line:column, node, device,
// time) and what was expected. The command line prints what() and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace picospice {

// A place in a netlist file. line and column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const {
    if (file.empty() && line == 0) return "";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

// Bad input in a netlist: "file:line:col: error: message".
class NetlistError : public std::runtime_error {
 public:
  NetlistError(const SourceLocation& loc, const std::string& message)
      : std::runtime_error(loc.str().empty() ? "error: " + message
                                             : loc.str() + ": error: " + message),
        location(loc), message(message) {}
  SourceLocation location;
  std::string message;  // without the location, for callers that place it elsewhere
};

// A failure while simulating (singular matrix, no convergence, ...). The message already names
// the analysis, time, node and device where they are known.
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace picospice
