#include "netlists/control/control_vectors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <set>

#include "netlists/parser/expression.hpp"

namespace picospice {
namespace {

using Complex = std::complex<double>;

const std::string kElementRange = "element_range_of";

// ngspice indexes vectors with brackets, which the expression grammar does not have:
// `onoise_spectrum[3]` -> `element_range_of(onoise_spectrum, 3)`, `v(out)[2,5]` -> `...(v(out), 2, 5)`.
// The operand is the name (or call) right before the bracket.
std::string rewrite_indexing(const std::string& text) {
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '#' || c == '.'; };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '[') {
      out += text[i];
      continue;
    }
    std::size_t start = out.size();
    if (start > 0 && out[start - 1] == ')') {
      int depth = 0;
      do {
        --start;
        if (out[start] == ')') ++depth;
        if (out[start] == '(') --depth;
      } while (start > 0 && depth > 0);
    }
    while (start > 0 && name_char(out[start - 1])) --start;
    const std::size_t close = text.find(']', i);
    if (start == out.size() || close == std::string::npos) throw ExpressionError(i, "'[' without a vector before it or ']' after it");
    out = out.substr(0, start) + kElementRange + "(" + out.substr(start) + ", " + text.substr(i + 1, close - i - 1) + ")";
    i = close;
  }
  return out;
}

ControlVector scalar(double value) { return ControlVector{{Complex(value, 0.0)}, false}; }

class VectorEvaluator {
 public:
  VectorEvaluator(const ExpressionSyntax& syntax, const VectorLookup& lookup) : syntax_(syntax), lookup_(lookup) {}

  ControlVector evaluate(int index) const {
    const ExpressionNode& node = syntax_.node(index);
    switch (node.kind) {
      case ExpressionNode::Kind::Number: return scalar(node.number);
      case ExpressionNode::Kind::Name: return name(node);
      case ExpressionNode::Kind::Circuit: return circuit(node);
      case ExpressionNode::Kind::Call: return call(node);
      case ExpressionNode::Kind::Unary: {
        ControlVector v = evaluate(node.children[0]);
        for (auto& x : v.values) x = node.op == '-' ? -x : node.op == '!' ? Complex(x == Complex{} ? 1 : 0) : x;
        return v;
      }
      case ExpressionNode::Kind::Binary: return binary(node);
      case ExpressionNode::Kind::Conditional: break;
    }
    throw ExpressionError(node.offset, "'?:' is not supported in .control expressions");
  }

 private:
  ControlVector find(const std::string& key, std::size_t offset) const {
    if (auto v = lookup_(key)) return *v;
    throw ExpressionError(offset, "no vector '" + key + "' in the current plot");
  }

  ControlVector name(const ExpressionNode& node) const {
    if (auto v = lookup_(node.name)) return *v;
    if (node.name == "pi") return scalar(M_PI);
    if (node.name == "e") return scalar(M_E);
    if (node.name == "boltz") return scalar(1.380649e-23);
    if (node.name == "echarge") return scalar(1.602176634e-19);
    if (node.name == "kelvin") return scalar(-273.15);
    throw ExpressionError(node.offset, "no vector '" + node.name + "' in the current plot");
  }

  ControlVector circuit(const ExpressionNode& node) const {
    if (node.name == "i") return find("i(" + node.names[0] + ")", node.offset);
    ControlVector a = find("v(" + node.names[0] + ")", node.offset);
    if (node.names.size() < 2) return a;
    return combine(a, find("v(" + node.names[1] + ")", node.offset), '-', node.offset);
  }

