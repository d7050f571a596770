// Directive lines of a netlist's top level, read into the Circuit (directive_reader.hpp).
#include "netlists/directive_reader.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <cmath>
#include <cstdio>

#include "engine/analyses/point_limits.hpp"
#include "netlists/parser/expression.hpp"
#include "netlists/parser/expression_compiler.hpp"
#include "netlists/parser/token_text.hpp"

namespace picospice {
namespace {

// The letter of an instance: the first character of its last name component.
char instance_letter(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name[0] : name[dot + 1];
}

// The shortest text that reads back as exactly `v`.
std::string fmt_number_exact(double v) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

std::string fmt_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

// Tokens after the keyword, without parentheses and commas.
std::vector<std::size_t> plain_tokens(const LogicalLine& line) {
  std::vector<std::size_t> out;
  for (std::size_t i = 1; i < line.tokens.size(); ++i)
    if (!is_separator(line.tokens[i])) out.push_back(i);
  return out;
}

// The transient-noise options (base/options.hpp, TransientNoiseOptions). False for any other
// name. A flag without a value (`trannoise`) means 1.
template <class Number, class Integer>
bool read_noise_option(const std::string& n, bool has_value, Number& number, Integer& integer,
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

}  // namespace

namespace {

// The options picospice acts on, for the closest-name hint of an unknown one.
const std::vector<std::string>& known_options() {
  static const std::vector<std::string> names = {
      "reltol", "abstol", "vntol", "chgtol", "gmin", "trtol", "itl1", "itl2", "itl4", "temp", "tnom", "maxord", "method",
      "nogmin", "nosrcstep", "nopseudotran", "noopiter", "gminsteps", "srcsteps", "bypass", "bypasstol", "ffsplit", "latency", "newtongiveup", "factor_reuse", "threads", "trannoise", "noisefmax", "noisetstep", "noiseseed", "noisescale",
      "noiseinterp", "noiseflicker", "mc_avto", "mc_akp", "mc_process_sigma_vt", "mc_process_sigma_kp"};
  return names;
}

// ngspice options picospice accepts and does not need (its solver has no such knob).
bool ngspice_option_without_effect(const std::string& name) {
  static const std::set<std::string> names = {
      "itl3", "itl5", "itl6", "pivtol", "pivrel", "klu", "sparse", "savecurrents", "interp", "maxstep",
      "rshunt", "cshunt", "xmu", "post", "acct", "noacct", "nopage", "numdgt",
      "list", "node", "nomod", "opts", "warn", "keepopinfo", "norefvalue", "defad", "defas", "defl", "defw",
      "ramptime", "trytocompact", "noinit", "filetype", "scale", "seed", "gmin_steps"};
  return names.count(name) != 0;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

void DirectiveReader::warn_about_option(const std::string& name, const Token& token) const {
  if (!warn_ || name.rfind("mc_", 0) == 0) return;  // mc_<coefficient> overrides any device's coefficient
  if (ngspice_option_without_effect(name)) {
    warn_(token.location.str() + ": warning: '.options " + name + "' has no effect in picospice (ignored)");
    return;
  }
  std::string closest;
  std::size_t best = 3;  // suggest only near misses
  for (const auto& known : known_options())
    if (const std::size_t d = edit_distance(name, known); d < best) {
      best = d;
      closest = known;
    }
  warn_(token.location.str() + ": warning: unknown option '" + name + "' (ignored)" +
        (closest.empty() ? std::string() : "; did you mean '" + closest + "'?"));
}

DirectiveReader::DirectiveReader(Circuit& circuit, const ElaborationScope& top,
                                 const std::vector<ParamAssignment>& top_params,
                                 const std::unordered_map<std::string, SourceLocation>& instances,
                                 const WarningSink& warn)
    : circuit_(circuit), top_(top), top_params_(top_params), instances_(instances), warn_(warn) {}

void DirectiveReader::read_options(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  SimOptions& o = circuit_.options;
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
      if (value_end <= value_begin)  // `reltol=)`: nothing that could be a value
        throw NetlistError(tokens[value_begin].location, "expected a value after '" + name.text + "=', found '" +
                                                             tokens[value_begin].raw + "'");
    }
    auto number = [&](double low, bool inclusive) {
      if (!has_value) throw NetlistError(name.location, "option '" + name.text + "' needs a value");
      ElementArg arg = argument_value(tokens, value_begin, value_end, top_);
      if (!arg.is_number)
        throw NetlistError(tokens[value_begin].location, "expected a number for option '" + name.text +
                                                             "', found '" + tokens[value_begin].raw + "'");
      if (!std::isfinite(arg.value))
        throw NetlistError(tokens[value_begin].location, "option '" + name.text + "' must be a finite number");
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
      // Iteration limits and switches: a million is already far beyond any useful value.
      if (v > 1e6)
        throw NetlistError(tokens[value_begin].location, "option '" + name.text + "' must be at most 1000000");
      return static_cast<int>(v);
    };
    // Upper limits for options whose large values silently give wrong answers.
    auto at_most = [&](double value, double high, const char* why) {
      if (value > high)
        throw NetlistError(tokens[value_begin].location,
                           fmt::format("option '{}' must be at most {:g} ({})", name.text, high, why));
      return value;
    };
    const std::string& n = name.text;
    if (n == "reltol") o.reltol = at_most(number(0, false), 0.1, "a relative tolerance above 10% is no accuracy at all");
    else if (n == "abstol") o.abstol = number(0, false);
    else if (n == "vntol") o.vntol = number(0, false);
    else if (n == "chgtol") o.chgtol = number(0, false);
    else if (n == "gmin") o.gmin = number(0, true);
    else if (n == "trtol") o.trtol = number(0, false);
    // In units of UT; the linearization error grows as its square (SimOptions::bypass_fraction).
    else if (n == "bypasstol") o.bypass_fraction = at_most(number(0, true), 0.05, "bypass's error grows as its square");
    else if (n == "factor_reuse") o.factor_reuse = at_most(number(0, true), 0.9, "a chord step needs a close matrix");
    else if (n == "itl1") o.itl1 = integer(1);
    else if (n == "itl2") o.itl2 = integer(1);
    else if (n == "itl4") o.itl4 = integer(1);
    else if (n == "temp") o.temp = at_most(number(-physics::zero_celsius, false), 1000, "degrees Celsius");
    else if (n == "tnom") o.tnom = at_most(number(-physics::zero_celsius, false), 1000, "degrees Celsius");
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
      circuit_.extra_options[n] = has_value ? join_text(tokens, value_begin, value_end) : "1";
    } else if (n == "nogmin" && !has_value) o.gmin_stepping = false;
    else if (n == "nosrcstep" && !has_value) o.source_stepping = false;
    else if (n == "nopseudotran" && !has_value) o.pseudo_transient = false;
    else if (n == "noopiter") {  // ngspice: skip the operating point's plain Newton attempt
      const int v = has_value ? integer(0) : 1;
      if (v > 1) throw NetlistError(tokens[value_begin].location, "option 'noopiter' must be 0 or 1");
      o.plain_newton_first = v == 0;
    } else if (n == "gminsteps" || n == "srcsteps") {
      // ngspice: 0 turns the homotopy off, 1 (its default) chooses its dynamic (adaptive)
      // stepping, which is what picospice does; a count above 1 asks for that many fixed steps
      // (Spice3's stepping), which picospice does not have: it keeps stepping adaptively and says so.
      const int count = integer(0);
      (n == "gminsteps" ? o.gmin_stepping : o.source_stepping) = count > 0;
      if (count > 1 && warn_)
        warn_(name.location.str() + ": warning: '.options " + n + "=" + std::to_string(count) +
              "': picospice steps adaptively (as ngspice does for 1); only 0 (off) and 1 have an effect");
    }
    else if (n == "bypass") {
      const int v = has_value ? integer(0) : 1;
      if (v > 1) throw NetlistError(tokens[value_begin].location, "option 'bypass' must be 0 or 1");
      o.bypass = v == 1;
    } else if (n == "ffsplit") {
      const int v = has_value ? integer(0) : 1;
      if (v > 1) throw NetlistError(tokens[value_begin].location, "option 'ffsplit' must be 0 or 1");
      o.feed_forward_split = v == 1;
    } else if (n == "latency") {
      const int v = has_value ? integer(0) : 1;
      if (v > 1) throw NetlistError(tokens[value_begin].location, "option 'latency' must be 0 or 1");
      o.latency = v == 1;
    } else if (n == "newtongiveup") {
      const int v = integer(0);
      if (v == 1 || v > 1000)
        throw NetlistError(tokens[value_begin].location,
                           "option 'newtongiveup' must be 0 (off) or an iteration from 2 to 1000 (the first "
                           "iteration has no earlier update to compare)");
      o.newton_give_up_after = v;
    } else if (n == "threads") {
      // 0: all cores. Results do not depend on it (engine/system.cpp sums in a fixed order).
      const int v = integer(0);
      if (v > 256) throw NetlistError(tokens[value_begin].location, "option 'threads' must be 0 (all cores) to 256");
      o.threads = v;
    }
    else {
      warn_about_option(n, name);
      circuit_.extra_options[n] = has_value ? join_text(tokens, value_begin, value_end) : "1";
    }
    i = has_value ? value_end : i + 1;
  }
}

void DirectiveReader::read_temp(const LogicalLine& line) {
  const auto words = plain_tokens(line);
  if (words.size() != 1) throw NetlistError(line.location, "expected '.temp celsius'");
  const double celsius = number_at(line.tokens, words[0], top_, "'.temp'");
  // The same range as `.options temp`: below absolute zero or above 1000 C is a typo, not a corner.
  if (!(celsius > -physics::zero_celsius) || celsius > 1000)
    throw NetlistError(line.tokens[words[0]].location,
                       fmt::format("'.temp' must be above {:g} and at most 1000 (degrees Celsius), found {:g}",
                                   -physics::zero_celsius, celsius));
  circuit_.options.temp = celsius;
}

void DirectiveReader::read_directive(const LogicalLine& line) {
  const std::string& k = line.keyword();
  if (k == ".options" || k == ".option" || k == ".opt" || k == ".temp") return;  // read first
  if (k == ".op") circuit_.analyses.push_back(OpSpec{});
  else if (k == ".dc") read_dc(line);
  else if (k == ".tran") read_tran(line);
  else if (k == ".ac") read_ac(line);
  else if (k == ".noise") read_noise(line);
  else if (k == ".tf") read_tf(line);
  else if (k == ".ic") read_node_values(line, circuit_.initial_conditions);
  else if (k == ".nodeset") read_node_values(line, circuit_.nodesets);
  else if (k == ".save") read_save(line);
  else if (k == ".measure" || k == ".meas") read_measure(line);
  else throw NetlistError(line.location, "unknown directive '" + k + "'");
}

bool DirectiveReader::is_top_param(const std::string& name) const {
  const auto& params = top_params_;
  return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.name == name; });
}

