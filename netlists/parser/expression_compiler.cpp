// Syntax tree -> stack-machine program (netlists/parser/expression_compiler.hpp).
#include "netlists/parser/expression_compiler.hpp"

#include <algorithm>
#include <numbers>

#include "base/errors.hpp"
#include "netlists/parser/parser.hpp"

namespace picospice {

namespace {

using Kind = ExpressionNode::Kind;
using Op = ExpressionProgram::Op;

// Limits on what `.func` expansion may build: nesting of calls, recursion of the compiler (each
// syntax tree is at most kMaxExpressionDepth deep, but calls stack them), and program size
// (expanding calls copies bodies).
constexpr std::size_t kMaxFunctionNesting = 64;
constexpr int kMaxCompileDepth = 4 * kMaxExpressionDepth;
constexpr std::size_t kMaxProgramSize = 1'000'000;

struct Builtin {
  std::string_view name;
  enum class Form { Fixed, Variadic, Conditional } form;
  ExpressionFunction function;
  int arity;  // Fixed: exact; Variadic: at least
};

const Builtin kBuiltins[] = {
    {"exp", Builtin::Form::Fixed, ExpressionFunction::Exp, 1},
    {"ln", Builtin::Form::Fixed, ExpressionFunction::Ln, 1},
    {"log", Builtin::Form::Fixed, ExpressionFunction::Ln, 1},  // natural, as in ngspice
    {"log10", Builtin::Form::Fixed, ExpressionFunction::Log10, 1},
    {"sqrt", Builtin::Form::Fixed, ExpressionFunction::Sqrt, 1},
    {"abs", Builtin::Form::Fixed, ExpressionFunction::Abs, 1},
    {"sin", Builtin::Form::Fixed, ExpressionFunction::Sin, 1},
    {"cos", Builtin::Form::Fixed, ExpressionFunction::Cos, 1},
    {"tan", Builtin::Form::Fixed, ExpressionFunction::Tan, 1},
    {"sinh", Builtin::Form::Fixed, ExpressionFunction::Sinh, 1},
    {"cosh", Builtin::Form::Fixed, ExpressionFunction::Cosh, 1},
    {"tanh", Builtin::Form::Fixed, ExpressionFunction::Tanh, 1},
    {"asin", Builtin::Form::Fixed, ExpressionFunction::Asin, 1},
    {"acos", Builtin::Form::Fixed, ExpressionFunction::Acos, 1},
    {"atan", Builtin::Form::Fixed, ExpressionFunction::Atan, 1},
    {"arctan", Builtin::Form::Fixed, ExpressionFunction::Atan, 1},
    {"asinh", Builtin::Form::Fixed, ExpressionFunction::Asinh, 1},
    {"acosh", Builtin::Form::Fixed, ExpressionFunction::Acosh, 1},
    {"atanh", Builtin::Form::Fixed, ExpressionFunction::Atanh, 1},
    {"floor", Builtin::Form::Fixed, ExpressionFunction::Floor, 1},
    {"ceil", Builtin::Form::Fixed, ExpressionFunction::Ceil, 1},
    {"int", Builtin::Form::Fixed, ExpressionFunction::Int, 1},
    {"nint", Builtin::Form::Fixed, ExpressionFunction::Nint, 1},
    {"sgn", Builtin::Form::Fixed, ExpressionFunction::Sgn, 1},
    {"u", Builtin::Form::Fixed, ExpressionFunction::Step, 1},
    {"u2", Builtin::Form::Fixed, ExpressionFunction::Step2, 1},
    {"uramp", Builtin::Form::Fixed, ExpressionFunction::Ramp, 1},
    {"sqr", Builtin::Form::Fixed, ExpressionFunction::Square, 1},
    {"pow", Builtin::Form::Fixed, ExpressionFunction::Pow, 2},
    {"pwr", Builtin::Form::Fixed, ExpressionFunction::SignedPow, 2},
    {"pwrs", Builtin::Form::Fixed, ExpressionFunction::SignedPow, 2},
    {"atan2", Builtin::Form::Fixed, ExpressionFunction::Atan2, 2},
    {"limit", Builtin::Form::Fixed, ExpressionFunction::Limit, 3},
    // min(x) and max(x) are x, as in ngspice (examples/func_cap.sp uses max of one value).
    {"min", Builtin::Form::Variadic, ExpressionFunction::Min, 1},
    {"max", Builtin::Form::Variadic, ExpressionFunction::Max, 1},
    {"if", Builtin::Form::Conditional, ExpressionFunction::Min, 3},
    {"ternary_fcn", Builtin::Form::Conditional, ExpressionFunction::Min, 3},
};

const Builtin* find_builtin(std::string_view name) {
  for (const auto& b : kBuiltins)
    if (b.name == name) return &b;
  return nullptr;
}

class Compiler {
 public:
  Compiler(const ExpressionSyntax& syntax, const ExpressionNames& names, CircuitNames* circuit) : circuit_(circuit) {
    frames_.push_back(Frame{&syntax, &names, {}, nullptr, 0, nullptr});
  }

