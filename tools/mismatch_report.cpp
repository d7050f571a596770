// Printing the software mismatch check (see mismatch_report.hpp).
#include "tools/mismatch_report.hpp"

#include <fmt/format.h>

#include "training/software_mismatch.hpp"
#include "tools/lowering_flags.hpp"

namespace picospice::tools {

training::MismatchSigmas MismatchOptions::sigmas() const {
  return sigma >= 0 ? training::uniform_sigmas(sigma) : training::mismatch_sigmas_from_cells(parse_area_factor(area));
}

std::string MismatchOptions::source() const {
  return sigma >= 0 ? fmt::format("sigma {:g}", sigma)
                    : fmt::format("the library's mismatch at area {:g}", parse_area_factor(area));
}

void add_mismatch_options(CLI::App* cmd, MismatchOptions& o, const std::string& used_by) {
  auto* sigma = cmd->add_option("--sigma", o.sigma, "one relative mismatch sigma for every parameter (" + used_by + ")")
                    ->check(CLI::Range(0.0, 1.0));
  add_area_option(cmd, o.area,
                  "\nHere: the size the network will be lowered with (`lower`/`agree --area K`). The mismatch\n"
                  "sigmas (" + used_by + ")\n"
                  "are the library's Pelgrom spreads at that size: the K = 1 ones (weight 11.3%, bias 8.8%,\n"
                  "threshold 12.4%, gain 7.2%) divided by sqrt(K)")
      ->excludes(sigma);
}

void print_software_mismatch(const network::Network& net, const std::vector<NamedSplit>& splits,
                             const MismatchOptions& mismatch, int grid, int copies, std::uint64_t seed, int threads) {
  fmt::print("software mismatch check ({}, weights on the 1/{} grid):\n", mismatch.source(), grid);
  const training::MismatchSigmas sigmas = mismatch.sigmas();
  for (const NamedSplit& split : splits) {
    if (split.clips->empty()) continue;
    const training::SoftwareMismatchScore s =
        training::software_mismatch_agreement(net, *split.clips, sigmas, grid, copies, seed, threads);
    fmt::print("  {}: decision kept in {:5.1f}% of {} copies x {} clips (worst clip {:5.1f}%; {} borderline clips left out)\n",
               split.name, 100 * s.agreement, s.runs, s.clips, 100 * s.worst_clip, s.borderline_clips);
  }
}

}  // namespace picospice::tools
