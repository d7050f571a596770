// What `picospice noise-experiment` makes of its summary (the directory layout is described in
// command_noise_experiment.cpp): the printed report, summary.json, the CSV files and the plots.
#pragma once
#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/noise_experiment.hpp"

namespace picospice::tools {

// The report printed at the end of a run (and written as report.txt).
std::string noise_report_text(const cells::NoiseExperimentSettings& settings, const cells::NoiseExperimentSetup& setup,
                              const cells::NoiseExperimentSummary& summary);
// Every number of the report, the variance trends and the setup.
nlohmann::json noise_summary_json(const cells::NoiseExperimentSettings& settings,
                                  const cells::NoiseExperimentSetup& setup,
                                  const cells::NoiseExperimentSummary& summary, std::size_t failures);
// The commented header of every CSV and data file of a part: what decides the noise samples.
std::string noise_data_header(const cells::NoiseExperimentSettings& settings, const std::string& part);
// Writes report.txt, summary.json and the CSV file of each part that has results into `dir`.
void write_noise_results(const std::filesystem::path& dir, const cells::NoiseExperimentSettings& settings,
                         const cells::NoiseExperimentSetup& setup, const cells::NoiseExperimentSummary& summary,
                         std::size_t failures, const std::string& report);
// A data file and a gnuplot PNG per part that has results; returns the PNGs made.
std::vector<std::string> make_noise_plots(const std::filesystem::path& dir, const cells::NoiseExperimentSettings& settings,
                                          const cells::NoiseExperimentSetup& setup,
                                          const cells::NoiseExperimentSummary& summary);

}  // namespace picospice::tools
