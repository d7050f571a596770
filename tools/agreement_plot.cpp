// Plots of circuit-against-software agreement (see agreement_plot.hpp).
#include "tools/agreement_plot.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "tools/gnuplot.hpp"

namespace picospice::tools {

void write_agreement_plots(const network::AgreementReport& r, const std::string& directory) {
  namespace fs = std::filesystem;
  fs::create_directories(directory);
  const fs::path dir(directory);
  // states.dat: one block per raster (index 0 software, 1 circuit, 2 difference), rows "frame unit value".
  const std::string states = (dir / "states.dat").string();
  {
    std::ofstream out(states);
    for (int panel = 0; panel < 3; ++panel) {
      for (std::size_t u = 0; u < r.software_states.size(); ++u) {
        for (std::size_t t = 0; t < r.software_states[u].size(); ++t) {
          const int sw = r.software_states[u][t], hw = r.circuit_states[u][t];
          const int v = panel == 0 ? sw : panel == 1 ? hw : (sw != hw);
          out << t << ' ' << u << ' ' << v << '\n';
        }
        out << '\n';
      }
      out << "\n\n";
    }
  }
  std::string labels;
  for (std::size_t u = 0; u < r.units.size(); ++u)
    labels += fmt::format("{}\"l{}u{}\" {}", u ? ", " : "", r.units[u].layer, r.units[u].unit, u);
  const double height = std::max<double>(3, r.units.size());
  run_gnuplot(fmt::format(
      "set terminal pngcairo size 1100,{0} noenhanced font 'sans,10'\nset output {1}\n"
      "set multiplot layout 3,1 title 'unit states: software, circuit, differences (frames across)'\n"
      "set palette defined (0 'white', 1 'black') maxcolors 2\nset cbrange [-0.5:1.5]\nset cbtics ('low (0)' 0, 'high (1)' 1)\n"
      "set colorbox user origin graph 1.01, graph 0.1 size character 2, graph 0.8\nset rmargin 12\n"
      "set ytics ({2})\nset yrange [-0.5:{3}-0.5] reverse\nset ylabel 'unit'\nset xlabel 'frame'\n"
      "set xrange [-0.5:{4}-0.5]\n"
      "set title 'software'\nplot {5} index 0 using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder lc palette notitle\n"
      "set title 'circuit'\nplot {5} index 1 using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder lc palette notitle\n"
      "set palette defined (0 'white', 1 'red') maxcolors 2\nset cbtics ('agree' 0, 'differ' 1)\n"
      "set title 'differ ({6} of {7} unit-frames)'\nplot {5} index 2 using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder lc palette notitle\n"
      "unset multiplot\n",
      static_cast<int>(300 + 3 * 16 * height), gnuplot_quote((dir / "states.png").string()), labels, r.units.size(),
      r.frames, gnuplot_quote(states), [&] {
        int n = 0;
        for (std::size_t u = 0; u < r.software_states.size(); ++u)
          for (std::size_t t = 0; t < r.software_states[u].size(); ++t) n += r.software_states[u][t] != r.circuit_states[u][t];
        return n;
      }(), r.frames * static_cast<int>(r.units.size())));

  const std::string logits = (dir / "logits.dat").string();
  const std::size_t classes = r.software_logits.empty() ? 0 : r.software_logits[0].size();
  {
    std::ofstream out(logits);
    out << "# frame, then software and circuit logit per class\n";
    for (std::size_t t = 0; t < r.software_logits.size(); ++t) {
      out << t;
      for (std::size_t k = 0; k < classes; ++k) out << ' ' << r.software_logits[t][k] << ' ' << r.circuit_logits[t][k];
      out << '\n';
    }
  }
  std::string plot;
  for (std::size_t k = 0; k < classes; ++k)
    plot += fmt::format("{0}{1} using 1:{2} with lines lw 2 lc {3} title 'software z{4}', '' using 1:{5} with points "
                        "pt 7 ps 0.6 lc {3} title 'circuit z{4}'",
                        k ? ", " : "", gnuplot_quote(logits), 2 + 2 * k, k + 1, k, 3 + 2 * k);
  run_gnuplot(fmt::format("set terminal pngcairo size 1100,500 noenhanced font 'sans,10'\nset output {}\nset grid\n"
                          "set xlabel 'frame'\nset ylabel 'logit (units)'\nset key outside right\n"
                          "set title 'logits: software (lines) and circuit (points, sampled at 90% of each frame)'\n"
                          "plot {}\n",
                          gnuplot_quote((dir / "logits.png").string()), plot));
}

}  // namespace picospice::tools
