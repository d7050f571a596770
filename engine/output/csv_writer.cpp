#include "engine/output/csv_writer.hpp"

#include <fmt/format.h>

#include <ostream>
#include <stdexcept>

namespace picospice {
// Names such as "v(a,b)" would split a naive CSV row, so quote per RFC 4180 when needed.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::filesystem::path csv_path_for_plot(const std::filesystem::path& path, std::size_t index) {
  if (index == 0) return path;
  std::filesystem::path numbered = path.parent_path() / path.stem();
  numbered += "." + std::to_string(index + 1);
  numbered += path.extension();
  return numbered;
}

void CsvFileWriter::begin_plot(const Plot& layout) {
  files_.push_back(std::make_unique<AtomicOutputFile>(csv_path_for_plot(path_, files_.size())));
  row_.clear();
  complex_ = layout.complex;
  for (std::size_t s = 0; s < layout.signals.size(); ++s) {
    if (s) row_ += ',';
    const std::string& name = layout.signals[s].name;
    if (complex_ && s > 0) row_ += csv_field("real(" + name + ")") + "," + csv_field("imag(" + name + ")");
    else row_ += csv_field(name);
  }
  files_.back()->stream() << row_ << '\n';
  signals_ = layout.signals.size();
}

void CsvFileWriter::add_complex_point(const std::vector<std::complex<double>>& row) {
  if (!complex_ || row.size() != signals_)
    throw std::runtime_error(fmt::format("cannot write {}: a complex point of {} values for a {} plot of {} signals",
                                         files_.back()->path().string(), row.size(), complex_ ? "complex" : "real",
                                         signals_));
  row_.clear();
  for (std::size_t s = 0; s < row.size(); ++s) {
    if (s == 0) fmt::format_to(std::back_inserter(row_), "{}", row[s].real());
    else fmt::format_to(std::back_inserter(row_), ",{},{}", row[s].real(), row[s].imag());
  }
  row_ += '\n';
  files_.back()->stream().write(row_.data(), static_cast<std::streamsize>(row_.size()));
}

void CsvFileWriter::add_point(const std::vector<double>& row) {
  if (complex_ || row.size() != signals_)
    throw std::runtime_error(fmt::format("cannot write {}: a real point of {} values for a {} plot of {} signals",
                                         files_.back()->path().string(), row.size(), complex_ ? "complex" : "real",
                                         signals_));
  row_.clear();
  for (std::size_t s = 0; s < row.size(); ++s) {
    if (s) row_ += ',';
    fmt::format_to(std::back_inserter(row_), "{}", row[s]);
  }
  row_ += '\n';
  files_.back()->stream().write(row_.data(), static_cast<std::streamsize>(row_.size()));
}

void CsvFileWriter::end_plot() {}

std::vector<std::filesystem::path> CsvFileWriter::finish() {
  std::vector<std::filesystem::path> written;
  for (auto& file : files_) {
    file->commit();
    written.push_back(file->path());
  }
  return written;
}

namespace {
void check_shape(const std::filesystem::path& path, const Plot& plot) {
  for (const auto& signal : plot.signals)
    if (signal.values.size() != plot.points() || (plot.complex && signal.imag.size() != plot.points()))
      throw std::runtime_error(fmt::format("cannot write {}: signal {} has {} points but the scale {} has {}",
                                           path.string(), signal.name, signal.values.size(), plot.signals[0].name,
                                           plot.points()));
}
}  // namespace

std::vector<std::filesystem::path> write_csv(const std::filesystem::path& path, const std::vector<Plot>& plots) {
  for (std::size_t i = 0; i < plots.size(); ++i) check_shape(csv_path_for_plot(path, i), plots[i]);
  CsvFileWriter writer(path);
  for (const auto& plot : plots) replay(plot, writer);
  return writer.finish();
}

void write_csv_plot(const std::filesystem::path& path, const Plot& plot) {
  check_shape(path, plot);
  CsvFileWriter writer(path);
  replay(plot, writer);
  writer.finish();
}

}  // namespace picospice
