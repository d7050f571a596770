// Waveform comparison (Xyce-regression style); the metric and pass rule are in the header.
#include "engine/output/waveform_compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/output/csv_reader.hpp"
#include "engine/output/raw_reader.hpp"
#include "base/numbers.hpp"

namespace picospice {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Monotonic runs of a scale: [begin, end) index ranges. Equal neighbours stay in the run.
std::vector<std::pair<std::size_t, std::size_t>> monotonic_segments(const std::vector<double>& s) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t begin = 0;
  int direction = 0;
  for (std::size_t k = 1; k < s.size(); ++k) {
    const int step = s[k] > s[k - 1] ? 1 : (s[k] < s[k - 1] ? -1 : 0);
    if (step == 0) continue;
    if (direction == 0) direction = step;
    else if (step != direction) {
      // The turning point ends this run and starts the next one.
      out.emplace_back(begin, k);
      begin = k - 1;
      direction = step;
    }
  }
  out.emplace_back(begin, s.size());
  return out;
}

// Linear interpolation of (xs, ys)[begin, end) at x, xs monotonic there; nullopt outside.
std::optional<double> interpolate(const std::vector<double>& xs, const std::vector<double>& ys, std::size_t begin,
                                  std::size_t end, double x) {
  if (end <= begin) return std::nullopt;
  const bool increasing = xs[end - 1] >= xs[begin];
  const double low = increasing ? xs[begin] : xs[end - 1], high = increasing ? xs[end - 1] : xs[begin];
  const double slack = 1e-12 * std::max(std::fabs(low), std::fabs(high)) + 1e-300;
  if (x < low - slack || x > high + slack) return std::nullopt;
  if (end - begin == 1) return ys[begin];
  // First index whose scale is past x (in the run's direction).
  auto first = xs.begin() + static_cast<long>(begin), last = xs.begin() + static_cast<long>(end);
  auto it = increasing ? std::upper_bound(first, last, x) : std::upper_bound(first, last, x, std::greater<double>());
  std::size_t k = static_cast<std::size_t>(it - xs.begin());
  if (k >= end) k = end - 1;
  if (k == begin) k = begin + 1;
  const double x0 = xs[k - 1], x1 = xs[k];
  if (x1 == x0) return ys[k];
  const double t = std::clamp((x - x0) / (x1 - x0), 0.0, 1.0);
  return ys[k - 1] + t * (ys[k] - ys[k - 1]);
}

bool same_points(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  double span = 0;
  for (double v : a) span = std::max(span, std::fabs(v));
  for (std::size_t k = 0; k < a.size(); ++k)
    if (std::fabs(a[k] - b[k]) > 1e-9 * span + 1e-300) return false;
  return true;
}

// Pairs of (test index, reference value at that test point) for one signal.
struct Aligned {
  std::vector<std::size_t> test_index;
  std::vector<double> ref_value;
};

// How reference points line up with test points; returns a problem text or "".
std::string align(const Plot& test, const Plot& ref, const std::vector<double>& ref_values, Aligned& out) {
  const bool operating_point = test.analysis == "op" || test.points() <= 1;
  const std::vector<double>& ts = test.signals[0].values;
  const std::vector<double>& rs = ref.signals[0].values;
  if (operating_point) {
    if (ref.points() < 1) return "reference plot has no points";
    for (std::size_t k = 0; k < test.points(); ++k) {
      out.test_index.push_back(k);
      out.ref_value.push_back(ref_values[std::min(k, ref_values.size() - 1)]);
    }
    return "";
  }
  const auto test_segments = monotonic_segments(ts), ref_segments = monotonic_segments(rs);
  if (test_segments.size() > 1 || ref_segments.size() > 1) {
    if (same_points(ts, rs)) {  // up-and-down sweeps on the same grid: by index
      for (std::size_t k = 0; k < ts.size(); ++k) {
        out.test_index.push_back(k);
        out.ref_value.push_back(ref_values[k]);
      }
      return "";
    }
    if (test_segments.size() != ref_segments.size())
      return fmt::format("scales are not monotonic and differ: {} monotonic segments in the test, {} in the reference",
                         test_segments.size(), ref_segments.size());
  }
  for (std::size_t s = 0; s < test_segments.size(); ++s) {
    const auto [tb, te] = test_segments[s];
    const auto [rb, re] = ref_segments[s];
    // A turning point belongs to two segments; count it once.
    for (std::size_t k = (s == 0 ? tb : tb + 1); k < te; ++k) {
      const auto v = interpolate(rs, ref_values, rb, re, ts[k]);
      if (!v) continue;
      out.test_index.push_back(k);
      out.ref_value.push_back(*v);
    }
  }
  if (out.test_index.empty()) return "the test and reference scales do not overlap";
  return "";
}

