// Flattens a parsed Netlist into a Circuit. One Elaborator object per elaboration; it is the
// CircuitBuilder the device groups talk to.
#include "netlists/elaborate.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <set>
#include <unordered_map>

#include "devices/device_registry.hpp"
#include "netlists/parser/expression.hpp"
#include "netlists/parser/parser.hpp"
#include "netlists/parser/token_text.hpp"

namespace picospice {

namespace {

// The parameters, pins and definitions visible inside one subcircuit instance (or the top level).
// Definitions and parameters are looked up lexically: this scope, then the scope whose body holds
// this subcircuit's definition, and so on out to the top level.
struct Scope {
  const Scope* lexical_parent = nullptr;
  const Body* body = nullptr;
  std::string prefix;  // "" at the top, "x1.x2." inside
  std::unordered_map<std::string, double> params;
  std::unordered_map<std::string, Index> pins;  // pin name -> node in the caller
  mutable std::unordered_map<std::string, const ModelCard*> models;  // evaluated on first use
};

// The letter of an instance: the first character of its last name component.
char instance_letter(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name[0] : name[dot + 1];
}

class Elaborator final : public CircuitBuilder {
 public:
  Elaborator(std::shared_ptr<const Netlist> netlist, const ParamOverrides& overrides,
             const WarningSink& warn)
      : netlist_(std::move(netlist)), overrides_(overrides), warn_(warn),
        circuit_(std::make_unique<Circuit>()), model_store_(std::make_shared<std::deque<ModelCard>>()) {
    globals_.insert(netlist_->globals.begin(), netlist_->globals.end());
  }

  std::unique_ptr<Circuit> run() {
    circuit_->title = netlist_->title;
    circuit_->source_file = netlist_->file;
    Scope top;
    top.body = &netlist_->top;
    evaluate_top_params(top);
    top_ = &top;
    // Options first: devices may read them (tnom, temp) while building instances.
    for (const auto& line : netlist_->top.directives) {
      const std::string& k = line.keyword();
      if (k == ".options" || k == ".option" || k == ".opt") read_options(line);
      if (k == ".temp") read_temp(line);
    }
    if (circuit_->options.maxord == 1) circuit_->options.method = IntegrationMethod::BackwardEuler;
    elaborate_body(top);
    for (auto& group : circuit_->groups) group->link(*this);
    circuit_->instances_at.resize(circuit_->unknowns.size());
    for (const auto& line : netlist_->top.directives) read_directive(line);

    // Devices may keep pointers to their ModelCards: the cards live as long as the circuit, held
    // by the reelaborate function the circuit owns.
    auto netlist = netlist_;
    auto models = model_store_;
    circuit_->reelaborate = [netlist, models](const ParamOverrides& overrides) {
      return Elaborator(netlist, overrides, WarningSink{}).run();
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
  // ----- parameters and expressions

  static bool find_param(const Scope& scope, std::string_view name, double& value) {
    const std::string key(name);
    for (const Scope* s = &scope; s; s = s->lexical_parent) {
      auto it = s->params.find(key);
      if (it != s->params.end()) { value = it->second; return true; }
    }
    return false;
  }

  double evaluate(const ExpressionText& expression, const Scope& scope) const {
    try {
      return evaluate_expression(expression.text, [&](std::string_view name, double& value) {
        return find_param(scope, name, value);
      });
    } catch (const ExpressionError& error) {
      throw NetlistError(expression.location_of(error.offset), error.what());
    }
  }

  // Evaluates `.param` lines (or subcircuit defaults) in order into `scope`. A name used before its
  // definition gets a message saying so.
  void evaluate_assignments(const std::vector<ParamAssignment>& list, Scope& scope,
                            const std::unordered_map<std::string, double>* given = nullptr) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const ParamAssignment& p = list[i];
      if (given) {
        auto it = given->find(p.name);
        if (it != given->end()) { scope.params[p.name] = it->second; continue; }
      }
      std::string missing;
      try {
        scope.params[p.name] = evaluate_expression(p.value.text, [&](std::string_view name, double& v) {
          if (find_param(scope, name, v)) return true;
          missing = std::string(name);
          return false;
        });
      } catch (const ExpressionError& error) {
        std::string message = error.what();
        for (std::size_t later = i + 1; later < list.size(); ++later)
          if (!missing.empty() && list[later].name == missing) {
            message += " (it is defined later, at " + list[later].location.str() +
                       "; parameters are evaluated in order)";
            break;
          }
        throw NetlistError(p.value.location_of(error.offset), message);
      }
    }
  }

