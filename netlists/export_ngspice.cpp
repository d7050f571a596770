// Translates a parsed picospice netlist into ngspice 39 text; see export_ngspice.hpp for the rules.
#include "netlists/export_ngspice.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "base/atomic_file.hpp"
#include "base/numbers.hpp"
#include "devices/device_registry.hpp"
#include "engine/analyses/dc_sweep.hpp"
#include "netlists/conditional_blocks.hpp"
#include "netlists/elaborate.hpp"
#include "netlists/elaboration_scope.hpp"
#include "netlists/parser/parser.hpp"
#include "netlists/parser/token_text.hpp"

namespace picospice {

namespace {

std::string number(double v) { return fmt::format("{:.17g}", v); }

// An RKM number (`4k7`, `2R2`: base/numbers.hpp) as a plain one, since ngspice 39 would read
// `4k7` as 4000 and `2R2` as 2; any other word as written.
std::string rkm_as_plain_number(const std::string& word) {
  double value = 0;
  const bool digit_after_letter =
      std::adjacent_find(word.begin(), word.end(), [](char a, char b) {
        return !std::isdigit(static_cast<unsigned char>(a)) && a != '.' && a != '-' && a != '+' &&
               std::isdigit(static_cast<unsigned char>(b));
      }) != word.end();
  if (word.empty() || !std::isdigit(static_cast<unsigned char>(word[0])) || !digit_after_letter ||
      word.find_first_of("eE") != std::string::npos || !try_parse_number(word, value))
    return word;
  return fmt::format("{:.15g}", value);
}

// One token as ngspice reads it: expressions in braces, strings in quotes, words as written
// (RKM numbers made plain).
std::string token_text(const Token& t) {
  switch (t.kind) {
    case TokenKind::Expression: return "{" + t.raw + "}";
    case TokenKind::String: return "\"" + t.raw + "\"";
    case TokenKind::Equals: return "=";
    case TokenKind::LeftParen: return "(";
    case TokenKind::RightParen: return ")";
    case TokenKind::Comma: return ",";
    case TokenKind::Word: return rkm_as_plain_number(t.raw);
  }
  return t.raw;
}

std::string tokens_text(const std::vector<Token>& tokens, std::size_t begin, std::size_t end) {
  std::string text;
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin && tokens[i].space_before) text += ' ';
    text += token_text(tokens[i]);
  }
  return text;
}

std::string line_text(const LogicalLine& line) { return tokens_text(line.tokens, 0, line.tokens.size()); }

// A value ngspice reads as a number literal (with SPICE suffixes) stays bare; anything else (an
// expression or a parameter name) goes in braces so numparam evaluates it.
std::string value_text(const ParamAssignment& a) {
  const std::string& text = a.value.text;
  const bool literal = !text.empty() && text.find_first_of(" ()*/+") == std::string::npos &&
                       (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.' ||
                        ((text[0] == '-' || text[0] == '+') && text.size() > 1));
  if (!a.word.empty() && a.word == text) return literal ? text : "{" + text + "}";
  return literal ? text : "{" + text + "}";
}

std::string assignments_text(const std::vector<ParamAssignment>& assignments) {
  std::string text;
  for (const auto& a : assignments) text += (text.empty() ? "" : " ") + a.name + "=" + value_text(a);
  return text;
}

// The options ngspice 39 understands with the same meaning; others are dropped with a comment.
bool ngspice_knows_option(const std::string& name) {
  static const std::set<std::string> known = {
      "reltol", "abstol", "vntol",  "chgtol",   "gmin",     "trtol",   "itl1",   "itl2",
      "itl4",   "itl5",   "itl6",   "temp",     "tnom",     "maxord",  "method", "pivtol",
      "pivrel", "rshunt", "cshunt", "gminsteps", "srcsteps", "noopiter", "klu",   "sparse",
      "xmu",    "savecurrents", "interp", "maxstep"};
  return known.count(name) != 0;
}

class NgspiceExporter {
 public:
  NgspiceExporter(const std::string& path, const NgspiceExportOptions& options) : path_(path), options_(options) {}

