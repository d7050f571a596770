#include "engine/analyses/measure.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <ostream>

#include "base/atomic_file.hpp"
#include "base/numbers.hpp"
#include "engine/analyses/measure_evaluator.hpp"

namespace picospice {
namespace {

// ---------------------------------------------------------------------------------------------
// Parsing

// A SPICE number with an optional scale suffix (base/numbers.hpp); nullopt if the token is not one.
std::optional<double> parse_number(const std::string& token) {
  double value = 0;
  if (!try_parse_number(token, value)) return std::nullopt;
  return value;
}

bool is_section_keyword(const std::string& token) {
  return token == "trig" || token == "targ" || token == "when" || token == "find";
}

class MeasureParser {
 public:
  explicit MeasureParser(const MeasureSpec& spec) : spec_(spec), tokens_(spec.tokens) {}

  Measurement parse() {
    Measurement m;
    m.analysis = spec_.analysis;
    m.name = spec_.name;
    m.location = spec_.location;
    if (m.analysis != "tran" && m.analysis != "dc" && m.analysis != "ac")
      fail(fmt::format("expected the analysis 'tran', 'dc' or 'ac' after .measure, found '{}'",
                       m.analysis));
    if (m.name.empty()) fail("expected a measure name after '.measure " + m.analysis + "'");
    const std::string kind = next("a measure kind (trig, find, when, avg, rms, min, max, pp, integ, param)");
    if (kind == "trig") {
      m.kind = Measurement::Kind::TrigTarg;
      m.trigger = parse_condition("trig", Condition::Value);
      expect("targ", "'targ' after the trig condition");
      m.target = parse_condition("targ", Condition::Value);
    } else if (kind == "when") {
      m.kind = Measurement::Kind::When;
      m.trigger = parse_condition("when", Condition::Equation);
    } else if (kind == "find") {
      m.signal = parse_signal("find");
      if (peek() == "at") {
        m.kind = Measurement::Kind::FindAt;
        m.at = parse_assigned_number("at");
      } else {
        expect("when", "'when <signal>=<value>' or 'at=<position>' after 'find " +
                           m.signal.text + "'");
        m.kind = Measurement::Kind::FindWhen;
        m.trigger = parse_condition("when", Condition::Equation);
      }
    } else if (kind == "avg" || kind == "rms" || kind == "min" || kind == "max" ||
               kind == "pp" || kind == "integ" || kind == "integral") {
      using K = Measurement::Kind;
      m.kind = kind == "avg" ? K::Avg : kind == "rms" ? K::Rms : kind == "min" ? K::Min
             : kind == "max" ? K::Max : kind == "pp" ? K::PeakToPeak : K::Integral;
      m.signal = parse_signal(kind);
      parse_window(kind, m.from, m.to);
    } else if (kind == "param") {
      // PARAM='expression': the netlist layer has put in the .param values, so a number is left
      // when the expression reads only parameters. Other measures' results are not available.
      m.kind = Measurement::Kind::Param;
      expect("=", "'=' after 'param'");
      const std::string text = next("an expression after 'param='");
      if (auto value = parse_number(text)) {
        m.at = *value;
      } else if (spec_.param_value) {
        m.param_value = spec_.param_value;
      } else {
        fail(fmt::format("param={} reads something other than .param values and no measure results are "
                         "given to it here", text));
      }
    } else {
      fail(fmt::format("unknown measure kind '{}' (expected trig, find, when, avg, rms, min, "
                       "max, pp, integ or param)", kind));
    }
    if (position_ < tokens_.size())
      fail(fmt::format("unexpected '{}' at the end of the measure", tokens_[position_]));
    return m;
  }

 private:
  enum class Condition { Value, Equation };  // TRIG/TARG <sig> VAL=v, or WHEN <sig>=<v|sig>

  [[noreturn]] void fail(const std::string& message) const {
    throw NetlistError(spec_.location, fmt::format("measure '{}': {}", spec_.name, message));
  }

  std::string peek() const { return position_ < tokens_.size() ? tokens_[position_] : ""; }

  std::string next(const std::string& expected) {
    if (position_ >= tokens_.size()) fail("expected " + expected + " but the line ends");
    return tokens_[position_++];
  }

  void expect(const std::string& token, const std::string& expected) {
    std::string found = next(expected);
    if (found != token) fail(fmt::format("expected {}, found '{}'", expected, found));
  }