  void evaluate_top_params(Scope& top) {
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

  // The value of tokens [begin, end) as an element or directive argument.
  ElementArg argument_value(const std::vector<Token>& tokens, std::size_t begin, std::size_t end,
                            const Scope& scope) const {
    ElementArg arg;
    arg.location = tokens[begin].location;
    const Token& first = tokens[begin];
    if (end - begin == 1 && first.is(TokenKind::Word)) {
      if (looks_numeric(first.text)) {
        if (!try_parse_number(first.text, arg.value))
          throw NetlistError(first.location, "malformed number '" + first.raw + "'");
        arg.is_number = true;
        return arg;
      }
      if (is_identifier(first.text)) {
        if (find_param(scope, first.text, arg.value)) arg.is_number = true;
        else arg.word = first.text;
        return arg;
      }
    }
    if (end - begin == 1 && first.is(TokenKind::String))
      throw NetlistError(first.location, "unexpected string \"" + first.raw + "\"");
    arg.value = evaluate(ExpressionText::from_tokens(&tokens[begin], tokens.data() + end), scope);
    arg.is_number = true;
    return arg;
  }

  double number_at(const std::vector<Token>& tokens, std::size_t i, const Scope& scope,
                   const std::string& what) const {
    ElementArg arg = argument_value(tokens, i, i + 1, scope);
    if (!arg.is_number)
      throw NetlistError(tokens[i].location, "expected a number for " + what + ", found '" + tokens[i].raw + "'");
    return arg.value;
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

  Index resolve_node(const Scope& scope, const Token& token) {
    const std::string& name = token.text;
    if (name == "0" || name == "gnd") return 0;
    if (globals_.count(name)) return node_index(name);
    auto pin = scope.pins.find(name);
    if (pin != scope.pins.end()) return pin->second;
    return node_index(scope.prefix + name);
  }

  void register_instance(const std::string& name, const SourceLocation& where) {
    auto [it, inserted] = instances_.emplace(name, where);
    if (!inserted)
      throw NetlistError(where, "duplicate instance name '" + name + "' (first defined at " +
                                    it->second.str() + ")");
  }

  const ModelCard* resolve_model(const Scope& scope, const Token& token) {
    for (const Scope* s = &scope; s; s = s->lexical_parent) {
      auto cached = s->models.find(token.text);
      if (cached != s->models.end()) return cached->second;
      for (const auto& definition : s->body->models) {
        if (definition.name != token.text) continue;
        ModelCard card;
        card.name = definition.name;
        card.type = definition.type;
        card.location = definition.location;
        for (const auto& p : definition.params) {
          double value = 0;
          if (!p.word.empty() && !find_param(*s, p.word, value)) card.words[p.name] = p.word;
          else card.params[p.name] = evaluate(p.value, *s);
        }
        model_store_->push_back(std::move(card));
        s->models[token.text] = &model_store_->back();
        return &model_store_->back();
      }
    }
    throw NetlistError(token.location, "unknown model '" + token.text + "'");
  }

  DeviceGroup* group_for(const DeviceKind& kind) {
    auto it = groups_.find(kind.group_name);
    if (it != groups_.end()) return it->second;
    circuit_->groups.push_back(kind.make());
    return groups_[kind.group_name] = circuit_->groups.back().get();
  }

  // ----- elements

  void elaborate_body(const Scope& scope) {
    for (const auto& line : scope.body->elements) {
      const Token& name = line.tokens.front();
      if (!name.is(TokenKind::Word))
        throw NetlistError(name.location, "expected an element name, found '" + name.raw + "'");
      if (name.text[0] == 'x') instantiate(line, scope);
      else add_element(line, scope);
    }
  }

  void add_element(const LogicalLine& line, const Scope& scope) {
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
    ElementCard card;
    card.name = scope.prefix + name_token.text;
    card.location = name_token.location;
    register_instance(card.name, card.location);

    std::size_t i = 1;
    auto skip_separators = [&] { while (i < tokens.size() && is_separator(tokens[i])) ++i; };
    for (int pin = 0; pin < any->pins; ++pin) {
      skip_separators();
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
    card.args = element_arguments(tokens, i, scope);

    DeviceGroup* group = group_for(*kind);
    group->add_instance(card, *this);
    auto& at = circuit_->instances_at;
    for (Index node : card.nodes) {
      if (at.size() <= static_cast<std::size_t>(node)) at.resize(circuit_->unknowns.size());
      at[node].push_back(card.name);
    }
  }

  std::vector<ElementArg> element_arguments(const std::vector<Token>& tokens, std::size_t i,
                                            const Scope& scope) const {
    std::vector<ElementArg> args;
    while (i < tokens.size()) {
      const Token& t = tokens[i];
      if (is_separator(t)) { ++i; continue; }
      if (t.is(TokenKind::Equals)) throw NetlistError(t.location, "unexpected '=' (expected 'name=value')");
      if (t.is(TokenKind::Word) && i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals)) {
        const std::size_t value_begin = i + 2;
        if (value_begin >= tokens.size() || tokens[value_begin].is(TokenKind::Comma) ||
            tokens[value_begin].is(TokenKind::RightParen) || tokens[value_begin].is(TokenKind::Equals))
          throw NetlistError(tokens[i + 1].location, "expected a value after '" + t.text + "='");
        const std::size_t value_end = glued_value_end(tokens, value_begin);
        ElementArg arg = argument_value(tokens, value_begin, value_end, scope);
        arg.key = t.text;
        arg.location = t.location;
        args.push_back(std::move(arg));
        i = value_end;
        continue;
      }
      // A word glued to `(` is a function such as pulse(...), never a parameter.
      const bool call = i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::LeftParen) &&
                        !tokens[i + 1].space_before;
      if (t.is(TokenKind::Word) && call) {
        ElementArg arg;
        arg.word = t.text;
        arg.location = t.location;
        args.push_back(std::move(arg));
      } else {
        args.push_back(argument_value(tokens, i, i + 1, scope));
      }
      ++i;
    }
    return args;
  }

  // ----- subcircuit instances

  struct FoundDefinition {
    const SubcircuitDefinition* definition;
    const Scope* scope;  // whose body holds the definition
  };

  FoundDefinition find_subcircuit(const Scope& scope, const Token& name) const {
    for (const Scope* s = &scope; s; s = s->lexical_parent)
      for (const auto& definition : s->body->subcircuits)
        if (definition->name == name.text) return {definition.get(), s};
    throw NetlistError(name.location, "unknown subcircuit '" + name.text + "'");
  }

  void instantiate(const LogicalLine& line, const Scope& scope) {
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
    register_instance(full_name, name_token.location);

    Scope child;
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
      given[p.name] = evaluate(p.value, scope);  // instance values use the caller's parameters
    }
    evaluate_assignments(definition.defaults, child, &given);
    evaluate_assignments(definition.body.params, child);

    active_.push_back(&definition);
    elaborate_body(child);
    active_.pop_back();
  }

