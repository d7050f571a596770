// A recursive-descent expression parser with a depth limit (netlists/parser/expression.hpp). It
// builds the syntax tree only; netlists/parser/expression_compiler.hpp resolves names and compiles.
#include "netlists/parser/expression.hpp"

#include <cctype>
#include <string>

#include "base/numbers.hpp"

namespace picospice {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_name_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) { syntax_.text = std::string(text); }

  ExpressionSyntax run() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected an expression");
    syntax_.root = conditional();
    skip_space();
    if (pos_ < text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "' in expression");
    return std::move(syntax_);
  }

 private:
  // Counts one level of nesting for as long as it lives.
  class Level {
   public:
    Level(Parser& parser, std::size_t at) : parser_(parser) {
      if (++parser_.depth_ > kMaxExpressionDepth)
        parser_.fail_at(at, "expression nested deeper than " + std::to_string(kMaxExpressionDepth) + " levels");
    }
    ~Level() { --parser_.depth_; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;

   private:
    Parser& parser_;
  };

  [[noreturn]] void fail(const std::string& message) const { throw ExpressionError(pos_, message); }
  [[noreturn]] void fail_at(std::size_t where, const std::string& message) const {
    throw ExpressionError(where, message);
  }

  int add(ExpressionNode node) {
    syntax_.nodes.push_back(std::move(node));
    return static_cast<int>(syntax_.nodes.size()) - 1;
  }
  int binary(char op, int left, int right, std::size_t at) {
    ExpressionNode node;
    node.kind = ExpressionNode::Kind::Binary;
    node.op = op;
    node.children = {left, right};
    node.offset = syntax_.node(left).offset;
    node.end = syntax_.node(right).end;
    (void)at;
    return add(std::move(node));
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  // Consumes `op` (after spaces) if it is next and not the start of a longer operator in `not_before`.
  bool accept(std::string_view op, std::string_view not_followed_by = {}) {
    skip_space();
    if (text_.substr(pos_, op.size()) != op) return false;
    const std::size_t after = pos_ + op.size();
    if (after < text_.size() && not_followed_by.find(text_[after]) != std::string_view::npos) return false;
    pos_ = after;
    return true;
  }
  void expect(char c) {
    if (!accept(std::string_view(&c, 1))) fail(std::string("expected '") + c + "'");
  }

  int conditional() {
    skip_space();
    const Level level(*this, pos_);
    const int condition = logical_or();
    if (!accept("?")) return condition;
    const int if_true = conditional();
    expect(':');
    const int if_false = conditional();
    ExpressionNode node;
    node.kind = ExpressionNode::Kind::Conditional;
    node.children = {condition, if_true, if_false};
    node.offset = syntax_.node(condition).offset;
    node.end = syntax_.node(if_false).end;
    return add(std::move(node));
  }
  int logical_or() {
    int value = logical_and();
    while (accept("||")) value = binary(ExpressionNode::kOr, value, logical_and(), pos_);
    return value;
  }
  int logical_and() {
    int value = comparison();
    while (accept("&&")) value = binary(ExpressionNode::kAnd, value, comparison(), pos_);
    return value;
  }
  int comparison() {
    int value = additive();
    for (;;) {
      // Two-character operators first so `<=` is not read as `<`.
      char op = 0;
      if (accept("==")) op = ExpressionNode::kEqual;
      else if (accept("!=")) op = ExpressionNode::kNotEqual;
      else if (accept("<=")) op = ExpressionNode::kLessEqual;
      else if (accept(">=")) op = ExpressionNode::kGreaterEqual;
      else if (accept("<")) op = '<';
      else if (accept(">")) op = '>';
      else return value;
      value = binary(op, value, additive(), pos_);
    }
  }
  int additive() {
    int value = multiplicative();
    for (;;) {
      if (accept("+")) value = binary('+', value, multiplicative(), pos_);
      else if (accept("-")) value = binary('-', value, multiplicative(), pos_);
      else return value;
    }
  }
  int multiplicative() {
    int value = unary();
    for (;;) {
      if (accept("*", "*")) value = binary('*', value, unary(), pos_);
      else if (accept("/")) value = binary('/', value, unary(), pos_);
      else return value;
    }
  }
  int unary() {
    skip_space();
    const std::size_t at = pos_;
    char op = 0;
    if (accept("-")) op = '-';
    else if (accept("+")) op = '+';
    else if (accept("!", "=")) op = '!';
    if (op == 0) return power();
    const Level level(*this, at);
    ExpressionNode node;
    node.kind = ExpressionNode::Kind::Unary;
    node.op = op;
    node.children = {unary()};
    node.offset = at;
    node.end = syntax_.node(node.children[0]).end;
    return add(std::move(node));
  }
  int power() {
    const int base = primary();
    skip_space();
    const std::size_t at = pos_;
    if (accept("**") || accept("^")) {  // right-associative
      const Level level(*this, at);
      return binary('^', base, unary(), at);
    }
    return base;
  }
  int primary() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a value at the end of the expression");
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      const int value = conditional();
      expect(')');
      return value;
    }
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) return number();
    if (is_alpha(c) || c == '_') return identifier();
    fail("unexpected '" + std::string(1, c) + "' in expression");
  }
  int number() {
    const std::size_t start = pos_;
    pos_ += number_mantissa_length(text_.substr(pos_));
    auto skip_letters = [&] { while (pos_ < text_.size() && is_alpha(text_[pos_])) ++pos_; };
    skip_letters();
    // RKM notation: `4k7`, `2r2` (digits after the suffix letters, base/numbers.hpp).
    if (pos_ > start && pos_ < text_.size() && is_digit(text_[pos_]) && is_alpha(text_[pos_ - 1])) {
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
      skip_letters();
    }
    double value = 0;
    const bool clean_end = pos_ >= text_.size() || !(is_digit(text_[pos_]) || text_[pos_] == '.');
    if (!clean_end || !try_parse_number(text_.substr(start, pos_ - start), value)) {
      // Quote the whole malformed word (`1.2.3`, `1x5`), not just the part that scanned.
      while (pos_ < text_.size() && (is_name_char(text_[pos_]) || text_[pos_] == '.')) ++pos_;
      fail_at(start, "malformed number '" + std::string(text_.substr(start, pos_ - start)) + "'");
    }
    ExpressionNode node;
    node.kind = ExpressionNode::Kind::Number;
    node.number = value;
    node.offset = start;
    node.end = pos_;
    return add(std::move(node));
  }
  int identifier() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    std::string name(text_.substr(start, pos_ - start));
    for (char& ch : name) ch = lower(ch);
    const std::size_t name_end = pos_;
    skip_space();
    ExpressionNode node;
    node.name = name;
    node.offset = start;
    if (pos_ >= text_.size() || text_[pos_] != '(') {
      pos_ = name_end;
      node.kind = ExpressionNode::Kind::Name;
      node.end = name_end;
      return add(std::move(node));
    }
    ++pos_;  // '('
    if (name == "v" || name == "i") return circuit_quantity(std::move(node));
    node.kind = ExpressionNode::Kind::Call;
    if (!accept(")")) {
      do node.children.push_back(conditional());
      while (accept(","));
      expect(')');
    }
    node.end = pos_;
    return add(std::move(node));
  }
  // v(a), v(a, b), i(vx): names up to ',' or ')', as written (lower case).
  int circuit_quantity(ExpressionNode node) {
    node.kind = ExpressionNode::Kind::Circuit;
    for (;;) {
      skip_space();
      const std::size_t begin = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ')' && text_[pos_] != '(' &&
             !std::isspace(static_cast<unsigned char>(text_[pos_])))
        ++pos_;
      if (pos_ == begin) fail("expected a " + std::string(node.name == "v" ? "node" : "voltage source") + " name");
      std::string name(text_.substr(begin, pos_ - begin));
      for (char& ch : name) ch = lower(ch);
      node.names.push_back(std::move(name));
      if (accept(",")) continue;
      expect(')');
      break;
    }
    const std::size_t most = node.name == "v" ? 2 : 1;
    if (node.names.size() > most)
      fail_at(node.offset, node.name + "() takes " + (most == 2 ? "one or two node names" : "one voltage source name") +
                               ", got " + std::to_string(node.names.size()));
    node.end = pos_;
    return add(std::move(node));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  ExpressionSyntax syntax_;
};

}  // namespace

ExpressionSyntax parse_expression(std::string_view text) { return Parser(text).run(); }


}  // namespace picospice
