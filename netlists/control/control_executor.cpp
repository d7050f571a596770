#include "netlists/control/control_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>

#include "base/numbers.hpp"
#include "engine/analyses/measure.hpp"
#include "engine/output/raw_writer.hpp"
#include "netlists/directive_reader.hpp"
#include "netlists/parser/expression.hpp"

namespace picospice {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& text) {
  const auto b = text.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return text.substr(b, text.find_last_not_of(" \t") + 1 - b);
}

std::string unquote(std::string text) {
  if (text.size() >= 2 && ((text.front() == '"' && text.back() == '"') || (text.front() == '\'' && text.back() == '\'')))
    return text.substr(1, text.size() - 2);
  return text;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// ngspice prints a scalar with %e and six digits, one fewer when negative (the sign takes it).
std::string format_value(std::complex<double> v, bool complex) {
  auto one = [](double x) { return x < 0 ? fmt::format("{:.5e}", x) : fmt::format("{:.6e}", x); };
  return complex ? one(v.real()) + "," + one(v.imag()) : one(v.real());
}

// `name = value` or `param = value` split at its `=`: {"name", "value"}; no `=`: {"", text}.
std::pair<std::string, std::string> split_assignment(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos) return {"", trim(text)};
  return {lower(trim(text.substr(0, eq))), trim(text.substr(eq + 1))};
}

