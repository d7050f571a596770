// Flattens a parsed Netlist into a Circuit: nodes, element instances (handed to their device
// groups) and subcircuit expansion. One Elaborator object per elaboration; it is the
// CircuitBuilder the device groups talk to. Parameter and argument values come from
// elaboration_scope.hpp, the directive lines are read by directive_reader.hpp.
#include "netlists/elaborate.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <deque>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "devices/device_registry.hpp"
#include "netlists/directive_reader.hpp"
#include "netlists/elaboration_scope.hpp"
#include "netlists/parser/parser.hpp"
#include "netlists/parser/token_text.hpp"

namespace picospice {

namespace {

constexpr std::size_t kMaxSubcircuitDepth = 256;
constexpr std::size_t kMaxInstances = 1'000'000;

class Elaborator final : public CircuitBuilder {
 public:
  Elaborator(std::shared_ptr<const Netlist> netlist, const ParamOverrides& overrides,
             const WarningSink& warn, ElaborationEdits edits = {})
      : netlist_(std::move(netlist)), overrides_(overrides), warn_(warn), edits_(std::move(edits)),
        circuit_(std::make_unique<Circuit>()), model_store_(std::make_shared<std::deque<ModelCard>>()) {
    globals_.insert(netlist_->globals.begin(), netlist_->globals.end());
  }

  std::unique_ptr<Circuit> run() {
    circuit_->title = netlist_->title;
    circuit_->source_file = netlist_->file;
    circuit_->skipped = netlist_->skipped;
    // Only `picospice run` runs .control blocks (netlists/control/); for everything else they are
    // analyses that were read and not run.
    for (const auto& block : netlist_->control_blocks) circuit_->skipped.emplace_back(block.location, "a '.control' block");
    ElaborationScope top;
    top.body = &netlist_->top;
    evaluate_top_params(top);
    top.branches = select_branches(top);
    const auto& lines = netlist_->top.directives;
    DirectiveReader directives(*circuit_, top, netlist_->top.params, instances_, warn_);
    // Options first: devices may read them (tnom, temp) while building instances.
    for (std::size_t d = 0; d < lines.size(); ++d) {
      if (!top.branches.keeps_directive(d)) continue;
      const LogicalLine& line = lines[d];
      const std::string& k = line.keyword();
      if (k == ".options" || k == ".option" || k == ".opt") directives.read_options(line);
      if (k == ".temp") directives.read_temp(line);
    }
    if (circuit_->options.maxord == 1) circuit_->options.method = IntegrationMethod::BackwardEuler;
    elaborate_body(top);
    for (auto& group : circuit_->groups) group->link(*this);
    circuit_->instances_at.resize(circuit_->unknowns.size());
    for (std::size_t d = 0; d < lines.size(); ++d) {
      if (!top.branches.keeps_directive(d)) continue;
      const LogicalLine& line = lines[d];
      const std::string& k = line.keyword();
      const bool analysis = k == ".op" || k == ".dc" || k == ".tran" || k == ".ac";
      if (analysis && edits_.analyses) continue;
      if ((k == ".measure" || k == ".meas") && !edits_.keep_measures) continue;
      directives.read_directive(line);
    }
    if (edits_.analyses)
      for (const auto& line : *edits_.analyses) directives.read_directive(line);
    for (const auto& [name, edit] : edits_.instances)
      if (!instances_.count(name))
        throw NetlistError(SourceLocation{}, "cannot alter '" + name + "': the netlist has no such instance");

    // Devices may keep pointers to their ModelCards: the cards live as long as the circuit, held
    // by the reelaborate function the circuit owns.
    auto netlist = netlist_;
    auto models = model_store_;
    auto edits = edits_;
    circuit_->reelaborate = [netlist, models, edits](const ParamOverrides& overrides) {
      ElaborationEdits with = edits;
      for (const auto& [name, value] : overrides) with.params[name] = value;
      return Elaborator(netlist, with.params, WarningSink{}, with).run();
    };
    return std::move(circuit_);
  }

