#include "netlists/parser/parser.hpp"
#include "netlists/parser/token_text.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "base/atomic_file.hpp"
#include "netlists/conditional_blocks.hpp"

namespace picospice {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// ExpressionText

ExpressionText ExpressionText::from_tokens(const Token* begin, const Token* end) {
  ExpressionText result;
  for (const Token* t = begin; t != end; ++t) {
    if (t != begin && t->space_before) result.text += ' ';
    if (t->kind == TokenKind::Expression) {
      result.pieces.push_back({result.text.size(), t->location});
      result.text += '(';
      result.pieces.push_back({result.text.size(), t->text_location()});
      result.text += t->text;
      result.text += ')';
    } else {
      result.pieces.push_back({result.text.size(), t->text_location()});
      result.text += t->text;
    }
  }
  return result;
}

SourceLocation ExpressionText::location_of(std::size_t offset) const {
  if (pieces.empty()) return {};
  auto it = std::upper_bound(pieces.begin(), pieces.end(), offset,
                             [](std::size_t value, const Piece& p) { return value < p.offset; });
  if (it != pieces.begin()) --it;
  SourceLocation at = it->location;
  at.column += static_cast<int>(offset - std::min(offset, it->offset));
  return at;
}

// ---------------------------------------------------------------------------------------------
// Assignments

bool starts_assignment(const Token* t, const Token* end) {
  if (!t->is(TokenKind::Word) || !is_identifier(t->text) || t + 1 == end || !(t + 1)->is(TokenKind::Equals))
    return false;
  // `a==b` inside an unbraced expression is a comparison, not the assignment `a=`.
  const Token* after = t + 2;
  return after == end || !(after->is(TokenKind::Equals) && !after->space_before);
}

std::vector<ParamAssignment> parse_assignments(const Token* begin, const Token* end) {
  std::vector<ParamAssignment> result;
  const Token* t = begin;
  while (t != end) {
    if (t->is(TokenKind::Comma)) { ++t; continue; }
    if (!t->is(TokenKind::Word) || t + 1 == end || !(t + 1)->is(TokenKind::Equals))
      throw NetlistError(t->location, "expected 'name=value', found '" + t->raw + "'");
    ParamAssignment assignment;
    assignment.name = t->text;
    assignment.location = t->location;
    const Token* equals = t + 1;
    const Token* value_begin = equals + 1;
    const Token* v = value_begin;
    int depth = 0;
    for (; v != end; ++v) {
      if (depth == 0) {
        if (v->is(TokenKind::Comma)) break;
        if (v != value_begin && starts_assignment(v, end)) break;
      }
      if (v->is(TokenKind::LeftParen)) ++depth;
      if (v->is(TokenKind::RightParen) && --depth < 0)
        throw NetlistError(v->location, "unbalanced ')' in the value of '" + assignment.name + "'");
    }
    if (v == value_begin)
      throw NetlistError(equals->location, "expected a value after '" + assignment.name + "='");
    assignment.value = ExpressionText::from_tokens(value_begin, v);
    if (v - value_begin == 1 && value_begin->is(TokenKind::Word) && is_identifier(value_begin->text))
      assignment.word = value_begin->text;
    result.push_back(std::move(assignment));
    t = v;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Parser

void warn_to_stderr(const std::string& line) { std::cerr << line << '\n'; }

namespace {

// Directives that only make sense at the top level (they describe the whole simulation).
bool is_top_level_directive(const std::string& keyword) {
  static const char* const names[] = {".op", ".dc", ".tran", ".ac", ".noise", ".tf", ".options", ".option",
                                      ".opt", ".temp", ".ic", ".nodeset", ".save", ".measure", ".meas"};
  return std::find(std::begin(names), std::end(names), keyword) != std::end(names);
}

bool is_ignored_directive(const std::string& keyword) {
  static const char* const names[] = {".print", ".plot", ".probe", ".width", ".four"};
  return std::find(std::begin(names), std::end(names), keyword) != std::end(names);
}

// What one netlist (all its files together) may hold. The lexer keeps each token with its text,
// spelling and file:line:column (about 130 bytes), so a cap on tokens is a cap on memory: two
// million tokens (some 200,000 element lines, far beyond what EKV circuits of this size simulate)
// stay under 1 GB through parsing and elaboration. The byte cap bounds reading the text itself
// (comments hold no tokens), and `.include /dev/zero` ends there too.
constexpr std::size_t kMaxNetlistBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxNetlistTokens = kMaxLexedTokens;
constexpr std::size_t kMaxIncludeDepth = 64;
constexpr std::size_t kMaxSubcircuitNesting = 256;

// Reads a file of at most `budget` bytes. An unreadable file or a directory is an error with
// `where`; a file over budget (or endless, like /dev/zero) too.
// `written` is the name as the netlist gave it (messages show it, and the resolved path after it).
std::string read_bounded(const fs::path& path, std::size_t budget, const SourceLocation& where,
                         const std::string& what, const std::string& written = {}) {
  const std::string named =
      written.empty() || written == path.string() ? "'" + path.string() + "'" : "'" + written + "' (" + path.string() + ")";
  std::error_code error;
  if (fs::is_directory(path, error))
    throw NetlistError(where, "cannot read " + what + " " + named + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NetlistError(where, "cannot open " + what + " " + named);
  note_input_file(path);
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > budget)
      throw NetlistError(where, fmt::format("{} {} makes the netlist larger than {} MiB (picospice's limit)", what,
                                            named, kMaxNetlistBytes >> 20));
  }
  if (in.bad()) throw NetlistError(where, "cannot read " + what + " " + named);
  return text;
}

std::size_t count_tokens(const std::vector<LogicalLine>& lines) {
  std::size_t count = 0;
  for (const auto& line : lines) count += line.tokens.size();
  return count;
}

// One file (or library section) being read; identity compares, display is for messages.
struct IncludeLink {
  std::string identity;
  std::string display;
};

class Parser {
 public:
  explicit Parser(const WarningSink& warn) : warn_(warn) {}

  Netlist parse(std::string_view text, const std::string& file_name) {
    netlist_.file = file_name;
    LexedText lexed = lex_netlist(text, file_name, true);
    bytes_read_ = text.size();
    count(lexed.lines, SourceLocation{file_name, 1, 1});
    netlist_.title = lexed.title;
    include_chain_.push_back({identity(file_name, ""), file_name});
    process(lexed.lines);
    conditionals_.check_closed(0, "the end of the netlist");
    if (!open_.empty()) {
      const SubcircuitDefinition* open = open_.back();
      throw NetlistError(open->location, "'.subckt " + open->name +
                                             "' is not closed: expected '.ends' before the end of the netlist");
    }
    return std::move(netlist_);
  }

 private:
  Body& current_body() { return open_.empty() ? netlist_.top : open_.back()->body; }

  void warn(const SourceLocation& at, const std::string& message) {
    if (warn_) warn_(at.str() + ": warning: " + message);
  }

  static std::string display_key(const std::string& path, const std::string& section) {
    return section.empty() ? path : path + " (section " + section + ")";
  }
  // Identifies a file (and library section) however its path was spelled.
  static std::string identity(const fs::path& path, const std::string& section) {
    std::error_code error;
    fs::path canonical = fs::weakly_canonical(path, error);
    if (error) canonical = path.lexically_normal();
    return canonical.string() + "\n" + section;
  }

  // Processes lines until `.end`; returns true when `.end` was seen.
  bool process(const std::vector<LogicalLine>& lines) {
    for (const LogicalLine& line : lines) {
      if (line.keyword() == ".end") return true;
      process_line(line);
    }
    return false;
  }

  void process_line(const LogicalLine& line) {
    const std::string& keyword = line.keyword();
    if (is_conditional_directive(keyword)) return conditionals_.read(line, current_body(), include_chain_.size() - 1);
    if (conditionals_.inside()) conditionals_.check_allowed(line);
    if (keyword.empty() || keyword[0] != '.') {
      current_body().elements.push_back(line);
      return;
    }
    if (keyword == ".include" || keyword == ".inc") return include(line);
    if (keyword == ".lib") return include_library(line);
    if (keyword == ".endl")
      throw NetlistError(line.location, "'.endl' outside a library section of a '.lib' file");
    if (keyword == ".subckt") return open_subcircuit(line);
    if (keyword == ".ends") return close_subcircuit(line);
    if (keyword == ".param") {
      auto assignments = parse_assignments(line.tokens.data() + 1, line.tokens.data() + line.tokens.size());
      auto& params = current_body().params;
      params.insert(params.end(), assignments.begin(), assignments.end());
      return;
    }
    if (keyword == ".model") return add_model(line);
    if (keyword == ".func") return add_function(line);
    if (keyword == ".global") {
      for (std::size_t i = 1; i < line.tokens.size(); ++i)
        if (line.tokens[i].is(TokenKind::Word)) netlist_.globals.push_back(line.tokens[i].text);
      return;
    }
    if (keyword == ".title") {
      std::string title;
      for (std::size_t i = 1; i < line.tokens.size(); ++i)
        title += (i > 1 && line.tokens[i].space_before ? " " : "") + line.tokens[i].raw;
      netlist_.title = title;
      return;
    }
    if (keyword == ".control") {
      if (!open_.empty())
        throw NetlistError(line.location, "'.control' is not allowed inside '.subckt " + open_.back()->name + "'");
      netlist_.control_blocks.push_back(ControlBlock{line.location, line.script});
      return;
    }
    if (is_ignored_directive(keyword)) {
      warn(line.location, "ignoring '" + keyword + "' (not supported by picospice)");
      if (keyword == ".four")
        netlist_.skipped.emplace_back(line.location, "'" + keyword + "' (not supported yet)");
      return;
    }
    if (!open_.empty() && is_top_level_directive(keyword))
      throw NetlistError(line.location, "'" + keyword + "' is not allowed inside '.subckt " +
                                            open_.back()->name + "' (expected '.ends' first)");
    if (!open_.empty())
      throw NetlistError(line.location, "unknown directive '" + keyword + "'");
    current_body().directives.push_back(line);
  }

  // The path named by a token, relative to the directory of the file that names it.
  static fs::path resolve(const Token& token) {
    fs::path path(token.raw);
    if (path.is_relative()) path = fs::path(token.location.file).parent_path() / path;
    return path.lexically_normal();
  }

  std::vector<LogicalLine> load(const Token& path_token, const fs::path& path,
                                const IncludeLink& link) {
    for (const auto& open : include_chain_) {
      if (open.identity != link.identity) continue;
      std::string chain;
      for (const auto& each : include_chain_) chain += each.display + " -> ";
      throw NetlistError(path_token.location, "include loop: " + chain + link.display);
    }
    if (include_chain_.size() >= kMaxIncludeDepth)
      throw NetlistError(path_token.location, fmt::format("includes nested more than {} deep (through {})",
                                                          kMaxIncludeDepth, include_chain_.back().display));
    const std::string text = read_bounded(path, kMaxNetlistBytes - bytes_read_, path_token.location,
                                          "include file", path_token.raw);
    bytes_read_ += text.size();
    auto lines = lex_netlist(text, path.string(), false).lines;
    count(lines, path_token.location);
    return lines;
  }

  // Adds a file's tokens to the netlist's total; refuses a netlist over the limit.
  void count(const std::vector<LogicalLine>& lines, const SourceLocation& where) {
    tokens_read_ += count_tokens(lines);
    if (tokens_read_ > kMaxNetlistTokens)
      throw NetlistError(where, fmt::format("the netlist holds more than {} tokens (names, numbers and "
                                            "punctuation), picospice's limit",
                                            kMaxNetlistTokens));
  }

  static const Token& path_token(const LogicalLine& line, const char* usage) {
    if (line.tokens.size() < 2 || line.tokens[1].is(TokenKind::Equals) ||
        line.tokens[1].is(TokenKind::LeftParen))
      throw NetlistError(line.location, std::string("expected a file name: ") + usage);
    return line.tokens[1];
  }

  void include(const LogicalLine& line) {
    const Token& token = path_token(line, ".include \"file\"");
    const fs::path path = resolve(token);
    const IncludeLink link{identity(path, ""), path.string()};
    auto lines = load(token, path, link);
    include_chain_.push_back(link);
    process(lines);  // `.end` inside an include only ends that file
    conditionals_.check_closed(include_chain_.size() - 1, "the end of the included file " + link.display);
    include_chain_.pop_back();
  }

  void include_library(const LogicalLine& line) {
    if (line.tokens.size() != 3)
      throw NetlistError(line.location,
                         "expected '.lib file section' (a '.lib section' block belongs in a library file)");
    const Token& token = path_token(line, ".lib file section");
    const Token& section_token = line.tokens[2];
    const std::string section = section_token.text;
    const fs::path path = resolve(token);
    const IncludeLink link{identity(path, section), display_key(path.string(), section)};
    auto lines = load(token, path, link);

    std::vector<LogicalLine> selected;
    bool found = false, inside = false;
    for (auto& l : lines) {
      if (!inside && l.keyword() == ".lib" && l.tokens.size() == 2 && l.tokens[1].text == section) {
        inside = found = true;
      } else if (inside && l.keyword() == ".endl") {
        inside = false;
      } else if (inside) {
        selected.push_back(std::move(l));
      }
    }
    if (!found)
      throw NetlistError(section_token.location,
                         "library '" + path.string() + "' has no section '" + section + "'");
    include_chain_.push_back(link);
    process(selected);
    conditionals_.check_closed(include_chain_.size() - 1, "the end of the library section " + link.display);
    include_chain_.pop_back();
  }

  void open_subcircuit(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    if (tokens.size() < 2 || !tokens[1].is(TokenKind::Word))
      throw NetlistError(line.location, "expected '.subckt name pin1 pin2 ... [params: k=v ...]'");
    auto definition = std::make_unique<SubcircuitDefinition>();
    definition->name = tokens[1].text;
    definition->location = line.location;
    std::size_t i = 2;
    for (; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      if (t.is_word("params:")) { ++i; break; }
      if (i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals)) break;
      if (t.is(TokenKind::LeftParen) || t.is(TokenKind::RightParen) || t.is(TokenKind::Comma)) continue;
      if (!t.is(TokenKind::Word))
        throw NetlistError(t.location, "expected a pin name on the '.subckt' line, found '" + t.raw + "'");
      definition->pins.push_back(t);
    }
    definition->defaults = parse_assignments(tokens.data() + i, tokens.data() + tokens.size());
    if (open_.size() >= kMaxSubcircuitNesting)
      throw NetlistError(line.location, fmt::format("'.subckt' definitions nested more than {} deep",
                                                    kMaxSubcircuitNesting));
    auto& defined = subcircuit_names_[&current_body()];
    if (auto [it, inserted] = defined.emplace(definition->name, definition.get()); !inserted)
      throw NetlistError(line.location, "subcircuit '" + definition->name +
                                            "' is already defined at " + it->second->location.str());
    SubcircuitDefinition* raw = definition.get();
    current_body().subcircuits.push_back(std::move(definition));
    open_.push_back(raw);
  }

  void close_subcircuit(const LogicalLine& line) {
    if (open_.empty()) throw NetlistError(line.location, "'.ends' without a matching '.subckt'");
    if (line.tokens.size() > 1 && line.tokens[1].text != open_.back()->name)
      throw NetlistError(line.tokens[1].location, "'.ends " + line.tokens[1].text + "' closes '.subckt " +
                                                      open_.back()->name + "' (expected '.ends " +
                                                      open_.back()->name + "')");
    open_.pop_back();
  }

  void add_model(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    if (tokens.size() < 3 || !tokens[1].is(TokenKind::Word) || !tokens[2].is(TokenKind::Word))
      throw NetlistError(line.location, "expected '.model name type (param=value ...)'");
    ModelDefinition model;
    model.name = tokens[1].text;
    model.type = tokens[2].text;
    model.location = line.location;
    const Token* begin = tokens.data() + 3;
    const Token* end = tokens.data() + tokens.size();
    if (begin != end && begin->is(TokenKind::LeftParen)) {
      if (!(end - 1)->is(TokenKind::RightParen))
        throw NetlistError((end - 1)->location, "expected ')' at the end of '.model " + model.name + "'");
      ++begin;
      --end;
    }
    model.params = parse_assignments(begin, end);
    auto& models = current_body().models;
    auto& defined = model_names_[&current_body()];  // a map, so 100k models are not 10^10 compares
    // Inside `.if` blocks one name may have several cards: the elaborator checks that the chosen
    // branches keep one. Here only two cards outside every block clash.
    const bool conditional = conditionals_.inside();
    if (auto [it, inserted] = defined.emplace(model.name, DefinedModel{models.size(), conditional}); !inserted) {
      if (!it->second.conditional && !conditional)
        throw NetlistError(line.location, "model '" + model.name + "' is already defined at " +
                                              models[it->second.index].location.str());
      if (!conditional) it->second = DefinedModel{models.size(), false};
    }
    models.push_back(std::move(model));
  }

  // `.func name(a, b) {body}`, `.func name(a, b) = {body}` or `.func name(a, b) body`.
  void add_function(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    const char* usage = "expected '.func name(arg, ...) {expression}'";
    if (tokens.size() < 4 || !tokens[1].is(TokenKind::Word) || !is_identifier(tokens[1].text) ||
        !tokens[2].is(TokenKind::LeftParen))
      throw NetlistError(tokens.size() > 1 ? tokens[1].location : line.location, usage);
    FunctionDefinition function;
    function.name = tokens[1].text;
    function.location = tokens[1].location;
    std::size_t i = 3;
    for (; i < tokens.size() && !tokens[i].is(TokenKind::RightParen); ++i) {
      if (tokens[i].is(TokenKind::Comma)) continue;
      if (!tokens[i].is(TokenKind::Word) || !is_identifier(tokens[i].text))
        throw NetlistError(tokens[i].location, "expected an argument name in '.func " + function.name + "', found '" +
                                                   tokens[i].raw + "'");
      if (std::find(function.params.begin(), function.params.end(), tokens[i].text) != function.params.end())
        throw NetlistError(tokens[i].location, "'.func " + function.name + "' names argument '" + tokens[i].text + "' twice");
      function.params.push_back(tokens[i].text);
    }
    if (i >= tokens.size()) throw NetlistError(tokens[2].location, "expected ')' after the arguments of '.func " + function.name + "'");
    ++i;
    if (i < tokens.size() && tokens[i].is(TokenKind::Equals)) ++i;
    if (i >= tokens.size()) throw NetlistError(line.location, "'.func " + function.name + "' has no body: " + usage);
    function.body = ExpressionText::from_tokens(tokens.data() + i, tokens.data() + tokens.size());
    try {
      function.syntax = std::make_shared<const ExpressionSyntax>(parse_expression(function.body.text));
    } catch (const ExpressionError& error) {
      throw NetlistError(function.body.location_of(error.offset), error.what());
    }
    auto& functions = current_body().functions;
    for (const auto& existing : functions)
      if (existing.name == function.name)
        throw NetlistError(function.location, ".func '" + function.name + "' is already defined at " +
                                                  existing.location.str());
    functions.push_back(std::move(function));
  }

  const WarningSink& warn_;
  Netlist netlist_;
  std::vector<SubcircuitDefinition*> open_;  // innermost last
  std::vector<IncludeLink> include_chain_;   // files being read, outermost first
  std::size_t bytes_read_ = 0, tokens_read_ = 0;  // all files so far, against the limits
  // Names defined in each body, for the duplicate checks.
  std::unordered_map<const Body*, std::unordered_map<std::string, const SubcircuitDefinition*>> subcircuit_names_;
  struct DefinedModel {
    std::size_t index;
    bool conditional;  // inside a `.if` block
  };
  std::unordered_map<const Body*, std::unordered_map<std::string, DefinedModel>> model_names_;
  ConditionalBlockReader conditionals_;
};

}  // namespace

Netlist parse_netlist_text(std::string_view text, const std::string& file_name, const WarningSink& warn) {
  return Parser(warn).parse(text, file_name);
}

Netlist parse_netlist_file(const std::string& path, const WarningSink& warn) {
  const std::string text = read_bounded(path, kMaxNetlistBytes, SourceLocation{}, "netlist");
  return parse_netlist_text(text, path, warn);
}

}  // namespace picospice
