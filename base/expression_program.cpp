// The stack machine of compiled expressions, with forward-mode automatic differentiation
// (base/expression_program.hpp).
#include "base/expression_program.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace picospice {

namespace {

struct FunctionInfo {
  const char* name;
  int arity;
};

FunctionInfo function_info(ExpressionFunction f) {
  using F = ExpressionFunction;
  switch (f) {
    case F::Exp: return {"exp", 1};
    case F::Ln: return {"ln", 1};
    case F::Log10: return {"log10", 1};
    case F::Sqrt: return {"sqrt", 1};
    case F::Abs: return {"abs", 1};
    case F::Sin: return {"sin", 1};
    case F::Cos: return {"cos", 1};
    case F::Tan: return {"tan", 1};
    case F::Sinh: return {"sinh", 1};
    case F::Cosh: return {"cosh", 1};
    case F::Tanh: return {"tanh", 1};
    case F::Asin: return {"asin", 1};
    case F::Acos: return {"acos", 1};
    case F::Atan: return {"atan", 1};
    case F::Asinh: return {"asinh", 1};
    case F::Acosh: return {"acosh", 1};
    case F::Atanh: return {"atanh", 1};
    case F::Floor: return {"floor", 1};
    case F::Ceil: return {"ceil", 1};
    case F::Int: return {"int", 1};
    case F::Nint: return {"nint", 1};
    case F::Sgn: return {"sgn", 1};
    case F::Step: return {"u", 1};
    case F::Step2: return {"u2", 1};
    case F::Ramp: return {"uramp", 1};
    case F::Square: return {"sqr", 1};
    case F::Min: return {"min", 2};
    case F::Max: return {"max", 2};
    case F::Pow: return {"pow", 2};
    case F::SignedPow: return {"pwr", 2};
    case F::AbsPow: return {"^", 2};
    case F::Atan2: return {"atan2", 2};
    case F::Limit: return {"limit", 3};
  }
  return {"?", 1};
}

std::string number_text(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

// A function's value and its partial derivatives d[k] = d value / d argument k, or a domain
// message. Derivatives may be infinite (sqrt at 0): that is a fault only where a gradient needs it.
struct Applied {
  double value = 0;
  double d[3] = {0, 0, 0};
  const char* domain = nullptr;  // "a negative number": the argument is outside the domain
};

Applied apply_unary(ExpressionFunction f, double x) {
  using F = ExpressionFunction;
  Applied r;
  switch (f) {
    case F::Exp: r.value = std::exp(x); r.d[0] = r.value; break;
    case F::Ln:
      if (!(x > 0)) { r.domain = "a non-positive number"; break; }
      r.value = std::log(x); r.d[0] = 1 / x; break;
    case F::Log10:
      if (!(x > 0)) { r.domain = "a non-positive number"; break; }
      r.value = std::log10(x); r.d[0] = 1 / (x * std::log(10.0)); break;
    case F::Sqrt:
      if (x < 0) { r.domain = "a negative number"; break; }
      r.value = std::sqrt(x); r.d[0] = 0.5 / r.value; break;
    case F::Abs: r.value = std::fabs(x); r.d[0] = x < 0 ? -1 : 1; break;
    case F::Sin: r.value = std::sin(x); r.d[0] = std::cos(x); break;
    case F::Cos: r.value = std::cos(x); r.d[0] = -std::sin(x); break;
    case F::Tan: r.value = std::tan(x); r.d[0] = 1 + r.value * r.value; break;
    case F::Sinh: r.value = std::sinh(x); r.d[0] = std::cosh(x); break;
    case F::Cosh: r.value = std::cosh(x); r.d[0] = std::sinh(x); break;
    case F::Tanh: r.value = std::tanh(x); r.d[0] = 1 - r.value * r.value; break;
    case F::Asin:
      if (!(std::fabs(x) <= 1)) { r.domain = "a number outside [-1, 1]"; break; }
      r.value = std::asin(x); r.d[0] = 1 / std::sqrt(1 - x * x); break;
    case F::Acos:
      if (!(std::fabs(x) <= 1)) { r.domain = "a number outside [-1, 1]"; break; }
      r.value = std::acos(x); r.d[0] = -1 / std::sqrt(1 - x * x); break;
    case F::Atan: r.value = std::atan(x); r.d[0] = 1 / (1 + x * x); break;
    case F::Asinh: r.value = std::asinh(x); r.d[0] = 1 / std::sqrt(x * x + 1); break;
    case F::Acosh:
      if (!(x >= 1)) { r.domain = "a number below 1"; break; }
      r.value = std::acosh(x); r.d[0] = 1 / std::sqrt(x * x - 1); break;
    case F::Atanh:
      if (!(std::fabs(x) < 1)) { r.domain = "a number outside (-1, 1)"; break; }
      r.value = std::atanh(x); r.d[0] = 1 / (1 - x * x); break;
    case F::Floor: r.value = std::floor(x); break;
    case F::Ceil: r.value = std::ceil(x); break;
    case F::Int: r.value = std::trunc(x); break;
    case F::Nint: r.value = std::nearbyint(x); break;  // halves to even under the default rounding mode
    case F::Sgn: r.value = x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); break;
    case F::Step: r.value = x > 0 ? 1.0 : (x < 0 ? 0.0 : 0.5); break;
    case F::Step2:
      r.value = x <= 0 ? 0.0 : (x >= 1 ? 1.0 : x);
      r.d[0] = (x > 0 && x < 1) ? 1 : 0;
      break;
    case F::Ramp: r.value = x > 0 ? x : 0.0; r.d[0] = x > 0 ? 1 : 0; break;
    case F::Square: r.value = x * x; r.d[0] = 2 * x; break;
    default: r.domain = "a wrong number of arguments"; break;
  }
  return r;
}

bool is_integer(double y) { return std::isfinite(y) && std::floor(y) == y; }

Applied apply_binary(ExpressionFunction f, double a, double b) {
  using F = ExpressionFunction;
  Applied r;
  switch (f) {
    case F::Min:
      if (a <= b || std::isnan(b)) { r.value = a; r.d[0] = 1; } else { r.value = b; r.d[1] = 1; }
      break;
    case F::Max:
      if (a >= b || std::isnan(b)) { r.value = a; r.d[0] = 1; } else { r.value = b; r.d[1] = 1; }
      break;
    case F::Pow:
      if (a < 0 && !is_integer(b)) { r.domain = "a negative base with a non-integer exponent"; break; }
      if (a == 0 && b < 0) { r.domain = "a zero base with a negative exponent"; break; }
      r.value = std::pow(a, b);
      r.d[0] = b == 0 ? 0 : b * std::pow(a, b - 1);
      r.d[1] = a > 0 ? r.value * std::log(a) : 0;
      break;
    case F::AbsPow:
    case F::SignedPow: {
      const double m = std::fabs(a);
      if (m == 0 && b < 0) { r.domain = "a zero base with a negative exponent"; break; }
      const double p = std::pow(m, b);
      const double slope = b == 0 ? 0 : b * std::pow(m, b - 1);  // d|a|^b / d|a|
      const double sign = a < 0 ? -1.0 : 1.0;
      r.value = f == F::AbsPow ? p : sign * p;
      r.d[0] = f == F::AbsPow ? sign * slope : slope;
      r.d[1] = m > 0 ? r.value * std::log(m) : 0;
      break;
    }
    case F::Atan2: {
      r.value = std::atan2(a, b);
      const double r2 = a * a + b * b;
      r.d[0] = b / r2;
      r.d[1] = -a / r2;
      break;
    }
    default: r.domain = "a wrong number of arguments"; break;
  }
  return r;
}

Applied apply_limit(double x, double lo, double hi) {
  Applied r;
  // min(max(x, lo), hi)
  double m = x;
  int from = 0;
  if (!(x >= lo)) { m = lo; from = 1; }
  if (m > hi) { m = hi; from = 2; }
  r.value = m;
  r.d[from] = 1;
  return r;
}

}  // namespace