  // CircuitBuilder
  Index add_branch(const std::string& instance) override {
    circuit_->unknowns.push_back(Unknown{instance, UnknownKind::Current});
    const Index index = static_cast<Index>(circuit_->unknowns.size()) - 1;
    branches_[instance] = index;
    return index;
  }
  Index branch_of(const std::string& instance, const SourceLocation& where) const override {
    auto it = branches_.find(instance);
    if (it != branches_.end()) return it->second;
    if (instances_.count(instance))
      throw NetlistError(where, "instance '" + instance +
                                    "' has no branch current (expected a voltage source)");
    throw NetlistError(where, "unknown voltage source '" + instance + "'");
  }
  std::string scoped_name(const std::string& referrer, const std::string& local) const override {
    const auto dot = referrer.rfind('.');
    return dot == std::string::npos ? local : referrer.substr(0, dot + 1) + local;
  }
  const SimOptions& options() const override { return circuit_->options; }
  Index add_internal_node(const std::string& name) override {
    if (nodes_.count(name)) throw NetlistError({}, "internal node '" + name + "' already exists");
    const Index index = node_index(name);
    if (static_cast<Index>(circuit_->instances_at.size()) <= index) circuit_->instances_at.resize(index + 1);
    circuit_->instances_at[index].push_back(name.substr(0, name.find('#')));
    return index;
  }

 private:
  void evaluate_top_params(ElaborationScope& top) {
    std::unordered_map<std::string, double> given;
    for (const auto& [name, value] : overrides_) {
      std::string key = name;
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto& params = netlist_->top.params;
      if (std::none_of(params.begin(), params.end(), [&](const auto& p) { return p.name == key; }))
        throw NetlistError(SourceLocation{}, "cannot set parameter '" + key +
                                                 "': the netlist has no top-level '.param " + key + "'");
      given[key] = value;
    }
    evaluate_assignments(netlist_->top.params, top, &given);
  }

  // ----- nodes, instances, models, groups

  Index node_index(const std::string& name) {
    auto it = nodes_.find(name);
    if (it != nodes_.end()) return it->second;
    circuit_->unknowns.push_back(Unknown{name, UnknownKind::Voltage});
    const Index index = static_cast<Index>(circuit_->unknowns.size()) - 1;
    nodes_[name] = index;
    return index;
  }

  Index resolve_node(const ElaborationScope& scope, const Token& token) { return resolve_node(scope, token.text); }
  Index resolve_node(const ElaborationScope& scope, const std::string& name) {
    if (name == "0" || name == "gnd") return 0;
    if (globals_.count(name)) return node_index(name);
    auto pin = scope.pins.find(name);
    if (pin != scope.pins.end()) return pin->second;
    return node_index(scope.prefix + name);
  }

  void register_instance(const std::string& name, const SourceLocation& where) {
    // Subcircuits multiply: ten levels of ten instances are 10^10 elements from a page of text.
    if (instances_.size() >= kMaxInstances)
      throw NetlistError(where, fmt::format("the flattened circuit has more than {} instances "
                                            "(subcircuits instantiated inside each other multiply)",
                                            kMaxInstances));
    auto [it, inserted] = instances_.emplace(name, where);
    if (!inserted)
      throw NetlistError(where, "duplicate instance name '" + name + "' (first defined at " +
                                    it->second.str() + ")");
  }

  const ModelCard* resolve_model(const ElaborationScope& scope, const Token& token) {
    if (const ModelCard* card = find_model(scope, token.text)) return card;
    throw NetlistError(token.location, "unknown model '" + token.text + "'");
  }

