// `picospice plot FILE -o OUT.png`: draw signals of a raw or CSV file (ours or ngspice's) as a
// PNG, through gnuplot. One panel per plot in the file; several signals share a panel.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/atomic_file.hpp"
#include "engine/output/csv_reader.hpp"
#include "engine/output/raw_reader.hpp"
#include "tools/command.hpp"
#include "tools/gnuplot.hpp"
#include "tools/plot_units.hpp"

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

// One panel: signals of one plot that share a unit (voltages, currents), drawn on one y axis.
struct Panel {
  const Plot* plot = nullptr;
  std::vector<const Signal*> signals;
  std::string type;  // the signals' type ("voltage", "current", ...)
};

// Groups the chosen signals of each plot by type, in the order they first appear.
std::vector<Panel> panels_of(const std::vector<Plot>& plots, const std::vector<std::string>& wanted,
                             const std::string& input) {
  std::vector<Panel> panels;
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
      throw std::runtime_error(fmt::format("{}: none of the requested signals in plot '{}'; it has:{}", input,
                                           p.name, available));
    }
    const std::size_t first = panels.size();
    for (const Signal* sig : chosen) {
      auto it = std::find_if(panels.begin() + static_cast<long>(first), panels.end(),
                             [&](const Panel& panel) { return panel.type == sig->type; });
      if (it == panels.end()) {
        panels.push_back(Panel{&p, {}, sig->type});
        it = panels.end() - 1;
      }
      it->signals.push_back(sig);
    }
  }
  return panels;
}

// A log axis cannot show zero or negative values; gnuplot would print an error and leave a blank
// PNG, so say which signal it is before drawing anything.
void check_log_axis(const std::vector<Panel>& panels) {
  for (const auto& panel : panels)
    for (const Signal* sig : panel.signals) {
      const auto low = std::min_element(sig->values.begin(), sig->values.end());
      if (low != sig->values.end() && !(*low > 0))
        throw std::runtime_error(fmt::format("--logy: {} has values <= 0 (down to {:g}), which a logarithmic axis "
                                             "cannot show; plot it without --logy, or choose other signals",
                                             sig->name, *low));
    }
}

std::string quantity_of(const std::string& type, const std::string& fallback) {
  if (type == "voltage" || type == "current" || type == "time" || type == "temperature") return type;
  return fallback;
}

// The script lines and data block of one panel. An operating point (one point) is a bar chart of
// the values with their names, as there is no axis to draw a line along.
void draw_panel(const Panel& panel, int block, const std::string& data_file, const std::string& title,
                std::ostream& script, std::ostream& table) {
  const Plot& p = *panel.plot;
  std::vector<double> all;
  for (const Signal* sig : panel.signals) all.insert(all.end(), sig->values.begin(), sig->values.end());
  const AxisUnit y = axis_unit(largest_magnitude(all), si_unit_of_type(panel.type), quantity_of(panel.type, "value"));
  script << "set title " << gnuplot_quote(title) << "\n";
  script << "set ylabel " << gnuplot_quote(y.label()) << "\n";
  if (p.points() == 1) {
    for (const Signal* sig : panel.signals) table << fmt::format("\"{}\" {:.10g}\n", sig->name, sig->values[0] * y.factor);
    table << "\n\n";
    script << "set xlabel 'operating point'\nset style fill solid 0.5 border -1\nset boxwidth 0.6\n"
              "set xtics rotate by -30\nunset key\nset yrange [*:*]\nset offsets 0.5, 0.5, graph 0.1, 0\n";
    script << "plot " << gnuplot_quote(data_file) << fmt::format(" index {} using 0:2:xtic(1) with boxes, ", block)
           << gnuplot_quote(data_file) << fmt::format(" index {} using 0:2:(sprintf('%.4g', $2)) with labels offset 0,1\n", block);
    script << "set xtics norotate\nset key\nset offsets 0, 0, 0, 0\n";
    return;
  }
  const Signal& scale = p.signals[0];
  const AxisUnit x = axis_unit(largest_magnitude(scale.values), si_unit_of_type(scale.type).empty()
                                                                     ? si_unit_of_name(scale.name)
                                                                     : si_unit_of_type(scale.type),
                               scale.name);
  for (std::size_t k = 0; k < p.points(); ++k) {
    table << fmt::format("{:.17g}", scale.values[k] * x.factor);
    for (const Signal* sig : panel.signals) table << fmt::format(" {:.17g}", sig->values[k] * y.factor);
    table << "\n";
  }
  table << "\n\n";
  script << "set xlabel " << gnuplot_quote(x.label()) << "\nplot ";
  for (std::size_t c = 0; c < panel.signals.size(); ++c)
    script << (c ? ", " : "") << gnuplot_quote(data_file)
           << fmt::format(" index {} using 1:{} with lines lw 2 title ", block, c + 2)
           << gnuplot_quote(panel.signals[c]->name);
  script << "\n";
}

int plot(const PlotOptions& o) {
  namespace fs = std::filesystem;
  const fs::path in(o.input);
  std::vector<Plot> plots;
  if (in.extension() == ".csv") plots.push_back(read_csv(in));
  else plots = read_raw(in);
  if (plots.empty()) throw std::runtime_error(o.input + ": no plot in the file");
  const auto panels = panels_of(plots, split_list(o.signals), o.input);
  if (o.log_y) check_log_axis(panels);
  const fs::path out = o.output.empty() ? fs::path(in).replace_extension(".png") : fs::path(o.output);
  refuse_to_overwrite_input(out);
  if (!find_gnuplot()) {
    fmt::print(stderr, "picospice plot: gnuplot is not installed (apt-get install gnuplot-nox); plot skipped\n");
    return 0;
  }
  // gnuplot's files live in a private directory (no predictable /tmp name to plant a link at);
  // the PNG is copied to its place only once gnuplot succeeded, so a failure leaves no blank PNG.
  PrivateTemporaryDirectory work;
  const fs::path data = work.file("plot.dat");
  const fs::path png = work.file("plot.png");
  const int height = std::max(o.height, 320 * static_cast<int>(panels.size()));
  std::ostringstream script, table;
  script << fmt::format("set terminal pngcairo size {},{} noenhanced font 'sans,10'\n", o.width, height);
  script << "set output " << gnuplot_quote(png.string()) << "\n";
  script << "set grid\nset key outside right top\n";
  if (o.log_y) script << "set logscale y\n";
  if (o.log_x) script << "set logscale x\n";
  script << fmt::format("set multiplot layout {},1\n", panels.size());
  int block = 0;
  for (const auto& panel : panels) {
    // A CSV file has no title line: name the file instead of leaving "- Transient Analysis".
    const std::string heading = panel.plot->title.empty() ? in.filename().string() : panel.plot->title;
    const std::string title = o.title.empty() ? heading + " - " + panel.plot->name : o.title;
    draw_panel(panel, block++, data.string(), title, script, table);
  }
  script << "unset multiplot\n";
  write_file_atomically(data, table.str());
  run_gnuplot(script.str());
  std::ifstream image(png, std::ios::binary);
  std::ostringstream bytes;
  bytes << image.rdbuf();
  if (bytes.str().empty()) throw std::runtime_error("gnuplot wrote no image");
  write_file_atomically(out, bytes.str());
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
