// Writes analysis results as CSV for spreadsheets and scripts: a header row of signal names
// (the scale first), then one row a point, numbers in the shortest form that reads back to the
// same double. A complex plot (.ac) gets two columns a signal, its real and imaginary parts, named
// `real(v(out))` and `imag(v(out))` (ngspice's functions of the same meaning), after the real
// scale column `frequency`: exact, so the file reads back to the same complex values
// (engine/output/csv_reader.hpp); magnitude and phase follow from them. CSV holds one table, so
// several plots go to several files:
//   plots[0] -> <path>            e.g. out.csv
//   plots[1] -> <stem>.2<ext>     e.g. out.2.csv
//   plots[2] -> <stem>.3<ext>     e.g. out.3.csv
// Rows are written as the analysis produces them; each file appears under its name only when
// finish() is called (base/atomic_file.hpp).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/atomic_file.hpp"
#include "engine/output/plot_sink.hpp"

namespace picospice {

// The file plot number `index` (0-based) of a multi-plot CSV output goes to.
std::filesystem::path csv_path_for_plot(const std::filesystem::path& path, std::size_t index);

// One CSV field, quoted per RFC 4180 when it holds a comma, quote or line break.
std::string csv_field(const std::string& text);

class CsvFileWriter final : public PlotSink {
 public:
  explicit CsvFileWriter(std::filesystem::path path) : path_(std::move(path)) {}
  void begin_plot(const Plot& layout) override;
  void add_point(const std::vector<double>& row) override;
  void add_complex_point(const std::vector<std::complex<double>>& row) override;
  void end_plot() override;
  // Renames every finished file into place; returns them in plot order.
  std::vector<std::filesystem::path> finish();

 private:
  std::filesystem::path path_;
  std::vector<std::unique_ptr<AtomicOutputFile>> files_;
  std::size_t signals_ = 0;
  bool complex_ = false;
  std::string row_;
};

// Writes one file a plot; returns the files written, in plot order. Throws std::runtime_error if
// a file cannot be written or a plot's signals differ in length.
std::vector<std::filesystem::path> write_csv(const std::filesystem::path& path, const std::vector<Plot>& plots);

// Writes a single plot to exactly `path`.
void write_csv_plot(const std::filesystem::path& path, const Plot& plot);

}  // namespace picospice