  // The model card a name refers to in `scope` (evaluated on first use), or null.
  const ModelCard* find_model(const ElaborationScope& scope, const std::string& name) {
    for (const ElaborationScope* s = &scope; s; s = s->lexical_parent) {
      auto cached = s->models.find(name);
      if (cached != s->models.end()) return cached->second;
      auto [index, made] = model_index_.try_emplace(s->body);
      if (made)
        for (std::size_t m = 0; m < s->body->models.size(); ++m)
          index->second[s->body->models[m].name].push_back(m);
      if (auto found = index->second.find(name); found != index->second.end()) {
        // Several cards of one name sit in `.if` branches: the branches kept here must hold one.
        const ModelDefinition* kept = nullptr;
        for (std::size_t m : found->second) {
          if (!s->branches.keeps_model(m)) continue;
          const ModelDefinition& candidate = s->body->models[m];
          if (kept)
            throw NetlistError(candidate.location, "model '" + name + "' is already defined at " + kept->location.str() +
                                                       (s->prefix.empty() ? std::string()
                                                                          : " (in instance '" + s->prefix.substr(0, s->prefix.size() - 1) + "')"));
          kept = &candidate;
        }
        if (!kept) continue;  // only in branches not taken: look further out
        const ModelDefinition& definition = *kept;
        ModelCard card;
        card.name = definition.name;
        card.type = definition.type;
        card.location = definition.location;
        for (const auto& p : definition.params) {
          double value = 0;
          if (!p.word.empty() && !find_param(*s, p.word, value)) card.words[p.name] = p.word;
          else card.params[p.name] = evaluate_in_scope(p.value, *s);
        }
        model_store_->push_back(std::move(card));
        s->models[name] = &model_store_->back();
        return &model_store_->back();
      }
    }
    return nullptr;
  }

  DeviceGroup* group_for(const DeviceKind& kind) {
    auto it = groups_.find(kind.group_name);
    if (it != groups_.end()) return it->second;
    circuit_->groups.push_back(kind.make());
    return groups_[kind.group_name] = circuit_->groups.back().get();
  }

  // ----- elements

  void elaborate_body(const ElaborationScope& scope) {
    const auto& elements = scope.body->elements;
    for (std::size_t e = 0; e < elements.size(); ++e) {
      if (!scope.branches.keeps_element(e)) continue;  // a `.if` branch not taken here
      const LogicalLine& line = elements[e];
      const Token& name = line.tokens.front();
      if (!name.is(TokenKind::Word))
        throw NetlistError(name.location, "expected an element name, found '" + name.raw + "'");
      if (name.text[0] == 'x') instantiate(line, scope);
      else add_element(line, scope);
    }
  }

  void add_element(const LogicalLine& line, const ElaborationScope& scope) {
    const auto& tokens = line.tokens;
    const Token& name_token = tokens[0];
    const char letter = name_token.text[0];
    const DeviceKind* any = nullptr;
    std::string known;
    for (const auto& kind : device_registry()) {
      if (kind.letter == letter && !any) any = &kind;
      if (known.find(kind.letter) == std::string::npos) known += kind.letter;
    }
    if (!any) {
      std::sort(known.begin(), known.end());
      std::string letters;
      for (char c : known + "x") letters += std::string(letters.empty() ? "" : " ") + c;
      throw NetlistError(name_token.location, "unknown element type '" + std::string(1, letter) +
                                                  "' in '" + name_token.text + "' (known: " + letters + ")");
    }
    // Hierarchical names are joined with '.' (x1.r1), and a device's references resolve in its
    // scope by cutting the name at its last '.': a '.' of the instance's own would misplace both.
    if (name_token.text.find('.') != std::string::npos)
      throw NetlistError(name_token.location, "instance name '" + name_token.raw +
                                                  "' contains '.', which separates subcircuit levels in picospice "
                                                  "(x1.r1); rename it");
    ElementCard card;
    card.name = scope.prefix + name_token.text;
    card.letter = letter;
    card.location = name_token.location;
    register_instance(card.name, card.location);

    std::size_t i = 1;
    auto skip_separators = [&] { while (i < tokens.size() && is_separator(tokens[i])) ++i; };
    const auto& expression_keys = any->expression_keys;
    for (int pin = 0; pin < any->pins; ++pin) {
      skip_separators();
      // E/G VALUE= and TABLE forms have two nodes.
      if (pin >= 2 && i < tokens.size() && tokens[i].is(TokenKind::Word) &&
          std::find(expression_keys.begin(), expression_keys.end(), tokens[i].text) != expression_keys.end())
        break;
      const bool is_node = i < tokens.size() && tokens[i].is(TokenKind::Word) &&
                           !(i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals));
      if (!is_node)
        throw NetlistError(i < tokens.size() ? tokens[i].location : name_token.location,
                           "element '" + name_token.text + "' needs " + std::to_string(any->pins) +
                               " nodes, got " + std::to_string(pin));
      const Index node = resolve_node(scope, tokens[i]);
      card.nodes.push_back(node);
      card.node_names.push_back(circuit_->unknowns[node].name);
      ++i;
    }
    const DeviceKind* kind = any;
    if (any->takes_model) {
      skip_separators();
      if (i >= tokens.size() || !tokens[i].is(TokenKind::Word))
        throw NetlistError(i < tokens.size() ? tokens[i].location : name_token.location,
                           "element '" + name_token.text + "' needs a model name after its nodes");
      card.model = resolve_model(scope, tokens[i]);
      kind = find_device_kind(letter, card.model);
      if (!kind) {
        std::string accepted;
        for (const auto& k : device_registry())
          if (k.letter == letter)
            for (const auto& type : k.model_types) accepted += (accepted.empty() ? "" : ", ") + type;
        throw NetlistError(tokens[i].location, "model '" + card.model->name + "' has type '" +
                                                   card.model->type + "', which element '" + name_token.text +
                                                   "' cannot use (expected " + accepted + ")");
      }
      ++i;
    }
    std::vector<Token> arg_tokens(tokens.begin() + static_cast<std::ptrdiff_t>(std::min(i, tokens.size())), tokens.end());
    if (auto edit = edits_.instances.find(card.name); edit != edits_.instances.end())
      apply_instance_edit(edit->second, name_token, arg_tokens);
    if (!any->optional_model_types.empty()) take_optional_model(*any, scope, arg_tokens, card);
    ElementNames names(*this, scope);
    card.args = element_arguments(arg_tokens, 0, scope, &names, expression_keys);

