// Netlist lexer: physical lines -> logical lines of tokens with file:line:column.
//
//  - The first line of a top-level netlist is the title (always a comment).
//  - `*` as the first non-blank character makes a full-line comment; `;` and `$` followed by
//    whitespace or the end of the line start an inline comment.
//  - A line whose first non-blank character is `+` continues the previous logical line; blank and
//    comment lines may sit between the two.
//  - Tokens are lower case (Token::raw keeps the original spelling, for file paths).
//  - `(`, `)`, `,` and `=` are tokens of their own; `{...}` and `'...'` are one Expression token
//    (text without the delimiters); `"..."` is one String token.
//  - `.control` ... `.endc` is returned as a single `.control` line: its contents are another
//    language (ngspice scripts) and are skipped unread.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "base/errors.hpp"

namespace picospice {

enum class TokenKind { Word, Expression, String, Equals, LeftParen, RightParen, Comma };

struct Token {
  TokenKind kind = TokenKind::Word;
  std::string text;          // lower case; Expression and String without their delimiters
  std::string raw;           // as written (same delimiter stripping as text)
  SourceLocation location;   // of the first character, delimiter included
  bool space_before = true;  // whitespace (or the start of the line) precedes the token

  bool is(TokenKind k) const { return kind == k; }
  bool is_word(std::string_view word) const { return kind == TokenKind::Word && text == word; }
  // Where the text starts: one past the opening delimiter of Expression and String tokens.
  SourceLocation text_location() const {
    SourceLocation at = location;
    if (kind == TokenKind::Expression || kind == TokenKind::String) ++at.column;
    return at;
  }
};

struct LogicalLine {
  std::vector<Token> tokens;  // never empty
  SourceLocation location;    // of the first token
  // The lower-case first word: ".subckt", "r1", ...
  const std::string& keyword() const { return tokens.front().text; }
};

struct LexedText {
  std::string title;            // empty when the text has no title line
  std::vector<LogicalLine> lines;
};

// Tokens one file may hold: each costs about 130 bytes, so this bounds the lexer's memory (a
// gigabyte line of one-letter words is refused at its first two million words). The parser holds
// all files of a netlist together to the same total.
constexpr std::size_t kMaxLexedTokens = 2'000'000;

// Splits `text` (the contents of `file_name`) into logical lines. Throws NetlistError on an
// unclosed `{`, quote, a continuation line with nothing to continue, or
// more than kMaxLexedTokens tokens.
LexedText lex_netlist(std::string_view text, const std::string& file_name, bool first_line_is_title);

}  // namespace picospice
