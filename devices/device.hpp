// The device interface. Read this file whole before writing a device.
//
// A device type is a DeviceGroup: it owns every instance of that type and evaluates them all in
// one call (one virtual call per group per Newton iteration, a tight loop inside).
//
// Residual form (docs/design.md, 'Residual form'). For every unknown row i the circuit equation is
//     F_i(x) = f_i(x) + d/dt q_i(x) = 0
// where f are resistive currents *leaving* a node (or the residual of a branch equation) and q are
// charges (or fluxes). A device adds its contributions to f and q and the Newton matrix
//     J = df/dx + a0 * dq/dx        (a0 = EvalRequest::reactive_scale, 0 at DC)
// into pre-bound slots of the frozen sparsity pattern. J must be linear in a0 (each entry
// G + a0*C): the small-signal analysis (.ac) splits it into G and C by evaluating at
// two values of a0 (engine/small_signal.hpp), so a device's AC model is its own Jacobian and needs
// no code of its own. Independent sources add their AC excitation through
// load_small_signal_excitation.
//
// Unknown index 0 is ground: x[0] == 0 always, rows f[0], q[0] are a write-only dummy, and every
// matrix entry in ground's row or column binds to a dummy slot. Devices therefore stamp without
// branches on ground.
//
// Lifecycle of a group (all driven by the elaborator and the System):
//   1. add_instance(card, builder)  once per element line; may ask the builder for branch unknowns
//   2. link(builder)                resolve references to other instances (F and H sources)
//   3. bind_slots(binder)           called twice: once to declare entries, once to get slots
//   4. set_temperature(kelvin)      before analyses and whenever temperature changes
//   5. evaluate(request)            every Newton iteration
// Besides loading, a group answers the engine's questions about its instances through the
// virtual calls below (DC connectivity, breakpoints, noise, mismatch, the operating-point report),
// so no code outside devices/ needs to know a concrete device type.
//
// Adding a device type is one new .cpp (and its header, if tests want the class): write the
// DeviceGroup and register it from that file (devices/device_registry.hpp):
//     static const DeviceRegistration kRegistered{{'r', 2, false, {}, "resistor", make_group<ResistorGroup>}};
#pragma once
#include <cmath>
#include <complex>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/errors.hpp"
#include "base/expression_program.hpp"
#include "base/options.hpp"
#include "devices/noise/noise_source.hpp"

namespace picospice {

using Index = int;  // unknown index; 0 is ground

// A `.model` card after parameter evaluation. Names are lower case.
struct ModelCard {
  std::string name;
  std::string type;                        // "d", "nmos", "pmos", ...
  std::map<std::string, double> params;    // numeric parameters, lower-case keys
  std::map<std::string, std::string> words;  // non-numeric parameters (e.g. level=ekv)
  SourceLocation location;

  double get(const std::string& key, double fallback) const {
    auto it = params.find(key);
    return it == params.end() ? fallback : it->second;
  }
  bool has(const std::string& key) const { return params.count(key) != 0; }
};

// One argument of an element line after the nodes, with parentheses and commas removed.
// `V1 a 0 DC 1.8 PULSE(0 1.8 1n 1n 1n 5n 10n) r=0` gives
//   {word "dc"}, {1.8}, {word "pulse"}, {0}, {1.8}, ..., {key "r", 0}.
// Numbers are already evaluated (engineering suffixes, {expressions}, parameters).
struct ElementArg {
  std::string word;   // lower-case word when !is_number and key is empty
  std::string key;    // non-empty for key=value
  double value = 0.0; // the number, or the value of key=value
  bool is_number = false;
  SourceLocation location;
  // For the keys a device kind declares as expressions (DeviceKind::expression_keys): the compiled
  // expression, whose variables are node voltages, branch currents, time and temperature. Set
  // also when it is constant (then is_number and value hold its value too).
  std::shared_ptr<const ExpressionProgram> program;

  // As written, for messages: "ac=1", "dc", "2.5".
  std::string text() const {
    char number[32];
    std::snprintf(number, sizeof number, "%g", value);
    if (program) return (key.empty() ? "" : key + "=") + "{" + program->text + "}";
    if (!key.empty()) return key + "=" + number;
    return is_number ? std::string(number) : word;
  }
};

// What the elaborator hands a group to build one instance.
struct ElementCard {
  std::string name;                     // hierarchical, lower case: "x1.x2.r3"
  // The element letter of the line ('w' for "w1"). Not the name's last component's first letter:
  // a name may hold dots of its own ("w.a" inside x1 is "x1.w.a").
  char letter = 0;
  std::vector<Index> nodes;             // terminal unknowns, 0 = ground
  std::vector<std::string> node_names;  // hierarchical node names, for messages
  std::vector<ElementArg> args;         // everything after the nodes (and after the model name)
  const ModelCard* model = nullptr;     // for elements that take a model (D, M)
  SourceLocation location;

