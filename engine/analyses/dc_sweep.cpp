#include "engine/analyses/dc_sweep.hpp"

#include <fmt/format.h>

#include <cmath>

#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/point_limits.hpp"
#include "engine/circuit_clone.hpp"
#include "engine/analyses/output_selection.hpp"

namespace picospice {

std::vector<double> sweep_values(const DcSweep& sweep) {
  const double span = sweep.stop - sweep.start;
  if (sweep.step == 0 || (span != 0 && (span > 0) != (sweep.step > 0)))
    throw SimulationError(fmt::format(".dc {}: step {} does not lead from {} to {}", sweep.name,
                                      sweep.step, sweep.start, sweep.stop));
  const double points = std::floor(span / sweep.step + 1e-9) + 1;
  if (!(points <= kMaxDcPoints))  // also NaN; the netlist reader refuses these with a place first
    throw SimulationError(fmt::format(".dc {}: {:g} points from {:g} to {:g} in steps of {:g}, more than the {:g} "
                                      "picospice allows",
                                      sweep.name, points, sweep.start, sweep.stop, sweep.step, kMaxDcPoints));
  const long count = static_cast<long>(points);
  std::vector<double> values;
  values.reserve(count);
  for (long k = 0; k < count; ++k) values.push_back(sweep.start + k * sweep.step);
  return values;
}

namespace {

std::string scale_name(const Circuit& circuit, const DcSweep& sweep) {
  switch (sweep.kind) {
    case DcSweep::Kind::Temperature: return "temp-sweep";
    case DcSweep::Kind::Param: return sweep.name + "-sweep";
    case DcSweep::Kind::Source:
      return circuit.find_output("i(" + sweep.name + ")") > 0 ? "v-sweep" : "i-sweep";
  }
  return "sweep";
}

// The outer sweep's vector of a nested .dc, named after what it sweeps ("v2-sweep", "temp-sweep",
// "rl-sweep") so that it never shares the inner scale's name ("v-sweep" for any source).
std::string outer_scale_name(const Circuit& circuit, const DcSweep& inner, const DcSweep& outer) {
  std::string name = outer.kind == DcSweep::Kind::Source ? outer.name + "-sweep" : scale_name(circuit, outer);
  if (name == scale_name(circuit, inner)) name = "outer-" + name;
  return name;
}

std::string scale_type(const Circuit& circuit, const DcSweep& sweep) {
  if (sweep.kind == DcSweep::Kind::Temperature) return "temperature";
  return scale_name(circuit, sweep) == "i-sweep" ? "current" : "voltage";
}

// The circuit being swept: a private copy, so that nothing the sweep sets (a source's value, the
// temperature, a parameter) outlives the analysis; a later .op or .tran sees the netlist's values,
// as in ngspice. Parameter sweeps rebuild the copy (parameters flow through expressions into any
// device), keeping the unknown vector as the continuation guess.
class SweptCircuit {
 public:
  explicit SweptCircuit(const Circuit& original)
      : original_(original), copy_(clone_circuit(original)), system_(std::make_unique<System>(*copy_)) {}
  System& system() { return *system_; }
  // The solver statistics of every system this sweep has used.
  SolverStatistics statistics() const {
    SolverStatistics s = retired_;
    s.add(system_->statistics());
    return s;
  }
  Circuit& circuit() { return system_->circuit(); }

  void set(const DcSweep& sweep, double value) {
    switch (sweep.kind) {
      case DcSweep::Kind::Source:
        if (!circuit().set_instance_param(sweep.name, "dc", value))
          throw SimulationError(fmt::format(".dc: '{}' is not an independent source", sweep.name));
        break;
      case DcSweep::Kind::Temperature: circuit().set_temperature(value); break;
      case DcSweep::Kind::Param: {
        if (!original_.reelaborate)
          throw SimulationError(".dc: this circuit cannot sweep parameters (no netlist to rebuild)");
        overrides_[sweep.name] = value;
        rebuilt_ = original_.reelaborate(overrides_);
        retired_.add(system_->statistics());
        system_ = std::make_unique<System>(*rebuilt_);
        for (auto& [s, v] : applied_) set(*s, v);  // re-apply source/temperature values
        break;
      }
    }
    if (sweep.kind != DcSweep::Kind::Param) applied_[&sweep] = value;
  }

