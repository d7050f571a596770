#include "engine/output/csv_reader.hpp"

#include <fmt/format.h>

#include "base/atomic_file.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace picospice {
namespace {

// Splits one CSV line, honouring RFC 4180 quotes ("a,b" and "" for a quote).
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string type_from_name(const std::string& name) {
  if (name == "time") return "time";
  if (name == "frequency") return "frequency";
  if (name == "temp-sweep") return "temperature";
  if (name.starts_with("i(") || name == "i-sweep") return "current";
  return "voltage";
}

// csv_writer writes a complex plot's signal X as the columns real(X), imag(X) after the scale.
// True (and `names` the signals X) when every column after the first pairs up so.
bool complex_columns(const std::vector<Signal>& columns, std::vector<std::string>& names) {
  if (columns.size() < 3 || (columns.size() - 1) % 2 != 0) return false;
  auto inside = [](const std::string& text, const std::string& function) -> std::optional<std::string> {
    if (text.size() <= function.size() + 2 || text.compare(0, function.size() + 1, function + "(") != 0 ||
        text.back() != ')')
      return std::nullopt;
    return text.substr(function.size() + 1, text.size() - function.size() - 2);
  };
  for (std::size_t c = 1; c < columns.size(); c += 2) {
    const auto real = inside(columns[c].name, "real"), imag = inside(columns[c + 1].name, "imag");
    if (!real || !imag || *real != *imag) return false;
    names.push_back(*real);
  }
  return true;
}

// Folds the real(X), imag(X) column pairs into complex signals X.
void fold_complex_columns(Plot& plot, const std::vector<std::string>& names) {
  std::vector<Signal> signals{std::move(plot.signals[0])};
  for (std::size_t k = 0; k < names.size(); ++k) {
    Signal signal{names[k], type_from_name(names[k]), std::move(plot.signals[1 + 2 * k].values), {}, {}};
    signal.imag = std::move(plot.signals[2 + 2 * k].values);
    signals.push_back(std::move(signal));
  }
  signals[0].imag.assign(signals[0].values.size(), 0.0);
  plot.signals = std::move(signals);
  plot.complex = true;
}

}  // namespace

Plot read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open CSV file " + path.string());
  note_input_file(path);
  auto fail = [&](int line, const std::string& message) {
    throw std::runtime_error(fmt::format("{}:{}: error: {}", path.string(), line, message));
  };

  Plot plot;
  std::string line;
  int line_number = 0;
  bool have_header = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    auto fields = split_csv_line(line);
    if (!have_header) {
      for (auto& field : fields) {
        std::string name = trim(field);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name.empty()) fail(line_number, "empty signal name in the header row");
        plot.signals.push_back(Signal{name, type_from_name(name), {}});
      }
      have_header = true;
      continue;
    }
    if (fields.size() != plot.signals.size())
      fail(line_number, fmt::format("expected {} fields as in the header, found {}",
                                    plot.signals.size(), fields.size()));
    for (std::size_t s = 0; s < fields.size(); ++s) {
      std::string text = trim(fields[s]);
      char* end = nullptr;
      double value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        fail(line_number, fmt::format("expected a number for {}, found '{}'",
                                      plot.signals[s].name, text));
      plot.signals[s].values.push_back(value);
    }
  }
  if (!have_header) fail(line_number, "empty file (expected a header row of signal names)");
  if (std::vector<std::string> names; complex_columns(plot.signals, names)) fold_complex_columns(plot, names);

  const std::string& scale = plot.signals[0].name;
  if (scale == "time") {
    plot.analysis = "tran";
    plot.name = "Transient Analysis";
  } else if (ends_with(scale, "-sweep")) {
    plot.analysis = "dc";
    plot.name = "DC transfer characteristic";
  } else if (scale == "frequency") {
    plot.analysis = "ac";
    plot.name = "AC Analysis";
  } else {
    plot.analysis = "op";
    plot.name = "Operating Point";
  }
  return plot;
}

}  // namespace picospice
