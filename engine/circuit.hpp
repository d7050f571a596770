// The flat circuit: what elaboration produces and every analysis consumes.
// Unknowns are node voltages and branch currents; index 0 is ground.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "devices/device.hpp"
#include "base/errors.hpp"
#include "base/options.hpp"

namespace picospice {

// An output a `.save` line asks for, and where, for the error when no such node or branch exists
// (known only once the circuit is built).
struct SavedOutput {
  std::string name;
  SourceLocation where;
};

enum class UnknownKind { Voltage, Current };

struct Unknown {
  std::string name;  // node: hierarchical node name ("x1.out"); branch: instance name ("v1")
  UnknownKind kind = UnknownKind::Voltage;
  // The output name as ngspice writes it: v(x1.out) or i(v1).
  std::string output_name() const {
    return (kind == UnknownKind::Voltage ? "v(" : "i(") + name + ")";
  }
};

struct OpSpec {};

struct DcSweep {
  enum class Kind { Source, Temperature, Param };
  Kind kind = Kind::Source;
  std::string name;  // source instance (hierarchical, lower case), or parameter name
  double start = 0, stop = 0, step = 0;  // step may be negative to sweep down
};

struct DcSpec {
  std::vector<DcSweep> sweeps;   // sweeps[0] is the inner (fast) sweep; an optional sweeps[1] outer
  bool round_trip = false;       // `.dc ... updown`: sweep start->stop, then back to start
};

struct TranSpec {
  double tstep = 0, tstop = 0, tstart = 0, tmax = 0;  // tmax 0: min(tstep, (tstop-tstart)/50)
  bool uic = false;
};

// The frequencies of .ac: `dec|oct N f1 f2` (N points a decade or octave, from f1 on a
// logarithmic grid up to f2) or `lin N f1 f2` (N points, f1 and f2 included).
struct FrequencySweep {
  enum class Kind { Decade, Octave, Linear };
  Kind kind = Kind::Decade;
  int points = 1;
  double start = 1, stop = 1;  // Hz
};

struct AcSpec {
  FrequencySweep sweep;
};

// The output of .noise and .tf: the voltage v(node) or v(node, reference).
struct SmallSignalOutput {
  Index node = 0, reference = 0;
  std::string name;  // lower case: "v(out)", or "v(out,ref)" when ref is not ground (as ngspice)
};

// `.noise v(out[,ref]) src dec|oct|lin N f1 f2 [pts_per_summary]` (engine/analyses/noise_analysis.hpp).
struct NoiseSpec {
  SmallSignalOutput output;
  std::string source;            // the independent V or I source the noise is referred to
  FrequencySweep sweep;
  int points_per_summary = 0;    // 0: totals only; N: per-generator contributions every N points
};

// `.tf v(out[,ref]) src` (engine/analyses/tf_analysis.hpp).
struct TfSpec {
  SmallSignalOutput output;
  std::string source;
};

using AnalysisSpec = std::variant<OpSpec, DcSpec, TranSpec, AcSpec, NoiseSpec, TfSpec>;

// A `.measure` line, kept as tokens; engine/analyses/measure parses and evaluates it.
struct MeasureSpec {
  std::string analysis;              // "tran" or "dc"
  std::string name;
  std::vector<std::string> tokens;   // lower case, after the name; `a=b` split to "a", "=", "b"
  SourceLocation location;
  // PARAM='expression' that reads other measures' results: the netlist layer compiles it into
  // this function of a lookup of those results (true and the value, or false for a name it does
  // not know); it throws std::exception with the reason when it cannot be evaluated.
  using ResultLookup = std::function<bool(std::string_view name, double& value)>;
  std::function<double(const ResultLookup&)> param_value;
};

// `.ic v(n)=value` and `.nodeset v(n)=value`.
struct NodeValue {
  Index node = 0;
  double value = 0;
  SourceLocation location;
};

using ParamOverrides = std::map<std::string, double>;

struct Circuit {
  std::string title;
  std::string source_file;
  std::vector<Unknown> unknowns{Unknown{"0", UnknownKind::Voltage}};
  std::vector<std::unique_ptr<DeviceGroup>> groups;
  // For messages: the instances with a terminal on each unknown (nodes only).
  std::vector<std::vector<std::string>> instances_at;
  SimOptions options;
  std::vector<AnalysisSpec> analyses;
  std::vector<MeasureSpec> measures;
  std::vector<NodeValue> initial_conditions, nodesets;
  std::vector<SavedOutput> saves;  // output names from .save; empty means everything
  // Read but not run (`.control` blocks, unsupported analyses), for the "nothing to simulate" error.
  std::vector<std::pair<SourceLocation, std::string>> skipped;
  // `.options` names picospice does not know (yet): kept for later stages, warned about once.
  std::map<std::string, std::string> extra_options;
  // Rebuild the same netlist with some `.param` values overridden (for `.dc` parameter sweeps).
  std::function<std::unique_ptr<Circuit>(const ParamOverrides&)> reelaborate;

  int size() const { return static_cast<int>(unknowns.size()) - 1; }  // without ground
  // The unknown of an output name ("v(out)", "out", "i(v1)"); -1 if none.
  Index find_output(const std::string& name) const;
  // The unknown of a node name; -1 if none.
  Index find_node(const std::string& name) const;
  DeviceGroup* find_group(std::string_view type_name) const;
  // Set one instance parameter wherever the instance lives; false if no group knows it.
  bool set_instance_param(std::string_view instance, std::string_view param, double value);
  void set_temperature(double celsius);
};

}  // namespace picospice