  double parse_number_token(const std::string& what) {
    std::string token = next("a number for " + what);
    auto value = parse_number(token);
    if (!value) fail(fmt::format("expected a number for {}, found '{}'", what, token));
    return *value;
  }

  double parse_assigned_number(const std::string& keyword) {
    expect(keyword, "'" + keyword + "='");
    expect("=", "'=' after '" + keyword + "'");
    return parse_number_token(keyword + "=");
  }

  // A signal may arrive as one token "v(a,b)" or split at the comma; join until the
  // parentheses balance.
  WaveformRef parse_signal(const std::string& after) {
    std::string text = next(fmt::format("a signal such as v(out) or i(v1) after '{}'", after));
    int depth = static_cast<int>(std::count(text.begin(), text.end(), '(')) -
                static_cast<int>(std::count(text.begin(), text.end(), ')'));
    while (depth > 0 && position_ < tokens_.size() && tokens_[position_] != "=") {
      const std::string& piece = tokens_[position_++];
      if (text.back() != ',' && text.back() != '(' && piece != "," && piece != ")") text += ',';
      text += piece;
      depth += static_cast<int>(std::count(piece.begin(), piece.end(), '(')) -
               static_cast<int>(std::count(piece.begin(), piece.end(), ')'));
    }
    return signal_from_text(text);
  }

  WaveformRef signal_from_text(const std::string& text) {
    auto expected = [&] {
      fail(fmt::format("expected a signal such as v(out), v(a,b), i(v1), vdb(out) or vp(a,b), found '{}'", text));
    };
    using Part = WaveformRef::Part;
    // Function forms around a plain signal: db(v(out)), mag(i(v1)), ph(...), real(...), imag(...).
    static const std::pair<const char*, Part> functions[] = {
        {"db", Part::Db}, {"mag", Part::Magnitude}, {"ph", Part::Phase}, {"phase", Part::Phase},
        {"real", Part::Real}, {"imag", Part::Imag}};
    for (const auto& [function, part] : functions) {
      const std::string open = std::string(function) + "(";
      if (text.size() > open.size() + 1 && text.compare(0, open.size(), open) == 0 && text.back() == ')') {
        WaveformRef inner = plain_signal(text.substr(open.size(), text.size() - open.size() - 1), expected);
        if (inner.part != Part::Real) expected();
        inner.text = text;
        inner.part = part;
        return inner;
      }
    }
    return plain_signal(text, expected);
  }

  // v(a), v(a,b), i(v1), and the letter forms vdb vm vp vr vi / idb im ip ir ii of them.
  template <class Fail>
  WaveformRef plain_signal(const std::string& text, Fail expected) {
    using Part = WaveformRef::Part;
    const auto open = text.find('(');
    if (open == std::string::npos || open == 0 || text.back() != ')' || text.size() < open + 3) expected();
    const std::string prefix = text.substr(0, open);
    const char kind = prefix[0];
    if (kind != 'v' && kind != 'i') expected();
    const std::string suffix = prefix.substr(1);
    Part part = Part::Real;
    if (suffix == "" || suffix == "r") part = Part::Real;
    else if (suffix == "i") part = Part::Imag;
    else if (suffix == "m") part = Part::Magnitude;
    else if (suffix == "p") part = Part::Phase;
    else if (suffix == "db") part = Part::Db;
    else expected();
    std::string inside = text.substr(open + 1, text.size() - open - 2);
    auto ground = [](const std::string& node) { return node == "0" || node == "gnd"; };
    WaveformRef ref{text, "", "", part};
    if (kind == 'i') {
      if (inside.empty() || inside.find(',') != std::string::npos) expected();
      ref.positive = "i(" + inside + ")";
      return ref;
    }
    auto comma = inside.find(',');
    std::string first = inside.substr(0, comma);
    std::string second = comma == std::string::npos ? "" : inside.substr(comma + 1);
    if (first.empty() || (comma != std::string::npos && second.empty())) expected();
    if (!ground(first)) ref.positive = "v(" + first + ")";
    if (!second.empty() && !ground(second)) ref.negative = "v(" + second + ")";
    return ref;
  }