SignalComparison compare_signal(const Plot& test, const Plot& ref, const std::string& name, const SignalTolerance& tol,
                                std::string& problem) {
  SignalComparison c;
  c.name = name;
  const Signal* t = test.find(name);
  const Signal* r = ref.find(name);
  Aligned aligned;
  problem = align(test, ref, r->values, aligned);
  if (!problem.empty()) {
    c.passed = false;
    return c;
  }
  const bool operating_point = test.analysis == "op" || test.points() <= 1;
  double sum = 0;
  for (std::size_t j = 0; j < aligned.test_index.size(); ++j) {
    const std::size_t k = aligned.test_index[j];
    const double ref_value = aligned.ref_value[j], test_value = t->values[k];
    const double tolerance = tol.reltol * std::fabs(ref_value) + tol.abstol;
    const double ratio = std::fabs(ref_value - test_value) / tolerance;
    sum += ratio * ratio;
    if (ratio > c.worst_ratio || j == 0) {
      c.worst_ratio = ratio;
      c.worst_scale = operating_point ? 0.0 : test.signals[0].values[k];
      c.worst_test = test_value;
      c.worst_ref = ref_value;
      c.worst_tolerance = tolerance;
    }
  }
  c.points = aligned.test_index.size();
  c.normalized_rms = std::sqrt(sum / static_cast<double>(c.points));
  c.passed = c.normalized_rms <= kMaxNormalizedRms && c.worst_ratio <= kMaxPointRatio;
  return c;
}

// The complex signal `name` of two complex plots, as a magnitude row and a phase row (the rule is
// in the header).
std::vector<SignalComparison> compare_complex_signal(const Plot& test, const Plot& ref, const std::string& name,
                                                     const SignalTolerance& tol, std::string& problem) {
  const Signal* t = test.find(name);
  const Signal* r = ref.find(name);
  SignalComparison magnitude, phase;
  magnitude.name = "mag(" + name + ")";
  phase.name = "ph(" + name + ")";
  Aligned real_part, imag_part;
  problem = align(test, ref, r->values, real_part);
  if (problem.empty()) problem = align(test, ref, r->imag, imag_part);
  if (!problem.empty()) {
    magnitude.passed = phase.passed = false;
    return {magnitude, phase};
  }
  const bool operating_point = test.points() <= 1;
  double magnitude_sum = 0, phase_sum = 0;
  auto record = [&](SignalComparison& c, std::size_t j, double ratio, double at, double test_value, double ref_value,
                    double tolerance) {
    if (ratio > c.worst_ratio || j == 0) {
      c.worst_ratio = ratio;
      c.worst_scale = at;
      c.worst_test = test_value;
      c.worst_ref = ref_value;
      c.worst_tolerance = tolerance;
    }
  };
  const std::size_t n = real_part.test_index.size();
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t k = real_part.test_index[j];
    const std::complex<double> z_ref(real_part.ref_value[j], imag_part.ref_value[j]);
    const std::complex<double> z_test(t->values[k], k < t->imag.size() ? t->imag[k] : 0.0);
    const double at = operating_point ? 0.0 : test.signals[0].values[k];
    const double tolerance = tol.reltol * std::abs(z_ref) + tol.abstol;
    const double magnitude_ratio = std::fabs(std::abs(z_ref) - std::abs(z_test)) / tolerance;
    magnitude_sum += magnitude_ratio * magnitude_ratio;
    record(magnitude, j, magnitude_ratio, at, std::abs(z_test), std::abs(z_ref), tolerance);
    const double angle_tolerance = std::abs(z_ref) > 0 ? std::min(std::numbers::pi, tolerance / std::abs(z_ref)) : std::numbers::pi;
    const double difference = std::arg(z_test * std::conj(z_ref));  // wrapped into (-pi, pi]
    const double phase_ratio = std::fabs(difference) / angle_tolerance;
    phase_sum += phase_ratio * phase_ratio;
    record(phase, j, phase_ratio, at, std::arg(z_test), std::arg(z_ref), angle_tolerance);
  }
  for (auto* c : {&magnitude, &phase}) {
    c->points = n;
    c->normalized_rms = std::sqrt((c == &magnitude ? magnitude_sum : phase_sum) / static_cast<double>(n));
    c->passed = c->normalized_rms <= kMaxNormalizedRms && c->worst_ratio <= kMaxPointRatio;
  }
  return {magnitude, phase};
}

