#include "engine/output/raw_writer.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <ostream>
#include <stdexcept>

#include "base/atomic_file.hpp"

namespace picospice {
namespace {

// ngspice prints the date as ctime() does; any text is accepted when reading.
std::string current_date() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S %Y", &local);
  return text;
}

std::string plot_name_of(const Plot& plot) {
  if (!plot.name.empty()) return plot.name;
  if (plot.analysis == "tran") return "Transient Analysis";
  if (plot.analysis == "dc") return "DC transfer characteristic";
  if (plot.analysis == "op") return "Operating Point";
  return plot.analysis.empty() ? "Unknown Analysis" : plot.analysis;
}

// A raw-file variable type is one word; ngspice's reader rejects an empty one.
std::string type_of(const Signal& signal) {
  return signal.type.empty() ? "notype" : signal.type;
}

void check_shape(const Plot& plot) {
  for (const auto& signal : plot.signals) {
    if (signal.values.size() != plot.points())
      throw std::runtime_error(fmt::format(
          "cannot write plot '{}': signal {} has {} points but the scale {} has {}",
          plot_name_of(plot), signal.name, signal.values.size(), plot.signals[0].name,
          plot.points()));
  }
}

void write_header(std::ostream& out, const Plot& plot, const std::string& date) {
  out << "Title: " << plot.title << '\n'
      << "Date: " << date << '\n'
      << "Plotname: " << plot_name_of(plot) << '\n'
      << "Flags: real\n"
      << "No. Variables: " << plot.signals.size() << '\n'
      << "No. Points: " << plot.points() << '\n';
  for (const auto& note : plot.notes) out << note << '\n';
  out << "Variables:\n";
  for (std::size_t i = 0; i < plot.signals.size(); ++i)
    out << '\t' << i << '\t' << plot.signals[i].name << '\t' << type_of(plot.signals[i]) << '\n';
}

// Raw files are little-endian on every platform ngspice runs on in practice; convert explicitly
// so a file written on a big-endian host still loads elsewhere.
void append_little_endian(std::string& buffer, double value) {
  auto bits = std::bit_cast<std::uint64_t>(value);
  char bytes[8];
  for (int b = 0; b < 8; ++b) bytes[b] = static_cast<char>((bits >> (8 * b)) & 0xffu);
  buffer.append(bytes, 8);
}

void write_binary_values(std::ostream& out, const Plot& plot) {
  out << "Binary:\n";
  std::string row;
  row.reserve(plot.signals.size() * 8);
  for (std::size_t p = 0; p < plot.points(); ++p) {
    row.clear();
    for (const auto& signal : plot.signals) append_little_endian(row, signal.values[p]);
    out.write(row.data(), static_cast<std::streamsize>(row.size()));
  }
}

// "{}" is fmt's shortest representation that reads back to the same double, so the ASCII form
// round-trips exactly, as the binary one does.
void write_ascii_values(std::ostream& out, const Plot& plot) {
  out << "Values:\n";
  for (std::size_t p = 0; p < plot.points(); ++p) {
    for (std::size_t s = 0; s < plot.signals.size(); ++s) {
      if (s == 0)
        out << fmt::format("{}\t{}\n", p, plot.signals[s].values[p]);
      else
        out << fmt::format("\t{}\n", plot.signals[s].values[p]);
    }
  }
}

}  // namespace

void write_raw(const std::filesystem::path& path, const std::vector<Plot>& plots,
               RawFormat format) {
  for (const auto& plot : plots) check_shape(plot);
  const std::string date = current_date();
  write_file_atomically(path, [&](std::ostream& out) {
    for (const auto& plot : plots) {
      write_header(out, plot, date);
      if (format == RawFormat::Binary)
        write_binary_values(out, plot);
      else
        write_ascii_values(out, plot);
    }
  });
}

}  // namespace picospice