  // AT=x | <sig> VAL=v [options] | <sig>=<v|sig> [options]
  CrossingSpec parse_condition(const std::string& section, Condition form) {
    CrossingSpec c;
    if (peek() == "at") {
      c.at = parse_assigned_number("at");
      return c;
    }
    c.signal = parse_signal(section);
    if (form == Condition::Value) {
      expect("val", fmt::format("'val=<level>' after '{} {}'", section, c.signal.text));
      expect("=", "'=' after 'val'");
      c.level = parse_number_token("val=");
    } else {
      expect("=", fmt::format("'=' after '{} {}' (as in when v(out)=0.5)", section,
                              c.signal.text));
      std::string level = peek();
      if (auto value = parse_number(level)) {
        ++position_;
        c.level = *value;
      } else {
        c.level_signal = parse_signal(section + " " + c.signal.text + "=");
      }
    }
    parse_crossing_options(section, c);
    return c;
  }

  void parse_crossing_options(const std::string& section, CrossingSpec& c) {
    bool have_edge = false;
    while (position_ < tokens_.size() && !is_section_keyword(peek())) {
      std::string option = next("an option");
      if (option == "last") {
        set_edge(section, have_edge, c, CrossingSpec::Edge::Cross, "last");
        continue;
      }
      if (option != "td" && option != "rise" && option != "fall" && option != "cross" &&
          option != "from" && option != "to")
        fail(fmt::format("unexpected '{}' in the {} condition (expected td=, rise=, fall=, "
                         "cross=, last, from= or to=)", option, section));
      expect("=", "'=' after '" + option + "'");
      if (option == "td") {
        c.delay = parse_number_token("td=");
      } else if (option == "from") {
        c.from = parse_number_token("from=");
      } else if (option == "to") {
        c.to = parse_number_token("to=");
      } else {
        auto edge = option == "rise" ? CrossingSpec::Edge::Rise
                  : option == "fall" ? CrossingSpec::Edge::Fall : CrossingSpec::Edge::Cross;
        set_edge(section, have_edge, c, edge,
                 next(fmt::format("a count or 'last' after '{}='", option)));
      }
    }
  }

  void set_edge(const std::string& section, bool& have_edge, CrossingSpec& c,
                CrossingSpec::Edge edge, const std::string& count) {
    if (have_edge) fail(fmt::format("more than one of rise=, fall=, cross=, last in the {} "
                                    "condition", section));
    have_edge = true;
    c.edge = edge;
    if (count == "last") {
      c.last = true;
      return;
    }
    auto value = parse_number(count);
    if (!value || *value < 1 || *value > 1e9 || *value != std::floor(*value))
      fail(fmt::format("expected a positive whole count or 'last', found '{}'", count));
    c.count = static_cast<int>(*value);
  }

  void parse_window(const std::string& kind, std::optional<double>& from,
                    std::optional<double>& to) {
    while (position_ < tokens_.size()) {
      std::string option = peek();
      if (option == "from") from = parse_assigned_number("from");
      else if (option == "to") to = parse_assigned_number("to");
      else fail(fmt::format("unexpected '{}' after '{}' (expected from= or to=)", option, kind));
    }
    if (from && to && *from > *to)
      fail(fmt::format("from={:g} is after to={:g}", *from, *to));
  }