const char* expression_function_name(ExpressionFunction function) { return function_info(function).name; }

// ----- building

void ExpressionProgram::push_depth(int change) {
  depth_ += change;
  if (depth_ > static_cast<int>(max_depth_)) max_depth_ = static_cast<std::size_t>(depth_);
}

void ExpressionProgram::emit_constant(double value, std::size_t offset) {
  constants_.push_back(value);
  emit(Op::Constant, static_cast<std::uint32_t>(constants_.size() - 1), offset);
}

void ExpressionProgram::emit_variable(std::size_t variable, std::size_t offset) {
  emit(Op::Variable, static_cast<std::uint32_t>(variable), offset);
}

void ExpressionProgram::emit_call(ExpressionFunction function, std::size_t offset) {
  code_.push_back({Op::Call, static_cast<std::uint32_t>(function), static_cast<std::uint32_t>(offset)});
  push_depth(1 - function_info(function).arity);
}

void ExpressionProgram::emit(Op op, std::uint32_t arg, std::size_t offset) {
  code_.push_back({op, arg, static_cast<std::uint32_t>(offset)});
  switch (op) {
    case Op::Constant: case Op::Variable: case Op::LoadLocal: push_depth(1); break;
    case Op::StoreLocal: case Op::JumpIfZero: case Op::JumpIfZeroKeep: case Op::JumpIfNonZeroKeep:
      push_depth(-1); break;
    case Op::Add: case Op::Subtract: case Op::Multiply: case Op::Divide: case Op::Equal:
    case Op::NotEqual: case Op::Less: case Op::LessEqual: case Op::Greater: case Op::GreaterEqual:
      push_depth(-1); break;
    default: break;
  }
}

