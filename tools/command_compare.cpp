// `picospice compare TEST REF`: regression comparison of two simulation results (raw or CSV).
// The metric and the pass rule live in engine/output/waveform_compare.hpp.
#include <fmt/format.h>

#include <cmath>

#include "engine/output/waveform_compare.hpp"
#include "base/numbers.hpp"
#include "tools/command.hpp"

namespace picospice::tools {

namespace {

struct CompareOptions {
  std::string test, ref, netlist;
  std::vector<std::string> signals;
  std::vector<std::string> events;  // SIGNAL:LEVEL
  double reltol = 1e-3, abstol = 1e-12, event_tol = -1;
};

constexpr int kExitBadInput = 2;

void print_result(const ComparisonResult& result) {
  for (const auto& note : result.notes) fmt::print("note: {}\n", note);
  for (std::size_t k = 0; k < result.plots.size(); ++k) {
    const PlotComparison& p = result.plots[k];
    fmt::print("plot {}: {} vs {}{}\n", k + 1, p.test_plot, p.ref_plot, p.scale.empty() ? "" : " (scale " + p.scale + ")");
    if (!p.signals.empty())
      fmt::print("  {:<22} {:>6} {:>10} {:>10}  {:>12} {:>13} {:>13} {:>10}\n", "signal", "points", "norm.RMS", "worst/tol",
                 "at", "test", "ref", "tolerance");
    for (const auto& s : p.signals)
      fmt::print("  {:<22} {:>6} {:>10.3g} {:>10.3g}  {:>12.6g} {:>13.7g} {:>13.7g} {:>10.3g}  {}\n", s.name, s.points,
                 s.normalized_rms, s.worst_ratio, s.worst_scale, s.worst_test, s.worst_ref, s.worst_tolerance,
                 s.passed ? "ok" : "FAIL");
    for (const auto& e : p.events)
      fmt::print("  event {} = {}: {} crossings (test) vs {} (ref), max difference {:.4g} at {:.6g}, tolerance {:.4g}  {}\n",
                 e.signal, e.level, e.test_crossings.size(), e.ref_crossings.size(), e.max_difference, e.worst_at,
                 e.tolerance, e.passed ? "ok" : "FAIL");
    for (const auto& problem : p.problems) fmt::print("  problem: {}\n", problem);
  }
  fmt::print("{}\n", result.passed ? "PASS" : "FAIL");
}

int compare(const CompareOptions& o) {
  CompareSettings settings;
  settings.tolerance = {o.reltol, o.abstol};
  settings.signals = o.signals;
  std::vector<Plot> test, ref;
  try {
    if (const std::string problem = tolerance_problem(settings.tolerance); !problem.empty())
      throw std::invalid_argument("error: --reltol/--abstol: " + problem);
    if (!std::isfinite(o.event_tol)) throw std::invalid_argument("error: --event-tol must be a finite number");
    if (!o.netlist.empty()) {
      const NetlistCompareSpec spec = read_compare_lines(o.netlist);
      if (spec.order.empty() && spec.events.empty())
        throw std::runtime_error(o.netlist + ": error: no '*COMPARE' or '*COMPARE-EVENT' lines");
      settings.per_signal = spec.signals;
      if (settings.signals.empty()) settings.signals = spec.order;
      settings.events = spec.events;
      settings.events_only = settings.signals.empty();
    }
    for (const auto& text : o.events) {
      const auto colon = text.rfind(':');
      double level = 0;
      if (colon == std::string::npos || !try_parse_number(text.substr(colon + 1), level))
        throw std::runtime_error("--events expects SIGNAL:LEVEL, e.g. v(out):0.9, not '" + text + "'");
      settings.events.push_back({text.substr(0, colon), level, o.event_tol});
    }
    test = read_waveform_file(o.test);
    ref = read_waveform_file(o.ref);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitBadInput;
  }
  const ComparisonResult result = compare_simulations(test, ref, settings);
  print_result(result);
  return result.passed ? 0 : 1;
}

}  // namespace

CommandAction add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand(
      "compare",
      "Compare a simulation (TEST) against a reference (REF), Xyce-regression style.\n"
      "Files are SPICE raw (binary or ASCII; picospice or ngspice) or CSV (by the .csv extension).\n"
      "Plots pair by order (the last plot of each when the counts differ). REF is interpolated onto\n"
      "TEST's scale points; per signal it prints the normalized RMS of (ref - test)/(reltol*|ref| + abstol)\n"
      "and the worst point. Non-monotonic DC sweeps (up then down) compare by index when both have the\n"
      "same points, otherwise monotonic segment by segment.\n"
      "PASS (exit 0): every compared signal has normalized RMS <= 1 AND no point exceeds 10x its\n"
      "tolerance AND every event has the same crossing count with no crossing off by more than its\n"
      "event tolerance. Otherwise exit 1. Unreadable input: exit 2.");
  cmd->add_option("test", o->test, "the result under test (e.g. picospice's)")->required();
  cmd->add_option("ref", o->ref, "the reference (e.g. ngspice's)")->required();
  cmd->add_option("--signals", o->signals, "compare only these signals (comma separated), e.g. v(out),i(v1)")
      ->delimiter(',');
  cmd->add_option("--reltol", o->reltol, "relative tolerance (default 1e-3)");
  cmd->add_option("--abstol", o->abstol, "absolute tolerance in the signal's unit (default 1e-12)");
  cmd->add_option("--netlist", o->netlist,
                  "read per-signal tolerances from comment lines '*COMPARE v(out) reltol=1e-3 abstol=1e-6' and\n"
                  "events from '*COMPARE-EVENT v(out) level=0.9 tol=5n'; only the listed signals are compared");
  cmd->add_option("--events", o->events,
                  "SIGNAL:LEVEL ...: compare the scale values where the signal crosses LEVEL (all crossings,\n"
                  "rising and falling, in order): the counts must match and each within --event-tol");
  cmd->add_option("--event-tol", o->event_tol,
                  "event tolerance in scale units (default: 0.1% of the test plot's scale span)");
  return [o] { return compare(*o); };
}

}  // namespace picospice::tools
