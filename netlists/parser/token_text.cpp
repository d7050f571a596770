#include "netlists/parser/token_text.hpp"

#include <algorithm>
#include <cctype>

namespace picospice {

bool is_separator(const Token& t) {
  return t.is(TokenKind::LeftParen) || t.is(TokenKind::RightParen) || t.is(TokenKind::Comma);
}

bool is_identifier(std::string_view text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_'))
    return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool looks_numeric(std::string_view text) {
  std::size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  if (i >= text.size()) return false;
  return std::isdigit(static_cast<unsigned char>(text[i])) ||
         (text[i] == '.' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])));
}

std::size_t glued_value_end(const std::vector<Token>& tokens, std::size_t begin) {
  std::size_t j = begin;
  int depth = 0;
  do {
    const Token& t = tokens[j];
    if (t.is(TokenKind::RightParen)) {
      if (depth == 0) break;
      --depth;
    }
    if (depth == 0 && t.is(TokenKind::Comma)) break;
    if (t.is(TokenKind::LeftParen)) ++depth;
    ++j;
  } while (j < tokens.size() && (depth > 0 || !tokens[j].space_before));
  return j;
}

std::string join_text(const std::vector<Token>& tokens, std::size_t begin, std::size_t end) {
  std::string text;
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin && tokens[i].space_before) text += ' ';
    text += tokens[i].is(TokenKind::Expression) ? "{" + tokens[i].text + "}" : tokens[i].text;
  }
  return text;
}

}  // namespace picospice