std::size_t ExpressionProgram::emit_jump(Op op, std::size_t offset) {
  emit(op, 0, offset);
  return code_.size() - 1;
}

std::size_t ExpressionProgram::add_variable(const ExpressionVariable& variable) {
  for (std::size_t k = 0; k < variables_.size(); ++k)
    if (variables_[k].kind == variable.kind && variables_[k].name == variable.name) return k;
  variables_.push_back(variable);
  return variables_.size() - 1;
}

void ExpressionWorkspace::reserve(const ExpressionProgram& program) {
  const std::size_t width = program.variables().size();
  const std::size_t slots = program.max_depth() + 1;
  const std::size_t locals = program.locals();
  if (values_.size() < slots) { values_.resize(slots); active_.resize(slots); }
  if (local_values_.size() < locals) { local_values_.resize(locals); local_active_.resize(locals); }
  if (width > width_ || gradients_.size() < slots * width || local_gradients_.size() < locals * width) {
    width_ = std::max(width_, width);
    gradients_.resize(std::max(gradients_.size(), slots * width_));
    local_gradients_.resize(std::max(local_gradients_.size(), std::max<std::size_t>(locals, 1) * width_));
  }
}

// ----- evaluation

namespace {

// The machine's registers for one run; `width` gradient entries per slot, 0 when no gradient is
// wanted.
struct Machine {
  double* values;
  double* gradients;
  char* active;
  std::size_t width;
  std::size_t top = 0;  // entries on the stack

  double* grad(std::size_t slot) { return gradients + slot * width; }
  // result = c0 * arg0 + c1 * arg1 (+ c2 * arg2) in gradient; arguments at slots first..first+n-1,
  // result into slot first.
  void combine(std::size_t first, int n, const double* c) {
    bool any = false;
    for (int k = 0; k < n; ++k) any = any || active[first + k];
    if (!any || width == 0) { active[first] = 0; return; }
    double* out = grad(first);
    // The result overwrites argument 0's gradient: scale it first, then add the others.
    if (active[first]) for (std::size_t j = 0; j < width; ++j) out[j] *= c[0];
    else std::fill(out, out + width, 0.0);
    for (int k = 1; k < n; ++k) {
      if (!active[first + k]) continue;
      const double* g = grad(first + k);
      for (std::size_t j = 0; j < width; ++j) out[j] += c[k] * g[j];
    }
    active[first] = 1;
  }
  bool gradient_finite(std::size_t slot) {
    if (!active[slot] || width == 0) return true;
    const double* g = grad(slot);
    for (std::size_t j = 0; j < width; ++j)
      if (!std::isfinite(g[j])) return false;
    return true;
  }
};

bool fail(ExpressionFault* fault, std::size_t offset, std::string message) {
  if (fault) *fault = ExpressionFault{offset, std::move(message)};
  return false;
}

}  // namespace