void DirectiveReader::read_dc(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  const auto words = plain_tokens(line);
  const char* usage = "expected '.dc source start stop step [source2 start2 stop2 step2] [updown]'";
  DcSpec spec;
  double total_points = 1;
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
    sweep.start = number_at(tokens, words[w + 1], top_, "the '.dc' start");
    sweep.stop = number_at(tokens, words[w + 2], top_, "the '.dc' stop");
    sweep.step = number_at(tokens, words[w + 3], top_, "the '.dc' step");
    const SourceLocation& step_at = tokens[words[w + 3]].location;
    if (sweep.step == 0 || !std::isfinite(sweep.step))
      throw NetlistError(step_at, "'.dc' step must not be zero");
    if ((sweep.stop - sweep.start) * sweep.step < 0)
      throw NetlistError(step_at, "'.dc' step " + fmt_number(sweep.step) + " has the wrong sign to go from " +
                                      fmt_number(sweep.start) + " to " + fmt_number(sweep.stop));
    const double points = std::floor((sweep.stop - sweep.start) / sweep.step + 1e-9) + 1;
    total_points *= points;
    if (!(points <= kMaxDcPoints) || !(total_points <= kMaxDcPoints))
      throw NetlistError(step_at, fmt::format("'.dc' {} from {:g} to {:g} in steps of {:g} makes {:g} points{}; "
                                              "picospice's limit is {:g}",
                                              sweep.name, sweep.start, sweep.stop, sweep.step, points,
                                              points == total_points ? "" : fmt::format(" ({:g} with the outer sweep)", total_points),
                                              kMaxDcPoints));
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
  circuit_.analyses.push_back(spec);
}

