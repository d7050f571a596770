// Parameter lookup and the evaluation of expressions and argument values in an elaboration scope.
#include "netlists/elaboration_scope.hpp"

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

double evaluate_in_scope(const ExpressionText& expression, const ElaborationScope& scope) {
  try {
    return finite_or_fail(evaluate_expression(expression.text, [&](std::string_view name, double& value) {
                            return find_param(scope, name, value);
                          }),
                          expression.location(), expression.text);
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
      scope.params[p.name] = finite_or_fail(evaluate_expression(p.value.text, [&](std::string_view name, double& v) {
                                              if (find_param(scope, name, v)) return true;
                                              missing = std::string(name);
                                              return false;
                                            }),
                                            p.value.location(), p.value.text);
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

std::vector<ElementArg> element_arguments(const std::vector<Token>& tokens, std::size_t i,
                                          const ElaborationScope& scope) {
  std::vector<ElementArg> args;
  while (i < tokens.size()) {
    const Token& t = tokens[i];
    if (is_separator(t)) { ++i; continue; }
    if (t.is(TokenKind::Equals)) throw NetlistError(t.location, "unexpected '=' (expected 'name=value')");
    if (t.is(TokenKind::Word) && i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals)) {
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