bool evaluate_program(const ExpressionProgram& program, const double* inputs, ExpressionWorkspace& ws,
                      double& value, double* gradient, ExpressionFault* fault) {
  using Op = ExpressionProgram::Op;
  ws.reserve(program);
  const std::size_t width = gradient ? program.variables().size() : 0;
  Machine m{ws.values_.data(), ws.gradients_.data(), ws.active_.data(), width};
  double* local_values = ws.local_values_.data();
  double* local_gradients = ws.local_gradients_.data();
  char* local_active = ws.local_active_.data();
  const auto& code = program.code();
  const auto& constants = program.constants();
  std::size_t pc = 0;
  while (pc < code.size()) {
    const auto& in = code[pc++];
    std::size_t& top = m.top;
    switch (in.op) {
      case Op::Constant: m.values[top] = constants[in.arg]; m.active[top] = 0; ++top; break;
      case Op::Variable:
        m.values[top] = inputs[in.arg];
        m.active[top] = width > 0;
        if (width > 0) { std::fill(m.grad(top), m.grad(top) + width, 0.0); m.grad(top)[in.arg] = 1.0; }
        ++top;
        break;
      case Op::LoadLocal:
        m.values[top] = local_values[in.arg];
        m.active[top] = local_active[in.arg];
        if (m.active[top]) std::copy_n(local_gradients + in.arg * width, width, m.grad(top));
        ++top;
        break;
      case Op::StoreLocal:
        --top;
        local_values[in.arg] = m.values[top];
        local_active[in.arg] = m.active[top];
        if (m.active[top]) std::copy_n(m.grad(top), width, local_gradients + in.arg * width);
        break;
      case Op::Negate: {
        m.values[top - 1] = -m.values[top - 1];
        const double c = -1;
        m.combine(top - 1, 1, &c);
        break;
      }
      case Op::Not: m.values[top - 1] = m.values[top - 1] == 0 ? 1.0 : 0.0; m.active[top - 1] = 0; break;
      case Op::Truth: m.values[top - 1] = m.values[top - 1] != 0 ? 1.0 : 0.0; m.active[top - 1] = 0; break;
      case Op::Add: case Op::Subtract: case Op::Multiply: case Op::Divide: {
        const std::size_t a = top - 2;
        const double x = m.values[a], y = m.values[a + 1];
        double c[2] = {1, 1};
        double result = 0;
        if (in.op == Op::Add) result = x + y;
        else if (in.op == Op::Subtract) { result = x - y; c[1] = -1; }
        else if (in.op == Op::Multiply) { result = x * y; c[0] = y; c[1] = x; }
        else {
          if (y == 0) return fail(fault, in.source_offset, "division by zero");
          result = x / y; c[0] = 1 / y; c[1] = -result / y;
        }
        m.values[a] = result;
        m.combine(a, 2, c);
        --top;
        if (!std::isfinite(result) && std::isfinite(x) && std::isfinite(y))
          return fail(fault, in.source_offset, "the result is not finite (overflow)");
        break;
      }
      case Op::Equal: case Op::NotEqual: case Op::Less: case Op::LessEqual: case Op::Greater:
      case Op::GreaterEqual: {
        const std::size_t a = top - 2;
        const double x = m.values[a], y = m.values[a + 1];
        bool r = false;
        switch (in.op) {
          case Op::Equal: r = x == y; break;
          case Op::NotEqual: r = x != y; break;
          case Op::Less: r = x < y; break;
          case Op::LessEqual: r = x <= y; break;
          case Op::Greater: r = x > y; break;
          default: r = x >= y; break;
        }
        m.values[a] = r ? 1.0 : 0.0;
        m.active[a] = 0;
        --top;
        break;
      }
      case Op::Call: {
        const auto f = static_cast<ExpressionFunction>(in.arg);
        const int arity = function_info(f).arity;
        const std::size_t a = top - arity;
        const double* x = m.values + a;
        const Applied r = arity == 1 ? apply_unary(f, x[0])
                          : arity == 2 ? apply_binary(f, x[0], x[1])
                                       : apply_limit(x[0], x[1], x[2]);
        const char* name = function_info(f).name;
        if (r.domain) {
          std::string args = number_text(x[0]);
          for (int k = 1; k < arity; ++k) args += ", " + number_text(x[k]);
          return fail(fault, in.source_offset,
                      std::string(name) + "(" + args + "): the argument is " + r.domain);
        }
        if (!std::isfinite(r.value))
          return fail(fault, in.source_offset, std::string(name) + "(" + number_text(x[0]) + (arity > 1 ? ", ...": "") +
                                                   ") is not finite (overflow)");
        m.values[a] = r.value;
        m.combine(a, arity, r.d);
        top = a + 1;
        if (!m.gradient_finite(a))
          return fail(fault, in.source_offset, std::string("the derivative of ") + name + " at " + number_text(x[0]) +
                                                   " is not finite");
        break;
      }
      case Op::Jump: pc = in.arg; break;
      case Op::JumpIfZero: --top; if (m.values[top] == 0) pc = in.arg; break;
      case Op::JumpIfZeroKeep:
        if (m.values[top - 1] == 0) { m.active[top - 1] = 0; pc = in.arg; } else { --top; }
        break;
      case Op::JumpIfNonZeroKeep:
        if (m.values[top - 1] != 0) { m.values[top - 1] = 1.0; m.active[top - 1] = 0; pc = in.arg; } else { --top; }
        break;
    }
  }
  value = m.values[0];
  if (gradient) {
    if (m.active[0]) std::copy_n(m.grad(0), width, gradient);
    else std::fill(gradient, gradient + width, 0.0);
  }
  if (!std::isfinite(value)) return fail(fault, 0, "the value is not finite");
  if (gradient)
    for (std::size_t k = 0; k < width; ++k)
      if (!std::isfinite(gradient[k])) return fail(fault, 0, "the derivative is not finite");
  return true;
}

double evaluate_constant(const ExpressionProgram& program) {
  ExpressionWorkspace workspace;
  double value = 0;
  ExpressionFault fault;
  if (!evaluate_program(program, nullptr, workspace, value, nullptr, &fault)) throw fault;
  return value;
}

}  // namespace picospice
