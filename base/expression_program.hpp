// A compiled expression: the one expression language of netlists, for `.param` values and element
// arguments (evaluated once) and for behavioral sources (B, E/G VALUE= and TABLE; evaluated at
// every Newton iteration with exact derivatives).
//
// The netlist layer parses the text into a syntax tree and compiles it (netlists/parser/
// expression.hpp, netlists/expression_compiler.hpp) into this flat postfix program for a stack
// machine: parameters are constants by then, `.func` calls are expanded inline (their arguments
// evaluated once into local slots), and the conditional operators jump, so a branch not taken is
// not evaluated. What remains varies only with the program's *variables*: node voltages v(a),
// branch currents i(vx), time, and the temperature.
//
// evaluate() runs the program with forward-mode automatic differentiation: every stack entry
// carries its value and, when it depends on a variable, its gradient with respect to each variable.
// Nothing is allocated per evaluation once the workspace has grown to the program's size.
//
// Functions and their meaning (the ngspice names; where ngspice's own parameter and B-source
// parsers disagree, the choice is said):
//   x^y, x**y      |x|^y, as ngspice (both parsers): (-2)^3 = 8. pow() is the real power.
//   pow(x,y)       the real power x^y (C library); x < 0 with a non-integer y is out of domain
//                  (ngspice .param; ngspice's B sources take |x|^y here)
//   pwr(x,y), pwrs(x,y)  sgn(x)*|x|^y (ngspice B sources, HSPICE, PSpice; ngspice .param's pwr is
//                  |x|^y)
//   exp ln log(natural) log10 sqrt abs sin cos tan sinh cosh tanh asin acos atan arctan atan2
//   asinh acosh atanh floor ceil sgn, sqr(x) = x*x, int(x) (towards zero), nint(x) (nearest,
//   halves to even, as ngspice), u(x) (step: 1 above 0, 0 below, 0.5 at 0, as ngspice's B
//   sources), u2(x) (0 below 0, x in [0,1], 1 above), uramp(x) = max(x, 0), min/max (one or more
//   arguments; of one, the argument), limit(x,lo,hi) = min(max(x,lo),hi) (a clamp, as in Xyce, PSpice and LTspice;
//   ngspice's limit() is something else), if(c,a,b) and ternary_fcn(c,a,b) = c ? a : b.
// Derivatives are exact wherever the function is differentiable; steps, comparisons, floor, ceil,
// int, nint and sgn have zero derivative; abs, min, max, limit and u2 take the derivative of the
// side they select (at a tie: the first argument).
// A function outside its domain (ln of x <= 0, sqrt of x < 0, division by zero, ...) or a result
// that is not finite is a *fault*: evaluate() reports it with the place in the source text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace picospice {

// What a program's variable stands for. The compiler fills `name` (for messages) and, for node
// voltages, `index` (the unknown); branch currents are resolved by the device that owns the
// program, at link time.
struct ExpressionVariable {
  enum class Kind { NodeVoltage, BranchCurrent, Time, Temperature };
  Kind kind = Kind::NodeVoltage;
  std::string name;  // hierarchical node ("x1.out") or instance ("x1.vsense"); "time"; "temper"
  int index = 0;     // the unknown, once known; 0 (ground) until then
};

enum class ExpressionFunction : std::uint8_t {
  // one argument
  Exp, Ln, Log10, Sqrt, Abs, Sin, Cos, Tan, Sinh, Cosh, Tanh, Asin, Acos, Atan, Asinh, Acosh,
  Atanh, Floor, Ceil, Int, Nint, Sgn, Step, Step2, Ramp, Square,
  // two arguments
  Min, Max, Pow, SignedPow, AbsPow, Atan2,
  // three arguments
  Limit,
};

// The name a function is written with in messages ("sqrt").
const char* expression_function_name(ExpressionFunction function);

