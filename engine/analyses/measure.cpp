#include "engine/analyses/measure.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>

#include "base/atomic_file.hpp"

namespace picospice {
namespace {

// ---------------------------------------------------------------------------------------------
// Parsing

// A SPICE number with an optional scale suffix; letters after the suffix are units and ignored
// ("10us" is 10e-6, "1meg" 1e6). nullopt if the token is not a number.
std::optional<double> parse_number(const std::string& token) {
  const char* begin = token.c_str();
  char* end = nullptr;
  double value = std::strtod(begin, &end);
  if (end == begin || token.empty()) return std::nullopt;
  std::string suffix(end);
  if (!suffix.empty() && !std::isalpha(static_cast<unsigned char>(suffix[0]))) return std::nullopt;
  for (char c : suffix)
    if (!std::isalpha(static_cast<unsigned char>(c))) return std::nullopt;
  double scale = 1;
  if (suffix.starts_with("meg")) scale = 1e6;
  else if (suffix.starts_with("mil")) scale = 25.4e-6;
  else if (!suffix.empty()) {
    switch (suffix[0]) {
      case 't': scale = 1e12; break;
      case 'g': scale = 1e9; break;
      case 'k': scale = 1e3; break;
      case 'm': scale = 1e-3; break;
      case 'u': scale = 1e-6; break;
      case 'n': scale = 1e-9; break;
      case 'p': scale = 1e-12; break;
      case 'f': scale = 1e-15; break;
      default: break;  // a unit alone, e.g. "5s"
    }
  }
  return value * scale;
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
    if (m.analysis != "tran" && m.analysis != "dc")
      fail(fmt::format("expected the analysis 'tran' or 'dc' after .measure, found '{}'",
                       m.analysis));
    if (m.name.empty()) fail("expected a measure name after '.measure " + m.analysis + "'");
    const std::string kind = next("a measure kind (trig, find, when, avg, rms, min, max, pp, integ)");
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
    } else {
      fail(fmt::format("unknown measure kind '{}' (expected trig, find, when, avg, rms, min, "
                       "max, pp or integ)", kind));
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
      fail(fmt::format("expected a signal such as v(out), v(a,b) or i(v1), found '{}'", text));
    };
    if (text.size() < 4 || text[1] != '(' || text.back() != ')' ||
        (text[0] != 'v' && text[0] != 'i'))
      expected();
    std::string inside = text.substr(2, text.size() - 3);
    auto ground = [](const std::string& node) { return node == "0" || node == "gnd"; };
    WaveformRef ref{text, "", ""};
    if (text[0] == 'i') {
      if (inside.empty() || inside.find(',') != std::string::npos) expected();
      ref.positive = text;
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
    if (!value || *value < 1 || *value != std::floor(*value))
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

// ---------------------------------------------------------------------------------------------
// Evaluation

// Thrown only inside this file to end one evaluation with a reason; never escapes.
struct MeasureFailure {
  std::string reason;
};

const std::vector<double>& lookup(const Plot& plot, const std::string& name,
                                  const std::string& text) {
  const Signal* signal = plot.find(name);
  if (!signal) throw MeasureFailure{fmt::format("no signal {} in the {} plot", name,
                                                plot.name.empty() ? plot.analysis : plot.name)};
  if (signal->values.size() != plot.points())
    throw MeasureFailure{fmt::format("signal {} has a different length from the scale", text)};
  return signal->values;
}

std::vector<double> waveform(const Plot& plot, const WaveformRef& ref) {
  std::vector<double> values(plot.points(), 0.0);
  if (!ref.positive.empty()) values = lookup(plot, ref.positive, ref.text);
  if (!ref.negative.empty()) {
    const auto& negative = lookup(plot, ref.negative, ref.text);
    for (std::size_t k = 0; k < values.size(); ++k) values[k] -= negative[k];
  }
  return values;
}

// A position on the piecewise-linear waveform: between points `index` and `index + 1` (or at
// `index` when fraction is 0).
struct Position {
  double x = 0;
  std::size_t index = 0;
  double fraction = 0;
};

double value_at(const std::vector<double>& y, const Position& p) {
  if (p.fraction == 0) return y[p.index];
  return y[p.index] + p.fraction * (y[p.index + 1] - y[p.index]);
}

// The first segment containing x (the scale may fall in a downward DC sweep).
std::optional<Position> locate(const std::vector<double>& x, double at) {
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (x[k] == at) return Position{at, k, 0};
    if (k + 1 < x.size() && std::min(x[k], x[k + 1]) < at && at < std::max(x[k], x[k + 1]))
      return Position{at, k, (at - x[k]) / (x[k + 1] - x[k])};
  }
  return std::nullopt;
}

Position locate_or_fail(const std::vector<double>& x, double at, const char* what) {
  auto position = locate(x, at);
  if (!position)
    throw MeasureFailure{fmt::format("{}={:g} is outside the simulated range [{:g}, {:g}]", what,
                                     at, x.empty() ? 0.0 : std::min(x.front(), x.back()),
                                     x.empty() ? 0.0 : std::max(x.front(), x.back()))};
  return *position;
}

struct Crossing {
  Position position;
  bool rising = false;
};

// Sign changes of d = signal - level. A run of points exactly on the level is one crossing at
// its first point if the sign differs on both sides, and no crossing if it returns.
std::vector<Crossing> find_crossings(const std::vector<double>& x, const std::vector<double>& d) {
  std::vector<Crossing> crossings;
  int last_sign = 0;
  std::size_t last_nonzero = 0;
  std::optional<std::size_t> first_zero;
  for (std::size_t k = 0; k < d.size(); ++k) {
    int sign = d[k] > 0 ? 1 : d[k] < 0 ? -1 : 0;
    if (sign == 0) {
      if (!first_zero) first_zero = k;
      continue;
    }
    if (last_sign != 0 && sign != last_sign) {
      Position p;
      if (first_zero) {
        p = Position{x[*first_zero], *first_zero, 0};
      } else {
        double fraction = d[last_nonzero] / (d[last_nonzero] - d[k]);
        // last_nonzero + 1 == k here because no zero lies between them.
        p = Position{x[last_nonzero] + fraction * (x[k] - x[last_nonzero]), last_nonzero,
                     fraction};
      }
      crossings.push_back(Crossing{p, sign > 0});
    }
    last_sign = sign;
    last_nonzero = k;
    first_zero.reset();
  }
  return crossings;
}

std::string ordinal_text(const CrossingSpec& c) {
  const char* edge = c.edge == CrossingSpec::Edge::Rise ? "rise"
                   : c.edge == CrossingSpec::Edge::Fall ? "fall" : "cross";
  return c.last ? fmt::format("{} last", edge) : fmt::format("{} {}", edge, c.count);
}

Position resolve_condition(const Plot& plot, const std::vector<double>& x, const CrossingSpec& c,
                           const char* section) {
  if (c.at) return locate_or_fail(x, *c.at, "at");
  std::vector<double> d = waveform(plot, c.signal);
  std::vector<double> level_values(d.size(), c.level);
  if (c.level_signal) level_values = waveform(plot, *c.level_signal);
  for (std::size_t k = 0; k < d.size(); ++k) {
    // A difference within rounding of the operands is "on the level": a source that starts at
    // 0.5 + 1e-16 and falls must not count as crossing 0.5 at t=0 (ngspice agrees).
    double rounding = 4 * std::numeric_limits<double>::epsilon() *
                      std::max(std::abs(d[k]), std::abs(level_values[k]));
    d[k] -= level_values[k];
    if (std::abs(d[k]) <= rounding) d[k] = 0;
  }
  double lower = -std::numeric_limits<double>::infinity(), upper = -lower;
  if (c.delay) lower = *c.delay;
  if (c.from) lower = std::max(lower, *c.from);
  if (c.to) upper = *c.to;

  int seen = 0;
  std::optional<Position> chosen;
  for (const auto& crossing : find_crossings(x, d)) {
    if (crossing.position.x < lower || crossing.position.x > upper) continue;
    bool wanted = c.edge == CrossingSpec::Edge::Cross ||
                  (c.edge == CrossingSpec::Edge::Rise) == crossing.rising;
    if (!wanted) continue;
    ++seen;
    if (c.last || seen == c.count) chosen = crossing.position;
    if (!c.last && chosen) break;
  }
  if (chosen) return *chosen;
  std::string level = c.level_signal ? c.level_signal->text : fmt::format("{:g}", c.level);
  std::string window;
  if (c.delay) window += fmt::format(", td={:g}", *c.delay);
  if (c.from) window += fmt::format(", from={:g}", *c.from);
  if (c.to) window += fmt::format(", to={:g}", *c.to);
  throw MeasureFailure{fmt::format("{} never crosses {} ({}{}; found {}) in the {} condition",
                                   c.signal.text, level, ordinal_text(c), window, seen, section)};
}

// Trapezoidal integrals of y and y² and the extremes over [from, to], with y interpolated at
// the window's ends. Segments are clipped in x, so a falling DC sweep works as well.
struct WindowStatistics {
  double width = 0, integral = 0, integral_of_square = 0;
  double minimum = std::numeric_limits<double>::infinity();
  double maximum = -std::numeric_limits<double>::infinity();
};

WindowStatistics window_statistics(const std::vector<double>& x, const std::vector<double>& y,
                                   double from, double to) {
  WindowStatistics s;
  auto include = [&](double value) {
    s.minimum = std::min(s.minimum, value);
    s.maximum = std::max(s.maximum, value);
  };
  for (std::size_t k = 0; k < x.size(); ++k)
    if (from <= x[k] && x[k] <= to) include(y[k]);
  for (std::size_t k = 0; k + 1 < x.size(); ++k) {
    double x0 = x[k], x1 = x[k + 1];
    if (x0 == x1) continue;
    double lo = std::max(std::min(x0, x1), from), hi = std::min(std::max(x0, x1), to);
    if (lo >= hi) continue;
    auto at = [&](double position) { return y[k] + (position - x0) / (x1 - x0) * (y[k + 1] - y[k]); };
    double y_lo = at(lo), y_hi = at(hi);
    include(y_lo);
    include(y_hi);
    s.width += hi - lo;
    s.integral += 0.5 * (hi - lo) * (y_lo + y_hi);
    s.integral_of_square += 0.5 * (hi - lo) * (y_lo * y_lo + y_hi * y_hi);
  }
  return s;
}

double evaluate_statistic(const Measurement& m, const Plot& plot, const std::vector<double>& x) {
  if (x.empty()) throw MeasureFailure{"the plot has no points"};
  // The whole scale by default. Not just front..back: a DC sweep that goes up and back down
  // (`updown`) starts and ends at the same value.
  const auto [low, high] = std::minmax_element(x.begin(), x.end());
  const double first = *low, last = *high;
  const double from = m.from.value_or(first), to = m.to.value_or(last);
  auto y = waveform(plot, m.signal);
  auto s = window_statistics(x, y, from, to);
  if (s.minimum > s.maximum)
    throw MeasureFailure{fmt::format("the window from={:g} to={:g} holds no simulated point "
                                     "(range [{:g}, {:g}])", from, to, first, last)};
  using K = Measurement::Kind;
  switch (m.kind) {
    case K::Min: return s.minimum;
    case K::Max: return s.maximum;
    case K::PeakToPeak: return s.maximum - s.minimum;
    case K::Integral: return s.integral;
    default: break;
  }
  if (s.width <= 0)
    throw MeasureFailure{fmt::format("the window from={:g} to={:g} has zero width", from, to)};
  if (m.kind == K::Avg) return s.integral / s.width;
  return std::sqrt(s.integral_of_square / s.width);
}

double evaluate_value(const Measurement& m, const Plot& plot) {
  if (plot.signals.empty()) throw MeasureFailure{"the plot has no signals"};
  const std::vector<double>& x = plot.signals[0].values;
  using K = Measurement::Kind;
  switch (m.kind) {
    case K::TrigTarg: {
      Position trigger = resolve_condition(plot, x, m.trigger, "trig");
      Position target = resolve_condition(plot, x, m.target, "targ");
      return target.x - trigger.x;
    }
    case K::When: return resolve_condition(plot, x, m.trigger, "when").x;
    case K::FindWhen: {
      auto y = waveform(plot, m.signal);  // first, so a missing signal is reported as such
      return value_at(y, resolve_condition(plot, x, m.trigger, "when"));
    }
    case K::FindAt: {
      auto y = waveform(plot, m.signal);
      return value_at(y, locate_or_fail(x, m.at, "at"));
    }
    default: return evaluate_statistic(m, plot, x);
  }
}

}  // namespace

Measurement parse_measure(const MeasureSpec& spec) { return MeasureParser(spec).parse(); }

MeasureResult evaluate_measure(const Measurement& measurement, const Plot& plot) {
  MeasureResult result{measurement.name, false, 0, ""};
  try {
    result.value = evaluate_value(measurement, plot);
    result.ok = true;
  } catch (const MeasureFailure& failure) {
    result.failure = failure.reason;
  }
  return result;
}

std::vector<MeasureResult> evaluate_measures(const std::vector<MeasureSpec>& specs,
                                             const std::vector<Plot>& plots) {
  std::vector<Measurement> measurements;
  for (const auto& spec : specs) measurements.push_back(parse_measure(spec));
  std::vector<MeasureResult> results;
  for (const auto& m : measurements) {
    int matched = 0;
    for (const auto& plot : plots) {
      if (plot.analysis != m.analysis) continue;
      ++matched;
      MeasureResult result = evaluate_measure(m, plot);
      if (matched > 1) result.name += "_" + std::to_string(matched);
      results.push_back(std::move(result));
    }
    if (matched == 0)
      results.push_back(MeasureResult{m.name, false, 0,
                                      fmt::format("no {} analysis ran", m.analysis)});
  }
  return results;
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