void DirectiveReader::read_tran(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  auto words = plain_tokens(line);
  TranSpec spec;
  if (!words.empty() && tokens[words.back()].is_word("uic")) {
    spec.uic = true;
    words.pop_back();
  }
  if (words.size() < 2 || words.size() > 4)
    throw NetlistError(line.location, "expected '.tran tstep tstop [tstart [tmax]] [uic]'");
  spec.tstep = number_at(tokens, words[0], top_, "tstep");
  spec.tstop = number_at(tokens, words[1], top_, "tstop");
  if (words.size() > 2) spec.tstart = number_at(tokens, words[2], top_, "tstart");
  if (words.size() > 3) spec.tmax = number_at(tokens, words[3], top_, "tmax");
  if (!(spec.tstep > 0)) throw NetlistError(tokens[words[0]].location, "'.tran' tstep must be positive");
  if (words.size() > 2 && !(spec.tstart >= 0))
    throw NetlistError(tokens[words[2]].location, "'.tran' tstart must not be negative");
  if (!(spec.tstop > spec.tstart))
    throw NetlistError(tokens[words[1]].location, "'.tran' tstop must be greater than tstart (" +
                                                      fmt_number(spec.tstart) + ")");
  if (words.size() > 3 && !(spec.tmax >= 0))
    throw NetlistError(tokens[words[3]].location, "'.tran' tmax must not be negative");
  // The step never exceeds tmax (default min(tstep, span/50)), so span/tmax is the fewest points.
  const double span = spec.tstop - spec.tstart;
  const double largest_step = spec.tmax > 0 ? spec.tmax : std::min(spec.tstep, span / 50);
  if (!(span / largest_step <= kMaxTranPoints))
    throw NetlistError(tokens[words[words.size() > 3 && spec.tmax > 0 ? 3 : 0]].location,
                       fmt::format("'.tran' from {:g} to {:g} s in steps of at most {:g} s takes at least {:g} points; "
                                   "picospice's limit is {:g} (use a larger tstep or tmax)",
                                   spec.tstart, spec.tstop, largest_step, span / largest_step, kMaxTranPoints));
  circuit_.analyses.push_back(spec);
}

