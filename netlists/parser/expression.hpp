// SPICE parameter expressions. Numbers in them are SPICE numbers (base/numbers.hpp).
//
// Expressions (the text inside `{...}` or `'...'`, or a bare value after `key=`):
//   ?:  ||  &&  == != < <= > >=  + -  * /  unary - + !  ** or ^ (right-associative, binds tighter
//   than unary minus: -2^2 == -4), parentheses, numbers as above, parameters resolved through a
//   lookup callback, the constant pi, and the functions exp ln log (natural, as ngspice) log10 sqrt
//   abs min max pow sin cos tan tanh atan floor ceil (plus sinh cosh asin acos atan2 sgn int).
#pragma once
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/numbers.hpp"

namespace picospice {


// Resolves a (lower-case) parameter name; returns false when the name is unknown.
using ParamLookup = std::function<bool(std::string_view name, double& value)>;

// A malformed or unevaluable expression. `offset` is the 0-based character position inside the
// evaluated text where the problem is, so the caller can turn it into a file:line:column.
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(std::size_t where, const std::string& message)
      : std::runtime_error(message), offset(where) {}
  std::size_t offset;
};

// Evaluates `text`; throws ExpressionError ("unknown parameter 'wn'", "unknown function 'foo'",
// "expected ')'", ...).
double evaluate_expression(std::string_view text, const ParamLookup& lookup);

}  // namespace picospice