class ExpressionProgram {
 public:
  enum class Op : std::uint8_t {
    Constant,      // push constants[arg]
    Variable,      // push input arg (gradient: unit vector arg)
    LoadLocal,     // push local slot arg
    StoreLocal,    // pop into local slot arg
    Negate, Not, Truth,  // Truth: x != 0 -> 1, else 0
    Add, Subtract, Multiply, Divide,
    Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual,
    Call,          // apply ExpressionFunction(arg) to its 1-3 arguments on the stack
    Jump,          // go to instruction arg
    JumpIfZero,    // pop; go to arg if it was 0
    JumpIfZeroKeep,     // `&&`: if the top is 0, leave it and go to arg; else pop it
    JumpIfNonZeroKeep,  // `||`: if the top is not 0, leave it and go to arg; else pop it
  };
  struct Instruction {
    Op op;
    std::uint32_t arg;
    std::uint32_t source_offset;  // where in the source text (for fault messages)
  };

  // ----- building (the compiler); each emit keeps the stack depth bookkeeping
  void emit_constant(double value, std::size_t offset);
  void emit_variable(std::size_t variable, std::size_t offset);
  void emit(Op op, std::uint32_t arg, std::size_t offset);
  void emit_call(ExpressionFunction function, std::size_t offset);
  // A jump whose target is patched later; returns its position.
  std::size_t emit_jump(Op op, std::size_t offset);
  void patch_jump(std::size_t at) { code_[at].arg = static_cast<std::uint32_t>(code_.size()); }
  // At a jump target where two paths meet, the depth is the one the jumping path had: the branch
  // that fell through must have left the same.
  void set_depth(int depth) { depth_ = depth; }
  int depth() const { return depth_; }
  std::size_t new_local() { return locals_++; }
  std::size_t add_variable(const ExpressionVariable& variable);

  // ----- reading
  const std::vector<Instruction>& code() const { return code_; }
  const std::vector<double>& constants() const { return constants_; }
  const std::vector<ExpressionVariable>& variables() const { return variables_; }
  std::vector<ExpressionVariable>& variables() { return variables_; }
  std::size_t max_depth() const { return max_depth_; }
  std::size_t locals() const { return locals_; }
  std::size_t size() const { return code_.size(); }
  // No variables: the value is a number.
  bool is_constant() const { return variables_.empty(); }
  // A single Constant instruction: the value without running anything.
  bool is_literal() const { return code_.size() == 1 && code_[0].op == Op::Constant; }

  std::string text;  // the source text, as written (for messages and export)

 private:
  void push_depth(int change);
  std::vector<Instruction> code_;
  std::vector<double> constants_;
  std::vector<ExpressionVariable> variables_;
  int depth_ = 0;
  std::size_t max_depth_ = 0;
  std::size_t locals_ = 0;
};

// Where an evaluation went out of a function's domain.
struct ExpressionFault {
  std::size_t offset = 0;  // in ExpressionProgram::text
  std::string message;     // "sqrt of a negative number (-2.5)"
};

// Scratch space for evaluations; grows to the largest program it has run, then stays.
class ExpressionWorkspace {
 public:
  void reserve(const ExpressionProgram& program);

 private:
  friend bool evaluate_program(const ExpressionProgram&, const double*, ExpressionWorkspace&, double&, double*,
                               ExpressionFault*);
  std::vector<double> values_, gradients_, local_values_, local_gradients_;
  std::vector<char> active_, local_active_;
  std::size_t width_ = 0;  // gradient entries per slot
};

// Runs `program` at `inputs` (one value per variable). On success returns true with the value and,
// when `gradient` is not null, d value / d input k in gradient[k] for every variable k. On a fault
// returns false and, when `fault` is not null, says where.
bool evaluate_program(const ExpressionProgram& program, const double* inputs, ExpressionWorkspace& workspace,
                      double& value, double* gradient = nullptr, ExpressionFault* fault = nullptr);

// The value of a program without variables; throws ExpressionFault on a fault.
double evaluate_constant(const ExpressionProgram& program);

}  // namespace picospice
