// `.measure` (ngspice syntax) evaluated over the plots of a finished run.
//
//   .meas tran|dc|ac <name> TRIG <sig> VAL=<v> [TD=<t>] [RISE=n|FALL=n|CROSS=n|RISE=LAST|...|LAST]
//                        TARG <sig> VAL=<v> [same options]          -> targ x - trig x
//                        (either side may instead be `AT=<x>`)
//   .meas ... <name> FIND <sig> WHEN <sig>=<v or sig> [options]    -> sig at the crossing
//   .meas ... <name> WHEN <sig>=<v or sig> [options]               -> x of the crossing
//   .meas ... <name> FIND <sig> AT=<x>                             -> sig at x
//   .meas ... <name> AVG|RMS|MIN|MAX|PP|INTEG <sig> [FROM=<x1>] [TO=<x2>]
//
// x is the plot's scale: time for tran, the swept value for dc, the frequency for ac. Signals are
// v(node), v(a,b) (the difference), i(vsource). On a complex (ac) plot a signal is one real part
// of its complex value: vdb(x) 20 log10|v|, vm(x) |v|, vp(x) the phase in radians (-pi, pi],
// vr(x) real, vi(x) imaginary part, plain v(x) the real part (all as ngspice 39); for branch
// currents the same as idb(v1), im(v1), ip(v1), ir(v1), ii(v1) (SPICE2's forms, which ngspice's
// .meas lacks), and the function forms db(...), mag(...), ph(...), real(...), imag(...) of any
// v(...) or i(...). On a real plot the parts apply to the real value. Crossings are interpolated linearly between points; a point
// exactly on the level is the crossing itself, and touching the level without passing through
// is no crossing. Without RISE/FALL/CROSS the first crossing either way counts (CROSS=1), as in
// ngspice; bare LAST means CROSS=LAST. TD=<t> ignores crossings before t. AVG, RMS and INTEG
// integrate trapezoidally; FROM/TO default to the whole plot and are interpolated.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/circuit.hpp"
#include "base/errors.hpp"
#include "engine/output/plot_sink.hpp"
#include "engine/plot.hpp"

namespace picospice {

// A signal of a plot: `positive - negative`, where an empty name is ground (zero).
struct WaveformRef {
  enum class Part { Real, Imag, Magnitude, Phase, Db };
  std::string text;      // as written, for messages: "v(a,b)"
  std::string positive;  // plot signal name: "v(a)", "i(v1)"
  std::string negative;  // "v(b)" or empty
  Part part = Part::Real;  // which real number of the (complex) difference
};

// Where a TRIG, TARG or WHEN condition is met.
struct CrossingSpec {
  enum class Edge { Rise, Fall, Cross };
  std::optional<double> at;           // `AT=x`: a fixed position instead of a crossing
  WaveformRef signal;
  std::optional<WaveformRef> level_signal;  // WHEN a=b: crossing of two signals
  double level = 0;                   // VAL=, or the number in WHEN a=<number>
  Edge edge = Edge::Cross;
  int count = 1;                      // the n in RISE=n ...
  bool last = false;                  // RISE=LAST ...: the last such crossing
  std::optional<double> delay;        // TD=
  std::optional<double> from, to;     // FROM=/TO= limit the search window
};

struct Measurement {
  enum class Kind { TrigTarg, FindWhen, When, FindAt, Avg, Rms, Min, Max, PeakToPeak, Integral, Param };
  std::string analysis;  // "tran", "dc" or "ac"
  std::string name;
  SourceLocation location;
  Kind kind = Kind::When;
  WaveformRef signal;           // FIND and the statistics
  CrossingSpec trigger;         // TRIG, or the WHEN condition
  CrossingSpec target;          // TARG
  double at = 0;                // FIND ... AT=, and the value of PARAM= of .param values only
  std::function<double(const MeasureSpec::ResultLookup&)> param_value;  // PARAM= of other results
  std::optional<double> from, to;
};

struct MeasureResult {
  std::string name;
  bool ok = false;
  double value = 0;
  std::string failure;  // why there is no value: "v(out) never crosses 0.9 (rise 2; found 1)"
};

// Throws NetlistError at spec.location saying what was expected for a malformed line.
Measurement parse_measure(const MeasureSpec& spec);

// A measure that cannot be evaluated on this plot (signal missing, never crosses, window
// outside the data) gives ok=false with the reason; it never throws.
MeasureResult evaluate_measure(const Measurement& measurement, const Plot& plot);

class MeasureEvaluator;

// Evaluates .measure lines on plots as they stream by (a PlotSink), keeping a few numbers per
// measure and no waveform. The constructor parses every spec, so a malformed line (or two with
// one name) is a NetlistError before anything runs. Each measure applies to every plot whose
// analysis matches, in plot order; with several (e.g. two .tran lines) the results are named
// <name>, <name>_2, <name>_3, ...; with none the single result has ok=false ("no tran analysis
// ran").
class MeasureSink final : public PlotSink {
 public:
  explicit MeasureSink(const std::vector<MeasureSpec>& specs);
  ~MeasureSink() override;
  void begin_plot(const Plot& layout) override;
  void add_point(const std::vector<double>& row) override;
  void add_complex_point(const std::vector<std::complex<double>>& row) override;
  void end_plot() override;
  // In netlist order; call after the last plot ended.
  std::vector<MeasureResult> results() const;

 private:
  struct Active {
    std::size_t measurement;
    std::string name;
    std::unique_ptr<MeasureEvaluator> evaluator;
  };
  std::vector<Measurement> measurements_;
  std::vector<int> matches_;  // plots each measurement applied to so far
  std::vector<Active> active_;
  std::vector<std::pair<std::size_t, MeasureResult>> finished_;
};

// The same over finished plots.
std::vector<MeasureResult> evaluate_measures(const std::vector<MeasureSpec>& specs,
                                             const std::vector<Plot>& plots);

// Writes results as JSON, atomically: {"<name>": value or null, ..., "failures": {"<name>":
// "<reason>"}}; non-finite values are null. Throws std::runtime_error if it cannot write.
// `options` (e.g. the transient noise seed and grid step, from the plots' "Option: k=v" notes) go
// to an "options" object when not empty.
void write_measures(const std::filesystem::path& path, const std::vector<MeasureResult>& results,
                    const std::vector<std::pair<std::string, std::string>>& options = {});

}  // namespace picospice