// ngspice's control language also spells operators as words (`if a gt 1 or b ne 2`), writes
// `<>` for "not equal" and reads `{...}` as parentheses (`let dt = {t2-t1}`): rewritten into the
// symbols the expression parser reads. A word right after `v(` or `i(` is a node or source name.
std::string control_operators(const std::string& text) {
  static const std::map<std::string, std::string> words{{"or", "||"}, {"and", "&&"}, {"not", "!"}, {"gt", ">"},
                                                       {"lt", "<"},  {"ge", ">="},  {"le", "<="},  {"eq", "=="},
                                                       {"ne", "!="}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '{' || c == '}') {
      out += c == '{' ? '(' : ')';
      ++i;
    } else if (c == '<' && i + 1 < text.size() && text[i + 1] == '>') {
      out += "!=";
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < text.size() && (is_name_char(text[j]) || text[j] == '.')) ++j;
      const std::string word = lower(text.substr(i, j - i));
      const bool names_node = out.size() >= 2 && out.back() == '(' && (out[out.size() - 2] == 'v' || out[out.size() - 2] == 'i');
      const auto it = words.find(word);
      out += it != words.end() && !names_node ? " " + it->second + " " : text.substr(i, j - i);
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace

// The operating point, .tf and the integrated noise are one point with no scale. ngspice's raw
// files name their vectors v(transfer_function), v(onoise_total); its control language names them
// without the v( ): `print onoise_total`.
bool has_scale(const Plot& plot) {
  return !(plot.analysis == "op" || plot.analysis == "tf" || (plot.analysis == "noise" && plot.name == "Integrated Noise"));
}

std::string vector_name(const Plot& plot, const Signal& signal) {
  const std::string& n = signal.name;
  const bool wrapped = n.size() > 3 && (n.rfind("v(", 0) == 0 || n.rfind("i(", 0) == 0) && n.back() == ')';
  return !has_scale(plot) && wrapped ? n.substr(2, n.size() - 3) : n;
}

std::vector<std::string> split_expressions(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      current += c;
      continue;
    }
    if (c == '"') quote = c;
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if ((c == ' ' || c == '\t') && depth <= 0) {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

ControlExecutor::ControlExecutor(std::shared_ptr<const Netlist> netlist, ControlSettings settings)
    : netlist_(std::move(netlist)), settings_(std::move(settings)) {
  if (!settings_.print) settings_.print = [](const std::string& line) { fmt::print("{}\n", line); };
}

ControlExecutor::~ControlExecutor() = default;

ControlOutcome ControlExecutor::run() {
  // The whole script is read before anything runs, so a loop without `end` is refused up front.
  std::vector<std::vector<ControlCommand>> blocks;
  for (const auto& block : netlist_->control_blocks) blocks.push_back(parse_control_script(block.lines));
  for (const auto& commands : blocks) {
    execute(commands);
    if (outcome_.quit) break;
  }
  outcome_.edits.params = params_;
  outcome_.edits.instances = alterations_;
  return outcome_;
}

void ControlExecutor::warn(const SourceLocation& at, const std::string& message) const {
  if (settings_.warn) settings_.warn(at.str() + ": warning: " + message);
}

void ControlExecutor::execute(const std::vector<ControlCommand>& commands) {
  for (const auto& command : commands) {
    if (outcome_.quit) return;
    execute(command);
  }
}

void ControlExecutor::execute(const ControlCommand& command) {
  try {
    dispatch(command);
  } catch (const ControlEvaluationError& e) {
    warn(e.location, e.message + "; the command is skipped");
  }
}

void ControlExecutor::dispatch(const ControlCommand& command) {
  const std::string& name = command.name;
  const std::string text = substitute(command);
  const std::vector<std::string> words = split_words(text);
  if (name == "op" || name == "dc" || name == "tran" || name == "ac" || name == "noise" || name == "tf")
    return analysis(command, text);
  if (name == "run") return run_netlist_analyses(command);
  if (name == "set") return set(text);
  if (name == "setplot") return setplot(command, words);
  if (name == "define") return define(command, text);
  if (name == "undefine") {
    for (const auto& w : words) functions_.erase(lower(w));
    return;
  }
  if (name == "unset") {
    for (const auto& w : words) variables_.erase(lower(w));
    return;
  }
  if (name == "let") return let(command, text);
  if (name == "print") return print(command, text);
  if (name == "echo") {
    // ngspice prints the words with their quotes taken away (`echo "a =" $&a` -> `a = 1`).
    std::string line;
    for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
    line.erase(std::remove(line.begin(), line.end(), '"'), line.end());
    settings_.print(line);
    return;
  }
  if (name == "write") return write(command, words);
  if (name == "wrdata") return wrdata(command, words);
  if (name == "meas" || name == "measure") return measure(command, text);
  if (name == "alter") return alter(command, text);
  if (name == "alterparam") return alterparam(command, text);
  if (name == "reset") {
    params_ = pending_params_;
    alterations_.clear();
    return;
  }
  if (name == "foreach") return foreach_loop(command, words);
  if (name == "repeat") return repeat_loop(command, words);
  if (name == "quit" || name == "exit") {
    outcome_.quit = true;
    if (!words.empty()) {
      double status = 0;
      if (!try_parse_number(words[0], status))
        throw NetlistError(command.location, "'" + name + "' expects an exit status, found '" + words[0] + "'");
      outcome_.exit_status = static_cast<int>(status);
    }
    return;
  }
  if (name == "if") return if_block(command, text);
  if (name == "else")
    throw NetlistError(command.location, "'else' outside an 'if' block");
  if (name == "while" || name == "dowhile") return while_loop(command);
  if (name == "pz" || name == "disto" || name == "sens" || name == "sp") {
    ++outcome_.analyses_requested;
    return warn(command.location, "'" + name + "' is not supported in .control blocks by picospice; skipped");
  }
  warn(command.location, "'" + name + "' is not supported in .control blocks by picospice; skipped");
}

// $name -> the variable, $&vector -> the vector's value(s), {$...} -> the same without braces.
std::string ControlExecutor::substitute(const ControlCommand& command) const {
  const std::string& text = command.rest;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool braced = text[i] == '{' && i + 1 < text.size() && text[i + 1] == '$';
    if (text[i] != '$' && !braced) {
      out += text[i];
      continue;
    }
    std::size_t j = i + (braced ? 2 : 1);
    const bool vector = j < text.size() && text[j] == '&';
    if (vector) ++j;
    const std::size_t start = j;
    while (j < text.size() && is_name_char(text[j])) ++j;
    if (vector && j < text.size() && text[j] == '(') j = std::min(text.size(), text.find(')', j) + 1);
    const std::string key = lower(text.substr(start, j - start));
    if (key.empty()) {
      out += text[i];
      continue;
    }
    if (vector) {
      const ControlVector v = evaluate(command, key);
      std::string values;
      for (const auto& x : v.values) values += (values.empty() ? "" : " ") + fmt::format("{:g}", x.real());
      out += values;
    } else if (auto it = variables_.find(key); it != variables_.end()) {
      out += it->second;
    } else {
      throw NetlistError(command.location, "undefined variable '$" + key + "' in '" + command.name + "'");
    }
    if (braced && j < text.size() && text[j] == '}') ++j;
    i = j - 1;
  }
  return out;
}

void ControlExecutor::set(const std::string& text) {
  // `set a = 1 b = 2`, `set a=1`, `set flag`; values may be quoted.
  std::string joined;
  for (const auto& w : split_words(text)) {
    if (w == "=" || (!joined.empty() && (joined.back() == '=' || w.front() == '='))) joined += w;
    else joined += (joined.empty() ? "" : " ") + w;
  }
  for (const auto& item : split_words(joined)) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) variables_[lower(item)] = "";
    else variables_[lower(item.substr(0, eq))] = unquote(item.substr(eq + 1));
  }
}

