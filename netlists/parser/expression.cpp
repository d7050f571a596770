// A recursive-descent expression evaluator (numbers: base/numbers). Expressions are evaluated directly
// from the text (no syntax tree): netlists evaluate each expression once per elaboration.
#include "netlists/parser/expression.hpp"

#include <cctype>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "base/numbers.hpp"

namespace picospice {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
std::size_t scan_mantissa(std::string_view text) { return number_mantissa_length(text); }

}  // namespace

namespace {

struct Function {
  std::string_view name;
  int arity;
  double (*apply)(const double* args);
};

const Function functions[] = {
    {"exp", 1, [](const double* a) { return std::exp(a[0]); }},
    {"ln", 1, [](const double* a) { return std::log(a[0]); }},
    {"log", 1, [](const double* a) { return std::log(a[0]); }},  // natural, as in ngspice
    {"log10", 1, [](const double* a) { return std::log10(a[0]); }},
    {"sqrt", 1, [](const double* a) { return std::sqrt(a[0]); }},
    {"abs", 1, [](const double* a) { return std::fabs(a[0]); }},
    {"min", 2, [](const double* a) { return std::fmin(a[0], a[1]); }},
    {"max", 2, [](const double* a) { return std::fmax(a[0], a[1]); }},
    {"pow", 2, [](const double* a) { return std::pow(a[0], a[1]); }},
    {"sin", 1, [](const double* a) { return std::sin(a[0]); }},
    {"cos", 1, [](const double* a) { return std::cos(a[0]); }},
    {"tan", 1, [](const double* a) { return std::tan(a[0]); }},
    {"sinh", 1, [](const double* a) { return std::sinh(a[0]); }},
    {"cosh", 1, [](const double* a) { return std::cosh(a[0]); }},
    {"tanh", 1, [](const double* a) { return std::tanh(a[0]); }},
    {"asin", 1, [](const double* a) { return std::asin(a[0]); }},
    {"acos", 1, [](const double* a) { return std::acos(a[0]); }},
    {"atan", 1, [](const double* a) { return std::atan(a[0]); }},
    {"atan2", 2, [](const double* a) { return std::atan2(a[0], a[1]); }},
    {"floor", 1, [](const double* a) { return std::floor(a[0]); }},
    {"ceil", 1, [](const double* a) { return std::ceil(a[0]); }},
    {"int", 1, [](const double* a) { return std::trunc(a[0]); }},
    {"sgn", 1, [](const double* a) { return a[0] > 0 ? 1.0 : (a[0] < 0 ? -1.0 : 0.0); }},
};

const Function* find_function(std::string_view name) {
  for (const auto& f : functions)
    if (f.name == name) return &f;
  return nullptr;
}

class Evaluator {
 public:
  Evaluator(std::string_view text, const ParamLookup& lookup) : text_(text), lookup_(lookup) {}

