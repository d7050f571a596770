// Small questions about tokens and their text that the parser, the elaborator and the ngspice
// exporter all ask, answered once.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "netlists/parser/lexer.hpp"

namespace picospice {

// `(`, `)` or `,`.
bool is_separator(const Token& t);
// A parameter-style name: a letter or `_`, then letters, digits or `_`.
bool is_identifier(std::string_view text);
// Starts like a number: an optional sign, then a digit or `.digit`.
bool looks_numeric(std::string_view text);
// Index one past the value that starts at `begin`: a token and whatever is glued to it without
// whitespace, with parentheses balanced (`max(a, b)`); an unmatched `)` or a `,` ends it.
std::size_t glued_value_end(const std::vector<Token>& tokens, std::size_t begin);
// Tokens [begin, end) as text, expressions back in braces, spaces where the source had them.
std::string join_text(const std::vector<Token>& tokens, std::size_t begin, std::size_t end);

}  // namespace picospice
