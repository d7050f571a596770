#include "engine/output/raw_reader.hpp"

#include <fmt/format.h>

#include "base/atomic_file.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace picospice {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string guess_analysis(const std::string& plot_name, const std::string& scale) {
  const std::string name = lower(plot_name);
  if (name.find("transient") != std::string::npos) return "tran";
  if (name.find("dc transfer") != std::string::npos) return "dc";
  if (name.find("operating point") != std::string::npos) return "op";
  if (name.find("ac analysis") != std::string::npos) return "ac";
  if (name.find("noise") != std::string::npos) return "noise";
  if (name.find("transfer function") != std::string::npos) return "tf";
  if (scale == "time") return "tran";
  if (scale == "frequency") return "ac";
  if (ends_with(scale, "-sweep")) return "dc";
  return "";
}

// Walks the file's bytes: header lines are text, the binary block is read by count.
class RawParser {
 public:
  RawParser(std::filesystem::path path, std::string bytes)
      : path_(std::move(path)), bytes_(std::move(bytes)) {}

  std::vector<Plot> parse() {
    std::vector<Plot> plots;
    skip_blank_lines();
    while (position_ < bytes_.size()) {
      plots.push_back(parse_plot());
      skip_blank_lines();
    }
    if (plots.empty()) fail("no plot found (expected a 'Title:' line)");
    return plots;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw std::runtime_error(fmt::format("{}:{}: error: {}", path_.string(), line_, message));
  }

  bool at_end() const { return position_ >= bytes_.size(); }

  std::string next_line() {
    if (at_end()) fail("unexpected end of file");
    auto end = bytes_.find('\n', position_);
    if (end == std::string::npos) end = bytes_.size();
    std::string line = bytes_.substr(position_, end - position_);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    position_ = std::min(end + 1, bytes_.size());
    ++line_;
    return line;
  }

  void skip_blank_lines() {
    while (!at_end()) {
      auto end = bytes_.find('\n', position_);
      if (end == std::string::npos) end = bytes_.size();
      if (!trim(bytes_.substr(position_, end - position_)).empty()) return;
      position_ = std::min(end + 1, bytes_.size());
      ++line_;
    }
  }

