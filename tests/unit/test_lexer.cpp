// Netlist lexer: logical lines, comments, continuations, tokens with locations.
#include <catch2/catch.hpp>

#include "netlists/parser/lexer.hpp"

using namespace picospice;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> texts(const LogicalLine& line) {
  std::vector<std::string> out;
  for (const auto& t : line.tokens) out.push_back(t.text);
  return out;
}

NetlistError lex_error(const std::string& text) {
  try {
    lex_netlist(text, "t.cir", true);
  } catch (const NetlistError& e) {
    return e;
  }
  FAIL("no error for: " << text);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("parser: lexer title, comments, continuations and case", "[parser]") {
  const std::string text =
      "My Title Line\n"
      "* a comment\n"
      "R1 IN Out 10K ; inline comment\n"
      "\n"
      "   * indented comment between\n"
      "+ m=2 $ another comment\n"
      "C1 net$1 0 {Cval * 2} 'a+b'\n"
      ".include \"Models/File.LIB\"\n";
  const LexedText lexed = lex_netlist(text, "t.cir", true);
  CHECK(lexed.title == "My Title Line");
  REQUIRE(lexed.lines.size() == 3);

  const LogicalLine& r1 = lexed.lines[0];
  CHECK(texts(r1) == std::vector<std::string>{"r1", "in", "out", "10k", "m", "=", "2"});
  CHECK(r1.location.file == "t.cir");
  CHECK(r1.location.line == 3);
  CHECK(r1.location.column == 1);
  CHECK(r1.tokens[1].raw == "IN");
  CHECK(r1.tokens[2].location.column == 7);
  CHECK(r1.tokens[3].location.column == 11);
  // The continued part keeps its own physical line and column.
  CHECK(r1.tokens[4].location.line == 6);
  CHECK(r1.tokens[4].location.column == 3);
  CHECK(r1.tokens[5].is(TokenKind::Equals));
  CHECK(r1.tokens[6].location.column == 5);

  const LogicalLine& c1 = lexed.lines[1];
  REQUIRE(c1.tokens.size() == 5);
  CHECK(c1.tokens[1].text == "net$1");  // `$` not followed by a space is part of the name
  CHECK(c1.tokens[3].is(TokenKind::Expression));
  CHECK(c1.tokens[3].text == "cval * 2");
  CHECK(c1.tokens[3].location.column == 12);
  CHECK(c1.tokens[3].text_location().column == 13);
  CHECK(c1.tokens[4].is(TokenKind::Expression));
  CHECK(c1.tokens[4].text == "a+b");
  CHECK(c1.tokens[4].location.column == 23);

  const LogicalLine& include = lexed.lines[2];
  CHECK(include.keyword() == ".include");
  REQUIRE(include.tokens.size() == 2);
  CHECK(include.tokens[1].is(TokenKind::String));
  CHECK(include.tokens[1].raw == "Models/File.LIB");  // paths keep their case
}

TEST_CASE("parser: lexer separators and key=value", "[parser]") {
  const auto lexed = lex_netlist("t\nV1 a 0 PULSE(0 1.8, 1n) r = 1k\n", "t.cir", true);
  REQUIRE(lexed.lines.size() == 1);
  const auto& tokens = lexed.lines[0].tokens;
  CHECK(texts(lexed.lines[0]) ==
        std::vector<std::string>{"v1", "a", "0", "pulse", "(", "0", "1.8", ",", "1n", ")", "r", "=", "1k"});
  CHECK(tokens[4].is(TokenKind::LeftParen));
  CHECK_FALSE(tokens[4].space_before);
  CHECK_FALSE(tokens[5].space_before);
  CHECK(tokens[7].is(TokenKind::Comma));
  CHECK(tokens[9].is(TokenKind::RightParen));
  CHECK(tokens[11].is(TokenKind::Equals));
  CHECK(tokens[12].location.column == 29);
}

TEST_CASE("parser: lexer keeps .control blocks as text and handles CRLF", "[parser]") {
  const auto lexed = lex_netlist(
      "t\r\n.control\r\nrun\r\n* a comment\r\n  plot v(out) {unclosed 'quote\r\n+ more\r\n.ENDC\r\nR1 a 0 1k\r\n",
      "t.cir", true);
  REQUIRE(lexed.lines.size() == 2);
  CHECK(lexed.lines[0].keyword() == ".control");
  REQUIRE(lexed.lines[0].script.size() == 2);
  CHECK(lexed.lines[0].script[0].text == "run");
  CHECK(lexed.lines[0].script[1].text == "plot v(out) {unclosed 'quote  more");
  CHECK(lexed.lines[0].script[1].location.line == 5);
  CHECK(lexed.lines[0].script[1].location.column == 3);
  CHECK(texts(lexed.lines[1]) == std::vector<std::string>{"r1", "a", "0", "1k"});
  CHECK(lexed.title == "t");
}

TEST_CASE("parser: a .control block without .endc is an error at the .control line", "[parser]") {
  CHECK_THROWS_WITH(lex_netlist("t\nR1 a 0 1k\n.control\nop\n", "t.cir", true),
                    Catch::Contains("t.cir:3:1: error: '.control' block without '.endc'"));
}

TEST_CASE("parser: lexer without a title line", "[parser]") {
  const auto lexed = lex_netlist("R1 a 0 1k\n.param x=1", "inc.cir", false);
  CHECK(lexed.title.empty());
  REQUIRE(lexed.lines.size() == 2);
  CHECK(lexed.lines[0].location.line == 1);
}

TEST_CASE("parser: lexer errors have locations", "[parser]") {
  auto e = lex_error("title\n+ r1 a b\n");
  CHECK(e.location.line == 2);
  CHECK(e.location.column == 1);
  CHECK_THAT(e.what(), Contains("continuation"));

  e = lex_error("title\nR1 a 0 {1+2\n");
  CHECK(e.location.line == 2);
  CHECK(e.location.column == 8);
  CHECK_THAT(e.what(), Contains("expected '}'"));
  CHECK_THAT(e.what(), Contains("t.cir:2:8: error:"));

  e = lex_error("title\n.include \"oops\n");
  CHECK(e.location.column == 10);
}