    DeviceGroup* group = group_for(*kind);
    group->add_instance(card, *this);
    auto& at = circuit_->instances_at;
    for (Index node : card.nodes) {
      if (at.size() <= static_cast<std::size_t>(node)) at.resize(circuit_->unknowns.size());
      at[node].push_back(card.name);
    }
  }

  // `alter`: the value is written into the element's arguments as a number token, so the device
  // reads it exactly as if the line had said so.
  static void apply_instance_edit(const InstanceEdit& edit, const Token& name, std::vector<Token>& tokens) {
    Token number = name;
    number.kind = TokenKind::Word;
    number.text = number.raw = fmt::format("{:.17g}", edit.value);
    number.space_before = true;
    auto is_key = [&](std::size_t k) { return k + 1 < tokens.size() && tokens[k + 1].is(TokenKind::Equals); };
    if (edit.param.empty()) {
      for (std::size_t k = 0; k < tokens.size(); ++k) {
        if (is_separator(tokens[k])) continue;
        if (is_key(k)) { k += 2; continue; }
        if (tokens[k].is_word("dc")) continue;  // a source's `DC 5`: the value follows
        const bool call = k + 1 < tokens.size() && tokens[k + 1].is(TokenKind::LeftParen);
        if (call || !(tokens[k].is(TokenKind::Word) || tokens[k].is(TokenKind::Expression))) break;
        tokens[k] = number;
        return;
      }
      throw NetlistError(name.location, "cannot alter '" + name.text +
                                            "': it has no value to replace (name the parameter: alter " + name.text +
                                            " name = value)");
    }
    for (std::size_t k = 0; k + 2 < tokens.size(); ++k)
      if (tokens[k].is(TokenKind::Word) && tokens[k].text == edit.param && tokens[k + 1].is(TokenKind::Equals)) {
        tokens[k + 2] = number;
        return;
      }
    Token key = number, equals = number;
    key.text = key.raw = edit.param;
    equals.kind = TokenKind::Equals;
    equals.text = equals.raw = "=";
    tokens.insert(tokens.end(), {key, equals, number});
  }
  // The semiconductor R and C (`R1 a b 1k rmod`, `R1 a b rmod l=2u`) and W (`W1 a b vctl cswmod`)
  // may name a model among their first two arguments: a bare word that is no parameter and names
  // a model of an accepted type. It leaves the arguments and becomes the card's model.
  void take_optional_model(const DeviceKind& kind, const ElaborationScope& scope, std::vector<Token>& tokens,
                           ElementCard& card) {
    int seen = 0;
    for (std::size_t k = 0; k < tokens.size() && seen < 2; ++k) {
      const Token& t = tokens[k];
      if (is_separator(t)) continue;
      ++seen;
      const bool bare_word = t.is(TokenKind::Word) && is_identifier(t.text) &&
                             !(k + 1 < tokens.size() && (tokens[k + 1].is(TokenKind::Equals) ||
                                                         (tokens[k + 1].is(TokenKind::LeftParen) && !tokens[k + 1].space_before)));
      double value = 0;
      if (!bare_word || find_param(scope, t.text, value)) continue;
      const ModelCard* model = find_model(scope, t.text);
      if (!model) continue;
      const auto& types = kind.optional_model_types;
      if (std::find(types.begin(), types.end(), model->type) == types.end()) {
        std::string accepted;
        for (const auto& type : types) accepted += (accepted.empty() ? "" : ", ") + type;
        throw NetlistError(t.location, "model '" + model->name + "' has type '" + model->type + "', which element '" +
                                           card.name + "' cannot use (expected " + accepted + ")");
      }
      card.model = model;
      tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(k));
      return;
    }
  }

