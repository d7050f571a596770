// The commands of a .control block that change or simulate the circuit: analyses, `run`,
// `alter`, `alterparam`, `meas`, and the loops around them (control_executor.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "base/numbers.hpp"
#include "engine/analyses/measure.hpp"
#include "netlists/control/control_executor.hpp"
#include "netlists/directive_reader.hpp"

namespace picospice {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

const char* analysis_kind(const AnalysisSpec& spec) {
  if (std::holds_alternative<OpSpec>(spec)) return "op";
  if (std::holds_alternative<DcSpec>(spec)) return "dc";
  if (std::holds_alternative<TranSpec>(spec)) return "tran";
  if (std::holds_alternative<NoiseSpec>(spec)) return "noise";
  if (std::holds_alternative<TfSpec>(spec)) return "tf";
  return "ac";
}

}  // namespace

// The command's text as a dot-command line (`tran 1n 1u` -> `.tran 1n 1u`), its tokens placed at
// the command's line so a bad argument is reported there.
LogicalLine ControlExecutor::as_directive(const ControlCommand& command, const std::string& text) const {
  LexedText lexed = lex_netlist("." + command.name + " " + text, command.location.file, false);
  if (lexed.lines.size() != 1) throw NetlistError(command.location, "cannot read '" + command.name + " " + text + "'");
  LogicalLine line = std::move(lexed.lines[0]);
  for (Token& token : line.tokens) {
    token.location.line = command.location.line;
    token.location.column = command.location.column + std::max(0, token.location.column - 2);
  }
  line.location = command.location;
  return line;
}

void ControlExecutor::analysis(const ControlCommand& command, const std::string& text) {
  ++outcome_.analyses_requested;
  ElaborationEdits edits;
  edits.analyses = std::vector<LogicalLine>{as_directive(command, text)};
  simulate(command, std::move(edits));
}

void ControlExecutor::run_netlist_analyses(const ControlCommand& command) {
  ++outcome_.analyses_requested;
  simulate(command, ElaborationEdits{});
}

// Elaborates the netlist with the alterations, runs its analyses into new plots and evaluates
// the .measure lines that apply to them.
void ControlExecutor::simulate(const ControlCommand& command, ElaborationEdits edits) {
  edits.params = params_;
  edits.instances = alterations_;
  std::unique_ptr<Circuit> circuit;
  try {
    circuit = elaborate_netlist(netlist_, edits, settings_.warn);
  } catch (const NetlistError& e) {
    // An error with no place of its own (an alteration of a missing instance) belongs to the command.
    if (e.location.line == 0) throw NetlistError(command.location, "'" + command.name + "': " + e.message);
    throw;
  }
  if (circuit->analyses.empty()) {
    warn(command.location, "'run': the netlist has no .op, .dc, .tran, .ac, .noise or .tf to run");
    return;
  }
  std::set<std::string> kinds;
  for (const auto& a : circuit->analyses) kinds.insert(analysis_kind(a));
  std::vector<MeasureSpec> specs;
  for (const auto& m : circuit->measures)
    if (kinds.count(m.analysis)) specs.push_back(m);
  std::optional<MeasureSink> measures;
  if (!specs.empty()) measures.emplace(specs);
  PlotRecorder recorder;
  std::vector<PlotSink*> sinks{&recorder};
  if (measures) sinks.push_back(&*measures);
  PlotFanOut sink(sinks);
  try {
    run_analyses(*circuit, sink, settings_.run);
  } catch (const SimulationError& e) {
    ++outcome_.analyses_failed;
    warn(command.location, "'" + command.name + "' failed: " + e.what());
    return;
  }
  for (auto& plot : recorder.plots()) add_plot(std::move(plot));
  outcome_.analyses_run += static_cast<int>(circuit->analyses.size());
  if (!measures) return;
  for (const auto& r : measures->results()) {
    if (!r.ok) {
      settings_.print(fmt::format("{:<20} = failed: {}", r.name, r.failure));
      continue;
    }
    settings_.print(fmt::format("{:<20} = {:.9g}", r.name, r.value));
    current().lets[r.name] = ControlVector{{std::complex<double>(r.value, 0.0)}, false};
  }
}

