#include "tools/mc_histogram_plot.hpp"

#include "tools/gnuplot.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "engine/monte_carlo/statistics.hpp"

namespace picospice::tools {


namespace {

std::string file_safe(const std::string& name) {
  std::string safe;
  for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_';
  return safe;
}

}  // namespace

std::vector<std::string> plot_histograms(const std::string& directory, const std::vector<std::string>& columns,
                                         const std::vector<SampleResult>& results, const std::string& title) {
  namespace fs = std::filesystem;
  fs::create_directories(directory);
  std::vector<std::string> written;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::vector<double> values;
    for (const auto& r : results)
      if (c < r.values.size() && r.values[c]) values.push_back(*r.values[c]);
    if (values.empty()) continue;
    std::sort(values.begin(), values.end());
    const double low = values.front(), high = values.back();
    const double iqr = percentile_of_sorted(values, 0.75) - percentile_of_sorted(values, 0.25);
    int bins = 20;
    if (iqr > 0 && high > low)
      bins = static_cast<int>(std::ceil((high - low) / (2 * iqr / std::cbrt(static_cast<double>(values.size())))));
    bins = std::clamp(bins, 5, 100);
    const double width = high > low ? (high - low) / bins : std::max(std::abs(low), 1e-30) * 1e-3;
    std::vector<std::size_t> counts(bins, 0);
    for (double v : values) counts[std::min(bins - 1, static_cast<int>((v - low) / width))]++;

    const std::string file = (fs::path(directory) / (file_safe(columns[c]) + ".png")).string();
    std::string script = fmt::format(
        "set terminal png size 900,560\nset termoption noenhanced\nset output {}\nset title {}\nset xlabel {}\nset ylabel 'samples'\n"
        "set style fill solid 0.6 border -1\nset boxwidth {:.17g} absolute\nunset key\n"
        "set format x '%.3g'\n$data << EOD\n",
        gnuplot_quote(file), gnuplot_quote(fmt::format("{}: {} ({} samples)", title, columns[c], values.size())),
        gnuplot_quote(columns[c]), width);
    for (int b = 0; b < bins; ++b) script += fmt::format("{:.17g} {}\n", low + (b + 0.5) * width, counts[b]);
    script += "EOD\nplot $data using 1:2 with boxes\n";

    run_gnuplot(script);
    written.push_back(file);
  }
  return written;
}

}  // namespace picospice::tools