// `dec|oct|lin N f1 f2` from words[w] on (of .ac, and of .noise after its output and source).
FrequencySweep DirectiveReader::read_frequency_sweep(const LogicalLine& line, const std::vector<std::size_t>& words,
                                                     std::size_t w, const char* usage) const {
  const auto& tokens = line.tokens;
  if (w + 4 > words.size()) throw NetlistError(w < words.size() ? tokens[words[w]].location : line.location, usage);
  FrequencySweep sweep;
  const Token& kind = tokens[words[w]];
  if (kind.is_word("dec")) sweep.kind = FrequencySweep::Kind::Decade;
  else if (kind.is_word("oct")) sweep.kind = FrequencySweep::Kind::Octave;
  else if (kind.is_word("lin")) sweep.kind = FrequencySweep::Kind::Linear;
  else throw NetlistError(kind.location, "expected 'dec', 'oct' or 'lin', found '" + kind.raw + "'");
  const double points = number_at(tokens, words[w + 1], top_, "the number of points");
  const SourceLocation& points_at = tokens[words[w + 1]].location;
  if (!(points >= 1) || points != std::floor(points) || points > 1e7)
    throw NetlistError(points_at, "the number of points must be a whole number from 1 to 1e7, found " + fmt_number(points));
  sweep.points = static_cast<int>(points);
  sweep.start = number_at(tokens, words[w + 2], top_, "the start frequency");
  sweep.stop = number_at(tokens, words[w + 3], top_, "the stop frequency");
  const bool logarithmic = sweep.kind != FrequencySweep::Kind::Linear;
  if (!std::isfinite(sweep.start) || sweep.start < 0 || (logarithmic && sweep.start == 0))
    throw NetlistError(tokens[words[w + 2]].location,
                       std::string("the start frequency must be ") + (logarithmic ? "above 0 Hz for 'dec' and 'oct'" : "0 Hz or more") +
                           ", found " + fmt_number(sweep.start));
  if (!std::isfinite(sweep.stop) || sweep.stop < sweep.start)
    throw NetlistError(tokens[words[w + 3]].location, "the stop frequency must not be below the start frequency (" +
                                                          fmt_number(sweep.start) + " Hz)");
  return sweep;
}

