// The vectors of a `.control` block and the expressions `let` and `print` evaluate over them.
//
// A vector is a list of real or complex numbers: a signal of the current plot (`v(out)`,
// `i(v1)`, `time`), a vector made by `let`, or a constant. Arithmetic is element by element,
// with a one-element vector (a scalar) standing for every element; vectors of different lengths
// are an error. The functions are those of ngspice's control language (ngspice manual,
// "Expressions, Functions, and Constants") that picospice supports: mag, abs, ph/phase
// (radians), db (20 log10 |x|), real, imag, sqrt, exp, ln and log (natural, as ngspice 39),
// log10, sin, cos, tan, atan, floor, ceil, nint, mean, vecmax, vecmin, length, vector(n) (0 .. n-1)
// and unitvec(n).
// `v[i]` is element i of v and `v[i,j]` elements i to j, counted from 0.
#pragma once
#include <complex>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace picospice {

struct ControlVector {
  std::vector<std::complex<double>> values;
  bool complex = false;  // print and write the imaginary parts too
};

// The vector a name refers to (`v(out)`, `i(v1)`, `time`, `x`), or nothing.
using VectorLookup = std::function<std::optional<ControlVector>(const std::string& name)>;

// Evaluates `text`; throws ExpressionError (netlists/parser/expression.hpp) for a syntax error, an
// unknown vector or function, or lengths that do not match.
ControlVector evaluate_vector_expression(const std::string& text, const VectorLookup& lookup);

}  // namespace picospice
