#include "engine/output/raw_writer.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <ostream>
#include <stdexcept>

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
std::string type_of(const Signal& signal) { return signal.type.empty() ? "notype" : signal.type; }

// Wide enough for any point count a file can hold; readers (ngspice, spicelib, ours) ignore the
// trailing spaces, as in ngspice's own `-r` files.
constexpr int kCountWidth = 20;

// Raw files are little-endian on every platform ngspice runs on in practice; convert explicitly
// so a file written on a big-endian host still loads elsewhere.
void append_little_endian(std::string& buffer, double value) {
  auto bits = std::bit_cast<std::uint64_t>(value);
  char bytes[8];
  for (int b = 0; b < 8; ++b) bytes[b] = static_cast<char>((bits >> (8 * b)) & 0xffu);
  buffer.append(bytes, 8);
}

}  // namespace

RawFileWriter::RawFileWriter(const std::filesystem::path& path, RawFormat format)
    : file_(path), format_(format), date_(current_date()) {}

void RawFileWriter::begin_plot(const Plot& plot) {
  std::ostream& out = file_.stream();
  out << "Title: " << plot.title << '\n'
      << "Date: " << date_ << '\n'
      << "Plotname: " << plot_name_of(plot) << '\n'
      << "Flags: " << (plot.complex ? "complex" : "real") << "\n"
      << "No. Variables: " << plot.signals.size() << '\n'
      << "No. Points: ";
  count_at_ = out.tellp();
  out << fmt::format("{:<{}}", 0, kCountWidth) << '\n';
  for (const auto& note : plot.notes) out << note << '\n';
  out << "Variables:\n";
  for (std::size_t i = 0; i < plot.signals.size(); ++i) {
    const Signal& signal = plot.signals[i];
    out << '\t' << i << '\t' << signal.name << '\t' << type_of(signal);
    if (!signal.attributes.empty()) out << '\t' << signal.attributes;
    out << '\n';
  }
  out << (format_ == RawFormat::Binary ? "Binary:\n" : "Values:\n");
  signals_ = plot.signals.size();
  points_ = 0;
  complex_ = plot.complex;
}

void RawFileWriter::add_complex_point(const std::vector<std::complex<double>>& row) {
  if (!complex_ || row.size() != signals_)
    throw std::runtime_error(fmt::format("cannot write {}: a complex point of {} values for a {} plot of {} signals",
                                         file_.path().string(), row.size(), complex_ ? "complex" : "real", signals_));
  row_.clear();
  if (format_ == RawFormat::Binary) {
    for (const auto& v : row) {
      append_little_endian(row_, v.real());
      append_little_endian(row_, v.imag());
    }
  } else {
    for (std::size_t s = 0; s < row.size(); ++s) {
      if (s == 0) fmt::format_to(std::back_inserter(row_), " {}\t{},{}\n", points_, row[s].real(), row[s].imag());
      else fmt::format_to(std::back_inserter(row_), "\t{},{}\n", row[s].real(), row[s].imag());
    }
    row_ += '\n';
  }
  file_.stream().write(row_.data(), static_cast<std::streamsize>(row_.size()));
  ++points_;
}

void RawFileWriter::add_point(const std::vector<double>& row) {
  if (complex_ || row.size() != signals_)
    throw std::runtime_error(fmt::format("cannot write {}: a real point of {} values for a {} plot of {} signals",
                                         file_.path().string(), row.size(), complex_ ? "complex" : "real", signals_));
  row_.clear();
  if (format_ == RawFormat::Binary) {
    for (double v : row) append_little_endian(row_, v);
  } else {
    // "{}" is fmt's shortest representation that reads back to the same double, so the ASCII
    // form round-trips exactly, as the binary one does.
    for (std::size_t s = 0; s < row.size(); ++s) {
      if (s == 0) fmt::format_to(std::back_inserter(row_), " {}\t{}\n", points_, row[s]);
      else fmt::format_to(std::back_inserter(row_), "\t{}\n", row[s]);
    }
    row_ += '\n';
  }
  file_.stream().write(row_.data(), static_cast<std::streamsize>(row_.size()));
  ++points_;
}

void RawFileWriter::end_plot() {
  std::ostream& out = file_.stream();
  const std::streampos end = out.tellp();
  out.seekp(count_at_);
  out << fmt::format("{:<{}}", points_, kCountWidth);
  out.seekp(end);
  ++plots_;
}

void RawFileWriter::finish() { file_.commit(); }

void write_raw(const std::filesystem::path& path, const std::vector<Plot>& plots, RawFormat format) {
  for (const auto& plot : plots)
    for (const auto& signal : plot.signals)
      if (signal.values.size() != plot.points() || (plot.complex && signal.imag.size() != plot.points()))
        throw std::runtime_error(fmt::format("cannot write plot '{}': signal {} has {} points but the scale {} has {}",
                                             plot_name_of(plot), signal.name, signal.values.size(),
                                             plot.signals[0].name, plot.points()));
  RawFileWriter writer(path, format);
  for (const auto& plot : plots) replay(plot, writer);
  writer.finish();
}

}  // namespace picospice
