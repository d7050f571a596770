// SPICE numbers, as netlists, the command line and result files write them.
//
// `1.5`, `2.5E+6`, `.5`, with an engineering suffix f p n u m k meg g t mil (any case; `m` is
// milli, `meg` mega, `mil` 25.4e-6) and any trailing unit letters, which are ignored: `10pF`,
// `1.8V`, `1megohm`, `5ns`. The micro sign (U+00B5 or U+03BC, UTF-8) is micro: `10µF`.
// RKM notation (IEC 60062) puts the multiplier letter, or R for 1, in place of the decimal point:
// `4k7` = 4700, `2R2` = 2.2, `1u5` = 1.5e-6 (ngspice 39 reads these as 4000, 2 and 1e-6;
// export-ngspice writes them out as plain numbers).
#pragma once
#include <cstddef>
#include <string_view>

namespace picospice {

// Parses a whole SPICE number; throws std::invalid_argument on malformed text ("1.2.3", "abc", "").
double parse_number(std::string_view text);
// The same without throwing: false (and `value` untouched) when the text is not a number.
bool try_parse_number(std::string_view text, double& value);
// The length of the mantissa-and-exponent part of a number at the start of `text` (no sign, no
// suffix); 0 when the text does not start with one. The expression scanner uses it.
std::size_t number_mantissa_length(std::string_view text);

}  // namespace picospice
