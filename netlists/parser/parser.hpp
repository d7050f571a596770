// Netlist parser: logical lines -> a syntax tree (Netlist).
//
// The parser handles structure only: `.include` / `.lib` (expanded in place, paths relative to the
// including file), `.subckt` ... `.ends` blocks (nested definitions allowed), `.param`, `.model`,
// `.global`, `.title`, `.end`, and `.if` ... `.endif` blocks (netlists/conditional_blocks.hpp:
// every branch is kept, marked with the lines it holds; elaboration chooses). It keeps `.control` blocks as script lines (netlists/control/ reads
// them) and ignores output and small-signal directives with a warning. Element lines and the remaining directives (`.op`, `.dc`, `.tran`,
// `.options`, ...) are kept as token lines for the elaborator, which gives them meaning.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netlists/parser/expression.hpp"
#include "netlists/parser/lexer.hpp"

namespace picospice {

// Tokens joined back into the text of one expression, remembering where each piece came from so
// an ExpressionError offset becomes a file:line:column.
struct ExpressionText {
  std::string text;
  struct Piece {
    std::size_t offset;
    SourceLocation location;
  };
  std::vector<Piece> pieces;

  // Joins tokens [begin, end); `{a}` tokens become `(a)`; whitespace between tokens is kept as one
  // space, so a glued `2*(a+b)` reads back as written.
  static ExpressionText from_tokens(const Token* begin, const Token* end);
  SourceLocation location_of(std::size_t offset) const;
  SourceLocation location() const { return pieces.empty() ? SourceLocation{} : pieces[0].location; }
};

// `name=value` on a .param, .subckt, X or .model line.
struct ParamAssignment {
  std::string name;
  ExpressionText value;
  // The value when it is a single bare identifier (`level=ekv`): a word unless it names a parameter.
  std::string word;
  SourceLocation location;  // of the name
};

struct ModelDefinition {
  std::string name;
  std::string type;
  std::vector<ParamAssignment> params;
  SourceLocation location;
};

// `.func name(a, b) {body}` (also `= {body}` or a bare body): a user function, visible in the body
// (top level or subcircuit) that defines it and in the subcircuits defined inside it.
struct FunctionDefinition {
  std::string name;
  std::vector<std::string> params;
  ExpressionText body;                             // as written, for messages and export
  std::shared_ptr<const ExpressionSyntax> syntax;  // parsed once, when the line is read
  SourceLocation location;                         // of the name
};

struct SubcircuitDefinition;

// Indices [begin, end) into one list of a Body.
struct ItemRange {
  std::size_t begin = 0, end = 0;
};

// One branch of a `.if (c)` / `.elseif (c)` / `.else` ... `.endif` block in a Body: the lines read
// while it was open, nested blocks included, as ranges of the body's lists (netlists/
// conditional_blocks.hpp says which lines a branch may hold and how one is chosen).
struct ConditionalBranch {
  enum class Kind { If, ElseIf, Else };
  Kind kind = Kind::If;
  ExpressionText condition;  // without the `.if`; empty for `.else`
  SourceLocation location;   // of the `.if`, `.elseif` or `.else`
  int block = 0;             // index (in Body::branches) of the `.if` that opens this block
  int parent = -1;           // the branch whose lines hold this block; -1: none (the body itself)
  ItemRange elements, models, directives;
};

// The contents of the top level or of one `.subckt`, in file order within each kind.
struct Body {
  std::vector<ParamAssignment> params;
  std::vector<ModelDefinition> models;
  std::vector<FunctionDefinition> functions;
  std::vector<std::unique_ptr<SubcircuitDefinition>> subcircuits;
  std::vector<LogicalLine> elements;
  std::vector<LogicalLine> directives;  // top level only: .op .dc .tran .options .ic ...
  // `.if` blocks, in file order (a block's `.if` first, then its `.elseif`s and `.else`); empty
  // when the body has none, and then every line above counts.
  std::vector<ConditionalBranch> branches;
};

struct SubcircuitDefinition {
  std::string name;
  std::vector<Token> pins;
  std::vector<ParamAssignment> defaults;  // from the .subckt line, `params:` optional
  Body body;
  SourceLocation location;
};

// A `.control` ... `.endc` block: its lines as written, for netlists/control/control_script.hpp.
struct ControlBlock {
  SourceLocation location;  // of `.control`
  std::vector<ScriptLine> lines;
};

struct Netlist {
  std::string title;
  std::string file;
  Body top;
  std::vector<std::string> globals;  // `.global` node names, unprefixed in every subcircuit
  // What was read but is not run: unsupported analyses, with where they are.
  std::vector<std::pair<SourceLocation, std::string>> skipped;
  std::vector<ControlBlock> control_blocks;  // in file order
};

// Receives one formatted warning line ("file:line:col: warning: ...").
using WarningSink = std::function<void(const std::string&)>;
// Writes warnings to stderr.
void warn_to_stderr(const std::string& line);

// Parses a netlist file; throws NetlistError.
Netlist parse_netlist_file(const std::string& path, const WarningSink& warn = warn_to_stderr);
// Parses netlist text as if read from `file_name` (includes resolve relative to its directory).
Netlist parse_netlist_text(std::string_view text, const std::string& file_name,
                           const WarningSink& warn = warn_to_stderr);

// Reads `name=value` pairs from tokens [begin, end): a value runs until the next `word =` at
// parenthesis depth 0 or a comma, so `.param a = 2 * (b + 1) c = 3` works.
std::vector<ParamAssignment> parse_assignments(const Token* begin, const Token* end);
// Whether `name =` starts at t: an identifier followed by `=` that is not half of a glued `==`.
bool starts_assignment(const Token* t, const Token* end);

}  // namespace picospice
