// `.if` / `.elseif` / `.else` / `.endif`: read by the parser, chosen by the elaborator
// (conditional_blocks.hpp; ngspice manual, "Circuit Description", ".if Condition-Controlled
// Netlist").
#include "netlists/conditional_blocks.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "netlists/elaboration_scope.hpp"
#include "netlists/parser/expression.hpp"

namespace picospice {

namespace {

const char* keyword_of(ConditionalBranch::Kind kind) {
  switch (kind) {
    case ConditionalBranch::Kind::If: return ".if";
    case ConditionalBranch::Kind::ElseIf: return ".elseif";
    case ConditionalBranch::Kind::Else: return ".else";
  }
  return ".if";
}

// The condition of a `.if (...)` or `.elseif (...)` line, parentheses included, checked for syntax.
ExpressionText condition_of(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  const std::string& keyword = line.keyword();
  if (tokens.size() < 2 || !tokens[1].is(TokenKind::LeftParen) || !tokens.back().is(TokenKind::RightParen))
    throw NetlistError(tokens.size() < 2 ? line.location : tokens[1].location,
                       "expected '" + keyword + " (condition)': the condition goes in parentheses");
  if (tokens.size() == 3)
    throw NetlistError(tokens[1].location, "'" + keyword + "' has an empty condition '()'");
  ExpressionText condition = ExpressionText::from_tokens(tokens.data() + 1, tokens.data() + tokens.size());
  try {
    parse_expression(condition.text);
  } catch (const ExpressionError& error) {
    throw NetlistError(condition.location_of(error.offset),
                       "malformed condition of '" + keyword + "': " + std::string(error.what()));
  }
  return condition;
}

void set_begin(ConditionalBranch& branch, const Body& body) {
  branch.elements.begin = body.elements.size();
  branch.models.begin = body.models.size();
  branch.directives.begin = body.directives.size();
}

}  // namespace

bool is_conditional_directive(const std::string& keyword) {
  return keyword == ".if" || keyword == ".elseif" || keyword == ".else" || keyword == ".endif";
}

// ---------------------------------------------------------------------------------------------
// Reading

void ConditionalBlockReader::close_branch(const Open& open) const {
  ConditionalBranch& branch = open.body->branches[static_cast<std::size_t>(open.branch)];
  branch.elements.end = open.body->elements.size();
  branch.models.end = open.body->models.size();
  branch.directives.end = open.body->directives.size();
}

void ConditionalBlockReader::read(const LogicalLine& line, Body& body, std::size_t file_depth) {
  const std::string& keyword = line.keyword();
  if (keyword == ".if") {
    ConditionalBranch branch;
    branch.kind = ConditionalBranch::Kind::If;
    branch.condition = condition_of(line);
    branch.location = line.location;
    if (open_.size() >= kMaxConditionalNesting)
      throw NetlistError(line.location, fmt::format("'.if' blocks nested more than {} deep", kMaxConditionalNesting));
    const int index = static_cast<int>(body.branches.size());
    branch.block = index;
    branch.parent = !open_.empty() && open_.back().body == &body ? open_.back().branch : -1;
    set_begin(branch, body);
    body.branches.push_back(std::move(branch));
    open_.push_back(Open{&body, index, index, false, line.location, file_depth});
    return;
  }

  // .elseif, .else, .endif: they continue the innermost block, which must start in this file.
  if (open_.empty() || open_.back().file_depth != file_depth || open_.back().body != &body) {
    std::string where;
    if (!open_.empty())
      where = " in this file (the '.if' at " + open_.back().location.str() +
              " is in another; a block ends in the file where it starts)";
    throw NetlistError(line.location, "'" + keyword + "' without a matching '.if'" + where);
  }
  Open& open = open_.back();
  if (keyword != ".elseif" && line.tokens.size() > 1)
    throw NetlistError(line.tokens[1].location, "unexpected '" + line.tokens[1].raw + "' after '" + keyword + "'");
  if (keyword != ".endif" && open.has_else)
    throw NetlistError(line.location, "'" + keyword + "' after '.else' (the '.else' of the '.if' at " +
                                          open.location.str() + " must be its last branch)");
  ConditionalBranch branch;
  if (keyword == ".elseif") {
    branch.kind = ConditionalBranch::Kind::ElseIf;
    branch.condition = condition_of(line);
  } else if (keyword == ".else") {
    branch.kind = ConditionalBranch::Kind::Else;
  }
  close_branch(open);
  if (keyword == ".endif") {
    open_.pop_back();
    return;
  }
  branch.location = line.location;
  branch.block = open.block;
  branch.parent = body.branches[static_cast<std::size_t>(open.block)].parent;
  set_begin(branch, body);
  open.branch = static_cast<int>(body.branches.size());
  open.has_else = branch.kind == ConditionalBranch::Kind::Else;
  body.branches.push_back(std::move(branch));
}

void ConditionalBlockReader::check_allowed(const LogicalLine& line) const {
  const std::string& keyword = line.keyword();
  const Open& open = open_.back();
  if (keyword == ".ends")
    throw NetlistError(open.location, "'.if' is not closed: expected '.endif' before the '.ends' at " + line.location.str());
  const std::string inside = "inside the '.if' block at " + open.location.str();
  if (keyword == ".param")
    throw NetlistError(line.location, "'.param' cannot be " + inside +
                                          " (ngspice's manual excludes it there, and ngspice 39 would read it whatever "
                                          "the condition); define it before the block, with a conditional value if "
                                          "needed: .param r = {a == 1 ? 2k : 4k}");
  if (keyword == ".subckt")
    throw NetlistError(line.location, "'.subckt' cannot be " + inside +
                                          " (ngspice's manual excludes it there); put the '.if' inside the subcircuit "
                                          "or choose between two subcircuits by name");
  if (keyword == ".func" || keyword == ".global" || keyword == ".title" || keyword == ".control")
    throw NetlistError(line.location, "'" + keyword + "' cannot be " + inside + " (picospice does not support it "
                                          "there); move it out of the block");
}

void ConditionalBlockReader::check_closed(std::size_t file_depth, const std::string& before) const {
  if (!open_.empty() && open_.back().file_depth >= file_depth)
    throw NetlistError(open_.back().location, "'.if' is not closed: expected '.endif' before " + before);
}

// ---------------------------------------------------------------------------------------------
// Choosing

namespace {

double condition_value(const ConditionalBranch& branch, const ElaborationScope& scope) {
  try {
    return evaluate_in_scope(branch.condition, scope);
  } catch (const NetlistError& error) {
    std::string context = std::string("in the condition of '") + keyword_of(branch.kind) + "'";
    if (!scope.prefix.empty()) context += ", for instance '" + scope.prefix.substr(0, scope.prefix.size() - 1) + "'";
    throw NetlistError(error.location, error.message + " (" + context + ")");
  }
}

// Marks [range) in a difference array; a positive running sum means dropped.
void mark(std::vector<int>& difference, const ItemRange& range) {
  if (range.begin >= range.end) return;
  ++difference[range.begin];
  --difference[range.end];
}

std::vector<bool> dropped_from(const std::vector<int>& difference, std::size_t count) {
  std::vector<bool> dropped(count, false);
  bool any = false;
  int depth = 0;
  for (std::size_t i = 0; i < count; ++i) {
    depth += difference[i];
    dropped[i] = depth > 0;
    any = any || dropped[i];
  }
  return any ? dropped : std::vector<bool>{};
}

}  // namespace

BranchSelection select_branches(const ElaborationScope& scope) {
  BranchSelection selection;
  const Body& body = *scope.body;
  const auto& branches = body.branches;
  if (branches.empty()) return selection;
  std::vector<char> taken(branches.size(), 0), block_done(branches.size(), 0);
  std::vector<int> elements(body.elements.size() + 1, 0), models(body.models.size() + 1, 0),
      directives(body.directives.size() + 1, 0);
  for (std::size_t i = 0; i < branches.size(); ++i) {
    const ConditionalBranch& branch = branches[i];
    // Every condition is evaluated, as ngspice does: a mistake in one is found whatever is chosen.
    const bool holds = branch.kind == ConditionalBranch::Kind::Else || condition_value(branch, scope) != 0;
    const bool parent_taken = branch.parent < 0 || taken[static_cast<std::size_t>(branch.parent)];
    char& done = block_done[static_cast<std::size_t>(branch.block)];
    taken[i] = parent_taken && !done && holds;
    if (taken[i]) {
      done = 1;
      continue;
    }
    mark(elements, branch.elements);
    mark(models, branch.models);
    mark(directives, branch.directives);
  }
  selection.dropped_elements_ = dropped_from(elements, body.elements.size());
  selection.dropped_models_ = dropped_from(models, body.models.size());
  selection.dropped_directives_ = dropped_from(directives, body.directives.size());
  return selection;
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

class BranchWriter {
 public:
  BranchWriter(const Body& body, ItemRange ConditionalBranch::*list, const std::function<void(std::size_t)>& item,
               std::string& out)
      : body_(body), list_(list), item_(item), out_(out), blocks_in_(body.branches.size() + 1),
        branches_of_(body.branches.size()) {
    for (std::size_t i = 0; i < body.branches.size(); ++i) {
      const ConditionalBranch& branch = body.branches[i];
      branches_of_[static_cast<std::size_t>(branch.block)].push_back(i);
      if (branch.kind == ConditionalBranch::Kind::If)
        blocks_in_[branch.parent < 0 ? body.branches.size() : static_cast<std::size_t>(branch.parent)].push_back(i);
    }
  }

  // The items of `range` and the blocks directly inside `slot` (a branch, or the body itself).
  void write(std::size_t slot, ItemRange range) {
    std::size_t at = range.begin;
    for (std::size_t block : blocks_in_[slot]) {
      const auto& members = branches_of_[block];
      const std::size_t begin = (body_.branches[members.front()].*list_).begin;
      const std::size_t end = (body_.branches[members.back()].*list_).end;
      if (begin == end) continue;
      items(at, begin);
      for (std::size_t m : members) {
        const ConditionalBranch& branch = body_.branches[m];
        out_ += keyword_of(branch.kind);
        if (branch.kind != ConditionalBranch::Kind::Else) out_ += " " + branch.condition.text;
        out_ += "\n";
        write(m, branch.*list_);
      }
      out_ += ".endif\n";
      at = end;
    }
    items(at, range.end);
  }

 private:
  void items(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) item_(i);
  }

  const Body& body_;
  ItemRange ConditionalBranch::*list_;
  const std::function<void(std::size_t)>& item_;
  std::string& out_;
  std::vector<std::vector<std::size_t>> blocks_in_;    // per branch, then the body: the blocks' `.if`s
  std::vector<std::vector<std::size_t>> branches_of_;  // per block's `.if`: its branches in order
};

}  // namespace

void write_with_branches(const Body& body, ItemRange ConditionalBranch::*list, std::size_t count,
                         const std::function<void(std::size_t)>& item, std::string& out) {
  BranchWriter(body, list, item, out).write(body.branches.size(), ItemRange{0, count});
}

}  // namespace picospice
