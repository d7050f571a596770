// Regression comparison of two simulations, in the style of Xyce's regression suite
// (docs/design.md, 'Comparing waveforms'): interpolate the reference onto the test's scale points
// (time or sweep value), then per signal
//     normalized RMS = sqrt( mean_k ( (ref_k - test_k) / (reltol*|ref_k| + abstol) )^2 )
// and the worst point (largest |ref - test| / tolerance). Events (level crossings) compare the
// scale values where a signal crosses a level, in order.
//
// Pass rule: every compared signal has normalized RMS <= 1 and no point exceeds 10 times its
// tolerance; every event list has the same number of crossings and no crossing differs by more
// than its event tolerance.
//
// Scales that are not monotonic (a DC sweep that goes up then down): compared point by point by
// index when both plots have the same points, otherwise monotonic segment by segment when both
// have the same number of segments. Test points outside the reference's range are skipped.
//
// Complex plots (.ac) compare each signal X as two rows, by magnitude and by phase:
//   mag(X): |ref| against |test| with the signal's tolerance reltol*|ref| + abstol, as above;
//   ph(X):  the phase difference, wrapped into (-pi, pi], against the angle that same tolerance
//           subtends at the reference, min(pi, (reltol*|ref| + abstol)/|ref|) radians;
// so a phase is held as tightly as the magnitude and not at all where |ref| is below abstol.
// The reference is interpolated onto the test's frequencies in its real and imaginary parts.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/plot.hpp"

namespace picospice {

struct SignalTolerance {
  double reltol = 1e-3;
  double abstol = 1e-12;
};

// Empty when the tolerance is usable; otherwise what is wrong with it (negative, non-finite, both
// zero, or a reltol above 1, which would pass nearly any data).
std::string tolerance_problem(const SignalTolerance& tolerance);

struct EventSpec {
  std::string signal;
  double level = 0.0;
  double tolerance = -1.0;  // scale units; negative: 0.1% of the test plot's scale span
};

// Pass-rule constants (documented in --help and above).
constexpr double kMaxNormalizedRms = 1.0;
constexpr double kMaxPointRatio = 10.0;
constexpr double kDefaultEventToleranceFraction = 1e-3;

struct CompareSettings {
  SignalTolerance tolerance;                            // for signals without their own
  std::map<std::string, SignalTolerance> per_signal;    // lower-case names
  std::vector<std::string> signals;                     // compare only these; empty: every common one
  std::vector<EventSpec> events;
  bool events_only = false;                             // compare no waveform, only the events
};

struct SignalComparison {
  std::string name;
  std::size_t points = 0;        // points compared
  double normalized_rms = 0.0;
  double worst_ratio = 0.0;      // max |ref - test| / tolerance
  double worst_scale = 0.0, worst_test = 0.0, worst_ref = 0.0, worst_tolerance = 0.0;
  bool passed = true;
};

struct EventComparison {
  std::string signal;
  double level = 0.0;
  std::vector<double> test_crossings, ref_crossings;
  double max_difference = 0.0;   // over the crossings both have, in order
  double worst_at = 0.0;         // the test crossing with the largest difference
  double tolerance = 0.0;
  bool passed = true;
};

struct PlotComparison {
  std::string test_plot, ref_plot;  // plot names
  std::string scale;                // scale name, "" for an operating point
  std::vector<SignalComparison> signals;
  std::vector<EventComparison> events;
  std::vector<std::string> problems;  // e.g. a requested signal missing: these fail the plot
  bool passed = true;
};

struct ComparisonResult {
  std::vector<PlotComparison> plots;
  std::vector<std::string> notes;   // how plots were paired
  bool passed = true;
};

// Compares the plots of two simulations: paired by order when they have the same number of
// plots, otherwise the last plot of each (with a note).
ComparisonResult compare_simulations(const std::vector<Plot>& test, const std::vector<Plot>& ref,
                                     const CompareSettings& settings);
PlotComparison compare_plot(const Plot& test, const Plot& ref, const CompareSettings& settings);

// The scale values where `values` crosses `level`, rising and falling, in order (linear
// interpolation between points; a point exactly on the level counts once).
std::vector<double> level_crossings(const std::vector<double>& scale, const std::vector<double>& values, double level);

// Reads plots from a raw file (binary or ASCII, picospice or ngspice) or, for a .csv extension, a
// CSV file. Throws std::runtime_error with the path on a bad file.
std::vector<Plot> read_waveform_file(const std::filesystem::path& path);

// Per-signal tolerances and events from comment lines of a netlist:
//   *COMPARE v(out) reltol=1e-3 abstol=1e-6
//   *COMPARE-EVENT v(out) level=0.9 tol=5n
// Values accept SPICE suffixes (f p n u m k meg g). Throws std::runtime_error "file:line: ..." on
// a malformed line.
struct NetlistCompareSpec {
  std::map<std::string, SignalTolerance> signals;
  std::vector<std::string> order;  // signal names as listed
  std::vector<EventSpec> events;
};
NetlistCompareSpec read_compare_lines(const std::filesystem::path& netlist);

}  // namespace picospice
