// SPICE numbers and parameter expressions.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <stdexcept>

#include "netlists/parser/expression_compiler.hpp"

using namespace picospice;
using Catch::Matchers::Contains;

namespace {

double eval(const std::string& text, const std::map<std::string, double>& params = {}) {
  return evaluate_expression(text, [&](std::string_view name, double& value) {
    auto it = params.find(std::string(name));
    if (it == params.end()) return false;
    value = it->second;
    return true;
  });
}

// The ExpressionError of a bad expression (fails the test if there is none).
ExpressionError error_of(const std::string& text) {
  try {
    eval(text);
  } catch (const ExpressionError& e) {
    return e;
  }
  FAIL("no error for '" << text << "'");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("parser: numbers with engineering suffixes and units", "[parser]") {
  CHECK(parse_number("10pF") == Approx(10e-12));
  CHECK(parse_number("1.8V") == Approx(1.8));
  CHECK(parse_number("1megohm") == Approx(1e6));
  CHECK(parse_number("1MEG") == Approx(1e6));
  CHECK(parse_number("5ns") == Approx(5e-9));
  CHECK(parse_number("1m") == Approx(1e-3));
  CHECK(parse_number("1M") == Approx(1e-3));
  CHECK(parse_number("2mil") == Approx(50.8e-6));
  CHECK(parse_number("3k") == Approx(3e3));
  CHECK(parse_number("4u") == Approx(4e-6));
  CHECK(parse_number("7n") == Approx(7e-9));
  CHECK(parse_number("2f") == Approx(2e-15));
  CHECK(parse_number("2g") == Approx(2e9));
  CHECK(parse_number("1T") == Approx(1e12));
  CHECK(parse_number("350p") == Approx(350e-12));
  CHECK(parse_number("1e-3") == Approx(1e-3));
  CHECK(parse_number("2.5E+6") == Approx(2.5e6));
  CHECK(parse_number("1e3k") == Approx(1e6));
  CHECK(parse_number(".5") == Approx(0.5));
  CHECK(parse_number("-1.5u") == Approx(-1.5e-6));
  CHECK(parse_number("+2") == Approx(2));
  CHECK(parse_number("100") == 100);
  CHECK(parse_number("1ohm") == 1);  // unit letters that are no suffix are ignored
}

TEST_CASE("parser: malformed numbers are rejected", "[parser]") {
  for (const char* bad : {"1.2.3", "abc", "", "-", "1k5.2", "1x5", ".", "e5", "1e+"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_number(bad), std::invalid_argument);
  }
  double value = 42;
  CHECK_FALSE(try_parse_number("x1", value));
  CHECK(value == 42);
  CHECK(try_parse_number("10p", value));
  CHECK(value == Approx(10e-12));
}

TEST_CASE("parser: expression arithmetic and precedence", "[parser]") {
  CHECK(eval("1+2*3") == 7);
  CHECK(eval("(1+2)*3") == 9);
  CHECK(eval("10/4") == 2.5);
  CHECK(eval("8-2-1") == 5);
  CHECK(eval("2**3**2") == 512);  // right-associative
  CHECK(eval("2^3^2") == 512);
  CHECK(eval("-2^2") == -4);
  CHECK(eval("2^-1") == 0.5);
  CHECK(eval("- -3") == 3);
  CHECK(eval("+4") == 4);
  CHECK(eval("1k*2") == Approx(2000));
  CHECK(eval("10p + 5p") == Approx(15e-12));
  CHECK(eval(" 1e-3 * 2 ") == Approx(2e-3));
}

TEST_CASE("parser: expression comparisons and the conditional operator", "[parser]") {
  CHECK(eval("2 > 1 ? 5 : 6") == 5);
  CHECK(eval("2 < 1 ? 5 : 6") == 6);
  CHECK(eval("1 == 1") == 1);
  CHECK(eval("1 != 1") == 0);
  CHECK(eval("3 <= 2") == 0);
  CHECK(eval("3 >= 3") == 1);
  CHECK(eval("1 && 0") == 0);
  CHECK(eval("1 || 0") == 1);
  CHECK(eval("!0") == 1);
}

TEST_CASE("parser: expression functions and constants", "[parser]") {
  CHECK(eval("exp(0)") == 1);
  CHECK(eval("ln(exp(2))") == Approx(2));
  CHECK(eval("log(100)") == Approx(std::log(100.0)));  // natural, as in ngspice
  CHECK(eval("log10(100)") == Approx(2));
  CHECK(eval("sqrt(16)") == 4);
  CHECK(eval("abs(-3)") == 3);
  CHECK(eval("min(2, 3)") == 2);
  CHECK(eval("max(2,3)") == 3);
  CHECK(eval("pow(2, 10)") == 1024);
  CHECK(eval("sin(0) + cos(0) + tan(0) + tanh(0)") == 1);
  CHECK(eval("atan(1)*4") == Approx(M_PI));
  CHECK(eval("floor(2.7) + ceil(2.1)") == 5);
  CHECK(eval("pi") == Approx(M_PI));
  CHECK(eval("2*PI") == Approx(2 * M_PI));
  CHECK(eval("MAX(1, 2)") == 2);
}

TEST_CASE("parser: expression parameters come from the scope", "[parser]") {
  const std::map<std::string, double> params{{"wn", 2e-6}, {"ratio", 3}};
  CHECK(eval("wn*ratio", params) == Approx(6e-6));
  CHECK(eval("WN * 2", params) == Approx(4e-6));
  CHECK(eval("max(wn, 1u) / 1u", params) == Approx(2));
}

TEST_CASE("parser: expression errors say what and where", "[parser]") {
  auto e = error_of("wn*2");
  CHECK(std::string(e.what()) == "unknown parameter 'wn'");
  CHECK(e.offset == 0);

  e = error_of("2*foo(1)");
  CHECK(std::string(e.what()) == "unknown function 'foo'");
  CHECK(e.offset == 2);

  e = error_of("(1+2");
  CHECK(std::string(e.what()) == "expected ')'");
  CHECK(e.offset == 4);

  e = error_of("1 +");
  CHECK_THAT(e.what(), Contains("expected a value"));

  e = error_of("min()");  // min(x) is x, as in ngspice; none is an error
  CHECK_THAT(e.what(), Contains("takes 1 argument or more"));
  e = error_of("atan2(1)");
  CHECK_THAT(e.what(), Contains("takes 2 arguments, got 1"));

  e = error_of("1/0");
  CHECK_THAT(e.what(), Contains("division by zero"));

  e = error_of("1.2.3 + 1");
  CHECK_THAT(e.what(), Contains("malformed number"));
  CHECK(e.offset == 0);

  e = error_of("");
  CHECK_THAT(e.what(), Contains("expected an expression"));

  e = error_of("2 # 3");
  CHECK_THAT(e.what(), Contains("unexpected '#'"));
  CHECK(e.offset == 2);
}
