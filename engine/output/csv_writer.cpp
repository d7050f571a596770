#include "engine/output/csv_writer.hpp"

#include <fmt/format.h>

#include <ostream>
#include <stdexcept>

#include "base/atomic_file.hpp"

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

void write_csv_plot(const std::filesystem::path& path, const Plot& plot) {
  for (const auto& signal : plot.signals)
    if (signal.values.size() != plot.points())
      throw std::runtime_error(fmt::format(
          "cannot write {}: signal {} has {} points but the scale {} has {}", path.string(),
          signal.name, signal.values.size(), plot.signals[0].name, plot.points()));
  write_file_atomically(path, [&](std::ostream& out) {
    std::string row;
    for (std::size_t s = 0; s < plot.signals.size(); ++s) {
      if (s) row += ',';
      row += csv_field(plot.signals[s].name);
    }
    out << row << '\n';
    for (std::size_t p = 0; p < plot.points(); ++p) {
      row.clear();
      for (std::size_t s = 0; s < plot.signals.size(); ++s) {
        if (s) row += ',';
        fmt::format_to(std::back_inserter(row), "{}", plot.signals[s].values[p]);
      }
      out << row << '\n';
    }
  });
}

std::vector<std::filesystem::path> write_csv(const std::filesystem::path& path,
                                             const std::vector<Plot>& plots) {
  std::vector<std::filesystem::path> written;
  for (std::size_t i = 0; i < plots.size(); ++i) {
    written.push_back(csv_path_for_plot(path, i));
    write_csv_plot(written.back(), plots[i]);
  }
  return written;
}

}  // namespace picospice