  std::string run() {
    // Elaborate first: it validates the netlist exactly as `picospice run` would, and gives the
    // evaluated EKV model cards and the temperature.
    circuit_ = elaborate_file(path_);
    netlist_ = parse_netlist_file(path_, WarningSink{});  // elaboration already warned
    try {
      for (const auto& group : circuit_->groups) group->list_ngspice_subcircuits(kelvin(), substitutes_);
    } catch (const NetlistError& e) {
      if (!e.location.str().empty()) throw;
      throw NetlistError(SourceLocation{path_, 0, 0}, e.message);  // the circuit as a whole cannot be written
    }
    collect_model_references(netlist_.top);

    std::string body;
    write_body(netlist_.top, nullptr, body);
    std::string directives;
    write_directives(directives);

    std::string out;
    out += (netlist_.title.empty() ? std::string("picospice export") : netlist_.title) + "\n";
    out += header();
    if (!netlist_.globals.empty()) {
      out += ".global";
      for (const auto& g : netlist_.globals) out += " " + g;
      out += "\n";
    }
    out += body;
    for (const auto& [name, substitute] : substitutes_) out += "\n" + substitute.definition;
    out += "\n" + directives;
    if (options_.reference_options) out += ngspice_reference_options_line() + "\n";
    // .control blocks are ngspice's own language (the subset picospice runs): copied as written.
    for (const auto& block : netlist_.control_blocks) {
      out += ".control\n";
      for (const auto& line : block.lines) out += line.text + "\n";
      out += ".endc\n";
    }
    out += ".end\n";
    return out;
  }

 private:
  double kelvin() const { return circuit_->options.temp + physics::zero_celsius; }

  // Every word on an element line, as a model name it may refer to: a `.model` card that no
  // element names is left out (ngspice needs no unused models, and it cannot read picospice's).
  void collect_model_references(const Body& body) {
    for (const auto& line : body.elements)
      for (const auto& token : line.tokens)
        if (token.is(TokenKind::Word)) referenced_words_.insert(token.text);
    for (const auto& sub : body.subcircuits) collect_model_references(sub->body);
  }

  std::string header() const {
    std::string h;
    h += fmt::format("* Exported by picospice {} export-ngspice from {} for ngspice 39.\n", PICOSPICE_VERSION, path_);
    if (substitutes_.empty()) h += "* Every element is written as given; nothing is approximated.\n";
    std::set<std::string> noted;  // one block of notes per kind of substitute
    for (const auto& [name, substitute] : substitutes_)
      for (const auto& note : substitute.header_notes)
        if (noted.insert(note).second) h += "* " + note + "\n";
    for (const auto& note : notes_) h += "* " + note + "\n";
    if (options_.shunt) h += fmt::format("* --shunt: a {} ohm resistor from every node to ground (docs/design.md, 'Checking against ngspice').\n", number(options_.shunt_ohms));
    if (options_.reference_options) h += "* --reference-options: tight tolerances appended at the end.\n";
    if (!netlist_.control_blocks.empty())
      h += std::string("* The .control block is copied as written") +
           (substitutes_.empty() ? ".\n" : "; a MOSFET written as a subcircuit (mNAME -> xmNAME) keeps its old name there.\n");
    return h;
  }

  // ----- bodies

  void write_body(const Body& body, const SubcircuitDefinition* definition, std::string& out) {
    for (const auto& p : body.params) out += ".param " + p.name + "=" + value_text(p) + "\n";
    for (const auto& f : body.functions) {
      std::string args;
      for (const auto& a : f.params) args += (args.empty() ? "" : ", ") + a;
      out += ".func " + f.name + "(" + args + ") {" + f.body.text + "}\n";
    }
    // `.if` blocks are written as they are (ngspice chooses the same branches, per instance).
    write_with_branches(body, &ConditionalBranch::models, body.models.size(), [&](std::size_t m) {
      const ModelDefinition& model = body.models[m];
      if (auto it = substitutes_.find(model.name); it != substitutes_.end()) {
        out += "* .model " + model.name + " is the subcircuit " + it->second.subcircuit + "\n";
        return;
      }
      if (!referenced_words_.count(model.name)) {
        out += "* .model " + model.name + " is not used by any element: left out\n";
        return;
      }
      out += ".model " + model.name + " " + model.type + " (" + assignments_text(model.params) + ")\n";
    }, out);
    for (const auto& sub : body.subcircuits) {
      out += "\n.subckt " + sub->name;
      for (const auto& pin : sub->pins) out += " " + pin.raw;
      if (!sub->defaults.empty()) out += " params: " + assignments_text(sub->defaults);
      out += "\n";
      write_body(sub->body, sub.get(), out);
      out += ".ends " + sub->name + "\n";
    }
    std::set<std::string> nodes;
    write_with_branches(body, &ConditionalBranch::elements, body.elements.size(), [&](std::size_t e) {
      out += element_text(body.elements[e]) + "\n";
      collect_nodes(body.elements[e], nodes);
    }, out);
    if (options_.shunt) write_shunts(nodes, definition, out);
  }