EventComparison compare_event(const Plot& test, const Plot& ref, const EventSpec& spec) {
  EventComparison e;
  e.signal = spec.signal;
  e.level = spec.level;
  const Signal* t = test.find(spec.signal);
  const Signal* r = ref.find(spec.signal);
  e.test_crossings = level_crossings(test.signals[0].values, t->values, spec.level);
  e.ref_crossings = level_crossings(ref.signals[0].values, r->values, spec.level);
  const auto& ts = test.signals[0].values;
  const double span = ts.empty() ? 0.0 : std::fabs(ts.back() - ts.front());
  e.tolerance = spec.tolerance >= 0 ? spec.tolerance : kDefaultEventToleranceFraction * span;
  const std::size_t n = std::min(e.test_crossings.size(), e.ref_crossings.size());
  for (std::size_t k = 0; k < n; ++k) {
    const double d = std::fabs(e.test_crossings[k] - e.ref_crossings[k]);
    if (d > e.max_difference || k == 0) {
      e.max_difference = d;
      e.worst_at = e.test_crossings[k];
    }
  }
  e.passed = e.test_crossings.size() == e.ref_crossings.size() && e.max_difference <= e.tolerance;
  return e;
}

// Same analysis, and a scale that starts and ends at the same values.
bool same_extent(const Plot& a, const Plot& b) {
  if (a.analysis != b.analysis || a.signals.empty() || b.signals.empty() || a.points() == 0 || b.points() == 0)
    return false;
  const auto& x = a.signals[0].values;
  const auto& y = b.signals[0].values;
  // Relative to the sweep's span: ngspice writes a sweep's end at 0 as -6e-24.
  const double span = std::max(std::fabs(x.back() - x.front()), std::fabs(y.back() - y.front()));
  auto close = [span](double u, double v) { return std::fabs(u - v) <= 1e-9 * span + 1e-300; };
  return close(x.front(), y.front()) && close(x.back(), y.back());
}

}  // namespace

std::vector<double> level_crossings(const std::vector<double>& scale, const std::vector<double>& values, double level) {
  std::vector<double> out;
  const std::size_t n = std::min(scale.size(), values.size());
  // The side (-1, +1) of the last point that was not on the level: a touch without crossing
  // does not count, a pass through a point exactly on the level counts once.
  int side = 0;
  std::size_t last = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double d = values[k] - level;
    const int s = d > 0 ? 1 : (d < 0 ? -1 : 0);
    if (s == 0) continue;
    if (side != 0 && s != side) {
      const double d0 = values[last] - level;
      // Between the last off-level point and this one; linear between them.
      out.push_back(scale[last] + (scale[k] - scale[last]) * (d0 / (d0 - d)));
    }
    side = s;
    last = k;
  }
  return out;
}

PlotComparison compare_plot(const Plot& test, const Plot& ref, const CompareSettings& settings) {
  PlotComparison pc;
  pc.test_plot = test.name;
  pc.ref_plot = ref.name;
  if (test.signals.empty() || ref.signals.empty()) {
    pc.problems.push_back("a plot has no signals");
    pc.passed = false;
    return pc;
  }
  if (test.complex != ref.complex) {
    pc.problems.push_back(fmt::format("the test plot is {} and the reference plot {}", test.complex ? "complex" : "real",
                                      ref.complex ? "complex" : "real"));
    pc.passed = false;
    return pc;
  }
  const bool operating_point = test.analysis == "op" || test.points() <= 1;
  if (!operating_point) pc.scale = test.signals[0].name;
  std::vector<std::string> names = settings.signals;
  if (names.empty() && !settings.events_only) {
    for (std::size_t k = operating_point ? 0 : 1; k < test.signals.size(); ++k)
      if (ref.find(test.signals[k].name)) names.push_back(test.signals[k].name);
    if (names.empty()) pc.problems.push_back("no signal names in common");
  }
  for (const auto& raw_name : names) {
    const std::string name = lower(raw_name);
    if (!test.find(name) || !ref.find(name)) {
      pc.problems.push_back(fmt::format("signal '{}' is missing from the {}", name, test.find(name) ? "reference" : "test"));
      continue;
    }
    auto it = settings.per_signal.find(name);
    const SignalTolerance& tolerance = it == settings.per_signal.end() ? settings.tolerance : it->second;
    std::string problem;
    if (test.complex) {
      for (auto& row : compare_complex_signal(test, ref, name, tolerance, problem)) pc.signals.push_back(std::move(row));
    } else {
      pc.signals.push_back(compare_signal(test, ref, name, tolerance, problem));
    }
    if (!problem.empty()) pc.problems.push_back(name + ": " + problem);
  }
  for (const auto& spec : settings.events) {
    const std::string name = lower(spec.signal);
    if (operating_point) continue;
    if (!test.find(name) || !ref.find(name)) {
      pc.problems.push_back(fmt::format("event signal '{}' is missing from the {}", name,
                                        test.find(name) ? "reference" : "test"));
      continue;
    }
    EventSpec lowered = spec;
    lowered.signal = name;
    pc.events.push_back(compare_event(test, ref, lowered));
  }
  pc.passed = pc.problems.empty();
  for (const auto& s : pc.signals) pc.passed = pc.passed && s.passed;
  for (const auto& e : pc.events) pc.passed = pc.passed && e.passed;
  return pc;
}