  double run() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected an expression");
    const double value = ternary();
    skip_space();
    if (pos_ < text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "' in expression");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw ExpressionError(pos_, message); }
  [[noreturn]] void fail_at(std::size_t where, const std::string& message) const {
    throw ExpressionError(where, message);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  // Consumes `op` (after spaces) if it is next.
  bool accept(std::string_view op) {
    skip_space();
    if (text_.substr(pos_, op.size()) != op) return false;
    pos_ += op.size();
    return true;
  }
  void expect(char c) {
    if (!accept(std::string_view(&c, 1))) fail(std::string("expected '") + c + "'");
  }

  // Nesting (parentheses, function calls, ternaries, unary signs) recurses here; a bound keeps
  // 10,000 nested parentheses from overflowing the stack (issue 17).
  static constexpr int kMaxDepth = 256;
  struct DepthGuard {
    explicit DepthGuard(Evaluator& e) : evaluator(e) {
      if (++evaluator.depth_ > kMaxDepth)
        evaluator.fail("expression nested more than " + std::to_string(kMaxDepth) + " levels deep");
    }
    ~DepthGuard() { --evaluator.depth_; }
    Evaluator& evaluator;
  };

  double ternary() {
    const DepthGuard guard(*this);
    const double condition = logical_or();
    if (!accept("?")) return condition;
    const double if_true = ternary();
    expect(':');
    const double if_false = ternary();
    return condition != 0.0 ? if_true : if_false;
  }
  double logical_or() {
    double value = logical_and();
    while (accept("||")) {
      const double rhs = logical_and();
      value = (value != 0.0 || rhs != 0.0) ? 1.0 : 0.0;
    }
    return value;
  }
  double logical_and() {
    double value = comparison();
    while (accept("&&")) {
      const double rhs = comparison();
      value = (value != 0.0 && rhs != 0.0) ? 1.0 : 0.0;
    }
    return value;
  }
  double comparison() {
    double value = additive();
    for (;;) {
      // Two-character operators first so `<=` is not read as `<`.
      if (accept("==")) value = value == additive();
      else if (accept("!=")) value = value != additive();
      else if (accept("<=")) value = value <= additive();
      else if (accept(">=")) value = value >= additive();
      else if (accept("<")) value = value < additive();
      else if (accept(">")) value = value > additive();
      else return value;
    }
  }
  double additive() {
    double value = multiplicative();
    for (;;) {
      if (accept("+")) value += multiplicative();
      else if (accept("-")) value -= multiplicative();
      else return value;
    }
  }
  double multiplicative() {
    double value = unary();
    for (;;) {
      if (accept("*")) {
        value *= unary();
      } else if (accept("/")) {
        const std::size_t where = pos_;
        const double divisor = unary();
        if (divisor == 0.0) fail_at(where, "division by zero");
        value /= divisor;
      } else {
        return value;
      }
    }
  }
  double unary() {
    const DepthGuard guard(*this);
    if (accept("-")) return -unary();
    if (accept("+")) return unary();
    if (accept("!")) return unary() == 0.0 ? 1.0 : 0.0;
    return power();
  }
  double power() {
    const double base = primary();
    if (accept("**") || accept("^")) return std::pow(base, unary());  // right-associative
    return base;
  }
  double primary() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a value at the end of the expression");
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      const double value = ternary();
      expect(')');
      return value;
    }
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])))
      return number();
    if (is_alpha(c) || c == '_') return identifier();
    fail("unexpected '" + std::string(1, c) + "' in expression");
  }
  double number() {
    const std::size_t start = pos_;
    pos_ += scan_mantissa(text_.substr(pos_));
    while (pos_ < text_.size() && is_alpha(text_[pos_])) ++pos_;
    double value = 0;
    const bool clean_end = pos_ >= text_.size() || !(is_digit(text_[pos_]) || text_[pos_] == '.');
    if (clean_end && try_parse_number(text_.substr(start, pos_ - start), value)) return value;
    // Quote the whole malformed word (`1.2.3`, `1k5`), not just the part that scanned.
    while (pos_ < text_.size() && (is_alpha(text_[pos_]) || is_digit(text_[pos_]) || text_[pos_] == '.'))
      ++pos_;
    fail_at(start, "malformed number '" + std::string(text_.substr(start, pos_ - start)) + "'");
  }
  double identifier() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (is_alpha(text_[pos_]) || is_digit(text_[pos_]) || text_[pos_] == '_'))
      ++pos_;
    std::string name(text_.substr(start, pos_ - start));
    for (char& ch : name) ch = lower(ch);
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '(') return call(name, start);
    double value = 0;
    if (lookup_ && lookup_(name, value)) return value;
    if (name == "pi") return std::numbers::pi;
    fail_at(start, "unknown parameter '" + name + "'");
  }
  double call(const std::string& name, std::size_t name_start) {
    const Function* function = find_function(name);
    if (!function) fail_at(name_start, "unknown function '" + name + "'");
    ++pos_;  // '('
    std::vector<double> args;
    if (!accept(")")) {
      do args.push_back(ternary());
      while (accept(","));
      expect(')');
    }
    if (static_cast<int>(args.size()) != function->arity)
      fail_at(name_start, "function '" + name + "' takes " + std::to_string(function->arity) +
                              " argument" + (function->arity == 1 ? "" : "s") + ", got " +
                              std::to_string(args.size()));
    return function->apply(args.data());
  }

  std::string_view text_;
  const ParamLookup& lookup_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

double evaluate_expression(std::string_view text, const ParamLookup& lookup) {
  return Evaluator(text, lookup).run();
}

}  // namespace picospice