  ExpressionProgram run() {
    compile(frames_.back().syntax->root);
    program_.text = frames_.front().syntax->text;
    return std::move(program_);
  }

 private:
  struct Frame {
    const ExpressionSyntax* syntax;
    const ExpressionNames* names;
    std::vector<std::pair<std::string, std::size_t>> locals;  // a .func's parameters -> local slots
    const FunctionDefinition* function;                        // null at the top
    std::size_t call_offset;                                   // where the outermost call is, in the top text
    std::unique_ptr<ExpressionNames> owned_names;
  };

  // Counts one level of compiler recursion for as long as it lives.
  class Level {
   public:
    Level(Compiler& compiler, std::size_t offset) : compiler_(compiler) {
      if (++compiler_.depth_ > kMaxCompileDepth)
        compiler_.fail(offset, "expression nested deeper than " + std::to_string(kMaxCompileDepth) +
                                   " levels after expanding .func calls");
    }
    ~Level() { --compiler_.depth_; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;

   private:
    Compiler& compiler_;
  };

  const Frame& frame() const { return frames_.back(); }
  const ExpressionNode& node(int i) const { return frame().syntax->node(i); }
  // Instructions from a .func body point at the call in the top expression.
  std::size_t offset_of(const ExpressionNode& n) const { return frames_.size() > 1 ? frames_[1].call_offset : n.offset; }

  [[noreturn]] void fail(std::size_t offset, const std::string& message) const {
    const Frame& f = frame();
    if (!f.function) throw ExpressionError(offset, message);
    throw NetlistError(f.function->body.location_of(offset), message + " (in .func " + f.function->name + ")");
  }

  void check_size(std::size_t offset) const {
    if (program_.size() > kMaxProgramSize)
      fail(offset, "expression too large after expanding .func calls (over " + std::to_string(kMaxProgramSize) +
                       " operations)");
  }

  void compile(int index) {
    const ExpressionNode& n = node(index);
    const Level level(*this, n.offset);
    switch (n.kind) {
      case Kind::Number: program_.emit_constant(n.number, offset_of(n)); break;
      case Kind::Name: name(n); break;
      case Kind::Circuit: circuit_quantity(n); break;
      case Kind::Unary:
        compile(n.children[0]);
        if (n.op == '-') program_.emit(Op::Negate, 0, offset_of(n));
        else if (n.op == '!') program_.emit(Op::Not, 0, offset_of(n));
        break;
      case Kind::Binary: binary_chain(index); break;
      case Kind::Conditional: conditional(n.children[0], n.children[1], n.children[2], offset_of(n)); break;
      case Kind::Call: call(n); break;
    }
    check_size(n.offset);
  }

