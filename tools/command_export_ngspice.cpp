// `picospice export-ngspice NETLIST -o FILE`: the same circuit for ngspice 39, EKV MOSFETs as
// behavioral subcircuits. The translation lives in netlists/export_ngspice.cpp.
#include <fmt/format.h>

#include "netlists/export_ngspice.hpp"
#include "tools/command.hpp"

namespace picospice::tools {

namespace {

struct ExportOptions {
  std::string netlist;
  std::string output;
  NgspiceExportOptions translate;
};

int export_netlist(const ExportOptions& o) {
  export_ngspice_file(o.netlist, o.output, o.translate);
  fmt::print(stderr, "picospice: wrote {} (for ngspice 39)\n", o.output);
  return 0;
}

}  // namespace

CommandAction add_export_ngspice_command(CLI::App& app) {
  auto options = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand(
      "export-ngspice",
      "Write the netlist for ngspice 39, to cross-check picospice against an independent simulator.\n"
      "EKV MOSFETs become behavioral subcircuits (B source with the same drain-current equations);\n"
      "intrinsic gate charge becomes fixed capacitors at a representative bias. The file's header\n"
      "comments say exactly what is approximated. Run it with `ngspice -b -r out.raw FILE`.");
  cmd->add_option("netlist", options->netlist, "the picospice netlist")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", options->output, "the ngspice netlist to write")->required();
  cmd->add_flag("--shunt", options->translate.shunt,
                "add a 1e15-ohm resistor from every node to ground (floating nodes; docs/design.md, 'Checking against ngspice')");
  cmd->add_flag("--reference-options", options->translate.reference_options,
                "append tight ngspice options for reference runs: " + ngspice_reference_options_line());
  return [options] { return export_netlist(*options); };
}

}  // namespace picospice::tools