void DirectiveReader::read_ac(const LogicalLine& line) {
  const auto words = plain_tokens(line);
  const char* usage = "expected '.ac dec|oct|lin points fstart fstop'";
  AcSpec spec;
  spec.sweep = read_frequency_sweep(line, words, 0, usage);
  if (words.size() > 4)
    throw NetlistError(line.tokens[words[4]].location, "unexpected '" + line.tokens[words[4]].raw + "' on '.ac' line");
  circuit_.analyses.push_back(spec);
}

// The output of .noise and .tf, `v(node)` or `v(node,ref)`, from the token after the keyword;
// returns the index of the token after its `)`.
std::size_t DirectiveReader::read_small_signal_output(const LogicalLine& line, SmallSignalOutput& out) const {
  const auto& tokens = line.tokens;
  const std::string& k = line.keyword();
  const std::string usage = "expected 'v(node)' or 'v(node,ref)' after '" + k + "'";
  if (tokens.size() < 2) throw NetlistError(line.location, usage);
  const Token& letter = tokens[1];
  const bool call = tokens.size() > 2 && tokens[2].is(TokenKind::LeftParen);
  if (call && letter.is_word("i"))
    throw NetlistError(letter.location, "'" + k + "' output i(...) is not supported: give a voltage, 'v(node)' or "
                                        "'v(node,ref)' (a current can be read as the voltage across a resistor)");
  if (!call || !letter.is_word("v")) throw NetlistError(letter.location, usage);
  std::vector<const Token*> nodes;
  std::size_t i = 3;
  for (; i < tokens.size() && !tokens[i].is(TokenKind::RightParen); ++i) {
    if (tokens[i].is(TokenKind::Comma)) continue;
    if (!tokens[i].is(TokenKind::Word) || nodes.size() == 2) throw NetlistError(tokens[i].location, usage);
    nodes.push_back(&tokens[i]);
  }
  if (i == tokens.size() || nodes.empty()) throw NetlistError(tokens[i == tokens.size() ? 2 : i].location, usage);
  Index index[2] = {0, 0};
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    index[n] = circuit_.find_node(nodes[n]->text);
    if (index[n] < 0)
      throw NetlistError(nodes[n]->location, "unknown node '" + nodes[n]->text + "' in '" + k + "' output");
  }
  if (index[0] == index[1])
    throw NetlistError(nodes[0]->location, "'" + k + "' output v(" + nodes[0]->text + (nodes.size() == 2 ? "," + nodes[1]->text : "") +
                                               ") is always 0 V: its node " + (nodes.size() == 2 ? "and reference are the same node" : "is ground"));
  out.node = index[0];
  out.reference = index[1];
  // ngspice 39 names v(out,0) v(out) (in .tf's output_impedance_at_v(out)).
  out.name = "v(" + nodes[0]->text + (index[1] != 0 ? "," + nodes[1]->text : "") + ")";
  return i + 1;
}