 private:
  const Circuit& original_;
  std::unique_ptr<Circuit> copy_;
  std::unique_ptr<Circuit> rebuilt_;
  std::unique_ptr<System> system_;
  SolverStatistics retired_;  // of systems replaced by a parameter rebuild
  ParamOverrides overrides_;
  std::map<const DcSweep*, double> applied_;
};

}  // namespace

Plot run_dc_sweep(const Circuit& circuit, const DcSpec& spec, const std::function<void(double)>& progress,
                  AnalysisStatistics* statistics) {
  PlotRecorder recorder;
  run_dc_sweep(circuit, spec, recorder, progress, statistics);
  return recorder.take_last();
}

void run_dc_sweep(const Circuit& circuit, const DcSpec& spec, PlotSink& sink,
                  const std::function<void(double)>& progress, AnalysisStatistics* statistics) {
  if (spec.sweeps.empty()) throw SimulationError(".dc needs a sweep");
  const DcSweep& inner = spec.sweeps[0];
  std::vector<double> inner_values = sweep_values(inner);
  if (spec.round_trip)
    for (long k = static_cast<long>(inner_values.size()) - 2; k >= 0; --k)
      inner_values.push_back(inner_values[k]);
  const DcSweep* outer = spec.sweeps.size() > 1 ? &spec.sweeps[1] : nullptr;
  const std::vector<double> outer_values = outer ? sweep_values(*outer) : std::vector<double>{0.0};

  SweptCircuit swept(circuit);
  swept.system().restore_initial_states();
  const auto columns = select_outputs(circuit);
  Plot layout = make_plot(circuit, "DC transfer characteristic", "dc", scale_name(circuit, inner),
                          scale_type(circuit, inner), columns);
  if (outer) {
    layout.signals.push_back({outer_scale_name(circuit, inner, *outer), scale_type(circuit, *outer), {}, {}, {}});
    layout.segment_by = layout.signals.back().name;
  }
  OutputRow row(true, columns);
  std::vector<double> outer_value_row(outer ? 1 : 0);
  sink.begin_plot(layout);

  std::vector<double> x(circuit.size() + 1, 0.0);
  for (const auto& ns : circuit.nodesets) x[ns.node] = ns.value;
  bool have_solution = false;
  const double total = static_cast<double>(inner_values.size() * outer_values.size());
  double done = 0;
  for (double outer_value : outer_values) {
    if (outer) swept.set(*outer, outer_value);
    for (double value : inner_values) {
      swept.set(inner, value);
      OperatingPointSettings settings;
      settings.cold_start = !have_solution;
      settings.context = fmt::format(".dc at {} = {:.6g}{}", inner.name, value,
                                     outer ? fmt::format(", {} = {:.6g}", outer->name, outer_value) : "");
      x.resize(swept.system().size() + 1, 0.0);
      const OperatingPointReport report = solve_operating_point(swept.system(), x, settings);
      swept.system().accept_states(x.data());  // the next point starts from this one's switch states
      if (statistics) {
        statistics->newton_iterations += report.newton_iterations;
        statistics->gmin_stepping = statistics->gmin_stepping || report.used_gmin_stepping;
        statistics->source_stepping = statistics->source_stepping || report.used_source_stepping;
        statistics->pseudo_transient = statistics->pseudo_transient || report.used_pseudo_transient;
      }
      have_solution = true;
      if (outer) outer_value_row[0] = outer_value;
      sink.add_point(row(value, x, outer_value_row));
      if (progress) progress(++done / total);
    }
  }
  if (statistics) statistics->solver.add(swept.statistics());
  sink.end_plot();
}

}  // namespace picospice