// `define name(a, b) body`: ngspice's user-defined functions of vectors; `define` alone lists them.
void ControlExecutor::define(const ControlCommand& command, const std::string& text) {
  const auto open = text.find('('), close = text.find(')');
  if (text.find_first_not_of(" \t") == std::string::npos) {
    for (const auto& [name, f] : functions_) {
      std::string params;
      for (const auto& p : f.params) params += (params.empty() ? "" : ", ") + p;
      settings_.print(name + "(" + params + ") = " + f.body);
    }
    return;
  }
  if (open == std::string::npos || close == std::string::npos || close < open)
    throw NetlistError(command.location, "expected 'define NAME(ARG, ...) EXPRESSION', found 'define " + text + "'");
  const std::string name = lower(trim(text.substr(0, open)));
  UserFunction f;
  f.body = trim(text.substr(close + 1));
  std::string params = text.substr(open + 1, close - open - 1);
  for (char& c : params)
    if (c == ',') c = ' ';
  for (const auto& p : split_words(params)) f.params.push_back(lower(p));
  const bool named = !name.empty() && std::all_of(name.begin(), name.end(), is_name_char) &&
                     !std::isdigit(static_cast<unsigned char>(name[0]));
  if (!named || f.body.empty())
    throw NetlistError(command.location, "expected 'define NAME(ARG, ...) EXPRESSION', found 'define " + text + "'");
  functions_[name] = std::move(f);
}

// Replaces each call of a `define`d function by its body, the arguments put in for the
// parameters (each in parentheses), until none is left: ngspice expands them the same way.
std::string ControlExecutor::expand_defines(const ControlCommand& command, const std::string& text) const {
  if (functions_.empty()) return text;
  std::string out = text;
  for (int round = 0;; ++round) {
    bool changed = false;
    std::string next;
    for (std::size_t i = 0; i < out.size();) {
      std::size_t j = i;
      while (j < out.size() && is_name_char(out[j])) ++j;
      const bool word_start = i == 0 || !is_name_char(out[i - 1]);
      const auto f = j > i && word_start && j < out.size() && out[j] == '(' ? functions_.find(lower(out.substr(i, j - i)))
                                                                           : functions_.end();
      if (f == functions_.end()) {
        next += out.substr(i, std::max<std::size_t>(j - i, 1));
        i = std::max(j, i + 1);
        continue;
      }
      std::vector<std::string> args(1);
      int depth = 0;
      std::size_t k = j + 1;
      for (; k < out.size() && !(depth == 0 && out[k] == ')'); ++k) {
        if (out[k] == '(') ++depth;
        if (out[k] == ')') --depth;
        if (depth == 0 && out[k] == ',') args.emplace_back();
        else args.back() += out[k];
      }
      if (k == out.size()) throw ControlEvaluationError(command.location, "'" + command.name + "': '" + f->first + "(' without its ')'");
      if (args.size() != f->second.params.size())
        throw ControlEvaluationError(command.location, "'" + command.name + "': '" + f->first + "' takes " +
                                                           std::to_string(f->second.params.size()) +
                                                           " arguments, got " + std::to_string(args.size()));
      std::string body;
      const std::string& b = f->second.body;
      for (std::size_t p = 0; p < b.size();) {
        std::size_t q = p;
        while (q < b.size() && is_name_char(b[q])) ++q;
        if (q == p) {
          body += b[p++];
          continue;
        }
        const std::string word = b.substr(p, q - p);
        const auto& params = f->second.params;
        const auto it = std::find(params.begin(), params.end(), lower(word));
        body += it == params.end() ? word : "(" + args[static_cast<std::size_t>(it - params.begin())] + ")";
        p = q;
      }
      next += "(" + body + ")";
      i = k + 1;
      changed = true;
    }
    out = std::move(next);
    if (!changed) return out;
    if (round == 100)
      throw ControlEvaluationError(command.location,
                                   "'" + command.name + "': defined functions nested more than 100 deep (one calls itself?)");
  }
}

