// SPICE expressions: text -> syntax tree. Numbers in them are SPICE numbers (base/numbers.hpp).
//
// Expressions are the text inside `{...}` or `'...'`, a bare value after `key=`, a `.func` body,
// or a B source's `I=`/`V=` value:
//   ?:  ||  &&  == != < <= > >=  + -  * /  unary - + !  ** or ^ (right-associative, binds tighter
//   than unary minus: -2^2 == -4), parentheses, numbers, names (parameters, `pi`, `e`, and in
//   behavioral sources `time` and `temper`), function calls f(a, b, ...), and the circuit
//   quantities v(node), v(node1, node2) and i(vsource), whose arguments are names (`v(1)`,
//   `v(x1.out)`), not expressions.
// The functions and what they mean are listed in base/expression_program.hpp; names are resolved
// and the tree compiled by netlists/parser/expression_compiler.hpp.
//
// The parser is recursive descent with a depth limit: an expression nested deeper than
// kMaxExpressionDepth levels (parentheses, function arguments, chained `?:`, unary operators,
// powers) is an ExpressionError, never a stack overflow. Chains of left-associative operators
// (`1+1+1+...`) are flat loops in the parser and in everything that walks the tree.
#pragma once
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/numbers.hpp"

namespace picospice {

inline constexpr int kMaxExpressionDepth = 1000;

// A malformed or unevaluable expression. `offset` is the 0-based character position inside the
// text where the problem is, so the caller can turn it into a file:line:column.
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(std::size_t where, const std::string& message)
      : std::runtime_error(message), offset(where) {}
  std::size_t offset;
};

struct ExpressionNode {
  enum class Kind {
    Number,       // number
    Name,         // name (lower case)
    Call,         // name(children...)
    Circuit,      // v(names[0] [, names[1]]) or i(names[0]): name is "v" or "i"
    Unary,        // op children[0]; op is '-', '+' or '!'
    Binary,       // children[0] op children[1]; op: + - * / ^ (also for **) and comparisons below
    Conditional,  // children[0] ? children[1] : children[2]
  };
  // Binary operators beyond single characters.
  static constexpr char kEqual = 'E', kNotEqual = 'N', kLessEqual = 'l', kGreaterEqual = 'g', kAnd = '&', kOr = '|';

  Kind kind = Kind::Number;
  char op = 0;
  double number = 0;
  std::string name;                // Name, Call, Circuit (lower case)
  std::vector<std::string> names;  // Circuit: node or instance names as written (lower case)
  std::vector<int> children;       // indices into ExpressionSyntax::nodes
  std::size_t offset = 0;          // where it starts in the text
  std::size_t end = 0;             // one past its last character (Number: the number as written)
};

struct ExpressionSyntax {
  std::string text;
  std::vector<ExpressionNode> nodes;  // children before parents; root last
  int root = -1;
  const ExpressionNode& node(int i) const { return nodes[static_cast<std::size_t>(i)]; }
};

// Parses `text`; throws ExpressionError ("expected ')'", "malformed number '1.2.3'",
// "expression nested deeper than 1000 levels", ...).
ExpressionSyntax parse_expression(std::string_view text);

}  // namespace picospice
