// Expression syntax tree -> compiled program (base/expression_program.hpp), with names resolved
// where the expression stands: parameters become constants, `.func` calls are expanded inline
// (each argument evaluated once into a local slot), and circuit quantities (v(a), v(a,b), i(vx),
// time, temper) become the program's variables, where they are allowed.
//
// Name resolution, in order: a parameter; in circuit context `time` and `temper`; the constants
// `pi` and `e`. A function name: a `.func` visible from the scope (innermost first), then the
// built-in functions. A `.func` body's names resolve in the scope that defines the `.func`
// (lexically), its node names where it is called.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/expression_program.hpp"
#include "netlists/parser/expression.hpp"

namespace picospice {

struct FunctionDefinition;

// The circuit names an expression may read (element lines of behavioral sources).
class CircuitNames {
 public:
  virtual ~CircuitNames() = default;
  // The node a v(...) names, as seen from where the expression is: its hierarchical name and
  // unknown (kind NodeVoltage).
  virtual ExpressionVariable node(const std::string& name) = 0;
  // The voltage source an i(...) names: its hierarchical instance name (kind BranchCurrent; the
  // unknown is resolved later, by the device, when every branch exists).
  virtual ExpressionVariable branch(const std::string& name) = 0;
};

// What names mean where an expression is compiled.
class ExpressionNames {
 public:
  virtual ~ExpressionNames() = default;
  virtual bool parameter(std::string_view name, double& value) const = 0;
  // A `.func` visible here, or null. `body_names` receives the names its body sees.
  virtual const FunctionDefinition* function(std::string_view name, std::unique_ptr<ExpressionNames>& body_names) const {
    return nullptr;
  }
};

// Compiles `syntax`. `circuit` null: circuit quantities are errors (a `.param`, a model card, an
// ordinary element value). Throws ExpressionError at the offending place in syntax.text, or a
// NetlistError at the place in a `.func` body.
ExpressionProgram compile_expression(const ExpressionSyntax& syntax, const ExpressionNames& names,
                                     CircuitNames* circuit);

// The value of a program without variables; a fault becomes an ExpressionError at its offset.
double evaluate_constant_or_throw(const ExpressionProgram& program);

// The names of the built-in functions (for messages).
std::string builtin_function_names();

// Resolves a (lower-case) parameter name; returns false when the name is unknown.
using ParamLookup = std::function<bool(std::string_view name, double& value)>;

// Parses and evaluates `text` with parameters from `lookup` (no `.func`s, no circuit quantities);
// throws ExpressionError ("unknown parameter 'wn'", "unknown function 'foo'", "division by
// zero", ...).
double evaluate_expression(std::string_view text, const ParamLookup& lookup);

}  // namespace picospice