  // ----- directives

  void read_directive(const LogicalLine& line) {
    const std::string& k = line.keyword();
    if (k == ".options" || k == ".option" || k == ".opt" || k == ".temp") return;  // read first
    if (k == ".op") circuit_->analyses.push_back(OpSpec{});
    else if (k == ".dc") read_dc(line);
    else if (k == ".tran") read_tran(line);
    else if (k == ".ic") read_node_values(line, circuit_->initial_conditions);
    else if (k == ".nodeset") read_node_values(line, circuit_->nodesets);
    else if (k == ".save") read_save(line);
    else if (k == ".measure" || k == ".meas") read_measure(line);
    else throw NetlistError(line.location, "unknown directive '" + k + "'");
  }

  void read_options(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    SimOptions& o = circuit_->options;
    std::size_t i = 1;
    while (i < tokens.size()) {
      const Token& name = tokens[i];
      if (is_separator(name)) { ++i; continue; }
      if (!name.is(TokenKind::Word))
        throw NetlistError(name.location, "expected an option name, found '" + name.raw + "'");
      const bool has_value = i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::Equals);
      std::size_t value_begin = i + 2, value_end = i + 1;
      if (has_value) {
        if (value_begin >= tokens.size())
          throw NetlistError(tokens[i + 1].location, "expected a value after '" + name.text + "='");
        value_end = glued_value_end(tokens, value_begin);
      }
      auto number = [&](double low, bool inclusive) {
        if (!has_value) throw NetlistError(name.location, "option '" + name.text + "' needs a value");
        ElementArg arg = argument_value(tokens, value_begin, value_end, *top_);
        if (!arg.is_number)
          throw NetlistError(tokens[value_begin].location, "expected a number for option '" + name.text +
                                                               "', found '" + tokens[value_begin].raw + "'");
        if (inclusive ? arg.value < low : arg.value <= low)
          throw NetlistError(tokens[value_begin].location, "option '" + name.text + "' must be " +
                                                               (inclusive ? "at least " : "greater than ") +
                                                               fmt_number(low));
        return arg.value;
      };
      auto integer = [&](int low) {
        const double v = number(low, true);
        if (v != std::floor(v))
          throw NetlistError(tokens[value_begin].location, "option '" + name.text + "' must be an integer");
        return static_cast<int>(v);
      };
      const std::string& n = name.text;
      if (n == "reltol") o.reltol = number(0, false);
      else if (n == "abstol") o.abstol = number(0, false);
      else if (n == "vntol") o.vntol = number(0, false);
      else if (n == "chgtol") o.chgtol = number(0, false);
      else if (n == "gmin") o.gmin = number(0, true);
      else if (n == "trtol") o.trtol = number(0, false);
      else if (n == "itl1") o.itl1 = integer(1);
      else if (n == "itl4") o.itl4 = integer(1);
      else if (n == "temp") o.temp = number(-physics::zero_celsius, false);
      else if (n == "tnom") o.tnom = number(-physics::zero_celsius, false);
      else if (n == "maxord") {
        o.maxord = integer(1);
        if (o.maxord > 2) throw NetlistError(tokens[value_begin].location, "option 'maxord' must be 1 or 2");
      } else if (n == "method") {
        const std::string method = has_value ? tokens[value_begin].text : "";
        if (method == "trap" || method == "trapezoidal") o.method = IntegrationMethod::Trapezoidal;
        else if (method == "gear") o.method = IntegrationMethod::Gear2;
        else if (method == "euler" || method == "be") o.method = IntegrationMethod::BackwardEuler;
        else
          throw NetlistError(has_value ? tokens[value_begin].location : name.location,
                             "unknown integration method '" + method + "' (expected trap, gear or euler)");
      } else if (read_noise_option(n, has_value, number, integer, tokens, value_begin, name, o.noise)) {
        // Also kept as text, so reports and exports can list what the netlist asked for.
        circuit_->extra_options[n] = has_value ? join_text(tokens, value_begin, value_end) : "1";
      } else if (n == "nogmin" && !has_value) o.gmin_stepping = false;
      else if (n == "nosrcstep" && !has_value) o.source_stepping = false;
      else circuit_->extra_options[n] = has_value ? join_text(tokens, value_begin, value_end) : "1";
      i = has_value ? value_end : i + 1;
    }
  }

