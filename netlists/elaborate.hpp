// Elaboration: a netlist file or text -> a flat Circuit.
//
// Parses (netlists/parser/parser.hpp), evaluates parameters, expands subcircuit instances into
// hierarchical lower-case names (`x1.x2.n`, `x1.r3`), hands every element to its device group,
// and reads the directives (.op .dc .tran .options .temp .ic .nodeset .save .measure).
// Errors are NetlistError with the file:line:column of the offending token.
//
// Syntax notes beyond classic SPICE:
//  - `.dc SRC start stop step [SRC2 start2 stop2 step2] [updown]`: `updown` sweeps start->stop and
//    back (DcSpec::round_trip). SRC may be a V/I source, `temp`, or a `.param` (`param NAME` too).
//  - Element arguments may name a parameter bare (`R1 a b rval`) as well as `{rval}`.
//  - `.options nogmin nosrcstep` turn off gmin and source stepping.
//  - `.options trannoise=1 noisefmax=F [noisetstep=T] [noiseseed=N] [noisescale=K]
//    [noiseinterp=linear|hold] [noiseflicker=0|1]` turn on device noise in `.tran`
//    (engine/noise/transient_noise.hpp); they are also kept in Circuit::extra_options as text.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/circuit.hpp"
#include "netlists/parser/parser.hpp"

namespace picospice {

// Elaborates a netlist file. Overrides replace top-level `.param` values (each must exist).
std::unique_ptr<Circuit> elaborate_file(const std::string& path, const ParamOverrides& overrides = {});
// Elaborates netlist text; `file_name` appears in messages and anchors relative `.include` paths.
std::unique_ptr<Circuit> elaborate_text(const std::string& text, const std::string& file_name = "<netlist>",
                                        const ParamOverrides& overrides = {});

// One instance's value changed before it is built (a `.control` block's `alter`): `param` empty
// replaces the element's first positional value (R's resistance, C's capacitance, L's
// inductance); otherwise `param = value` replaces any `param=` the line has, or is appended.
struct InstanceEdit {
  std::string param;
  double value = 0;
};

// What a `.control` block changes in a netlist before elaborating it again.
struct ElaborationEdits {
  ParamOverrides params;  // `alterparam`: top-level `.param` values
  std::map<std::string, InstanceEdit> instances;  // `alter`, by full lower-case instance name
  // When set, the netlist's .op/.dc/.tran/.ac lines are left out and these are read instead.
  std::optional<std::vector<LogicalLine>> analyses;
  bool keep_measures = true;  // false: the netlist's .measure lines are left out
};

// Elaborates an already parsed netlist with edits; warnings go to `warn`.
std::unique_ptr<Circuit> elaborate_netlist(std::shared_ptr<const Netlist> netlist, const ElaborationEdits& edits,
                                           const WarningSink& warn);

}  // namespace picospice