void ControlExecutor::measure(const ControlCommand& command, const std::string& text) {
  const LogicalLine line = as_directive(command, text);
  const auto& tokens = line.tokens;
  if (tokens.size() < 3 || !tokens[1].is(TokenKind::Word) || !tokens[2].is(TokenKind::Word))
    throw NetlistError(command.location, "expected 'meas tran|dc|ac NAME ...'");
  if (!has_plot()) return warn(command.location, "'meas' before any analysis: nothing to measure");
  MeasureSpec spec;
  spec.analysis = tokens[1].text;
  spec.name = tokens[2].text;
  spec.tokens = output_words(tokens, 3, [&](std::string_view name, double& v) {
    auto found = lookup(std::string(name));
    if (!found || found->values.size() != 1) return false;
    v = found->values[0].real();
    return true;
  });
  spec.location = command.location;
  const Plot& plot = current().plot;
  if (plot.analysis != spec.analysis)
    return warn(command.location, "'meas " + spec.analysis + "' on the current plot, which is a '" + plot.analysis +
                                      "' analysis: skipped");
  // picospice's .measure forms are a subset of ngspice's: a form it cannot read is reported and
  // the script goes on, as ngspice goes on after a meas it cannot evaluate.
  std::vector<MeasureResult> results;
  try {
    results = evaluate_measures({spec}, {plot});
  } catch (const NetlistError& e) {
    throw ControlEvaluationError(command.location, "'meas': " + e.message);
  }
  for (const auto& r : results) {
    if (!r.ok) {
      settings_.print(fmt::format("{:<20} = failed: {}", r.name, r.failure));
      continue;
    }
    settings_.print(fmt::format("{:<20} = {:.9g}", r.name, r.value));
    current().lets[r.name] = ControlVector{{std::complex<double>(r.value, 0.0)}, false};
  }
}

// `alter r1 2k`, `alter r1 = 2k`, `alter r1 resistance = 2k`, `alter m1 w = 2u`,
// `alter @r1[resistance] = 2k`. The default parameters (resistance, capacitance, inductance, dc)
// replace the element's value; others replace or add `param=value` on its line.
void ControlExecutor::alter(const ControlCommand& command, const std::string& text) {
  std::string rest = text;
  for (char& c : rest)
    if (c == '=' || c == '[' || c == ']') c = ' ';
  if (!rest.empty() && rest.find('@') != std::string::npos) rest.erase(rest.find('@'), 1);
  const auto words = split_words(rest);
  if (words.size() != 2 && words.size() != 3)
    throw NetlistError(command.location, "expected 'alter DEVICE [PARAMETER] = VALUE', found 'alter " + text + "'");
  InstanceEdit edit;
  const std::string device = lower(words[0]);
  if (words.size() == 3) edit.param = lower(words[1]);
  static const std::set<std::string> value_params{"resistance", "r", "capacitance", "c", "inductance", "l", "dc"};
  if (value_params.count(edit.param)) edit.param.clear();
  // A number, or a vector of one value (`alter r1 r_act`, as ngspice reads it).
  if (!try_parse_number(words.back(), edit.value)) {
    const ControlVector v = evaluate(command, words.back());
    if (v.values.size() != 1)
      throw NetlistError(command.location, "'alter': expected a number or a vector of one value, found '" + words.back() + "'");
    edit.value = v.values[0].real();
  }
  alterations_[device] = edit;
}

// `alterparam NAME = VALUE`: ngspice applies it when the circuit is next rebuilt (`reset`).
void ControlExecutor::alterparam(const ControlCommand& command, const std::string& text) {
  std::string rest = text;
  for (char& c : rest)
    if (c == '=') c = ' ';
  const auto words = split_words(rest);
  if (words.size() != 2)
    throw NetlistError(command.location, "expected 'alterparam NAME = VALUE', found 'alterparam " + text + "'");
  const std::string name = lower(words[0]);
  const auto& params = netlist_->top.params;
  if (std::none_of(params.begin(), params.end(), [&](const ParamAssignment& p) { return p.name == name; }))
    throw NetlistError(command.location, "'alterparam': the netlist has no top-level '.param " + name + "'");
  double value = 0;
  if (!try_parse_number(words[1], value))
    throw NetlistError(command.location, "'alterparam': expected a number, found '" + words[1] + "'");
  pending_params_[name] = value;
}

void ControlExecutor::foreach_loop(const ControlCommand& command, const std::vector<std::string>& words) {
  if (words.empty()) throw NetlistError(command.location, "expected 'foreach VARIABLE value ...'");
  const std::string variable = lower(words[0]);
  for (std::size_t k = 1; k < words.size() && !outcome_.quit; ++k) {
    variables_[variable] = words[k];
    execute(command.body);
  }
}

void ControlExecutor::repeat_loop(const ControlCommand& command, const std::vector<std::string>& words) {
  double count = 0;
  if (words.size() != 1 || !try_parse_number(words[0], count) || count < 0 || count != std::floor(count))
    throw NetlistError(command.location, "expected 'repeat N' with a whole number N (picospice runs no endless loops)");
  for (long k = 0; k < static_cast<long>(count) && !outcome_.quit; ++k) execute(command.body);
}

}  // namespace picospice