  void name(const ExpressionNode& n) {
    for (const auto& [parameter, slot] : frame().locals)
      if (parameter == n.name) return program_.emit(Op::LoadLocal, static_cast<std::uint32_t>(slot), offset_of(n));
    double value = 0;
    if (frame().names->parameter(n.name, value)) return program_.emit_constant(value, offset_of(n));
    if (n.name == "time" || n.name == "temper") {
      if (!circuit_)
        fail(n.offset, "'" + n.name + "' is only known in behavioral sources (B, E/G VALUE= and TABLE)");
      ExpressionVariable v;
      v.kind = n.name == "time" ? ExpressionVariable::Kind::Time : ExpressionVariable::Kind::Temperature;
      v.name = n.name;
      return program_.emit_variable(program_.add_variable(v), offset_of(n));
    }
    if (n.name == "pi") return program_.emit_constant(std::numbers::pi, offset_of(n));
    if (n.name == "e") return program_.emit_constant(std::numbers::e, offset_of(n));
    fail(n.offset, "unknown parameter '" + n.name + "'");
  }

  void circuit_quantity(const ExpressionNode& n) {
    if (!circuit_) {
      std::string written = n.name + "(" + n.names[0] + (n.names.size() > 1 ? "," + n.names[1] : "") + ")";
      fail(n.offset, written + " reads the circuit's state: only behavioral sources (B, E/G VALUE= and TABLE) may use it");
    }
    if (n.name == "i") return program_.emit_variable(program_.add_variable(circuit_->branch(n.names[0])), offset_of(n));
    program_.emit_variable(program_.add_variable(circuit_->node(n.names[0])), offset_of(n));
    if (n.names.size() == 2) {
      program_.emit_variable(program_.add_variable(circuit_->node(n.names[1])), offset_of(n));
      program_.emit(Op::Subtract, 0, offset_of(n));
    }
  }

  // A left-associative chain a op b op c ... is walked down its left spine without recursion.
  void binary_chain(int index) {
    std::vector<int> spine;
    int leftmost = index;
    while (node(leftmost).kind == Kind::Binary && node(leftmost).op != '^') {
      spine.push_back(leftmost);
      leftmost = node(leftmost).children[0];
    }
    if (spine.empty()) {  // a power: right-associative, its depth bounded by the parser
      const ExpressionNode& n = node(index);
      compile(n.children[0]);
      compile(n.children[1]);
      program_.emit_call(ExpressionFunction::AbsPow, offset_of(n));
      return;
    }
    compile(leftmost);
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) binary_rest(node(*it));
  }

  // The operator of `n` applied to the value on the stack and n's right operand.
  void binary_rest(const ExpressionNode& n) {
    const std::size_t at = offset_of(n);
    if (n.op == ExpressionNode::kAnd || n.op == ExpressionNode::kOr) {
      const std::size_t jump = program_.emit_jump(n.op == ExpressionNode::kAnd ? Op::JumpIfZeroKeep : Op::JumpIfNonZeroKeep, at);
      compile(n.children[1]);
      program_.emit(Op::Truth, 0, at);
      program_.patch_jump(jump);
      return;
    }
    compile(n.children[1]);
    switch (n.op) {
      case '+': program_.emit(Op::Add, 0, at); break;
      case '-': program_.emit(Op::Subtract, 0, at); break;
      case '*': program_.emit(Op::Multiply, 0, at); break;
      case '/': program_.emit(Op::Divide, 0, at); break;
      case '<': program_.emit(Op::Less, 0, at); break;
      case '>': program_.emit(Op::Greater, 0, at); break;
      case ExpressionNode::kEqual: program_.emit(Op::Equal, 0, at); break;
      case ExpressionNode::kNotEqual: program_.emit(Op::NotEqual, 0, at); break;
      case ExpressionNode::kLessEqual: program_.emit(Op::LessEqual, 0, at); break;
      case ExpressionNode::kGreaterEqual: program_.emit(Op::GreaterEqual, 0, at); break;
      default: fail(n.offset, std::string("unknown operator '") + n.op + "'");
    }
  }

  void conditional(int condition, int if_true, int if_false, std::size_t at) {
    compile(condition);
    const std::size_t to_false = program_.emit_jump(Op::JumpIfZero, at);
    const int depth = program_.depth();
    compile(if_true);
    const std::size_t to_end = program_.emit_jump(Op::Jump, at);
    program_.patch_jump(to_false);
    program_.set_depth(depth);
    compile(if_false);
    program_.patch_jump(to_end);
  }

