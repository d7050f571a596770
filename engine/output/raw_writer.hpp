// Writes analysis results as a SPICE raw file, the format ngspice's `load` command, its `-r`
// option and most waveform viewers share. One file holds one plot per analysis, concatenated:
//
//   Title: <netlist title>
//   Date: <local time>
//   Plotname: <plot.name>
//   Flags: real                  (complex for an .ac plot: every value is a real and an
//                                 imaginary part, the frequency scale's imaginary part 0)
//   No. Variables: <n>
//   No. Points: <m>              (padded: written as 0 first and patched when the plot ends)
//   <each plot.notes line, verbatim, e.g. "Option: noiseseed=1"; note that ngspice's `load`
//    runs a "Command: <text>" line as an ngspice command>
//   Variables:
//   \t<i>\t<name>\t<type>[\t<attributes>]  (one a signal, the scale first; "grid=3" marks a
//                                 logarithmic frequency scale)
//   Binary:                      (then m rows of n little-endian doubles, point-major; complex:
//                                 2n doubles a row, real then imaginary part of each value)
//   -- or --
//   Values:                      (then per point " <i>\t<v0>\n\t<v1>\n...\n" and a blank line,
//                                 full precision, as ngspice's `write` does; complex values
//                                 as "re,im")
//
// Points are written as the analysis produces them, so memory does not grow with the waveform.
// The file appears under its name only when finish() is called (base/atomic_file.hpp).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "base/atomic_file.hpp"
#include "engine/output/plot_sink.hpp"

namespace picospice {

enum class RawFormat { Binary, Ascii };

class RawFileWriter final : public PlotSink {
 public:
  // Throws std::runtime_error when the file cannot be created.
  RawFileWriter(const std::filesystem::path& path, RawFormat format);
  void begin_plot(const Plot& layout) override;
  void add_point(const std::vector<double>& row) override;
  void add_complex_point(const std::vector<std::complex<double>>& row) override;
  void end_plot() override;
  // Renames the finished file into place. Without it, destruction removes the partial file.
  void finish();
  std::size_t plots() const { return plots_; }

 private:
  AtomicOutputFile file_;
  RawFormat format_;
  std::string date_;
  std::streampos count_at_ = -1;  // where this plot's point count goes
  std::size_t signals_ = 0, points_ = 0, plots_ = 0;
  bool complex_ = false;
  std::string row_;
};

// Writes all plots to `path` atomically. Throws std::runtime_error if the file cannot be written
// or a plot's signals differ in length.
void write_raw(const std::filesystem::path& path, const std::vector<Plot>& plots,
               RawFormat format = RawFormat::Binary);

}  // namespace picospice