  // Helpers for device parsers; they throw NetlistError at the argument's location.
  [[noreturn]] void fail(const std::string& message) const { throw NetlistError(location, message); }
  [[noreturn]] void fail(const ElementArg& arg, const std::string& message) const {
    throw NetlistError(arg.location.line ? arg.location : location, message);
  }
  // "unexpected argument 'ac=1' for resistor r2 (it takes: ...)".
  [[noreturn]] void fail_unexpected(const ElementArg& arg, const std::string& kind, const std::string& accepted) const {
    fail(arg, "unexpected argument '" + arg.text() + "' for " + kind + " " + name + " (it takes " + accepted + ")");
  }
};

// Services the elaborator offers devices while building the circuit.
class CircuitBuilder {
 public:
  virtual ~CircuitBuilder() = default;
  // A new current unknown owned by `instance` (V sources, inductors, E and H sources).
  virtual Index add_branch(const std::string& instance) = 0;
  // The branch unknown of another instance, for F and H sources; throws if there is none.
  virtual Index branch_of(const std::string& instance, const SourceLocation& where) const = 0;
  // The full hierarchical name of an instance referenced from inside `referrer`'s scope.
  // (`F1 a b vsense 2` inside x1 refers to x1.vsense.)
  virtual std::string scoped_name(const std::string& referrer, const std::string& local) const = 0;
  virtual const SimOptions& options() const = 0;
  // A new voltage unknown private to `instance` (a diode's node between its junction and its
  // series resistance), named e.g. "d1#internal". Not pure so that builders written before it
  // existed still compile; the elaborator's builder must override it.
  virtual Index add_internal_node(const std::string& name) {
    throw std::logic_error("this CircuitBuilder cannot add internal node " + name);
  }
};

// Binds (row, column) matrix entries to slots of the frozen pattern. bind_slots is called twice
// with the same code path: first in declare mode (the returned slot is meaningless), then in
// resolve mode. Entries touching ground return the dummy slot.
class SlotBinder {
 public:
  virtual ~SlotBinder() = default;
  virtual int slot(Index row, Index column) = 0;
  // An entry only charge ever loads (a0 * dQ/dV, such as a MOSFET gate's row against its drain):
  // zero at DC, and the transient's Newton matrix may leave it out where it alone would join
  // feed-forward stages into one block (engine/sparsity_pattern.hpp). Binds like slot() otherwise.
  virtual int weak_slot(Index row, Index column) { return slot(row, column); }
};

// Latency (transient evaluations with bypass): sums of linearizations that devices keep out of
// the per-evaluation loading. A device whose bypassed linearization (i0, G, q0, C at v0) does
// not change from one evaluation to the next adds it here once instead of loading it every time,
// and takes it out again (with the same values) before it loads a new one. The System loads the
// sums after the devices, at every evaluation:
//     jac[s] += conductance[s] + a0 * capacitance[s]
//     f[row(s)] += conductance[s] * x[col(s)],   q[row(s)] += capacitance[s] * x[col(s)]
//     f[r] += current[r],  q[r] += charge[r],  f_abs[r] += current_abs[r]
// which is i0 + G (x - v0) and q0 + C (x - v0) summed over the latent devices, with
// current[r] = sum of (i0 - G v0) and charge[r] = sum of (q0 - C v0). The residual stays that of
// the devices' own linearizations; f_abs, the scale of the residual tolerance, takes |i0| at v0
// instead of |i0 + G (x - v0)| (x within the bypass tolerance of v0: a relative difference below
// about bypass_fraction). A device knows its contribution is in these sums when it recorded
// `epoch`: the System draws a new epoch (and zeroes the sums) whenever it starts them over.
// The sums are compact: a slot s is at conductance[local[s]], capacitance[local[s]]. A device
// that uses them must be able to list its entries (DeviceGroup::list_range_entries): the System
// sizes the sums from those lists.
struct LatentSums {
  unsigned long epoch = 0;
  const int* local = nullptr;     // slot -> index into conductance and capacitance
  double* conductance = nullptr;  // by local[slot]
  double* capacitance = nullptr;  // by local[slot]
  double* current = nullptr;      // by row
  double* charge = nullptr;       // by row
  double* current_abs = nullptr;  // by row
  long removals = 0;              // devices taken out since the sums started (rounding builds up)
};

// One Newton evaluation. Inputs first, then where to load.
struct EvalRequest {
  const double* x = nullptr;      // unknowns, x[0] == 0
  double time = 0.0;              // s; 0 at the operating point
  // The analysis is a transient (its initial operating point included): independent sources take
  // their time-domain value, PULSE/PWL/SIN... at `time`; otherwise (.op, .dc) their DC value.
  bool transient = false;
  double source_scale = 1.0;      // independent sources are multiplied by this (source stepping)
  double reactive_scale = 0.0;    // a0 of the integration formula; 0 at DC
  bool want_reactive = false;     // load q and dq/dx (transient); at DC they may be skipped
  bool limit = true;              // apply junction voltage limiting against the stored state
  bool cold_start = false;        // first iteration without a previous solution: use safe voltages
  double gmin = 1e-18;            // S, minimum conductance to keep across nonlinear junctions
  // A small-signal (AC) analysis wants the linearization: devices with a separate AC value load
  // it instead of the DC one (a resistor's ac=). The Jacobian of an evaluation at the operating
  // point is the linearization of every other device, behavioral sources included.
  bool small_signal = false;
  // Device bypass (SimOptions::bypass): devices may reuse their last evaluation, linearized, when
  // no terminal voltage moved by more than this fraction of the thermal voltage; 0 turns it off.
  double bypass_fraction = 0.0;
  // Latency sums (see LatentSums) a device with bypass may use; null when the System does not
  // offer them (DC, small-signal, bypass off).
  LatentSums* latent = nullptr;

