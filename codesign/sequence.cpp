// Reading input sequences (see sequence.hpp).
#include "codesign/sequence.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace picospice::network {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) fields.push_back(trim(f));
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

bool parse_double(const std::string& s, double& v) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  return ec == std::errc() && p == end;
}

}  // namespace

InputSequence read_sequence_csv(const std::filesystem::path& path, std::size_t columns) {
  std::ifstream in(path);
  if (!in) throw NetworkError(path.string() + ": cannot open the input sequence");
  InputSequence seq;
  std::string line;
  int line_no = 0;
  bool first_row = true;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto fields = split(t);
    const std::string where = fmt::format("{}:{}", path.string(), line_no);
    if (fields.size() != columns)
      throw NetworkError(fmt::format("{}: expected {} columns (one per network input), got {}", where, columns,
                                     fields.size()));
    Vector row;
    bool numeric = true;
    for (const auto& f : fields) {
      double v = 0;
      numeric = numeric && parse_double(f, v);
      row.push_back(v);
    }
    if (!numeric && first_row) {  // a header of names
      seq.names = fields;
      first_row = false;
      continue;
    }
    first_row = false;
    for (std::size_t k = 0; k < fields.size(); ++k) {
      double v = 0;
      if (!parse_double(fields[k], v) || !std::isfinite(v))
        throw NetworkError(fmt::format("{}: column {}: \"{}\" is not a finite number", where, k + 1, fields[k]));
      if (v < 0)
        throw NetworkError(fmt::format("{}: column {}: negative input {} (inputs are non-negative currents)", where,
                                       k + 1, v));
    }
    seq.frames.push_back(row);
  }
  if (seq.frames.empty()) throw NetworkError(path.string() + ": no frames (no numeric rows)");
  return seq;
}

}  // namespace picospice::network