// The independent V or I source a .noise or .tf refers to, at tokens[token].
std::string DirectiveReader::read_small_signal_source(const LogicalLine& line, std::size_t token) const {
  const auto& tokens = line.tokens;
  const std::string& k = line.keyword();
  if (token >= tokens.size() || !tokens[token].is(TokenKind::Word))
    throw NetlistError(token < tokens.size() ? tokens[token].location : line.location,
                       "expected the input source (an independent V or I source) after the output of '" + k + "'");
  const Token& name = tokens[token];
  if (!instances_.count(name.text))
    throw NetlistError(name.location, "unknown source '" + name.text + "' in '" + k + "' (expected an independent V or I source)");
  const char letter = instance_letter(name.text);
  if (letter != 'v' && letter != 'i')
    throw NetlistError(name.location, "'" + k + "' needs an independent V or I source as its input; '" + name.text + "' is neither");
  return name.text;
}

void DirectiveReader::read_noise(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  const char* usage = "expected '.noise v(out[,ref]) source dec|oct|lin points fstart fstop [points_per_summary]'";
  NoiseSpec spec;
  const std::size_t after_output = read_small_signal_output(line, spec.output);
  spec.source = read_small_signal_source(line, after_output);
  std::vector<std::size_t> words;
  for (std::size_t w : plain_tokens(line))
    if (w > after_output) words.push_back(w);
  spec.sweep = read_frequency_sweep(line, words, 0, usage);
  if (!(spec.sweep.start > 0))
    throw NetlistError(tokens[words[2]].location, "the start frequency of '.noise' must be above 0 Hz (flicker noise "
                                                  "has no value at 0 Hz), found " + fmt_number(spec.sweep.start));
  if (words.size() > 4) {
    const double summary = number_at(tokens, words[4], top_, "points_per_summary");
    if (!(summary >= 0) || summary != std::floor(summary) || summary > 1e7)
      throw NetlistError(tokens[words[4]].location,
                         "points_per_summary must be a whole number from 0 to 1e7, found " + fmt_number(summary));
    spec.points_per_summary = static_cast<int>(summary);
  }
  if (words.size() > 5)
    throw NetlistError(tokens[words[5]].location, "unexpected '" + tokens[words[5]].raw + "' on '.noise' line");
  circuit_.analyses.push_back(spec);
}

void DirectiveReader::read_tf(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  TfSpec spec;
  const std::size_t after_output = read_small_signal_output(line, spec.output);
  spec.source = read_small_signal_source(line, after_output);
  if (after_output + 1 < tokens.size())
    throw NetlistError(tokens[after_output + 1].location, "unexpected '" + tokens[after_output + 1].raw +
                                                              "' on '.tf' line (expected '.tf v(out[,ref]) source')");
  circuit_.analyses.push_back(spec);
}

// `v(node)=value ...` for .ic and .nodeset.
void DirectiveReader::read_node_values(const LogicalLine& line, std::vector<NodeValue>& out) {
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
    const Index index = circuit_.find_node(node.text);
    if (index < 0) throw NetlistError(node.location, "unknown node '" + node.text + "' in '" + line.keyword() + "'");
    if (index == 0) throw NetlistError(node.location, "'" + line.keyword() + "' cannot set ground");
    const std::size_t value_end = glued_value_end(tokens, i + 5);
    ElementArg value = argument_value(tokens, i + 5, value_end, top_);
    if (!value.is_number)
      throw NetlistError(tokens[i + 5].location, "expected a number for v(" + node.text + ")");
    out.push_back(NodeValue{index, value.value, node.location});
    i = value_end;
  }
}