// ngspice names a plot after its analysis and how many plots of that analysis came before
// (`tran1`, `tran2`; a noise analysis makes two, `noise1` for the spectra and `noise2` for the
// integrated totals). The newest plot becomes the current one.
void ControlExecutor::add_plot(Plot plot) {
  const std::string name = plot.analysis + std::to_string(++plot_counts_[plot.analysis]);
  plots_.push_back(ControlPlot{name, std::move(plot), {}});
  current_ = plots_.size() - 1;
}

void ControlExecutor::setplot(const ControlCommand& command, const std::vector<std::string>& words) {
  if (words.empty()) {
    settings_.print("List of plots available:");
    for (std::size_t k = plots_.size(); k-- > 0;)
      settings_.print(fmt::format("{:<8}{}\t{} ({})", k == current_ ? "Current" : "", plots_[k].name,
                                  plots_[k].plot.title, plots_[k].plot.name));
    return;
  }
  const std::string wanted = lower(words[0]);
  for (std::size_t k = 0; k < plots_.size(); ++k)
    if (plots_[k].name == wanted) {
      current_ = k;
      return;
    }
  std::string known;
  for (const auto& p : plots_) known += (known.empty() ? "" : ", ") + p.name;
  throw ControlEvaluationError(command.location, "'setplot': no plot '" + words[0] + "'" +
                                                     (known.empty() ? std::string(" (no analysis has run)") : " (the plots are " + known + ")"));
}

std::optional<ControlVector> ControlExecutor::lookup(const std::string& name) const {
  if (has_plot()) {
    const ControlPlot& plot_now = current();
    if (auto it = plot_now.lets.find(name); it != plot_now.lets.end()) return it->second;
    const Plot& plot = plot_now.plot;
    for (const auto& s : plot.signals)
      if (s.name == name || (!has_scale(plot) && (s.name == "v(" + name + ")" || s.name == "i(" + name + ")"))) {
        ControlVector v;
        v.complex = plot.complex && &s != &plot.signals[0];
        for (std::size_t k = 0; k < s.values.size(); ++k)
          v.values.emplace_back(s.values[k], k < s.imag.size() ? s.imag[k] : 0.0);
        return v;
      }
  }
  if (auto it = constants_.find(name); it != constants_.end()) return it->second;
  return std::nullopt;
}

ControlVector ControlExecutor::evaluate(const ControlCommand& command, const std::string& text) const {
  // A vector whose name is not an identifier is written in double quotes: `"temp-sweep" - 27`.
  // Each becomes a placeholder identifier the lookup maps back.
  std::string unquoted;
  std::vector<std::string> quoted;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t close = text[i] == '"' ? text.find('"', i + 1) : std::string::npos;
    if (close == std::string::npos) {
      unquoted += text[i];
      continue;
    }
    unquoted += "quoted_vector_" + std::to_string(quoted.size()) + "_";
    quoted.push_back(lower(text.substr(i + 1, close - i - 1)));
    i = close;
  }
  const std::string grouped = control_operators(expand_defines(command, unquoted));
  try {
    return evaluate_vector_expression(grouped, [&](const std::string& name) {
      if (name.rfind("quoted_vector_", 0) == 0 && name.back() == '_') {
        const std::size_t k = std::stoul(name.substr(14));
        if (k < quoted.size()) return lookup(quoted[k]);
      }
      return lookup(name);
    });
  } catch (const ExpressionError& e) {
    throw ControlEvaluationError(command.location, "'" + command.name + "': " + e.what() + " (in '" + text + "')");
  }
}