// Each plot cut into its monotonic runs of the scale (a sweep that goes up and back down gives two).
std::vector<Plot> split_at_turning_points(const std::vector<Plot>& plots) {
  std::vector<Plot> pieces;
  for (const auto& plot : plots) {
    if (plot.signals.empty()) { pieces.push_back(plot); continue; }
    for (auto [begin, end] : monotonic_segments(plot.signals[0].values)) {
      Plot piece = plot;
      for (auto& signal : piece.signals)
        signal.values.assign(signal.values.begin() + begin, signal.values.begin() + end);
      pieces.push_back(std::move(piece));
    }
  }
  return pieces;
}

namespace {

// A list of signals to compare may span plots of different kinds (.noise writes a density plot and
// an integrated one): each pair of plots compares the listed signals that either of its two plots
// has; a listed signal that no plot of either file has fails the comparison.
CompareSettings settings_for_pair(const CompareSettings& settings, const Plot& test, const Plot& ref, bool several) {
  if (!several || settings.signals.empty()) return settings;
  CompareSettings pair = settings;
  pair.signals.clear();
  for (const auto& name : settings.signals)
    if (test.find(lower(name)) || ref.find(lower(name))) pair.signals.push_back(name);
  if (pair.signals.empty()) pair.events_only = true;
  return pair;
}

void check_every_signal_found(const std::vector<Plot>& test, const std::vector<Plot>& ref,
                              const CompareSettings& settings, ComparisonResult& result) {
  for (const auto& name : settings.signals) {
    auto in = [&](const std::vector<Plot>& plots) {
      return std::any_of(plots.begin(), plots.end(), [&](const Plot& p) { return p.find(lower(name)) != nullptr; });
    };
    if (in(test) || in(ref)) continue;
    result.notes.push_back(fmt::format("signal '{}' is in no plot of the test or the reference", lower(name)));
    result.passed = false;
  }
}

}  // namespace