  void call(const ExpressionNode& n) {
    std::unique_ptr<ExpressionNames> body_names;
    if (const FunctionDefinition* f = frame().names->function(n.name, body_names)) return expand(n, *f, std::move(body_names));
    const Builtin* b = find_builtin(n.name);
    if (!b) fail(n.offset, "unknown function '" + n.name + "'");
    const int count = static_cast<int>(n.children.size());
    const bool ok = b->form == Builtin::Form::Variadic ? count >= b->arity : count == b->arity;
    if (!ok)
      fail(n.offset, "function '" + n.name + "' takes " + std::to_string(b->arity) + " argument" +
                         (b->arity == 1 ? "" : "s") + (b->form == Builtin::Form::Variadic ? " or more" : "") +
                         ", got " + std::to_string(count));
    if (b->form == Builtin::Form::Conditional)
      return conditional(n.children[0], n.children[1], n.children[2], offset_of(n));
    compile(n.children[0]);
    for (int k = 1; k < count; ++k) {
      compile(n.children[static_cast<std::size_t>(k)]);
      if (b->form == Builtin::Form::Variadic) program_.emit_call(b->function, offset_of(n));
    }
    if (b->form == Builtin::Form::Fixed) program_.emit_call(b->function, offset_of(n));
  }

  // A .func call: arguments into fresh local slots, then the body with its parameters bound to them.
  void expand(const ExpressionNode& n, const FunctionDefinition& f, std::unique_ptr<ExpressionNames> body_names) {
    for (const Frame& open : frames_)
      if (open.function == &f) fail(n.offset, "recursive .func '" + f.name + "' (it calls itself)");
    if (frames_.size() > kMaxFunctionNesting)
      fail(n.offset, ".func calls nested deeper than " + std::to_string(kMaxFunctionNesting) + " levels");
    if (n.children.size() != f.params.size())
      fail(n.offset, ".func '" + f.name + "' takes " + std::to_string(f.params.size()) + " argument" +
                         (f.params.size() == 1 ? "" : "s") + ", got " + std::to_string(n.children.size()));
    Frame body{f.syntax.get(), body_names.get(), {}, &f, frames_.size() > 1 ? frames_[1].call_offset : n.offset,
               std::move(body_names)};
    if (!body.names) body.names = frame().names;
    for (std::size_t k = 0; k < n.children.size(); ++k) {
      compile(n.children[k]);
      const std::size_t slot = program_.new_local();
      program_.emit(Op::StoreLocal, static_cast<std::uint32_t>(slot), offset_of(n));
      body.locals.emplace_back(f.params[k], slot);
    }
    frames_.push_back(std::move(body));
    compile(frames_.back().syntax->root);
    frames_.pop_back();
  }

  CircuitNames* circuit_;
  std::vector<Frame> frames_;
  ExpressionProgram program_;
  int depth_ = 0;
};

}  // namespace

ExpressionProgram compile_expression(const ExpressionSyntax& syntax, const ExpressionNames& names, CircuitNames* circuit) {
  return Compiler(syntax, names, circuit).run();
}

double evaluate_constant_or_throw(const ExpressionProgram& program) {
  try {
    return evaluate_constant(program);
  } catch (const ExpressionFault& fault) {
    throw ExpressionError(fault.offset, fault.message);
  }
}

std::string builtin_function_names() {
  std::string names;
  for (const auto& b : kBuiltins) names += (names.empty() ? "" : " ") + std::string(b.name);
  return names;
}

namespace {

// Parameters from a lookup callback; nothing else.
class LookupNames final : public ExpressionNames {
 public:
  explicit LookupNames(const ParamLookup& lookup) : lookup_(lookup) {}
  bool parameter(std::string_view name, double& value) const override { return lookup_ && lookup_(name, value); }

 private:
  const ParamLookup& lookup_;
};

}  // namespace

double evaluate_expression(std::string_view text, const ParamLookup& lookup) {
  const ExpressionSyntax syntax = parse_expression(text);
  const ExpressionProgram program = compile_expression(syntax, LookupNames(lookup), nullptr);
  return evaluate_constant_or_throw(program);
}

}  // namespace picospice
