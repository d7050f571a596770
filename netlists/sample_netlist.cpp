#include "netlists/sample_netlist.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "engine/monte_carlo/results_csv.hpp"
#include "netlists/parser/parser.hpp"

namespace picospice {

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string token_text(const Token& t) {
  switch (t.kind) {
    case TokenKind::Expression: return "{" + t.raw + "}";
    case TokenKind::String: return "\"" + t.raw + "\"";
    default: return t.raw;
  }
}

// A logical line rebuilt from its tokens, with token `replace_at` (if any) replaced by `replacement`
// and the `name=` assignments of the parameters in `dropped` left out.
std::string rebuild(const LogicalLine& line, std::optional<std::size_t> replace_at, const std::string& replacement,
                    const std::set<std::string>& dropped = {}) {
  const auto& tokens = line.tokens;
  std::string text;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const bool starts_assignment = i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals);
    if (i > 0 && starts_assignment && tokens[i].is(TokenKind::Word) && dropped.count(tokens[i].text)) {
      // Skip the name, '=', and the value up to the next `name =` or the end of the line.
      std::size_t j = i + 2;
      while (j < tokens.size() && !(j + 1 < tokens.size() && tokens[j + 1].is(TokenKind::Equals))) ++j;
      i = j - 1;
      continue;
    }
    const std::string piece = replace_at && *replace_at == i ? replacement : token_text(tokens[i]);
    if (!text.empty() && tokens[i].space_before) text += ' ';
    text += piece;
  }
  return text;
}

// The index of the subcircuit-name token of an X line (see the elaborator's `instantiate`).
std::optional<std::size_t> subcircuit_token(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  std::optional<std::size_t> last_word;
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    if (tokens[i].is_word("params:")) break;
    if (i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals)) break;
    if (tokens[i].is(TokenKind::Word)) last_word = i;
  }
  return last_word;
}