  // The circuit quantities a behavioral source's expression reads, resolved in its scope.
  class ElementNames final : public CircuitNames {
   public:
    ElementNames(Elaborator& elaborator, const ElaborationScope& scope) : elaborator_(elaborator), scope_(scope) {}
    ExpressionVariable node(const std::string& name) override {
      ExpressionVariable v;
      v.kind = ExpressionVariable::Kind::NodeVoltage;
      v.index = elaborator_.resolve_node(scope_, name);
      v.name = elaborator_.circuit_->unknowns[static_cast<std::size_t>(v.index)].name;
      return v;
    }
    ExpressionVariable branch(const std::string& name) override {
      ExpressionVariable v;
      v.kind = ExpressionVariable::Kind::BranchCurrent;
      v.name = scope_.prefix + name;
      return v;
    }

   private:
    Elaborator& elaborator_;
    const ElaborationScope& scope_;
  };

  // ----- subcircuit instances

  struct FoundDefinition {
    const SubcircuitDefinition* definition;
    const ElaborationScope* scope;  // whose body holds the definition
  };

  FoundDefinition find_subcircuit(const ElaborationScope& scope, const Token& name) {
    for (const ElaborationScope* s = &scope; s; s = s->lexical_parent) {
      // An index per body, made on first use: a linear scan per instance is quadratic.
      auto [index, made] = subcircuit_index_.try_emplace(s->body);
      if (made)
        for (const auto& definition : s->body->subcircuits) index->second.emplace(definition->name, definition.get());
      if (auto it = index->second.find(name.text); it != index->second.end()) return {it->second, s};
    }
    throw NetlistError(name.location, "unknown subcircuit '" + name.text + "'");
  }

