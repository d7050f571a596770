// What a line sees while a netlist is elaborated (netlists/elaborate.hpp): the parameters, pins
// and definitions of one subcircuit instance or of the top level, and the values of parameter
// expressions and element or directive arguments in it. Shared by the elaborator
// (elaborate.cpp) and the directive reader (directive_reader.hpp).
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/circuit.hpp"
#include "netlists/conditional_blocks.hpp"
#include "netlists/parser/expression_compiler.hpp"
#include "netlists/parser/parser.hpp"

namespace picospice {

// The parameters, pins and definitions visible inside one subcircuit instance (or the top level).
// Definitions and parameters are looked up lexically: this scope, then the scope whose body holds
// this subcircuit's definition, and so on out to the top level.
struct ElaborationScope {
  const ElaborationScope* lexical_parent = nullptr;
  const Body* body = nullptr;
  std::string prefix;  // "" at the top, "x1.x2." inside
  std::unordered_map<std::string, double> params;
  std::unordered_map<std::string, Index> pins;  // pin name -> node in the caller
  mutable std::unordered_map<std::string, const ModelCard*> models;  // evaluated on first use
  // What the body's `.if` blocks keep here (netlists/conditional_blocks.hpp); set once the
  // parameters are evaluated.
  BranchSelection branches;
};

// The value of parameter `name` seen from `scope` (false when no enclosing scope defines it).
bool find_param(const ElaborationScope& scope, std::string_view name, double& value);

// What names mean in `scope`: its parameters and the `.func`s visible from it (for the compiler).
class ScopeNames final : public ExpressionNames {
 public:
  explicit ScopeNames(const ElaborationScope& scope, std::string* missing = nullptr) : scope_(scope), missing_(missing) {}
  bool parameter(std::string_view name, double& value) const override;
  const FunctionDefinition* function(std::string_view name, std::unique_ptr<ExpressionNames>& body_names) const override;

 private:
  const ElaborationScope& scope_;
  std::string* missing_;  // receives the last name no parameter answered (for messages)
};

// An expression compiled in `scope`; `circuit` lets it read node voltages, branch currents, time
// and temperature (behavioral sources). An error points at the offending place in the expression.
std::shared_ptr<const ExpressionProgram> compile_in_scope(const ExpressionText& expression, const ElaborationScope& scope,
                                                          CircuitNames* circuit);

// An expression's value in `scope`; an error points at the offending place in the expression.
double evaluate_in_scope(const ExpressionText& expression, const ElaborationScope& scope);

// Evaluates `.param` lines (or subcircuit defaults) in order into `scope`; a value in `given`
// replaces the line's own. A name used before its definition gets a message saying so.
void evaluate_assignments(const std::vector<ParamAssignment>& list, ElaborationScope& scope,
                          const std::unordered_map<std::string, double>* given = nullptr);

// The value of tokens [begin, end) as an element or directive argument: a number, a parameter, an
// expression, or a bare word (a model or function name) left for the device to read.
ElementArg argument_value(const std::vector<Token>& tokens, std::size_t begin, std::size_t end,
                          const ElaborationScope& scope);

// Token i as a number; `what` names it in the error when it is not one.
double number_at(const std::vector<Token>& tokens, std::size_t i, const ElaborationScope& scope,
                 const std::string& what);

// The arguments of an element line from token i on: values, `name=value` pairs, and words glued
// to `(` (functions such as pulse(...)). Values of `expression_keys` (DeviceKind::expression_keys)
// are compiled with `circuit`; every other value must be a number.
std::vector<ElementArg> element_arguments(const std::vector<Token>& tokens, std::size_t i,
                                          const ElaborationScope& scope, CircuitNames* circuit = nullptr,
                                          const std::vector<std::string>& expression_keys = {});

}  // namespace picospice