  std::size_t parse_count(const std::string& text, const char* what) {
    std::string value = trim(text);
    char* end = nullptr;
    errno = 0;
    long long count = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0 || count < 0)
      fail(fmt::format("expected a count after '{}', found '{}'", what, value));
    return static_cast<std::size_t>(count);
  }

  Plot parse_plot() {
    Plot plot;
    std::size_t variables = 0, points = 0;
    bool have_variables = false, have_points = false, have_title = false;
    std::vector<std::string> names, types;
    while (true) {
      std::string line = next_line();
      if (trim(line).empty()) continue;
      auto colon = line.find(':');
      if (colon == std::string::npos) fail(fmt::format("expected 'Keyword: value', found '{}'", line));
      std::string key = lower(trim(line.substr(0, colon)));
      std::string value = trim(line.substr(colon + 1));
      if (key == "title") {
        plot.title = value;
        have_title = true;
      } else if (key == "date") {
      } else if (key == "plotname") {
        plot.name = value;
      } else if (key == "flags") {
        plot.complex = lower(value).find("complex") != std::string::npos;
      } else if (key == "no. variables") {
        variables = parse_count(value, "No. Variables:");
        have_variables = true;
      } else if (key == "no. points") {
        points = parse_count(value, "No. Points:");
        have_points = true;
      } else if (key == "variables") {
        if (!have_variables) fail("'Variables:' before 'No. Variables:'");
        read_variables(variables, value, names, types);
      } else if (key == "binary" || key == "values") {
        if (!have_title) fail("plot data before a 'Title:' line");
        if (!have_variables || !have_points)
          fail("plot data before 'No. Variables:' and 'No. Points:'");
        if (names.size() != variables) fail("plot data before the 'Variables:' list");
        check_point_count(key == "binary", variables, points, plot.name);
        for (std::size_t i = 0; i < variables; ++i) {
          Signal signal;
          signal.name = normalise_raw_variable_name(names[i], types[i], i == 0);
          signal.type = lower(types[i]);
          signal.values.resize(points);
          if (plot.complex) signal.imag.resize(points);
          plot.signals.push_back(std::move(signal));
        }
        if (key == "binary")
          read_binary(plot, points);
        else
          read_ascii(plot, points);
        // The scale is real; ngspice's binary files hold garbage in the frequency's imaginary part.
        if (plot.complex && !plot.signals.empty()) std::fill(plot.signals[0].imag.begin(), plot.signals[0].imag.end(), 0.0);
        plot.analysis = guess_analysis(plot.name, plot.signals.empty() ? "" : plot.signals[0].name);
        return plot;
      } else {
        // "Command:", "Option:", "Dimensions:" and other writers' own header lines: kept
        // verbatim so writing the plot again reproduces them.
        plot.notes.push_back(line);
      }
    }
  }

  // ngspice writes "\t<i>\t<name>\t<type>[\t<extra>...]"; the first may share the
  // "Variables:" line in some writers.
  void read_variables(std::size_t count, const std::string& rest_of_line,
                      std::vector<std::string>& names, std::vector<std::string>& types) {
    std::string pending = rest_of_line;
    for (std::size_t i = 0; i < count; ++i) {
      std::string line = trim(pending).empty() ? next_line() : pending;
      pending.clear();
      std::istringstream fields(line);
      std::string index, name, type;
      fields >> index >> name >> type;
      if (name.empty() || type.empty())
        fail(fmt::format("expected variable {} as '<index> <name> <type>', found '{}'", i,
                         trim(line)));
      names.push_back(name);
      types.push_back(type);
    }
  }

  // A header may declare any count; the file must hold at least that much data (8 bytes a value
  // in binary, 2 in ASCII: a digit and a separator) before anything is allocated for it.
  void check_point_count(bool binary, std::size_t variables, std::size_t points, const std::string& name) const {
    const std::size_t per_value = binary ? 8 : 2;
    const std::size_t per_point = (variables + (binary ? 0 : 1)) * per_value;
    const std::size_t remaining = bytes_.size() - position_;
    if (variables > 0 && points > remaining / per_point)
      fail(fmt::format("plot '{}' declares {} points of {} variables, but the file holds only {} more bytes "
                       "(truncated, or a wrong 'No. Points:')",
                       name, points, variables, remaining));
  }

  void read_binary(Plot& plot, std::size_t points) {
    const std::size_t columns = plot.signals.size();
    const std::size_t per_value = plot.complex ? 16 : 8;
    const std::size_t needed = points * columns * per_value;
    if (bytes_.size() - position_ < needed)
      fail(fmt::format("plot '{}' is truncated: {} points of {} {}variables need {} bytes, "
                       "the file has {}",
                       plot.name, points, columns, plot.complex ? "complex " : "", needed, bytes_.size() - position_));
    auto next_double = [&] {
      std::uint64_t bits = 0;
      for (int b = 0; b < 8; ++b)
        bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[position_ + b])) << (8 * b);
      position_ += 8;
      return std::bit_cast<double>(bits);
    };
    for (std::size_t p = 0; p < points; ++p) {
      for (std::size_t s = 0; s < columns; ++s) {
        plot.signals[s].values[p] = next_double();
        if (plot.complex) plot.signals[s].imag[p] = next_double();
      }
    }
  }

  // ASCII values are whitespace-separated: a point index, then one number a variable ("re,im"
  // in a complex plot).
  void read_ascii(Plot& plot, std::size_t points) {
    for (std::size_t p = 0; p < points; ++p) {
      read_number(fmt::format("point index {}", p));
      for (auto& signal : plot.signals) {
        const std::string what = fmt::format("value of {} at point {}", signal.name, p);
        signal.values[p] = read_number(what, plot.complex);
        if (plot.complex) signal.imag[p] = read_number("imaginary part of the " + what);
      }
    }
  }

  // With `comma_follows`, the number must be followed by the ',' of a complex value (skipped).
  double read_number(const std::string& what, bool comma_follows = false) {
    while (!at_end() && std::isspace(static_cast<unsigned char>(bytes_[position_]))) {
      if (bytes_[position_] == '\n') ++line_;
      ++position_;
    }
    if (at_end()) fail("file ends before the " + what);
    const char* begin = bytes_.c_str() + position_;
    char* end = nullptr;
    double value = std::strtod(begin, &end);
    if (end == begin) {
      std::string found = bytes_.substr(position_, 20);
      fail(fmt::format("expected the {}, found '{}'", what, found.substr(0, found.find('\n'))));
    }
    if (*end == ',' && !comma_follows) fail("complex value in a real plot (at the " + what + ")");
    if (*end != ',' && comma_follows) fail("expected a complex value 're,im' (at the " + what + ")");
    position_ += static_cast<std::size_t>(end - begin) + (comma_follows ? 1 : 0);
    return value;
  }

  std::filesystem::path path_;
  std::string bytes_;
  std::size_t position_ = 0;
  int line_ = 0;  // number of the line last read, for messages
};

}  // namespace

std::string normalise_raw_variable_name(const std::string& raw_name, const std::string& raw_type,
                                        bool is_scale) {
  std::string name = lower(raw_name);
  const std::string type = lower(raw_type);
  // ngspice types its DC sweep scale as a voltage and so writes "v(v-sweep)".
  if (ends_with(name, "-sweep)") && name.size() > 2 && name[1] == '(')
    return name.substr(2, name.size() - 3);
  if (ends_with(name, "#branch")) return "i(" + name.substr(0, name.size() - 7) + ")";
  const bool bare = name.find_first_of("()@#[") == std::string::npos;
  const bool scale_like = name == "time" || name == "frequency" || ends_with(name, "-sweep");
  if (bare && type == "voltage" && !(is_scale && scale_like) && !ends_with(name, "-sweep"))
    return "v(" + name + ")";
  return name;
}

std::vector<Plot> read_raw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open raw file " + path.string());
  note_input_file(path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return RawParser(path, contents.str()).parse();
}

}  // namespace picospice
