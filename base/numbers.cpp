// SPICE numbers: mantissa, exponent, engineering suffix, ignored unit letters.
#include "base/numbers.hpp"

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace picospice {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(text[i]) != prefix[i]) return false;
  return true;
}

// The multiplier of an engineering suffix at the start of `letters` (1 when there is none; the
// remaining letters are units and are ignored).
double suffix_scale(std::string_view letters) {
  if (letters.empty()) return 1.0;
  if (starts_with_ci(letters, "meg")) return 1e6;
  if (starts_with_ci(letters, "mil")) return 25.4e-6;
  switch (lower(letters[0])) {
    case 'f': return 1e-15;
    case 'p': return 1e-12;
    case 'n': return 1e-9;
    case 'u': return 1e-6;
    case 'm': return 1e-3;
    case 'k': return 1e3;
    case 'g': return 1e9;
    case 't': return 1e12;
    default: return 1.0;
  }
}

// Length of the mantissa-and-exponent part of a number starting at text[0]; 0 if none.
std::size_t scan_mantissa_impl(std::string_view text) {
  std::size_t i = 0;
  std::size_t digits = 0;
  while (i < text.size() && is_digit(text[i])) { ++i; ++digits; }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) { ++i; ++digits; }
  }
  if (digits == 0) return 0;
  // An exponent only when digits follow: `1e-3`, but `1e` leaves `e` as a unit letter.
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (j < text.size() && is_digit(text[j])) {
      while (j < text.size() && is_digit(text[j])) ++j;
      i = j;
    }
  }
  return i;
}

// The micro sign, in UTF-8: U+00B5 (MICRO SIGN) or U+03BC (GREEK SMALL LETTER MU).
std::size_t micro_sign_length(std::string_view letters) {
  if (letters.size() >= 2 && ((letters[0] == '\xc2' && letters[1] == '\xb5') || (letters[0] == '\xce' && letters[1] == '\xbc')))
    return 2;
  return 0;
}

// RKM notation (IEC 60062), `4k7` = 4.7k, `2R2` = 2.2, `1u5` = 1.5u: digits, a multiplier letter
// (or R for 1) standing for the decimal point, digits, then optional unit letters. False when
// `body` is not of that form.
bool try_parse_rkm(std::string_view body, double& value) {
  std::size_t i = 0;
  while (i < body.size() && is_digit(body[i])) ++i;
  if (i == 0 || i + 1 >= body.size()) return false;
  const std::size_t micro = micro_sign_length(body.substr(i));
  const char letter = lower(body[i]);
  const std::size_t letter_length = micro ? micro : 1;
  const bool known = micro || letter == 'r' || std::string_view("fpnumkgt").find(letter) != std::string_view::npos;
  if (!known) return false;
  std::size_t j = i + letter_length;
  const std::size_t fraction_begin = j;
  while (j < body.size() && is_digit(body[j])) ++j;
  if (j == fraction_begin) return false;
  for (std::size_t k = j; k < body.size(); ++k)
    if (!is_alpha(body[k])) return false;
  const std::string decimal = std::string(body.substr(0, i)) + "." + std::string(body.substr(fraction_begin, j - fraction_begin));
  const double scale = micro ? 1e-6 : (letter == 'r' ? 1.0 : suffix_scale(body.substr(i, 1)));
  value = std::strtod(decimal.c_str(), nullptr) * scale;
  return true;
}

}  // namespace

bool try_parse_number(std::string_view text, double& value) {
  std::size_t start = 0;
  double sign = 1.0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    sign = text[0] == '-' ? -1.0 : 1.0;
    start = 1;
  }
  const std::string_view body = text.substr(start);
  const std::size_t mantissa_length = scan_mantissa_impl(body);
  if (mantissa_length == 0) return false;
  double rkm = 0;
  if (try_parse_rkm(body, rkm)) {
    value = sign * rkm;
    return true;
  }
  std::string_view letters = body.substr(mantissa_length);
  double scale = 1.0;
  if (const std::size_t micro = micro_sign_length(letters)) {
    scale = 1e-6;
    letters.remove_prefix(micro);
  } else {
    scale = suffix_scale(letters);
  }
  for (char c : letters)
    if (!is_alpha(c)) return false;
  const double mantissa = std::strtod(std::string(body.substr(0, mantissa_length)).c_str(), nullptr);
  value = sign * mantissa * scale;
  return true;
}

double parse_number(std::string_view text) {
  double value = 0;
  if (!try_parse_number(text, value))
    throw std::invalid_argument("malformed number '" + std::string(text) + "'");
  return value;
}


std::size_t number_mantissa_length(std::string_view text) { return scan_mantissa_impl(text); }

}  // namespace picospice