// `if EXPR` ... [`else` ...] `end`: the condition is true when any element of the vector is
// non-zero (a scalar: when it is non-zero). An expression that cannot be evaluated skips the
// whole block with a warning, as any other bad expression.
// `while EXPR / end` tests before each pass, `dowhile EXPR / end` after it; the condition is
// substituted and evaluated again every time. ngspice would loop forever on a condition that
// stays true; picospice stops after 100000 passes with an error at the loop.
void ControlExecutor::while_loop(const ControlCommand& command) {
  constexpr long kMaxPasses = 100000;
  auto holds = [&] {
    const ControlVector value = evaluate(command, substitute(command));
    return std::any_of(value.values.begin(), value.values.end(),
                       [](std::complex<double> x) { return x != std::complex<double>{}; });
  };
  const bool test_first = command.name == "while";
  for (long pass = 0; !outcome_.quit; ++pass) {
    if (test_first && !holds()) return;
    if (pass == kMaxPasses)
      throw NetlistError(command.location, "'" + command.name + "' ran 100000 times; picospice stops endless loops");
    execute(command.body);
    if (!test_first && !holds()) return;
  }
}

void ControlExecutor::if_block(const ControlCommand& command, const std::string& condition) {
  const ControlVector value = evaluate(command, condition);
  const bool truth = std::any_of(value.values.begin(), value.values.end(),
                                 [](std::complex<double> x) { return x != std::complex<double>{}; });
  std::vector<ControlCommand> then_part, else_part;
  bool in_else = false;
  for (const auto& c : command.body) {
    if (c.name == "else" && !in_else) {
      in_else = true;
      continue;
    }
    (in_else ? else_part : then_part).push_back(c);
  }
  execute(truth ? then_part : else_part);
}

void ControlExecutor::let(const ControlCommand& command, const std::string& text) {
  const auto [name, expression] = split_assignment(text);
  if (name.empty() || expression.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(c); }))
    throw NetlistError(command.location, "expected 'let NAME = EXPRESSION', found 'let " + text + "'");
  ControlVector value = evaluate(command, expression);
  // A vector made before any analysis (`let r = 1k` above a loop that runs analyses) is updated
  // where it lives, as ngspice does; otherwise the vector belongs to the current plot.
  const bool in_current = has_plot() && current().lets.count(name);
  (!has_plot() || (!in_current && constants_.count(name)) ? constants_ : current().lets)[name] = std::move(value);
}

void ControlExecutor::print(const ControlCommand& command, const std::string& text) {
  std::vector<std::pair<std::string, ControlVector>> columns;
  if (lower(trim(text)) == "all") {
    if (!has_plot()) return warn(command.location, "'print all' before any analysis: nothing to print");
    const Plot& plot = current().plot;
    for (const auto& s : plot.signals)
      columns.emplace_back(plot.analysis == "op" ? s.name : vector_name(plot, s), *lookup(s.name));
    for (const auto& [name, v] : current().lets) columns.emplace_back(name, v);
  } else {
    for (const auto& e : split_expressions(text)) columns.emplace_back(e, evaluate(command, e));
  }
  bool scalars = true;
  for (const auto& c : columns) scalars = scalars && c.second.values.size() == 1;
  if (scalars) {
    for (const auto& [name, v] : columns) settings_.print(name + " = " + format_value(v.values[0], v.complex));
    return;
  }
  // Vectors: a table with an index column, as ngspice prints it.
  std::string header = fmt::format("{:<8}", "Index");
  std::size_t rows = 0;
  for (const auto& [name, v] : columns) {
    header += fmt::format("{:<16}", name);
    rows = std::max(rows, v.values.size());
  }
  settings_.print(header);
  for (std::size_t k = 0; k < rows; ++k) {
    std::string line = fmt::format("{:<8}", k);
    for (const auto& [name, v] : columns)
      line += fmt::format("{:<16}", k < v.values.size() ? format_value(v.values[k], v.complex) : "");
    settings_.print(line);
  }
}

}  // namespace picospice