  // The transient-noise options (base/options.hpp, TransientNoiseOptions). False for any other
  // name. A flag without a value (`trannoise`) means 1.
  template <class Number, class Integer>
  static bool read_noise_option(const std::string& n, bool has_value, Number& number, Integer& integer,
                                const std::vector<Token>& tokens, std::size_t value_begin, const Token& name,
                                TransientNoiseOptions& noise) {
    auto flag = [&]() {
      if (!has_value) return true;
      const int v = integer(0);
      if (v > 1) throw NetlistError(tokens[value_begin].location, "option '" + n + "' must be 0 or 1");
      return v == 1;
    };
    if (n == "trannoise") noise.enabled = flag();
    else if (n == "noiseflicker") noise.flicker = flag();
    else if (n == "noisefmax") noise.fmax = number(0, false);
    else if (n == "noisetstep") noise.tstep = number(0, false);
    else if (n == "noisescale") noise.scale = number(0, true);
    else if (n == "noiseseed") {
      const double v = number(0, true);
      if (v != std::floor(v) || v >= 18446744073709551616.0)
        throw NetlistError(tokens[value_begin].location, "option 'noiseseed' must be a non-negative integer below 2^64");
      noise.seed = static_cast<std::uint64_t>(v);
    } else if (n == "noiseinterp") {
      const std::string mode = has_value ? tokens[value_begin].text : "";
      if (mode == "linear") noise.hold = false;
      else if (mode == "hold") noise.hold = true;
      else
        throw NetlistError(has_value ? tokens[value_begin].location : name.location,
                           "option 'noiseinterp' must be 'linear' or 'hold', found '" + mode + "'");
    } else {
      return false;
    }
    return true;
  }