  // An element whose model has a substitute becomes an instance of that subcircuit.
  std::string element_text(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    const std::size_t pins = pin_count(line.keyword()[0]);
    const std::size_t model_at = 1 + pins;
    if (pins == 0 || tokens.size() <= model_at) return line_text(line);
    auto it = substitutes_.find(tokens[model_at].text);
    if (it == substitutes_.end()) return line_text(line);
    const NgspiceSubcircuit& substitute = it->second;
    std::string text = "x" + tokens[0].raw;
    for (std::size_t i = 1; i <= pins; ++i) text += " " + tokens[i].raw;
    text += " " + substitute.subcircuit;
    for (const auto& a : parse_assignments(tokens.data() + model_at + 1, tokens.data() + tokens.size())) {
      const auto& dropped = substitute.dropped_arguments;
      if (std::find(dropped.begin(), dropped.end(), a.name) != dropped.end()) continue;
      text += " " + a.name + "=" + value_text(a);
    }
    return text;
  }

  // The number of nodes on an element line of this letter (0 for X and unknown letters).
  static std::size_t pin_count(char letter) {
    for (const auto& kind : device_registry())
      if (kind.letter == letter) return static_cast<std::size_t>(kind.pins);
    return 0;
  }

  // The node tokens of an element line: the registry's pin count, or for X everything up to the
  // subcircuit name.
  void collect_nodes(const LogicalLine& line, std::set<std::string>& nodes) const {
    std::vector<const Token*> words;
    for (std::size_t i = 1; i < line.tokens.size(); ++i) {
      if (is_separator(line.tokens[i])) continue;
      if (line.tokens[i].is(TokenKind::Equals) || line.tokens[i].is_word("params:")) {
        if (!words.empty() && line.tokens[i].is(TokenKind::Equals)) words.pop_back();
        break;
      }
      if (!line.tokens[i].is(TokenKind::Word)) break;
      words.push_back(&line.tokens[i]);
    }
    const char letter = line.keyword()[0];
    const std::size_t count = letter == 'x' ? (words.empty() ? 0 : words.size() - 1) : pin_count(letter);
    for (std::size_t k = 0; k < std::min(count, words.size()); ++k) nodes.insert(words[k]->text);
  }

  // Inside a subcircuit, pins are shunted where they are driven (the caller) and globals at the
  // top, so each node gets exactly one shunt.
  void write_shunts(std::set<std::string> nodes, const SubcircuitDefinition* definition, std::string& out) {
    nodes.erase("0");
    nodes.erase("gnd");
    for (const auto& g : netlist_.globals) definition ? (void)nodes.erase(g) : (void)nodes.insert(g);
    if (definition)
      for (const auto& pin : definition->pins) nodes.erase(pin.text);
    for (const auto& n : nodes)
      out += fmt::format("Rpicospice_shunt_{} {} 0 {}\n", ++shunts_, n, number(options_.shunt_ohms));
  }

  // ----- directives

  void write_directives(std::string& out) {
    // Directives inside `.if` blocks: the ones the elaboration chose (with the netlist's own
    // parameter values), as the options and the temperature are frozen too.
    ElaborationScope top;
    top.body = &netlist_.top;
    evaluate_assignments(netlist_.top.params, top);
    top.branches = select_branches(top);
    std::size_t analysis = 0;  // index into circuit_->analyses, which follow directive order
    const auto& lines = netlist_.top.directives;
    for (std::size_t d = 0; d < lines.size(); ++d) {
      if (!top.branches.keeps_directive(d)) continue;
      const LogicalLine& line = lines[d];
      const std::string& k = line.keyword();
      if (k == ".options" || k == ".option" || k == ".opt") {
        out += options_text(line);
      } else if (k == ".dc") {
        out += dc_text(line, std::get<DcSpec>(circuit_->analyses.at(analysis++)));
      } else {
        if (k == ".op" || k == ".tran" || k == ".ac" || k == ".noise" || k == ".tf") ++analysis;
        out += line_text(line) + "\n";
      }
    }
  }

