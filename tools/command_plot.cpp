// `picospice plot FILE -o OUT.png`: draw signals of a raw or CSV file (ours or ngspice's) as a
// PNG, through gnuplot. One panel per plot in the file; several signals share a panel.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/output/csv_reader.hpp"
#include "engine/output/raw_reader.hpp"
#include "tools/command.hpp"
#include "tools/gnuplot.hpp"

namespace picospice::tools {
namespace {

struct PlotOptions {
  std::string input;
  std::string output;
  std::vector<std::string> signals;
  std::string title;
  bool log_y = false;
  bool log_x = false;
  int width = 1000, height = 600;
};

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> names;
  for (const auto& item : items) {
    std::stringstream ss(item);
    std::string name;
    // Commas separate names, except inside parentheses: v(a,b) stays whole.
    int depth = 0;
    std::string current;
    for (char c : item) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (c == ',' && depth == 0) { if (!current.empty()) names.push_back(current); current.clear(); }
      else current += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!current.empty()) names.push_back(current);
  }
  return names;
}

int plot(const PlotOptions& o) {
  namespace fs = std::filesystem;
  const fs::path in(o.input);
  std::vector<Plot> plots;
  if (in.extension() == ".csv") plots.push_back(read_csv(in));
  else plots = read_raw(in);
  if (plots.empty()) throw std::runtime_error(o.input + ": no plot in the file");
  if (!find_gnuplot()) {
    fmt::print(stderr, "picospice plot: gnuplot is not installed (apt-get install gnuplot-nox); plot skipped\n");
    return 0;
  }
  const auto wanted = split_list(o.signals);
  const fs::path out = o.output.empty() ? fs::path(in).replace_extension(".png") : fs::path(o.output);
  const fs::path data = fs::temp_directory_path() / fmt::format("picospice-plot-{}.dat", getpid());

  std::ostringstream script;
  script << fmt::format("set terminal pngcairo size {},{} noenhanced font 'sans,10'\n", o.width, o.height);
  script << "set output " << gnuplot_quote(out.string()) << "\n";
  script << "set grid\nset key outside right top\n";
  if (o.log_y) script << "set logscale y\n";
  if (o.log_x) script << "set logscale x\n";
  script << fmt::format("set multiplot layout {},1\n", plots.size());
  std::ofstream table(data);
  int block = 0;
  for (const auto& p : plots) {
    std::vector<const Signal*> chosen;
    for (std::size_t s = 1; s < p.signals.size(); ++s) {
      const auto& sig = p.signals[s];
      if (wanted.empty() ? (sig.type == "voltage" && chosen.size() < 8)
                         : std::find(wanted.begin(), wanted.end(), sig.name) != wanted.end())
        chosen.push_back(&sig);
    }
    if (chosen.empty()) {
      std::string available;
      for (std::size_t s = 1; s < p.signals.size(); ++s) available += " " + p.signals[s].name;
      throw std::runtime_error(fmt::format("{}: none of the requested signals in plot '{}'; it has:{}",
                                           o.input, p.name, available));
    }
    for (std::size_t k = 0; k < p.points(); ++k) {
      table << fmt::format("{:.17g}", p.signals[0].values[k]);
      for (const auto* sig : chosen) table << fmt::format(" {:.17g}", sig->values[k]);
      table << "\n";
    }
    table << "\n\n";
    const std::string title = o.title.empty() ? p.title + " - " + p.name : o.title;
    script << "set title " << gnuplot_quote(title) << "\n";
    script << "set xlabel " << gnuplot_quote(p.signals[0].name + (p.signals[0].name == "time" ? " (s)" : "")) << "\n";
    script << "plot ";
    for (std::size_t c = 0; c < chosen.size(); ++c)
      script << (c ? ", " : "") << gnuplot_quote(data.string()) << fmt::format(" index {} using 1:{} with lines lw 2 title ", block, c + 2)
             << gnuplot_quote(chosen[c]->name);
    script << "\n";
    ++block;
  }
  table.close();
  script << "unset multiplot\n";
  try {
    run_gnuplot(script.str());
  } catch (...) {
    fs::remove(data);
    throw;
  }
  fs::remove(data);
  fmt::print(stderr, "picospice: wrote {}\n", out.string());
  return 0;
}

}  // namespace

CommandAction add_plot_command(CLI::App& app) {
  auto o = std::make_shared<PlotOptions>();
  auto* cmd = app.add_subcommand("plot", "Draw signals of a raw or CSV file as a PNG (through gnuplot).\n"
                                         "Example: picospice plot ring.raw --signals v(n1),v(n2) -o ring.png");
  cmd->add_option("file", o->input, "a raw file (picospice or ngspice) or a CSV file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "the PNG to write (default: FILE with .png)");
  cmd->add_option("-s,--signals", o->signals, "signals to draw, comma separated (default: up to 8 node voltages)");
  cmd->add_option("--title", o->title, "panel title (default: the netlist title and analysis)");
  cmd->add_flag("--logy", o->log_y, "logarithmic y axis");
  cmd->add_flag("--logx", o->log_x, "logarithmic x axis");
  return [o] { return plot(*o); };
}

}  // namespace picospice::tools
