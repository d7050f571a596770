// Parameter lookup and the evaluation of expressions and argument values in an elaboration scope.
#include "netlists/elaboration_scope.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "netlists/parser/expression.hpp"
#include "netlists/parser/token_text.hpp"

namespace picospice {

namespace {

// Non-finite numbers are refused where they enter (a literal 1e999, an expression that overflows,
// 0/0): past this point they would surface as a singular matrix or "update nan" far from the cause.
double finite_or_fail(double value, const SourceLocation& where, const std::string& text) {
  if (!std::isfinite(value))
    throw NetlistError(where, fmt::format("'{}' is {}, not a finite number (the largest is about 1.8e308)", text,
                                          std::isnan(value) ? "not a number" : "infinite"));
  return value;
}

}  // namespace

bool find_param(const ElaborationScope& scope, std::string_view name, double& value) {
  const std::string key(name);
  for (const ElaborationScope* s = &scope; s; s = s->lexical_parent) {
    auto it = s->params.find(key);
    if (it != s->params.end()) { value = it->second; return true; }
  }
  return false;
}

bool ScopeNames::parameter(std::string_view name, double& value) const {
  if (find_param(scope_, name, value)) return true;
  if (missing_) *missing_ = std::string(name);
  return false;
}

const FunctionDefinition* ScopeNames::function(std::string_view name, std::unique_ptr<ExpressionNames>& body_names) const {
  for (const ElaborationScope* s = &scope_; s; s = s->lexical_parent)
    for (const auto& f : s->body->functions)
      if (f.name == name) {
        body_names = std::make_unique<ScopeNames>(*s);  // the body sees the names where it is defined
        return &f;
      }
  return nullptr;
}

namespace {

// Parses and compiles; an ExpressionError becomes a NetlistError at its place in the netlist.
ExpressionProgram compile_text(const ExpressionText& expression, const ExpressionNames& names, CircuitNames* circuit) {
  try {
    return compile_expression(parse_expression(expression.text), names, circuit);
  } catch (const ExpressionError& error) {
    throw NetlistError(expression.location_of(error.offset), error.what());
  }
}

}  // namespace

std::shared_ptr<const ExpressionProgram> compile_in_scope(const ExpressionText& expression, const ElaborationScope& scope,
                                                          CircuitNames* circuit) {
  return std::make_shared<const ExpressionProgram>(compile_text(expression, ScopeNames(scope), circuit));
}

double evaluate_in_scope(const ExpressionText& expression, const ElaborationScope& scope) {
  const ExpressionProgram program = compile_text(expression, ScopeNames(scope), nullptr);
  try {
    return finite_or_fail(evaluate_constant_or_throw(program), expression.location(), expression.text);
  } catch (const ExpressionError& error) {
    throw NetlistError(expression.location_of(error.offset), error.what());
  }
}

void evaluate_assignments(const std::vector<ParamAssignment>& list, ElaborationScope& scope,
                          const std::unordered_map<std::string, double>* given) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const ParamAssignment& p = list[i];
    if (given) {
      auto it = given->find(p.name);
      if (it != given->end()) { scope.params[p.name] = it->second; continue; }
    }
    std::string missing;
    try {
      const ExpressionProgram program = compile_expression(parse_expression(p.value.text), ScopeNames(scope, &missing), nullptr);
      scope.params[p.name] = finite_or_fail(evaluate_constant_or_throw(program), p.value.location(), p.value.text);
    } catch (const ExpressionError& error) {
      std::string message = error.what();
      for (std::size_t later = i + 1; later < list.size(); ++later)
        if (!missing.empty() && list[later].name == missing) {
          message += " (it is defined later, at " + list[later].location.str() +
                     "; parameters are evaluated in order)";
          break;
        }
      throw NetlistError(p.value.location_of(error.offset), message);
    }
  }
}

ElementArg argument_value(const std::vector<Token>& tokens, std::size_t begin, std::size_t end,
                          const ElaborationScope& scope) {
  ElementArg arg;
  arg.location = tokens[begin].location;
  const Token& first = tokens[begin];
  if (end - begin == 1 && first.is(TokenKind::Word)) {
    if (looks_numeric(first.text)) {
      if (!try_parse_number(first.text, arg.value))
        throw NetlistError(first.location, "malformed number '" + first.raw + "'");
      finite_or_fail(arg.value, first.location, first.raw);
      arg.is_number = true;
      return arg;
    }
    if (is_identifier(first.text)) {
      if (find_param(scope, first.text, arg.value)) arg.is_number = true;
      else arg.word = first.text;
      return arg;
    }
  }
  if (end - begin == 1 && first.is(TokenKind::String))
    throw NetlistError(first.location, "unexpected string \"" + first.raw + "\"");
  arg.value = evaluate_in_scope(ExpressionText::from_tokens(&tokens[begin], tokens.data() + end), scope);
  arg.is_number = true;
  return arg;
}

