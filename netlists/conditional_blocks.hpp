// ngspice's condition-controlled netlist (ngspice manual, chapter "Circuit Description", section
// ".if Condition-Controlled Netlist"):
//
//   .if (condition)        lines kept when the condition is true
//   .elseif (condition)    any number of these: the first true branch is kept
//   .else                  at most one, last: kept when no condition above was true
//   .endif
//
// A condition is an expression in parentheses (netlists/parser/expression.hpp: numbers, `.param`
// names, == != < <= > >= && || !, arithmetic and functions); non-zero is true. Blocks nest.
//
// When: the parser keeps every branch (ConditionalBranch in parser.hpp records the lines each
// holds) and the elaborator chooses, in every scope, after that scope's parameters are evaluated.
// So, as in ngspice, a condition sees every `.param` of its scope wherever it is defined (also
// after the `.if`), a block inside a `.subckt` is decided per instance with the instance's
// parameters, and `alterparam` or a `.dc param` sweep decides again. As in ngspice, every
// condition of a body is evaluated, also those of branches that are not taken: an unknown
// parameter in any of them is an error.
//
// What a branch holds: element lines, `.model` cards, `.include` and `.lib` lines (whose lines
// then belong to the branch) and the top level's directives (.op, .tran, .options, ...). The
// manual excludes `.subckt`, `.param`, `.include` and `.lib`. ngspice 39 reads a `.param` or a
// `.subckt` there whatever the condition, so picospice refuses them, as it does `.func`,
// `.global`, `.title` and `.control`. An included file is read whatever the condition (a missing
// one is an error, as in ngspice 39) and its lines count only when the branch is taken, which is
// what ngspice 39 does too.
// A branch's lines are read as if the others were not there: two branches may define the same
// instance or model name. A block ends in the file (and the `.subckt`) where it starts.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "netlists/parser/parser.hpp"

namespace picospice {

struct ElaborationScope;

// Whether `keyword` (lower case) is `.if`, `.elseif`, `.else` or `.endif`.
bool is_conditional_directive(const std::string& keyword);

// Blocks deeper than this are refused (the exporter writes them recursively).
constexpr std::size_t kMaxConditionalNesting = 256;

// The parser's side: the blocks open while a netlist is read, and the branches they add to the
// bodies. Errors are NetlistError at the offending line (an unclosed block: at its `.if`).
class ConditionalBlockReader {
 public:
  // Reads a `.if`, `.elseif`, `.else` or `.endif` line met in `body` while reading a file
  // `file_depth` includes deep (0: the netlist itself). A `.if` condition is parsed now, so a
  // malformed one is an error even in a branch that is never taken.
  void read(const LogicalLine& line, Body& body, std::size_t file_depth);
  // Whether a block is open: the lines read now belong to its current branch.
  bool inside() const { return !open_.empty(); }
  // Refuses a line a branch cannot hold; call for every other line read while inside().
  void check_allowed(const LogicalLine& line) const;
  // Throws, at the innermost `.if` still open that was read `file_depth` or more includes deep,
  // that its `.endif` is missing before `before` ("the end of the netlist", ...).
  void check_closed(std::size_t file_depth, const std::string& before) const;

 private:
  struct Open {
    Body* body;
    int branch;  // the open branch, in body->branches
    int block;   // the block's `.if`, in body->branches
    bool has_else;
    SourceLocation location;  // of the `.if`
    std::size_t file_depth;
  };
  void close_branch(const Open& open) const;
  std::vector<Open> open_;  // innermost last
};

// Which elements, models and directives of one body the conditions kept in one scope.
class BranchSelection {
 public:
  bool keeps_element(std::size_t i) const { return dropped_elements_.empty() || !dropped_elements_[i]; }
  bool keeps_model(std::size_t i) const { return dropped_models_.empty() || !dropped_models_[i]; }
  bool keeps_directive(std::size_t i) const { return dropped_directives_.empty() || !dropped_directives_[i]; }

 private:
  friend BranchSelection select_branches(const ElaborationScope& scope);
  std::vector<bool> dropped_elements_, dropped_models_, dropped_directives_;  // empty: none dropped
};

// Evaluates the conditions of `scope.body` with the parameters `scope` sees (evaluate its
// `.param` lines first) and returns what they keep. Throws NetlistError at a condition that
// names an unknown parameter or cannot be evaluated.
BranchSelection select_branches(const ElaborationScope& scope);

// For the ngspice exporter: writes one list of `body` (`list` picks it: &ConditionalBranch::
// elements, models or directives; `count` items) with its blocks around the items, `item(i)`
// writing item i. Blocks that hold none of the list's items are left out.
void write_with_branches(const Body& body, ItemRange ConditionalBranch::*list, std::size_t count,
                         const std::function<void(std::size_t)>& item, std::string& out);

}  // namespace picospice