  double* f = nullptr;            // resistive residual per row
  double* f_abs = nullptr;        // sum of |each contribution| per row: the scale of KCL tolerance
  double* q = nullptr;            // charge per row (only when want_reactive)
  double* jac = nullptr;          // Newton matrix values, by slot

  int limited = 0;                // devices increment when they limited a voltage this iteration
  long bypassed = 0;              // devices that can bypass count each instance bypassed ...
  long evaluated = 0;             // ... and each instance evaluated in full
  long latent_loads = 0;          // of the bypassed, those already in the latency sums (nothing loaded)
  long latent_unvisited = 0;      // of those, the ones not even checked (their nodes had not moved)
  // The counts above, for the engine's chunks of a split group (each chunk counts from zero on
  // its own request; the engine adds them up in chunk order).
  void clear_counts() { limited = 0; bypassed = evaluated = latent_loads = latent_unvisited = 0; }
  void add_counts(const EvalRequest& o) {
    limited += o.limited;
    bypassed += o.bypassed;
    evaluated += o.evaluated;
    latent_loads += o.latent_loads;
    latent_unvisited += o.latent_unvisited;
  }

  // Convenience for the common two-terminal current i(v) leaving `a`, entering `b`.
  void add_current(Index a, Index b, double i) {
    f[a] += i; f[b] -= i;
    double m = i < 0 ? -i : i;
    f_abs[a] += m; f_abs[b] += m;
  }
  void add_charge(Index a, Index b, double charge) { q[a] += charge; q[b] -= charge; }
};

// The four slots of a conductance between nodes a and b, in the order aa, ab, ba, bb.
struct PairSlots {
  int aa = 0, ab = 0, ba = 0, bb = 0;
  void bind(SlotBinder& binder, Index a, Index b) {
    aa = binder.slot(a, a); ab = binder.slot(a, b); ba = binder.slot(b, a); bb = binder.slot(b, b);
  }
  void add(double* jac, double g) const { jac[aa] += g; jac[ab] -= g; jac[ba] -= g; jac[bb] += g; }
};

// Which small-signal excitation to load (DeviceGroup::load_small_signal_excitation).
struct SmallSignalExcitation {
  // Empty: every independent source with its own `AC mag [phase]` (.ac). Otherwise only this
  // instance (hierarchical, lower case), with unit magnitude and zero phase, whatever its AC
  // value: 1 V across a voltage source, 1 A through a current source (for a transfer function).
  std::string only_instance;
};

// How an instance connects nodes at DC, for the floating-node and source-loop checks.
// StoresCharge (a capacitor) is no DC path, but within a transient step its charge is one (C/h):
// a `.tran ... uic`, which solves no operating point, accepts a node that only capacitors reach.
struct DcConnection {
  enum class Kind { Conducts, DefinesVoltage, StoresCharge };
  std::string instance;
  Index a = 0, b = 0;
  Kind kind = Kind::Conducts;
};

// One instance parameter that Monte Carlo varies (Pelgrom mismatch), as the device defines it.
// Sample k draws
//     value = nominal + coefficient_value / sqrt(area) * z  (+ a per-sample process shift),
// clamped below at `lowest`, with z ~ N(0, 1) a pure function of (seed, k, instance, counter)
// (engine/monte_carlo/mismatch.hpp). The device names its parameters and knows their spread.
struct MismatchParameter {
  std::string instance;         // hierarchical name, lower case
  std::string parameter;        // what set_instance_param takes: "dvto", "dkp"
  std::string coefficient;      // the model-card coefficient the spread scales with: "avto", "akp";
                                // a Monte Carlo override of that name replaces it
  double coefficient_value = 0; // its value for this instance (V*m for avto, m for akp)
  double area = 1;              // m^2, the gate area W*L*M the coefficient is divided by (sqrt)
  double nominal = 0;           // the instance's own value (e.g. DVTO= on its line), added to draws
  double lowest = -std::numeric_limits<double>::infinity();  // draws below are clamped here
  int counter = 0;              // which draw of the instance's random stream (distinct per parameter)
  std::string process_group;    // instances sharing one global shift per sample ("nmos", "pmos")
  // d ln(I) / d parameter of the device current in weak inversion (dvto: -1/(N UT), dkp: 1), so
  // that the relative current spread is sqrt(sum (sensitivity * sigma)^2) (training uses it).
  double log_current_sensitivity = 0;

