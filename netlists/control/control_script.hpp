// A `.control` block read into commands (ngspice's script language, the subset picospice runs).
//
// Each line is one command: its first word (lower case) and the rest as written. `foreach VAR
// v1 v2 ...`, `repeat [N]` and `if EXPR` (with an `else` line among them) own the lines up to
// their matching `end`; so do `while` and `dowhile` (which picospice does not run, but whose
// `end` must still be matched so the lines after it are read correctly). A block without its `end`, or an `end` with no block, is a
// NetlistError at that line. What each command means is netlists/control/control_executor.hpp.
#pragma once
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "netlists/parser/lexer.hpp"

namespace picospice {

struct ControlCommand {
  std::string name;                // lower case: "tran", "let", "foreach", ...
  std::string rest;                // the text after the name, leading blanks removed, as written
  std::vector<std::string> words;  // `rest` split at blanks
  SourceLocation location;         // of the name
  std::vector<ControlCommand> body;  // foreach, repeat, while, dowhile, if: the lines up to `end`
};

std::vector<ControlCommand> parse_control_script(const std::vector<ScriptLine>& lines);

// Splits at blanks (spaces and tabs); quotes are kept as characters.
std::vector<std::string> split_words(const std::string& text);

}  // namespace picospice