  std::string options_text(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    std::string kept, dropped;
    for (std::size_t i = 1; i < tokens.size();) {
      if (is_separator(tokens[i])) { ++i; continue; }
      const std::string name = tokens[i].text;
      std::size_t end = i + 1;
      std::string value;
      if (end < tokens.size() && tokens[end].is(TokenKind::Equals)) {
        std::size_t v = end + 1;
        end = v + 1;
        while (end < tokens.size() && !tokens[end].space_before) ++end;
        value = tokens_text(tokens, v, std::min(end, tokens.size()));
      }
      i = end;
      if (name == "method" && (value == "euler" || value == "be")) {
        kept += " method=gear maxord=1";
      } else if (ngspice_knows_option(name)) {
        kept += " " + name + (value.empty() ? "" : "=" + value);
      } else {
        dropped += " " + name + (value.empty() ? "" : "=" + value);
      }
    }
    std::string out;
    if (!dropped.empty()) {
      out += "* picospice-only options dropped:" + dropped + "\n";
      notes_.push_back("Dropped picospice-only .options:" + dropped);
    }
    if (!kept.empty()) out += ".options" + kept + "\n";
    return out;
  }

  std::string dc_text(const LogicalLine& line, const DcSpec& spec) {
    for (const auto& sweep : spec.sweeps) {
      if (sweep.kind == DcSweep::Kind::Param)
        throw NetlistError(line.location, "'.dc' over the parameter '" + sweep.name +
                                              "' cannot be written for ngspice 39 (it sweeps sources, "
                                              "resistors and temp only); sweep a source instead");
      if (sweep.kind == DcSweep::Kind::Temperature && !substitutes_.empty())
        throw NetlistError(line.location, "'.dc temp' in a circuit whose models become subcircuits (EKV MOSFETs): "
                                          "their temperature is frozen at export, so ngspice would not sweep it; "
                                          "export one netlist per temperature");
    }
    if (!spec.round_trip) return line_text(line) + "\n";
    if (spec.sweeps.size() > 1)
      throw NetlistError(line.location, "'.dc ... updown' with a nested (second) sweep has no ngspice 39 "
                                        "equivalent; split it into one '.dc' per outer value");
    const DcSweep& s = spec.sweeps[0];
    const std::vector<double> values = sweep_values(s);
    std::string out = fmt::format("* {} -> up, then down (picospice's single plot = these two plots)\n", line_text(line));
    out += fmt::format(".dc {} {} {} {}\n", s.name, number(s.start), number(s.stop), number(s.step));
    if (values.size() > 1)
      out += fmt::format(".dc {} {} {} {}\n", s.name, number(values[values.size() - 2]), number(s.start), number(-s.step));
    notes_.push_back(fmt::format("Translated '{}' (line {}) into two .dc lines.", line_text(line), line.location.line));
    return out;
  }

  std::string path_;
  NgspiceExportOptions options_;
  std::unique_ptr<Circuit> circuit_;
  Netlist netlist_;
  std::map<std::string, NgspiceSubcircuit> substitutes_;  // by model name
  std::set<std::string> referenced_words_;
  std::vector<std::string> notes_;
  int shunts_ = 0;
};

}  // namespace

std::string ngspice_reference_options_line() {
  // docs/design.md, 'Checking against ngspice'; gmin is picospice's own default (1e-18 S), so the junction leak ngspice
  // adds across diodes is the one picospice adds, not a 1 pA/V one.
  return ".options reltol=1e-4 abstol=1e-17 chgtol=1e-21 gmin=1e-18";
}

std::string export_ngspice(const std::string& netlist_path, const NgspiceExportOptions& options) {
  return NgspiceExporter(netlist_path, options).run();
}

void export_ngspice_file(const std::string& netlist_path, const std::filesystem::path& output,
                         const NgspiceExportOptions& options) {
  const std::string text = export_ngspice(netlist_path, options);
  write_file_atomically(output, [&](std::ostream& out) { out << text; });
}

}  // namespace picospice