  double sigma() const { return coefficient_value / std::sqrt(area); }
};

// A device type's `.op` report: one row per instance, columns the device chooses.
struct OperatingPointTable {
  struct Column {
    std::string header;   // with its unit: "id (A)"
    bool fixed = false;   // numbers as fixed-point (voltages) rather than %g
  };
  using Cell = std::variant<double, std::string>;
  struct Row {
    std::string instance;
    std::vector<Cell> cells;  // one per column
  };
  std::string title;          // "MOSFETs (EKV)"
  std::vector<Column> columns;
  std::vector<Row> rows;
};

// How export-ngspice writes an instance of a model ngspice lacks: an element line whose model is
// `model` becomes `X<name> <pins> <subcircuit> <its key=value arguments but dropped_arguments>`.
struct NgspiceSubcircuit {
  std::string subcircuit;                      // name of the .subckt
  std::string definition;                      // `.subckt ... .ends` text, lines ending in '\n'
  std::vector<std::string> dropped_arguments;  // picospice-only instance keys ("noise")
  std::vector<std::string> header_notes;       // what is exact and what is approximated, for the file header
};

class DeviceGroup {
 public:
  virtual ~DeviceGroup() = default;
  virtual std::string_view type_name() const = 0;
  virtual std::size_t size() const = 0;
  virtual std::unique_ptr<DeviceGroup> clone() const = 0;  // a copy for another worker thread

  virtual void add_instance(const ElementCard& card, CircuitBuilder& builder) = 0;
  virtual void link(CircuitBuilder& builder) {}
  virtual void bind_slots(SlotBinder& binder) = 0;
  virtual void set_temperature(double kelvin) {}
  virtual void evaluate(EvalRequest& request) = 0;
  // Large groups may be evaluated in chunks of instances on several threads. A group that says
  // can_split() loads instances [begin, end) in evaluate_range, touching per-instance state of
  // those instances only; each chunk writes to its own f, q and Jacobian arrays, which the engine
  // adds up in chunk order (so results do not depend on the number of threads).
  virtual bool can_split() const { return false; }
  virtual void evaluate_range(EvalRequest& request, std::size_t begin, std::size_t end) { evaluate(request); }
  // The Jacobian slots and the rows of f and q that instances [begin, end) load (after
  // bind_slots), so that the engine clears and adds up only those of a chunk's arrays.
  virtual void list_range_entries(std::size_t begin, std::size_t end, std::vector<int>& slots,
                                  std::vector<Index>& rows) const {}