double number_at(const std::vector<Token>& tokens, std::size_t i, const ElaborationScope& scope,
                 const std::string& what) {
  ElementArg arg = argument_value(tokens, i, i + 1, scope);
  if (!arg.is_number)
    throw NetlistError(tokens[i].location, "expected a number for " + what + ", found '" + tokens[i].raw + "'");
  return arg.value;
}

namespace {

// One past the tokens of an expression-valued argument that starts at `begin`: up to the next
// `name=` at parenthesis depth 0, or with `stop_at_equals` (TABLE's `{expr} = pairs`) up to the
// next lone `=`; otherwise to the end of the line.
std::size_t expression_end(const std::vector<Token>& tokens, std::size_t begin, bool stop_at_equals) {
  const Token* end = tokens.data() + tokens.size();
  int depth = 0;
  for (std::size_t j = begin; j < tokens.size(); ++j) {
    const Token& t = tokens[j];
    if (t.is(TokenKind::LeftParen)) ++depth;
    if (t.is(TokenKind::RightParen)) --depth;
    if (depth != 0 || j == begin) continue;
    if (!stop_at_equals && starts_assignment(&t, end)) return j;
    const bool lone_equals = t.is(TokenKind::Equals) && !(j + 1 < tokens.size() && tokens[j + 1].is(TokenKind::Equals) &&
                                                          !tokens[j + 1].space_before) &&
                             !(tokens[j - 1].is(TokenKind::Equals) && !t.space_before);
    if (stop_at_equals && lone_equals) return j;
  }
  return tokens.size();
}

ElementArg expression_argument(const std::vector<Token>& tokens, std::size_t begin, std::size_t end,
                               const ElaborationScope& scope, CircuitNames* circuit) {
  ElementArg arg;
  arg.location = tokens[begin].location;
  if (begin == end) throw NetlistError(arg.location, "expected an expression");
  arg.program = compile_in_scope(ExpressionText::from_tokens(&tokens[begin], tokens.data() + end), scope, circuit);
  if (arg.program->is_constant()) {
    try {
      arg.value = evaluate_constant_or_throw(*arg.program);
    } catch (const ExpressionError& error) {
      throw NetlistError(ExpressionText::from_tokens(&tokens[begin], tokens.data() + end).location_of(error.offset),
                         error.what());
    }
    arg.is_number = true;
  }
  return arg;
}

}  // namespace

std::vector<ElementArg> element_arguments(const std::vector<Token>& tokens, std::size_t i,
                                          const ElaborationScope& scope, CircuitNames* circuit,
                                          const std::vector<std::string>& expression_keys) {
  std::vector<ElementArg> args;
  auto is_expression_key = [&](const Token& t) {
    return t.is(TokenKind::Word) && std::find(expression_keys.begin(), expression_keys.end(), t.text) != expression_keys.end();
  };
  while (i < tokens.size()) {
    const Token& t = tokens[i];
    if (is_separator(t)) { ++i; continue; }
    if (t.is(TokenKind::Equals)) throw NetlistError(t.location, "unexpected '=' (expected 'name=value')");
    const bool assignment = t.is(TokenKind::Word) && i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals);
    if (is_expression_key(t)) {
      // `I={expr}`, `value = expr ...` (to the next name=), `TABLE {expr} = pairs`, `VALUE {expr}`.
      const std::size_t begin = assignment ? i + 2 : i + 1;
      const std::size_t end = expression_end(tokens, begin, !assignment);
      ElementArg arg = expression_argument(tokens, begin, end, scope, circuit);
      arg.key = t.text;
      arg.location = t.location;
      args.push_back(std::move(arg));
      i = end < tokens.size() && !assignment && tokens[end].is(TokenKind::Equals) ? end + 1 : end;
      continue;
    }
    if (assignment) {
      const std::size_t value_begin = i + 2;
      if (value_begin >= tokens.size() || tokens[value_begin].is(TokenKind::Comma) ||
          tokens[value_begin].is(TokenKind::RightParen) || tokens[value_begin].is(TokenKind::Equals))
        throw NetlistError(tokens[i + 1].location, "expected a value after '" + t.text + "='");
      const std::size_t value_end = glued_value_end(tokens, value_begin);
      ElementArg arg = argument_value(tokens, value_begin, value_end, scope);
      arg.key = t.text;
      arg.location = t.location;
      args.push_back(std::move(arg));
      i = value_end;
      continue;
    }
    // A word glued to `(` is a function such as pulse(...), never a parameter.
    const bool call = i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::LeftParen) &&
                      !tokens[i + 1].space_before;
    if (t.is(TokenKind::Word) && call) {
      ElementArg arg;
      arg.word = t.text;
      arg.location = t.location;
      args.push_back(std::move(arg));
    } else {
      args.push_back(argument_value(tokens, i, i + 1, scope));
    }
    ++i;
  }
  return args;
}

}  // namespace picospice
