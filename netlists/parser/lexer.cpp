#include "netlists/parser/lexer.hpp"

#include <cctype>

namespace picospice {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An inline comment starts at `;` or `$` followed by whitespace or the end of the line (so `$`
// inside a name such as `net$1` stays part of it).
bool starts_inline_comment(std::string_view line, std::size_t i) {
  return (line[i] == ';' || line[i] == '$') && (i + 1 == line.size() || is_space(line[i + 1]));
}

bool ends_word(std::string_view line, std::size_t i) {
  const char c = line[i];
  return is_space(c) || c == '(' || c == ')' || c == ',' || c == '=' || c == '{' || c == '\'' ||
         c == '"' || starts_inline_comment(line, i);
}

// Scans an expression's braces from line[i] on with `depth` open; returns where the outermost
// closes (depth 0), or line.size() when it stays open past the line.
std::size_t scan_braces(std::string_view line, std::size_t i, int& depth) {
  for (; i < line.size(); ++i) {
    if (line[i] == '{') ++depth;
    else if (line[i] == '}' && --depth == 0) return i;
  }
  return line.size();
}

// Tokenizes one physical line from byte `start` on, appending to `out`. `open_braces` > 0 on entry:
// the last token of `out` is a `{expression}` left open by the line before (continued on this `+`
// line), and it goes on from `start`. On exit it is > 0 when an expression stays open at the end
// of this line.
void tokenize(std::string_view line, std::size_t start, const std::string& file, int line_number,
              std::vector<Token>& out, int& open_braces, std::size_t& budget) {
  bool space_before = true;
  std::size_t i = start;
  if (open_braces > 0) {
    const std::size_t close = scan_braces(line, i, open_braces);
    Token& open = out.back();
    const std::string part(line.substr(i, close - i));
    open.raw += " " + part;
    open.text += " " + to_lower(part);
    if (close >= line.size()) return;
    i = close + 1;
    space_before = false;
  }
  auto make = [&](TokenKind kind, std::size_t at, std::string_view raw) {
    if (budget == 0)
      throw NetlistError(SourceLocation{file, line_number, static_cast<int>(at) + 1},
                         "the netlist holds more than " + std::to_string(kMaxLexedTokens) +
                             " tokens (names, numbers and punctuation), picospice's limit");
    --budget;
    Token token;
    token.kind = kind;
    token.raw = std::string(raw);
    token.text = to_lower(raw);
    token.location = SourceLocation{file, line_number, static_cast<int>(at) + 1};
    token.space_before = space_before;
    out.push_back(std::move(token));
    space_before = false;
  };
  while (i < line.size()) {
    const char c = line[i];
    if (is_space(c)) {
      space_before = true;
      ++i;
      continue;
    }
    if (starts_inline_comment(line, i)) return;
    switch (c) {
      case '(': make(TokenKind::LeftParen, i, "("); ++i; continue;
      case ')': make(TokenKind::RightParen, i, ")"); ++i; continue;
      case ',': make(TokenKind::Comma, i, ","); ++i; continue;
      case '=': make(TokenKind::Equals, i, "="); ++i; continue;
      default: break;
    }
    if (c == '{') {
      int depth = 0;
      const std::size_t j = scan_braces(line, i, depth);
      make(TokenKind::Expression, i, line.substr(i + 1, j - i - 1));
      if (j >= line.size()) {  // continued on the next `+` line, else an error (lex_netlist)
        open_braces = depth;
        return;
      }
      i = j + 1;
      continue;
    }
    if (c == '\'' || c == '"') {
      const std::size_t close = line.find(c, i + 1);
      if (close == std::string_view::npos)
        throw NetlistError(SourceLocation{file, line_number, static_cast<int>(i) + 1},
                           std::string("unclosed ") + c + " (expected a closing " + c +
                               " on the same line)");
      make(c == '"' ? TokenKind::String : TokenKind::Expression, i,
           line.substr(i + 1, close - i - 1));
      i = close + 1;
      continue;
    }
    std::size_t j = i + 1;
    while (j < line.size() && !ends_word(line, j)) ++j;
    make(TokenKind::Word, i, line.substr(i, j - i));
    i = j;
  }
}

std::size_t first_non_blank(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  return i;
}

}  // namespace

LexedText lex_netlist(std::string_view text, const std::string& file_name, bool first_line_is_title) {
  LexedText result;
  std::size_t budget = kMaxLexedTokens;
  bool in_control_block = false;
  int open_braces = 0;           // > 0: an `{expression}` continues on the next `+` line
  SourceLocation open_brace_at;  // where it opened
  int line_number = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    const bool last = end == text.size();
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (line_number == 1 && first_line_is_title) {
      const std::size_t b = first_non_blank(line);
      std::size_t e = line.size();
      while (e > b && is_space(line[e - 1])) --e;
      result.title = std::string(line.substr(b, e - b));
      if (last) break;
      continue;
    }
    const std::size_t first = first_non_blank(line);
    if (in_control_block) {
      // Only the first word matters; script lines may hold anything, so never fail on them.
      std::size_t e = first;
      while (e < line.size() && !is_space(line[e])) ++e;
      if (to_lower(line.substr(first, e - first)) == ".endc") in_control_block = false;
      if (last) break;
      continue;
    }
    const bool continues = first < line.size() && line[first] == '+';
    if (open_braces > 0 && first < line.size() && line[first] != '*' && !continues)
      throw NetlistError(open_brace_at, "unclosed '{' (expected '}' on the same line or a '+' line after it)");
    if (continues && open_braces > 0) {
      tokenize(line, first + 1, file_name, line_number, result.lines.back().tokens, open_braces, budget);
    } else if (first < line.size() && line[first] != '*') {
      if (line[first] == '+') {
        std::vector<Token> tokens;
        tokenize(line, first + 1, file_name, line_number, tokens, open_braces, budget);
        if (!tokens.empty()) {
          if (result.lines.empty())
            throw NetlistError(SourceLocation{file_name, line_number, static_cast<int>(first) + 1},
                               "continuation line '+' with no line before it to continue");
          auto& previous = result.lines.back().tokens;
          tokens.front().space_before = true;
          previous.insert(previous.end(), std::make_move_iterator(tokens.begin()),
                          std::make_move_iterator(tokens.end()));
        }
      } else {
        LogicalLine logical;
        tokenize(line, first, file_name, line_number, logical.tokens, open_braces, budget);
        if (!logical.tokens.empty()) {
          logical.location = logical.tokens.front().location;
          if (logical.keyword() == ".control") in_control_block = true;
          result.lines.push_back(std::move(logical));
        }
      }
    }
    if (open_braces > 0 && open_brace_at.line == 0) {
      for (auto it = result.lines.back().tokens.rbegin(); it != result.lines.back().tokens.rend(); ++it)
        if (it->is(TokenKind::Expression)) { open_brace_at = it->location; break; }
    } else if (open_braces == 0) {
      open_brace_at = SourceLocation{};
    }
    if (last) break;
  }
  if (open_braces > 0) throw NetlistError(open_brace_at, "unclosed '{' (expected '}' on the same line or a '+' line after it)");
  return result;
}

}  // namespace picospice