  virtual void list_dc_connections(std::vector<DcConnection>& out) const = 0;
  // True when f and q are linear in x (and do not limit): a circuit made only of such groups
  // needs one Newton solve per point.
  virtual bool is_linear() const { return false; }
  // The first time strictly after `after` where an instance has a corner (a source's PULSE or PWL
  // edge); +infinity when there is none. The transient lands on each, asking for one at a time.
  virtual double next_breakpoint(double after) const { return std::numeric_limits<double>::infinity(); }
  // Change one instance parameter (a source's "dc" value, a MOSFET's "dvto"); false if unknown.
  virtual bool set_instance_param(std::string_view instance, std::string_view param, double value) {
    return false;
  }
  // `.tran ... uic`: the initial state is given, not solved for. `q` holds every device's charges
  // at the initial unknowns x; a device with initial conditions of its own (C ... IC=v,
  // L ... IC=i) moves its charge (flux) contributions in q to them.
  virtual void apply_initial_conditions(const double* x, double* q) const {}
  // Forget limiting history (before a new operating point solve).
  virtual void reset_state() {}
  // Discrete states (a switch's on/off, with hysteresis: devices/switch.hpp). Newton iterates
  // with the state a device's control value selects against the state at the last accepted point;
  // a state that changed between two evaluations marks the iteration limited, so Newton does not
  // stop on a flip.
  //  - restore_initial_state: before each analysis, the states go back to the netlist's (ON/OFF),
  //    so analyses stay isolated.
  //  - accept_state: a point was accepted (a transient step, a .dc sweep point, the transient's
  //    initial operating point): the states take their values at x. True when a state changed.
  //  - state_change_fraction: the fraction of the step from the accepted point x_old to x_new at
  //    which the first state change happens, by linear interpolation of the control values
  //    (+infinity when none); the transient shortens a step that jumps far past it.
  virtual void restore_initial_state() {}
  virtual bool accept_state(const double* x) { return false; }
  virtual double state_change_fraction(const double* x_old, const double* x_new) const {
    return std::numeric_limits<double>::infinity();
  }
  // Before a transient: time functions take unset edges (PULSE rise/fall) from tstep and unset
  // frequencies (SIN, SFFM, AM) from 1/tstop, as ngspice.
  virtual void set_transient_defaults(double tstep, double tstop) {}
  // Small-signal analyses: add the excitation `which` asks for to the right-hand side b of
  // (G + jwC) x = b, indexed by unknown (rhs[0], ground, is ignored). b is minus the change of f
  // per unit of the source's value: a voltage source adds (mag e^(j phase)) to its branch row, a
  // current source from n+ to n- subtracts its phasor at n+ and adds it at n-. Returns whether
  // it loaded anything (for an only_instance request: whether the instance is one of this group's).
  virtual bool load_small_signal_excitation(const SmallSignalExcitation& which, std::complex<double>* rhs) const {
    return false;
  }
  // Transient noise (engine/noise/transient_noise.hpp; docs/requirements.md, 'Transient noise'). Before each transient the engine calls
  // list_noise_sources once; a noisy group appends one spec per generator of each instance
  // (only when setup.device_noise, skipping instances with noise=0) and may keep setup.seed for
  // noise of its own (TRNOISE sources). The engine then asks noise_density(k, x) for the k-th spec
  // this group appended in that call: the one-sided density at the unknowns x (see
  // devices/noise/noise_source.hpp). Groups without noise keep both defaults.
  virtual void list_noise_sources(const NoiseSetup& setup, std::vector<NoiseSourceSpec>& out) {}
  virtual double noise_density(std::size_t source, const double* x) const { return 0.0; }
  // Monte Carlo: every parameter of every instance that mismatch varies (see MismatchParameter).
  // The engine sets drawn values back through set_instance_param(instance, parameter, value).
  virtual void list_mismatch_parameters(std::vector<MismatchParameter>& out) const {}
  // The `.op` report of the instances at the unknowns x; an empty table (no rows) when the type
  // has nothing to add to the node voltages and branch currents.
  virtual OperatingPointTable operating_point_table(const double* x) const { return {}; }
  // export-ngspice: for each model of this group that ngspice 39 does not have, the subcircuit
  // that stands in for it (keyed by model name). Throws NetlistError when the circuit cannot be
  // represented so (e.g. one model name with different values in different instances).
  virtual void list_ngspice_subcircuits(double kelvin, std::map<std::string, NgspiceSubcircuit>& out) const {}
  // What went wrong in the group's latest evaluations that a failure message should name (a
  // behavioral expression evaluated outside a function's domain), or empty.
  virtual std::string describe_faults() const { return {}; }
};

}  // namespace picospice