std::string copy_name(const std::string& subckt, const std::string& path) {
  std::string name = subckt + "__mc_" + path;
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

class SampleNetlistWriter {
 public:
  SampleNetlistWriter(const std::string& path, const std::vector<MismatchDraw>& draws) : main_file_(path) {
    for (const auto& d : draws) draws_[d.instance].push_back(d);
  }

  std::string write(const std::string& comment) {
    netlist_ = parse_netlist_file(main_file_, [](const std::string&) {});
    std::vector<std::string> lines = read_lines(main_file_);
    collect_definitions(netlist_.top);
    edit_body(netlist_.top, "", [&](const LogicalLine& line, const std::string& text) {
      if (line.tokens.front().location.file != main_file_)
        throw NetlistError(line.location, "--write-netlist: '" + line.keyword() +
                                              "' sits at the top level of an included file; only the netlist "
                                              "itself is edited (move the line into it)");
      const int first = line.tokens.front().location.line, last = line.tokens.back().location.line;
      lines[first - 1] = text;
      for (int k = first + 1; k <= last; ++k) lines[k - 1].clear();
    });
    for (const auto& [name, draw] : draws_)
      if (!placed_.count(name)) throw std::runtime_error("--write-netlist: instance '" + name + "' was not found in " + main_file_);

    std::string out;
    std::size_t end_line = lines.size();
    for (std::size_t k = 0; k < lines.size(); ++k) {
      std::string lower = lines[k];
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (k > 0 && lower.rfind(".end", 0) == 0 && lower.find_first_not_of(" \t", 4) == std::string::npos) end_line = k;
    }
    for (std::size_t k = 0; k < end_line; ++k) {
      out += lines[k] + "\n";
      if (k == 0) out += "* " + comment + "\n";
    }
    if (!copies_.empty()) out += "\n* Per-instance subcircuit copies with this sample's mismatch values.\n";
    for (const auto& copy : copies_) out += copy;
    for (std::size_t k = end_line; k < lines.size(); ++k) out += lines[k] + "\n";
    if (end_line == lines.size()) out += ".end\n";
    return out;
  }

 private:
  using LineSink = std::function<void(const LogicalLine&, const std::string&)>;

  void collect_definitions(const Body& body) {
    for (const auto& def : body.subcircuits) {
      definitions_[def->name] = def.get();
      collect_definitions(def->body);
    }
  }

  // True when some drawn instance lives inside the subcircuit instance at `path`.
  bool has_draws_under(const std::string& path) const {
    const std::string prefix = path + ".";
    auto it = draws_.lower_bound(prefix);
    return it != draws_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
  }

  const SubcircuitDefinition* definition(const std::string& name) const {
    auto it = definitions_.find(name);
    if (it == definitions_.end()) throw std::runtime_error("--write-netlist: unknown subcircuit '" + name + "'");
    return it->second;
  }

  // Edits the drawn elements and the X lines above them in one body whose instances are named
  // `prefix` + line name.
  void edit_body(const Body& body, const std::string& prefix, const LineSink& sink) {
    for (const auto& line : body.elements) {
      const std::string name = prefix + line.keyword();
      if (auto it = draws_.find(name); it != draws_.end()) {
        std::set<std::string> parameters;
        std::string assignments;
        for (const auto& d : it->second) {
          parameters.insert(d.parameter);
          assignments += " " + d.parameter + "=" + exact_number(d.value);
        }
        sink(line, rebuild(line, std::nullopt, "", parameters) + assignments);
        placed_.insert(name);
      } else if (line.keyword()[0] == 'x') {
        const auto at = subcircuit_token(line);
        if (!at || !has_draws_under(name)) continue;
        const std::string copy = copy_name(line.tokens[*at].raw, name);
        // Two branches of a `.if` block may hold the same X line: one copy serves both.
        if (copied_.insert(copy).second) copies_.push_back(copy_definition(*definition(line.tokens[*at].text), name, copy));
        sink(line, rebuild(line, *at, copy));
      }
    }
  }

  // The text of a definition renamed to `copy`, its lines edited for the instance at `path`.
  std::string copy_definition(const SubcircuitDefinition& def, const std::string& path, const std::string& copy) {
    if (!def.body.subcircuits.empty())
      throw NetlistError(def.location, "--write-netlist: subcircuit '" + def.name +
                                           "' defines nested .subckt blocks; move them to the top level");
    const std::string& file = def.location.file;
    if (!files_.count(file)) files_[file] = read_lines(file);
    std::vector<std::string> lines = files_[file];
    // The definition spans from its .subckt line to the matching .ends.
    const int first = def.location.line;
    int last = first;
    for (int depth = 0, k = first; k <= static_cast<int>(lines.size()); ++k) {
      std::string lower = lines[k - 1];
      const auto start = lower.find_first_not_of(" \t");
      lower = start == std::string::npos ? "" : lower.substr(start);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.rfind(".subckt", 0) == 0) ++depth;
      if (lower.rfind(".ends", 0) == 0 && --depth == 0) { last = k; break; }
    }
    edit_body(def.body, path + ".", [&](const LogicalLine& line, const std::string& text) {
      const int a = line.tokens.front().location.line, b = line.tokens.back().location.line;
      lines[a - 1] = text;
      for (int k = a + 1; k <= b; ++k) lines[k - 1].clear();
    });
    // Rename the definition on its .subckt line: the word after `.subckt`.
    const std::size_t keyword = lines[first - 1].find_first_not_of(" \t");
    const std::size_t name_begin = lines[first - 1].find_first_not_of(" \t", keyword + 7);
    const std::size_t name_end = lines[first - 1].find_first_of(" \t", name_begin);
    lines[first - 1].replace(name_begin, name_end == std::string::npos ? std::string::npos : name_end - name_begin, copy);
    if (last > first) lines[last - 1] = ".ends " + copy;  // `.ends NAME` must name the copy
    std::string text;
    for (int k = first; k <= last; ++k)
      if (!lines[k - 1].empty()) text += lines[k - 1] + "\n";
    return text;
  }

  std::string main_file_;
  Netlist netlist_;
  std::map<std::string, std::vector<MismatchDraw>> draws_;  // by instance
  std::set<std::string> placed_;
  std::map<std::string, const SubcircuitDefinition*> definitions_;
  std::map<std::string, std::vector<std::string>> files_;
  std::vector<std::string> copies_;
  std::set<std::string> copied_;  // names of the copies made
};

}  // namespace

namespace {

// The sample netlist is written elsewhere than the original, so `.include` and `.lib` paths that
// were relative to the original's folder become absolute.
std::string absolute_include_paths(const std::string& text, const std::filesystem::path& base) {
  std::istringstream in(text);
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string keyword, path;
    words >> keyword >> path;
    std::string lower = keyword;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower == ".include" || lower == ".inc" || lower == ".lib") && !path.empty()) {
      const bool quoted = path.size() > 1 && (path.front() == '"' || path.front() == '\'');
      const std::string bare = quoted ? path.substr(1, path.size() - 2) : path;
      if (std::filesystem::path(bare).is_relative()) {
        std::string rest;
        std::getline(words, rest);
        line = keyword + " \"" + (base / bare).lexically_normal().string() + "\"" + rest;
      }
    }
    out << line << "\n";
  }
  return out.str();
}

}  // namespace

std::string write_sample_netlist(const std::string& netlist_path, const std::vector<MismatchDraw>& draws,
                                 const std::string& comment) {
  const auto base = std::filesystem::absolute(netlist_path).parent_path();
  return absolute_include_paths(SampleNetlistWriter(netlist_path, draws).write(comment), base);
}

}  // namespace picospice