// Tokens of .save and .measure: `v(a,b)` and `i(v1)` glued back into one word, `=` on its own.
// An expression over parameters becomes its value (`val={vdd/2}` -> "0.9"); one that needs
// simulation results stays `{...}` for the measure code.
std::vector<std::string> DirectiveReader::output_words(const std::vector<Token>& tokens,
                                                       std::size_t i) const {
  return picospice::output_words(tokens, i, [&](std::string_view name, double& v) { return find_param(top_, name, v); });
}

std::function<double(const MeasureSpec::ResultLookup&)> measure_param_function(const std::string& text,
                                                                              const ElaborationScope& params) {
  // The .param values the expression names, taken now (the scope does not outlive elaboration);
  // a name that is no parameter must be a measure's, looked up when the results are known.
  std::map<std::string, double, std::less<>> known;
  const ExpressionSyntax syntax = parse_expression(text);
  for (const auto& node : syntax.nodes) {
    double value = 0;
    if (node.kind == ExpressionNode::Kind::Name && find_param(params, node.name, value)) known[node.name] = value;
  }
  return [text, known](const MeasureSpec::ResultLookup& results) {
    return evaluate_expression(text, [&](std::string_view name, double& value) {
      if (results(name, value)) return true;
      auto it = known.find(name);
      if (it == known.end()) return false;
      value = it->second;
      return true;
    });
  };
}

std::vector<std::string> output_words(const std::vector<Token>& tokens, std::size_t i,
                                      const std::function<bool(std::string_view, double&)>& param) {
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
          value = evaluate_expression(t.text, param);
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

void DirectiveReader::read_save(const LogicalLine& line) {
  for (auto& word : output_words(line.tokens, 1))
    if (word != "all") circuit_.saves.push_back({word, line.location});
}

void DirectiveReader::read_measure(const LogicalLine& line) {
  const auto& tokens = line.tokens;
  if (tokens.size() < 3 || !tokens[1].is(TokenKind::Word) || !tokens[2].is(TokenKind::Word))
    throw NetlistError(line.location, "expected '" + line.keyword() + " tran|dc|ac name ...'");
  const std::string& analysis = tokens[1].text;
  if (analysis == "noise" || analysis == "sp" || analysis == "tf") {
    if (warn_) warn_(line.location.str() + ": warning: ignoring '" + line.keyword() + " " + analysis + "' (" +
                     (analysis == "sp" ? std::string("picospice has no .sp analysis")
                                       : "picospice runs ." + analysis + " but does not measure its results yet") +
                     ")");
    return;
  }
  if (analysis != "tran" && analysis != "dc" && analysis != "ac")
    throw NetlistError(tokens[1].location, "expected 'tran', 'dc' or 'ac' after '" + line.keyword() + "', found '" +
                                               tokens[1].raw + "'");
  MeasureSpec spec;
  spec.analysis = analysis;
  spec.name = tokens[2].text;
  spec.tokens = output_words(tokens, 3);
  spec.location = line.location;
  if (spec.tokens.size() == 3 && spec.tokens[0] == "param" && spec.tokens[2].size() > 2 && spec.tokens[2][0] == '{')
    try {
      spec.param_value = measure_param_function(spec.tokens[2].substr(1, spec.tokens[2].size() - 2), top_);
    } catch (const ExpressionError& e) {
      throw NetlistError(line.location, "measure '" + spec.name + "': param=" + spec.tokens[2] + ": " + e.what());
    }
  circuit_.measures.push_back(std::move(spec));
}

}  // namespace picospice
