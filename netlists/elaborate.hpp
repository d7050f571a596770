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
#include <memory>
#include <string>

#include "engine/circuit.hpp"

namespace picospice {

// Elaborates a netlist file. Overrides replace top-level `.param` values (each must exist).
std::unique_ptr<Circuit> elaborate_file(const std::string& path, const ParamOverrides& overrides = {});
// Elaborates netlist text; `file_name` appears in messages and anchors relative `.include` paths.
std::unique_ptr<Circuit> elaborate_text(const std::string& text, const std::string& file_name = "<netlist>",
                                        const ParamOverrides& overrides = {});

}  // namespace picospice