  // The shortest text that reads back as exactly `v`.
  static std::string fmt_number_exact(double v) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
    return std::string(buffer, result.ptr);
  }
  static std::string fmt_number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", v);
    return buffer;
  }

  // Tokens after the keyword, without parentheses and commas.
  static std::vector<std::size_t> plain_tokens(const LogicalLine& line) {
    std::vector<std::size_t> out;
    for (std::size_t i = 1; i < line.tokens.size(); ++i)
      if (!is_separator(line.tokens[i])) out.push_back(i);
    return out;
  }

  void read_temp(const LogicalLine& line) {
    const auto words = plain_tokens(line);
    if (words.size() != 1) throw NetlistError(line.location, "expected '.temp celsius'");
    circuit_->options.temp = number_at(line.tokens, words[0], *top_, "'.temp'");
  }

  bool is_top_param(const std::string& name) const {
    const auto& params = netlist_->top.params;
    return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.name == name; });
  }

  void read_dc(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    const auto words = plain_tokens(line);
    const char* usage = "expected '.dc source start stop step [source2 start2 stop2 step2] [updown]'";
    DcSpec spec;
    std::size_t w = 0;
    while (w < words.size() && spec.sweeps.size() < 2 && !tokens[words[w]].is_word("updown")) {
      DcSweep sweep;
      const Token* name = &tokens[words[w]];
      if (name->is_word("param") && w + 1 < words.size()) {
        name = &tokens[words[++w]];
        if (!is_top_param(name->text))
          throw NetlistError(name->location, "'.dc' sweeps parameter '" + name->text +
                                                 "', but there is no top-level '.param " + name->text + "'");
        sweep.kind = DcSweep::Kind::Param;
      } else if (name->is_word("temp")) {
        sweep.kind = DcSweep::Kind::Temperature;
      } else if (instances_.count(name->text)) {
        const char letter = instance_letter(name->text);
        if (letter != 'v' && letter != 'i')
          throw NetlistError(name->location, "'.dc' can sweep an independent source (V or I), temp or a "
                                             ".param; '" + name->text + "' is none of these");
        sweep.kind = DcSweep::Kind::Source;
      } else if (is_top_param(name->text)) {
        sweep.kind = DcSweep::Kind::Param;
      } else {
        throw NetlistError(name->location, "unknown source or parameter '" + name->text +
                                               "' in '.dc' (expected a V or I source, temp or a .param)");
      }
      sweep.name = name->text;
      if (w + 3 >= words.size()) throw NetlistError(w + 1 < words.size() ? tokens[words[w + 1]].location : line.location, usage);
      sweep.start = number_at(tokens, words[w + 1], *top_, "the '.dc' start");
      sweep.stop = number_at(tokens, words[w + 2], *top_, "the '.dc' stop");
      sweep.step = number_at(tokens, words[w + 3], *top_, "the '.dc' step");
      const SourceLocation& step_at = tokens[words[w + 3]].location;
      if (sweep.step == 0 || !std::isfinite(sweep.step))
        throw NetlistError(step_at, "'.dc' step must not be zero");
      if ((sweep.stop - sweep.start) * sweep.step < 0)
        throw NetlistError(step_at, "'.dc' step " + fmt_number(sweep.step) + " has the wrong sign to go from " +
                                        fmt_number(sweep.start) + " to " + fmt_number(sweep.stop));
      spec.sweeps.push_back(sweep);
      w += 4;
    }
    if (spec.sweeps.empty()) throw NetlistError(line.location, usage);
    if (w < words.size() && tokens[words[w]].is_word("updown")) {
      spec.round_trip = true;
      ++w;
    }
    if (w < words.size())
      throw NetlistError(tokens[words[w]].location, "unexpected '" + tokens[words[w]].raw + "' on '.dc' line");
    circuit_->analyses.push_back(spec);
  }

  void read_tran(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    auto words = plain_tokens(line);
    TranSpec spec;
    if (!words.empty() && tokens[words.back()].is_word("uic")) {
      spec.uic = true;
      words.pop_back();
    }
    if (words.size() < 2 || words.size() > 4)
      throw NetlistError(line.location, "expected '.tran tstep tstop [tstart [tmax]] [uic]'");
    spec.tstep = number_at(tokens, words[0], *top_, "tstep");
    spec.tstop = number_at(tokens, words[1], *top_, "tstop");
    if (words.size() > 2) spec.tstart = number_at(tokens, words[2], *top_, "tstart");
    if (words.size() > 3) spec.tmax = number_at(tokens, words[3], *top_, "tmax");
    if (!(spec.tstep > 0)) throw NetlistError(tokens[words[0]].location, "'.tran' tstep must be positive");
    if (words.size() > 2 && !(spec.tstart >= 0))
      throw NetlistError(tokens[words[2]].location, "'.tran' tstart must not be negative");
    if (!(spec.tstop > spec.tstart))
      throw NetlistError(tokens[words[1]].location, "'.tran' tstop must be greater than tstart (" +
                                                        fmt_number(spec.tstart) + ")");
    if (words.size() > 3 && !(spec.tmax >= 0))
      throw NetlistError(tokens[words[3]].location, "'.tran' tmax must not be negative");
    circuit_->analyses.push_back(spec);
  }

  // `v(node)=value ...` for .ic and .nodeset.
  void read_node_values(const LogicalLine& line, std::vector<NodeValue>& out) {
    const auto& tokens = line.tokens;
    const std::string usage = "expected 'v(node)=value' on '" + line.keyword() + "'";
    std::size_t i = 1;
    auto at = [&](std::size_t k) { return k < tokens.size() ? tokens[k].location : tokens.back().location; };
    while (i < tokens.size()) {
      if (!tokens[i].is_word("v") || i + 5 >= tokens.size() || !tokens[i + 1].is(TokenKind::LeftParen) ||
          !tokens[i + 2].is(TokenKind::Word) || !tokens[i + 3].is(TokenKind::RightParen) ||
          !tokens[i + 4].is(TokenKind::Equals))
        throw NetlistError(at(i), usage);
      const Token& node = tokens[i + 2];
      const Index index = circuit_->find_node(node.text);
      if (index < 0) throw NetlistError(node.location, "unknown node '" + node.text + "' in '" + line.keyword() + "'");
      if (index == 0) throw NetlistError(node.location, "'" + line.keyword() + "' cannot set ground");
      const std::size_t value_end = glued_value_end(tokens, i + 5);
      ElementArg value = argument_value(tokens, i + 5, value_end, *top_);
      if (!value.is_number)
        throw NetlistError(tokens[i + 5].location, "expected a number for v(" + node.text + ")");
      out.push_back(NodeValue{index, value.value, node.location});
      i = value_end;
    }
  }

  // Tokens of .save and .measure: `v(a,b)` and `i(v1)` glued back into one word, `=` on its own.
  // An expression over parameters becomes its value (`val={vdd/2}` -> "0.9"); one that needs
  // simulation results stays `{...}` for the measure code.
  std::vector<std::string> output_words(const std::vector<Token>& tokens, std::size_t i) const {
    std::vector<std::string> words;
    while (i < tokens.size()) {
      const Token& t = tokens[i];
      if (t.is(TokenKind::Word) && i + 1 < tokens.size() && tokens[i + 1].is(TokenKind::LeftParen) &&
          !tokens[i + 1].space_before) {
        std::string word = t.text + "(";
        std::size_t j = i + 2;
        for (; j < tokens.size() && !tokens[j].is(TokenKind::RightParen); ++j) word += tokens[j].text;
        if (j == tokens.size()) throw NetlistError(tokens[i + 1].location, "expected ')'");
        words.push_back(word + ")");
        i = j + 1;
        continue;
      }
      if (t.is(TokenKind::Expression)) {
        double value = 0;
        const bool known = [&] {
          try {
            value = evaluate_expression(t.text, [&](std::string_view name, double& v) {
              return find_param(*top_, name, v);
            });
            return true;
          } catch (const ExpressionError&) {
            return false;
          }
        }();
        words.push_back(known ? fmt_number_exact(value) : "{" + t.text + "}");
      } else if (!t.is(TokenKind::Comma)) {
        words.push_back(t.text);
      }
      ++i;
    }
    return words;
  }

  void read_save(const LogicalLine& line) {
    for (auto& word : output_words(line.tokens, 1))
      if (word != "all") circuit_->saves.push_back(word);
  }

  void read_measure(const LogicalLine& line) {
    const auto& tokens = line.tokens;
    if (tokens.size() < 3 || !tokens[1].is(TokenKind::Word) || !tokens[2].is(TokenKind::Word))
      throw NetlistError(line.location, "expected '" + line.keyword() + " tran|dc name ...'");
    const std::string& analysis = tokens[1].text;
    if (analysis == "ac" || analysis == "noise" || analysis == "sp") {
      if (warn_) warn_(line.location.str() + ": warning: ignoring '" + line.keyword() + " " + analysis +
                       "' (picospice has no ." + analysis + " analysis)");
      return;
    }
    if (analysis != "tran" && analysis != "dc")
      throw NetlistError(tokens[1].location, "expected 'tran' or 'dc' after '" + line.keyword() + "', found '" +
                                                 tokens[1].raw + "'");
    MeasureSpec spec;
    spec.analysis = analysis;
    spec.name = tokens[2].text;
    spec.tokens = output_words(tokens, 3);
    spec.location = line.location;
    circuit_->measures.push_back(std::move(spec));
  }

  std::shared_ptr<const Netlist> netlist_;
  ParamOverrides overrides_;
  WarningSink warn_;
  std::unique_ptr<Circuit> circuit_;
  std::shared_ptr<std::deque<ModelCard>> model_store_;  // deque: stable addresses
  const Scope* top_ = nullptr;
  std::set<std::string> globals_;
  std::unordered_map<std::string, Index> nodes_;
  std::unordered_map<std::string, SourceLocation> instances_;
  std::unordered_map<std::string, Index> branches_;
  std::unordered_map<std::string, DeviceGroup*> groups_;
  std::vector<const SubcircuitDefinition*> active_;  // subcircuits being expanded, outermost first
};

}  // namespace

std::unique_ptr<Circuit> elaborate_file(const std::string& path, const ParamOverrides& overrides) {
  auto netlist = std::make_shared<const Netlist>(parse_netlist_file(path));
  return Elaborator(netlist, overrides, warn_to_stderr).run();
}

std::unique_ptr<Circuit> elaborate_text(const std::string& text, const std::string& file_name,
                                        const ParamOverrides& overrides) {
  auto netlist = std::make_shared<const Netlist>(parse_netlist_text(text, file_name));
  return Elaborator(netlist, overrides, warn_to_stderr).run();
}

}  // namespace picospice