  static ControlVector combine(const ControlVector& a, const ControlVector& b, char op, std::size_t offset) {
    const std::size_t n = std::max(a.values.size(), b.values.size());
    if (a.values.size() != n && a.values.size() != 1)
      throw ExpressionError(offset, "vectors of lengths " + std::to_string(a.values.size()) + " and " +
                                        std::to_string(b.values.size()) + " cannot be combined");
    if (b.values.size() != n && b.values.size() != 1)
      throw ExpressionError(offset, "vectors of lengths " + std::to_string(a.values.size()) + " and " +
                                        std::to_string(b.values.size()) + " cannot be combined");
    ControlVector out;
    out.complex = a.complex || b.complex;
    out.values.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      const Complex x = a.values[a.values.size() == 1 ? 0 : k], y = b.values[b.values.size() == 1 ? 0 : k];
      Complex r;
      switch (op) {
        case '+': r = x + y; break;
        case '-': r = x - y; break;
        case '*': r = x * y; break;
        case '/': r = x / y; break;
        case '^': r = out.complex ? std::pow(x, y) : Complex(std::pow(x.real(), y.real())); break;
        case '<': r = x.real() < y.real(); break;
        case '>': r = x.real() > y.real(); break;
        case ExpressionNode::kLessEqual: r = x.real() <= y.real(); break;
        case ExpressionNode::kGreaterEqual: r = x.real() >= y.real(); break;
        case ExpressionNode::kEqual: r = x == y; break;
        case ExpressionNode::kNotEqual: r = x != y; break;
        case ExpressionNode::kAnd: r = x != Complex{} && y != Complex{}; break;
        case ExpressionNode::kOr: r = x != Complex{} || y != Complex{}; break;
        default: throw ExpressionError(offset, std::string("unsupported operator '") + op + "'");
      }
      out.values[k] = r;
    }
    return out;
  }

  ControlVector binary(const ExpressionNode& node) const {
    return combine(evaluate(node.children[0]), evaluate(node.children[1]), node.op, node.offset);
  }

  static ControlVector map(ControlVector v, bool complex_result, Complex (*f)(Complex)) {
    for (auto& x : v.values) x = f(x);
    v.complex = complex_result && v.complex;
    return v;
  }

  // `v[i]` and `v[i,j]` (rewritten into this call, see rewrite_indexing): element i, or the
  // elements i to j, counted from 0 as ngspice does.
  ControlVector element_range(const ExpressionNode& node) const {
    const ControlVector v = evaluate(node.children[0]);
    auto index = [&](int child) {
      const ControlVector i = evaluate(node.children[child]);
      const double x = i.values.empty() ? -1 : i.values[0].real();
      if (i.values.size() != 1 || x != std::floor(x) || x < 0 || x >= static_cast<double>(v.values.size()))
        throw ExpressionError(node.offset, "index " + fmt::format("{:g}", x) + " is not one of the vector's " +
                                               std::to_string(v.values.size()) + " elements (counted from 0)");
      return static_cast<std::size_t>(x);
    };
    const std::size_t first = index(1), last = node.children.size() == 3 ? index(2) : first;
    if (first > last) throw ExpressionError(node.offset, "a range [i,j] needs i <= j");
    ControlVector out{{}, v.complex};
    out.values.assign(v.values.begin() + first, v.values.begin() + last + 1);
    return out;
  }

  ControlVector call(const ExpressionNode& node) const {
    const std::string& f = node.name;
    if (f == kElementRange && (node.children.size() == 2 || node.children.size() == 3)) return element_range(node);
    static const std::set<std::string> known{"mag", "abs", "ph", "phase", "db", "real", "re", "imag", "im",
                                             "sqrt", "exp", "ln", "log", "log10", "sin", "cos", "tan", "atan",
                                             "mean", "vecmax", "vecmin", "length", "vector", "unitvec",
                                             "floor", "ceil", "nint"};
    if (!known.count(f)) throw ExpressionError(node.offset, "unknown function '" + f + "' in a .control expression");
    if (node.children.size() != 1)
      throw ExpressionError(node.offset, "'" + f + "' takes one argument in .control expressions");
    ControlVector v = evaluate(node.children[0]);
    if (f == "mag" || f == "abs") return map(v, false, [](Complex x) { return Complex(std::abs(x)); });
    if (f == "ph" || f == "phase") return map(v, false, [](Complex x) { return Complex(std::arg(x)); });
    if (f == "db") return map(v, false, [](Complex x) { return Complex(20.0 * std::log10(std::abs(x))); });
    if (f == "real" || f == "re") return map(v, false, [](Complex x) { return Complex(x.real()); });
    if (f == "imag" || f == "im") return map(v, false, [](Complex x) { return Complex(x.imag()); });
    if (f == "sqrt") return map(v, true, [](Complex x) { return x.imag() == 0 && x.real() >= 0 ? Complex(std::sqrt(x.real())) : std::sqrt(x); });
    if (f == "exp") return map(v, true, [](Complex x) { return std::exp(x); });
    if (f == "ln" || f == "log") return map(v, true, [](Complex x) { return std::log(x); });
    if (f == "log10") return map(v, true, [](Complex x) { return std::log10(x); });
    if (f == "sin") return map(v, true, [](Complex x) { return std::sin(x); });
    if (f == "cos") return map(v, true, [](Complex x) { return std::cos(x); });
    if (f == "tan") return map(v, true, [](Complex x) { return std::tan(x); });
    if (f == "atan") return map(v, true, [](Complex x) { return std::atan(x); });
    // Of the real part, as ngspice: nint rounds halves to even (the C library's default mode).
    if (f == "floor") return map(v, false, [](Complex x) { return Complex(std::floor(x.real())); });
    if (f == "ceil") return map(v, false, [](Complex x) { return Complex(std::ceil(x.real())); });
    if (f == "nint") return map(v, false, [](Complex x) { return Complex(std::nearbyint(x.real())); });
    if (v.values.empty()) throw ExpressionError(node.offset, "'" + f + "' of an empty vector");
    if (f == "mean")
      return ControlVector{{std::accumulate(v.values.begin(), v.values.end(), Complex{}) / static_cast<double>(v.values.size())},
                           v.complex};
    auto by_real = [](Complex a, Complex b) { return a.real() < b.real(); };
    if (f == "vecmax") return scalar(std::max_element(v.values.begin(), v.values.end(), by_real)->real());
    if (f == "vecmin") return scalar(std::min_element(v.values.begin(), v.values.end(), by_real)->real());
    if (f == "length") return scalar(static_cast<double>(v.values.size()));
    if (f == "vector" || f == "unitvec") {
      const double n = v.values[0].real();
      if (!(n >= 1 && n <= 1e8)) throw ExpressionError(node.offset, "'" + f + "' needs a length from 1 to 1e8");
      ControlVector out;
      for (int k = 0; k < static_cast<int>(n); ++k) out.values.emplace_back(f == "vector" ? k : 1);
      return out;
    }
    throw ExpressionError(node.offset, "unknown function '" + f + "' in a .control expression");
  }

  const ExpressionSyntax& syntax_;
  const VectorLookup& lookup_;
};

}  // namespace

ControlVector evaluate_vector_expression(const std::string& text, const VectorLookup& lookup) {
  const ExpressionSyntax syntax = parse_expression(text.find('[') == std::string::npos ? text : rewrite_indexing(text));
  return VectorEvaluator(syntax, lookup).evaluate(syntax.root);
}

}  // namespace picospice