  const MeasureSpec& spec_;
  const std::vector<std::string>& tokens_;
  std::size_t position_ = 0;
};

}  // namespace

Measurement parse_measure(const MeasureSpec& spec) { return MeasureParser(spec).parse(); }

MeasureResult evaluate_measure(const Measurement& measurement, const Plot& plot) {
  MeasureEvaluator evaluator(measurement, plot);
  std::vector<double> row(plot.signals.size());
  std::vector<std::complex<double>> complex_row(plot.signals.size());
  for (std::size_t p = 0; p < plot.points(); ++p) {
    for (std::size_t s = 0; s < plot.signals.size(); ++s) {
      const Signal& signal = plot.signals[s];
      row[s] = p < signal.values.size() ? signal.values[p] : 0.0;
      complex_row[s] = {row[s], p < signal.imag.size() ? signal.imag[p] : 0.0};
    }
    if (plot.complex) evaluator.add_complex_point(complex_row);
    else evaluator.add_point(row);
  }
  return evaluator.result(measurement.name);
}

MeasureSink::MeasureSink(const std::vector<MeasureSpec>& specs) {
  std::map<std::string, SourceLocation> names;
  for (const auto& spec : specs) {
    measurements_.push_back(parse_measure(spec));
    auto [it, fresh] = names.emplace(measurements_.back().name, spec.location);
    if (!fresh)
      throw NetlistError(spec.location, fmt::format("a second .measure named '{}' (the first is at {}); give each "
                                                    "measure its own name",
                                                    spec.name, it->second.str()));
  }
  matches_.assign(measurements_.size(), 0);
}

MeasureSink::~MeasureSink() = default;

void MeasureSink::begin_plot(const Plot& layout) {
  active_.clear();
  for (std::size_t k = 0; k < measurements_.size(); ++k) {
    if (measurements_[k].analysis != layout.analysis) continue;
    const int match = ++matches_[k];
    const std::string name = match > 1 ? measurements_[k].name + "_" + std::to_string(match) : measurements_[k].name;
    active_.push_back({k, name, std::make_unique<MeasureEvaluator>(measurements_[k], layout)});
  }
}

void MeasureSink::add_point(const std::vector<double>& row) {
  for (auto& a : active_) a.evaluator->add_point(row);
}

void MeasureSink::add_complex_point(const std::vector<std::complex<double>>& row) {
  for (auto& a : active_) a.evaluator->add_complex_point(row);
}

void MeasureSink::end_plot() {
  for (auto& a : active_) finished_.push_back({a.measurement, a.evaluator->result(a.name)});
  active_.clear();
}

std::vector<MeasureResult> MeasureSink::results() const {
  // In netlist order, each measure's analyses in run order; one failure for a measure whose
  // analysis never ran.
  std::vector<MeasureResult> results;
  std::vector<std::size_t> of;  // the measurement of each result
  for (std::size_t k = 0; k < measurements_.size(); ++k) {
    for (const auto& [measurement, result] : finished_)
      if (measurement == k) {
        results.push_back(result);
        of.push_back(k);
      }
    if (matches_[k] == 0) {
      results.push_back(MeasureResult{measurements_[k].name, false, 0,
                                      fmt::format("no {} analysis ran", measurements_[k].analysis)});
      of.push_back(k);
    }
  }
  // PARAM= of other results, once they are all known: in netlist order, so a PARAM measure may
  // read the ones before it as well as every other kind.
  for (std::size_t r = 0; r < results.size(); ++r) {
    const Measurement& m = measurements_[of[r]];
    if (!m.param_value || results[r].failure.rfind("no ", 0) == 0) continue;
    auto lookup = [&](std::string_view name, double& value) {
      for (std::size_t q = 0; q < results.size(); ++q) {
        if (results[q].name != name || (measurements_[of[q]].param_value && q >= r)) continue;
        if (!results[q].ok) throw std::runtime_error(fmt::format("'{}' failed: {}", name, results[q].failure));
        value = results[q].value;
        return true;
      }
      return false;
    };
    try {
      results[r].value = m.param_value(lookup);
      results[r].ok = std::isfinite(results[r].value);
      results[r].failure = results[r].ok ? "" : "the value is not finite";
    } catch (const std::exception& e) {
      results[r].ok = false;
      results[r].failure = e.what();
    }
  }
  return results;
}

std::vector<MeasureResult> evaluate_measures(const std::vector<MeasureSpec>& specs, const std::vector<Plot>& plots) {
  MeasureSink sink(specs);
  for (const auto& plot : plots) replay(plot, sink);
  return sink.results();
}

void write_measures(const std::filesystem::path& path, const std::vector<MeasureResult>& results,
                    const std::vector<std::pair<std::string, std::string>>& options) {
  // ordered_json keeps the netlist's order, which is what a reader of the file expects.
  nlohmann::ordered_json document = nlohmann::ordered_json::object();
  nlohmann::ordered_json failures = nlohmann::ordered_json::object();
  for (const auto& r : results) {
    if (r.ok && std::isfinite(r.value)) {
      document[r.name] = r.value;
    } else {
      document[r.name] = nullptr;
      failures[r.name] = r.ok ? "the value is not finite" : r.failure;
    }
  }
  document["failures"] = failures;
  if (!options.empty()) {
    nlohmann::ordered_json listed = nlohmann::ordered_json::object();
    for (const auto& [key, value] : options) listed[key] = value;
    document["options"] = listed;
  }
  write_file_atomically(path, [&](std::ostream& out) { out << document.dump(2) << '\n'; });
}

}  // namespace picospice
