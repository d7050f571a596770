// `picospice export-ngspice`: the same circuit, written for ngspice 39, from the parsed syntax tree.
//
// What is kept: the title, `.param`s, `.func`s, `.subckt` hierarchy (with `params:` defaults), `.global`,
// every element line (as written), non-EKV `.model` cards, `.op`, `.dc`, `.tran`, `.ic`,
// `.nodeset`, `.save`, `.measure`, `.temp`, and the `.options` ngspice knows. `.include`d text is
// already expanded, so the result is one self-contained file. `.if` blocks around elements and
// `.model` cards are written as they are; of the directives inside them, those chosen with the
// netlist's own parameter values are written, without the block.
//
// What is translated:
//   - every EKV MOSFET `Mx d g s b MODEL W= L= [M=] [DVTO=] [DKP=]` becomes
//     `xMx d g s b ekv_MODEL w= l= m= dvto= dkp=`, an instance of a generated behavioral subcircuit
//     (devices/ekv/ekv_ngspice_subcircuit.hpp); the level=ekv `.model` cards are dropped;
//   - `.dc SRC start stop step updown` becomes two `.dc` lines (up, then down without repeating the
//     turning point), i.e. two plots whose concatenation is picospice's single plot;
//   - `.options method=euler` becomes `method=gear maxord=1`.
// What is refused (NetlistError naming the line): `updown` with a nested sweep, `.dc` over a
// `.param` (ngspice 39 cannot), `.dc temp` in a circuit with EKV devices (their temperature is
// frozen at export), and MOSFETs whose model is not an EKV model of a used instance.
#pragma once
#include <filesystem>
#include <string>

namespace picospice {

struct NgspiceExportOptions {
  bool shunt = false;              // a 1e15-ohm resistor from every node (at every level) to ground
  bool reference_options = false;  // append the tight reference options of docs/design.md, 'Checking against ngspice'
  double shunt_ohms = 1e15;
};

// The tight reference options, as one `.options` line (also recorded by tests/regression).
std::string ngspice_reference_options_line();

// The exported netlist text. Throws NetlistError for input picospice itself rejects or that cannot
// be written for ngspice.
std::string export_ngspice(const std::string& netlist_path, const NgspiceExportOptions& options = {});

// Writes export_ngspice(...) to `output` atomically (temporary file, then rename).
void export_ngspice_file(const std::string& netlist_path, const std::filesystem::path& output,
                         const NgspiceExportOptions& options = {});

}  // namespace picospice
