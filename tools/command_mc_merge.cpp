// `picospice mc-merge PART... -o OUT.csv`: the parts of a sharded Monte Carlo run (`mc --shard
// K/N`, one per job-array task) joined into the file one process would have written, byte for
// byte, then the same statistics, yield and histograms as `mc` (engine/monte_carlo/shards.hpp).
#include <fmt/format.h>

#include <filesystem>

#include "base/atomic_file.hpp"
#include "engine/monte_carlo/shards.hpp"
#include "tools/command.hpp"
#include "tools/mc_summary.hpp"

namespace picospice::tools {
namespace {

struct McMergeOptions {
  std::vector<std::string> parts;
  std::string output;
  std::string plot_dir;
  std::vector<std::string> specs;
  bool quiet = false;
};

// The netlist's file name as the fingerprint records it ("netlist=NAME fnv1a=").
std::string netlist_name(const std::string& fingerprint) {
  const std::string key = "netlist=";
  const std::size_t at = fingerprint.find(key);
  const std::size_t end = fingerprint.find(" fnv1a=");
  if (at == std::string::npos || end == std::string::npos || end < at) return "the netlist";
  return fingerprint.substr(at + key.size(), end - at - key.size());
}

int run_mc_merge(const McMergeOptions& o) {
  McSummaryOptions summary;
  for (const auto& s : o.specs) summary.specs.push_back(parse_spec_limit(s));
  summary.plot_dir = o.plot_dir;
  summary.quiet = o.quiet;

  std::vector<ResultsPart> parts;
  for (const auto& path : o.parts) {
    if (std::filesystem::absolute(path) == std::filesystem::absolute(o.output))
      throw std::invalid_argument("mc-merge: the output " + o.output + " is also one of the parts");
    parts.push_back(read_results_part(path));
  }
  const std::size_t count = parts.size();
  const MergedResults merged = merge_parts(std::move(parts));
  compute_yield(merged.layout.columns, {}, summary.specs);  // an unknown --spec name, before writing

  write_file_atomically(o.output, [&](std::ostream& out) {
    out << merged.layout.header();
    for (const auto& r : merged.rows) out << merged.layout.row(r);
  });
  const std::string name = netlist_name(merged.layout.fingerprint);
  summary.plot_title = name;
  print_mc_summary(name, merged.layout.seed, merged.layout.columns, merged.rows, summary);
  fmt::print(stderr, "picospice: merged {} parts, samples 0..{} of {} -> {}\n", count, merged.runs - 1, name, o.output);
  return 0;
}

}  // namespace

CommandAction add_mc_merge_command(CLI::App& app) {
  auto o = std::make_shared<McMergeOptions>();
  auto* cmd = app.add_subcommand(
      "mc-merge",
      "Join the parts of a Monte Carlo run split with `mc --shard K/N` into the CSV one process writes\n"
      "(byte-identical), after checking they are all N shards of one run (same netlist hash, seed, runs and\n"
      "variation options), each once and complete; then print the statistics like `mc`.");
  cmd->add_option("parts", o->parts, "the part files, in any order (e.g. part_*.csv)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "the merged results CSV")->required();
  cmd->add_option("--plot", o->plot_dir, "write a histogram PNG of each measure into this directory (gnuplot)");
  cmd->add_option("--spec", o->specs, "NAME:LO:HI limits of a measure; the summary reports the yield (repeatable)");
  cmd->add_flag("-q,--quiet", o->quiet, "no summary table");
  return [o] { return run_mc_merge(*o); };
}

}  // namespace picospice::tools