  void instantiate(const LogicalLine& line, const ElaborationScope& scope) {
    const auto& tokens = line.tokens;
    const Token& name_token = tokens[0];
    std::vector<const Token*> words;  // nodes, then the subcircuit name
    std::size_t i = 1;
    for (; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      if (t.is_word("params:")) { ++i; break; }
      if (i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals)) break;
      if (is_separator(t)) continue;
      if (!t.is(TokenKind::Word))
        throw NetlistError(t.location, "expected a node or subcircuit name, found '" + t.raw + "'");
      words.push_back(&t);
    }
    if (words.empty())
      throw NetlistError(name_token.location, "expected '" + name_token.text + " node... subcircuit [name=value ...]'");
    const Token& sub_token = *words.back();
    words.pop_back();
    const FoundDefinition found = find_subcircuit(scope, sub_token);
    const SubcircuitDefinition& definition = *found.definition;
    if (words.size() != definition.pins.size()) {
      std::string pins;
      for (const auto& p : definition.pins) pins += (pins.empty() ? "" : " ") + p.text;
      throw NetlistError(name_token.location,
                         "subcircuit '" + definition.name + "' expects " + std::to_string(definition.pins.size()) +
                             " nodes (" + pins + "), got " + std::to_string(words.size()) + " on '" +
                             name_token.text + "'");
    }
    const std::string full_name = scope.prefix + name_token.text;
    if (std::find(active_.begin(), active_.end(), &definition) != active_.end())
      throw NetlistError(sub_token.location, "recursive subcircuit: '" + definition.name +
                                                 "' instantiates itself through '" + full_name + "'");
    // Expansion recurses once per level; a bound keeps a long chain from exhausting the stack.
    if (active_.size() >= kMaxSubcircuitDepth)
      throw NetlistError(name_token.location, fmt::format("subcircuit instances nested more than {} deep "
                                                          "(at '{}')",
                                                          kMaxSubcircuitDepth, full_name.substr(0, 200)));
    register_instance(full_name, name_token.location);

    ElaborationScope child;
    child.lexical_parent = found.scope;
    child.body = &definition.body;
    child.prefix = full_name + ".";
    for (std::size_t k = 0; k < words.size(); ++k) {
      const Index node = resolve_node(scope, *words[k]);
      child.pins[definition.pins[k].text] = node;
    }
    std::unordered_map<std::string, double> given;
    for (const auto& p : parse_assignments(tokens.data() + i, tokens.data() + tokens.size())) {
      const auto& defaults = definition.defaults;
      if (std::none_of(defaults.begin(), defaults.end(), [&](const auto& d) { return d.name == p.name; }))
        throw NetlistError(p.location, "subcircuit '" + definition.name + "' has no parameter '" + p.name + "'");
      given[p.name] = evaluate_in_scope(p.value, scope);  // instance values use the caller's parameters
    }
    evaluate_assignments(definition.defaults, child, &given);
    evaluate_assignments(definition.body.params, child);
    child.branches = select_branches(child);

    active_.push_back(&definition);
    elaborate_body(child);
    active_.pop_back();
  }

  std::shared_ptr<const Netlist> netlist_;
  ParamOverrides overrides_;
  WarningSink warn_;
  ElaborationEdits edits_;
  std::unique_ptr<Circuit> circuit_;
  std::shared_ptr<std::deque<ModelCard>> model_store_;  // deque: stable addresses
  std::set<std::string> globals_;
  std::unordered_map<std::string, Index> nodes_;
  std::unordered_map<std::string, SourceLocation> instances_;
  std::unordered_map<std::string, Index> branches_;
  std::unordered_map<std::string, DeviceGroup*> groups_;
  std::vector<const SubcircuitDefinition*> active_;  // subcircuits being expanded, outermost first
  std::unordered_map<const Body*, std::unordered_map<std::string, const SubcircuitDefinition*>> subcircuit_index_;
  // Per body: name -> indices of its cards (several only inside `.if` blocks).
  std::unordered_map<const Body*, std::unordered_map<std::string, std::vector<std::size_t>>> model_index_;
};

}  // namespace

std::unique_ptr<Circuit> elaborate_file(const std::string& path, const ParamOverrides& overrides) {
  auto netlist = std::make_shared<const Netlist>(parse_netlist_file(path));
  return Elaborator(netlist, overrides, warn_to_stderr).run();
}

std::unique_ptr<Circuit> elaborate_netlist(std::shared_ptr<const Netlist> netlist, const ElaborationEdits& edits,
                                           const WarningSink& warn) {
  return Elaborator(std::move(netlist), edits.params, warn, edits).run();
}
std::unique_ptr<Circuit> elaborate_text(const std::string& text, const std::string& file_name,
                                        const ParamOverrides& overrides) {
  auto netlist = std::make_shared<const Netlist>(parse_netlist_text(text, file_name));
  return Elaborator(netlist, overrides, warn_to_stderr).run();
}

}  // namespace picospice
