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
#include "tools/plot_units.hpp"

namespace picospice::tools {


namespace {

std::string file_safe(const std::string& name) {
  std::string safe;
  for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_';
  return safe;
}

}  // namespace

std::string measure_unit(const MeasureSpec& measure) {
  const auto& t = measure.tokens;
  if (t.empty()) return "";
  const std::string& kind = t[0];
  if (kind == "trig" || kind == "when") return measure.analysis == "tran" ? "s" : "";
  if (kind == "find" || kind == "avg" || kind == "max" || kind == "min" || kind == "pp" || kind == "rms")
    return t.size() > 1 ? si_unit_of_name(t[1]) : "";
  return "";
}

std::vector<std::string> plot_histograms(const std::string& directory, const std::vector<std::string>& columns,
                                         const std::vector<SampleResult>& results, const std::string& title,
                                         const std::vector<std::string>& units, const std::vector<SpecLimit>& specs) {
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

    std::vector<double> limits;
    for (const auto& spec : specs)
      if (spec.name == columns[c])
        for (double limit : {spec.low, spec.high})
          if (std::isfinite(limit)) limits.push_back(limit);
    std::vector<double> extent = values;
    extent.insert(extent.end(), limits.begin(), limits.end());
    const AxisUnit x = axis_unit(largest_magnitude(extent), c < units.size() ? units[c] : "", columns[c]);

    const std::string file = (fs::path(directory) / (file_safe(columns[c]) + ".png")).string();
    std::string script = fmt::format(
        "set terminal png size 900,560\nset termoption noenhanced\nset output {}\nset title {}\nset xlabel {}\nset ylabel 'samples'\n"
        "set style fill solid 0.6 border -1\nset boxwidth {:.17g} absolute\nset yrange [0:*]\nset grid ytics\n"
        "set format x '%.4g'\n",
        gnuplot_quote(file), gnuplot_quote(fmt::format("{}: {} ({} samples)", title, columns[c], values.size())),
        gnuplot_quote(x.label()), width * x.factor);
    // Spec limits: a vertical line each, labelled, and the x range widened to show them.
    double left = low, right = high;
    for (double limit : limits) {
      script += fmt::format("set arrow from {0:.17g}, graph 0 to {0:.17g}, graph 1 nohead lc rgb 'red' lw 2 dt 2\n"
                            "set label {1} at {0:.17g}, graph 0.95 right offset -0.5,0 textcolor rgb 'red'\n",
                            limit * x.factor, gnuplot_quote(fmt::format("spec {:.4g}", limit * x.factor)));
      left = std::min(left, limit);
      right = std::max(right, limit);
    }
    const double margin = std::max(width, (right - left) * 0.05);
    script += fmt::format("set xrange [{:.17g}:{:.17g}]\n", (left - margin) * x.factor, (right + margin) * x.factor);
    script += "$data << EOD\n";
    for (int b = 0; b < bins; ++b) script += fmt::format("{:.17g} {}\n", (low + (b + 0.5) * width) * x.factor, counts[b]);
    script += "EOD\nplot $data using 1:2 with boxes lc rgb '#4477aa' title 'samples per bin'";
    if (!limits.empty()) script += ", NaN with lines lc rgb 'red' lw 2 dt 2 title '--spec limit'";
    script += "\n";

    run_gnuplot(script);
    written.push_back(file);
  }
  return written;
}

}  // namespace picospice::tools