ComparisonResult compare_simulations(const std::vector<Plot>& test, const std::vector<Plot>& ref,
                                     const CompareSettings& settings) {
  ComparisonResult result;
  const bool several = test.size() > 1 || ref.size() > 1;
  if (several) check_every_signal_found(test, ref, settings, result);
  if (test.empty() || ref.empty()) throw std::runtime_error(test.empty() ? "the test has no plots" : "the reference has no plots");
  if (test.size() == ref.size()) {
    // By order, except that a reference plot of the same analysis whose scale starts and ends
    // where the test's does is preferred: ngspice 39 runs several .dc lines in reverse order.
    // Then the first unused one of the same analysis: ngspice writes .ac, .tf and .noise plots in
    // an order of its own.
    std::vector<bool> used(ref.size(), false);
    for (std::size_t k = 0; k < test.size(); ++k) {
      std::size_t pick = ref.size();
      const char* why = "same scale range";
      for (std::size_t j = 0; j < ref.size() && pick == ref.size(); ++j)
        if (!used[j] && same_extent(test[k], ref[j])) pick = j;
      if (pick == ref.size() && !(k < ref.size() && !used[k] && ref[k].analysis == test[k].analysis)) {
        why = "same analysis";
        for (std::size_t j = 0; j < ref.size() && pick == ref.size(); ++j)
          if (!used[j] && !test[k].analysis.empty() && ref[j].analysis == test[k].analysis &&
              ref[j].name == test[k].name)
            pick = j;
      }
      if (pick == ref.size()) pick = used[k] ? std::find(used.begin(), used.end(), false) - used.begin() : k;
      if (pick != k) result.notes.push_back(fmt::format("test plot {} pairs with reference plot {} ({})", k + 1, pick + 1, why));
      used[pick] = true;
      result.plots.push_back(compare_plot(test[k], ref[pick], settings_for_pair(settings, test[k], ref[pick], several)));
    }
  } else if (auto pieces = split_at_turning_points(test); pieces.size() == ref.size() && pieces.size() != test.size()) {
    // A picospice `.dc ... updown` is one plot; the same sweep in ngspice is two `.dc` plots.
    ComparisonResult pieces_result = compare_simulations(pieces, ref, settings);
    pieces_result.notes.insert(pieces_result.notes.begin(), "the test's up-and-down sweeps are compared as their monotonic segments");
    return pieces_result;
  } else {
    result.notes.push_back(fmt::format("the test has {} plots and the reference {}: comparing the last plot of each",
                                       test.size(), ref.size()));
    result.plots.push_back(compare_plot(test.back(), ref.back(), settings_for_pair(settings, test.back(), ref.back(), several)));
  }
  for (const auto& p : result.plots) result.passed = result.passed && p.passed;
  return result;
}

std::vector<Plot> read_waveform_file(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error(path.string() + ": error: no such file");
  if (lower(path.extension().string()) == ".csv") return {read_csv(path)};
  return read_raw(path);
}

std::string tolerance_problem(const SignalTolerance& t) {
  if (!std::isfinite(t.reltol) || !std::isfinite(t.abstol) || t.reltol < 0 || t.abstol < 0)
    return fmt::format("reltol and abstol must be finite and >= 0 (got reltol={:g}, abstol={:g})", t.reltol, t.abstol);
  if (t.reltol + t.abstol <= 0) return "reltol and abstol must not both be 0";
  // A relative tolerance of 1 already accepts any value of the same sign up to twice the reference.
  if (t.reltol > 1) return fmt::format("reltol {:g} is above 1 (100%), which accepts almost anything", t.reltol);
  return "";
}

NetlistCompareSpec read_compare_lines(const std::filesystem::path& netlist) {
  std::ifstream in(netlist);
  if (!in) throw std::runtime_error(netlist.string() + ": error: cannot open the netlist");
  NetlistCompareSpec spec;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream words(line);
    std::string keyword, signal;
    words >> keyword;
    const std::string key = lower(keyword);
    if (key != "*compare" && key != "*compare-event") continue;
    auto fail = [&](const std::string& message) {
      throw std::runtime_error(fmt::format("{}:{}: error: {}", netlist.string(), number, message));
    };
    if (!(words >> signal)) fail("expected a signal name after " + keyword);
    signal = lower(signal);
    std::map<std::string, double> values;
    std::string pair;
    while (words >> pair) {
      const auto eq = pair.find('=');
      double v = 0;
      if (eq == std::string::npos || !try_parse_number(pair.substr(eq + 1), v))
        fail("expected name=number, found '" + pair + "'");
      values[lower(pair.substr(0, eq))] = v;
    }
    auto take = [&](const char* name, double fallback, bool required) {
      auto it = values.find(name);
      if (it == values.end()) {
        if (required) fail(std::string("missing ") + name + "=");
        return fallback;
      }
      const double v = it->second;
      values.erase(it);
      return v;
    };
    if (key == "*compare") {
      SignalTolerance t;
      t.reltol = take("reltol", t.reltol, false);
      t.abstol = take("abstol", t.abstol, false);
      if (const std::string problem = tolerance_problem(t); !problem.empty()) fail(problem);
      if (!spec.signals.count(signal)) spec.order.push_back(signal);
      spec.signals[signal] = t;
    } else {
      EventSpec e;
      e.signal = signal;
      e.level = take("level", 0.0, true);
      e.tolerance = take("tol", -1.0, false);
      if (!std::isfinite(e.level) || !std::isfinite(e.tolerance)) fail("level and tol must be finite numbers");
      spec.events.push_back(e);
    }
    if (!values.empty()) fail("unknown key '" + values.begin()->first + "=' (expected reltol, abstol; or level, tol)");
  }
  return spec;
}

}  // namespace picospice
