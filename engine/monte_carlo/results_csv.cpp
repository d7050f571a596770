#include "engine/monte_carlo/results_csv.hpp"

#include "engine/output/csv_writer.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace picospice {

std::string exact_number(double v) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { fields.back() += '"'; ++i; }
      else if (c == '"') quoted = false;
      else fields.back() += c;
    } else if (c == '"') quoted = true;
    else if (c == ',') fields.emplace_back();
    else fields.back() += c;
  }
  return fields;
}

namespace {

double parse_double(const std::string& text, const std::string& where) {
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size())
    throw std::runtime_error(where + ": '" + text + "' is not a number");
  return value;
}

}  // namespace

std::string ResultsLayout::header() const {
  std::string text = fingerprint + "\n";
  if (!shard_line.empty()) text += shard_line + "\n";
  text += "sample,seed,status";
  if (with_temperature) text += ",temp";
  for (const auto& c : columns) {
    text += ',';
    text += csv_field(c);
  }
  return text + "\n";
}

std::string ResultsLayout::row(const SampleResult& r) const {
  std::string text = fmt::format("{},{},{}", r.index, seed, csv_field(r.status));
  // Appended piece by piece: a missing value is an empty field.
  if (with_temperature) {
    text += ',';
    if (r.temperature) text += exact_number(*r.temperature);
  }
  for (const auto& v : r.values) {
    text += ',';
    if (v) text += exact_number(*v);
  }
  return text + "\n";
}

SampleResult parse_row(const std::string& line, const ResultsLayout& layout, const std::string& where) {
  const std::size_t expected_fields = 3 + (layout.with_temperature ? 1 : 0) + layout.columns.size();
  const auto fields = split_csv_line(line);
  if (fields.size() != expected_fields)
    throw std::runtime_error(where + ": expected " + std::to_string(expected_fields) + " fields");
  SampleResult r;
  r.index = static_cast<std::uint64_t>(parse_double(fields[0], where));
  if (fields[1] != std::to_string(layout.seed))
    throw std::runtime_error(fmt::format("{}: seed {} differs from --seed {}", where, fields[1], layout.seed));
  r.status = fields[2];
  std::size_t next = 3;
  if (layout.with_temperature) {
    if (!fields[next].empty()) r.temperature = parse_double(fields[next], where);
    ++next;
  }
  for (; next < fields.size(); ++next)
    r.values.push_back(fields[next].empty() ? std::nullopt : std::optional<double>(parse_double(fields[next], where)));
  // The row must read back to exactly its own text, or resuming could not reproduce the file.
  if (layout.row(r) != line + "\n") throw std::runtime_error(where + ": not written by picospice mc");
  return r;
}

ExistingResults read_existing_results(const std::string& path, const ResultsLayout& layout) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("--resume: cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  const std::string header = layout.header();
  if (text.compare(0, header.size(), header) != 0) {
    const std::string first_line = text.substr(0, text.find('\n'));
    if (first_line != layout.fingerprint)
      throw std::runtime_error(fmt::format(
          "--resume: {} was written by a different study.\n  file:     {}\n  this run: {}\n"
          "Use the same netlist, --seed and variation options, or write to a new file.",
          path, first_line, layout.fingerprint));
    const std::size_t second_end = text.find('\n', first_line.size() + 1);
    const std::string second_line =
        second_end == std::string::npos ? std::string() : text.substr(first_line.size() + 1, second_end - first_line.size() - 1);
    const bool file_is_part = second_line.rfind("# ", 0) == 0;
    if (file_is_part != !layout.shard_line.empty() || (file_is_part && second_line != layout.shard_line))
      throw std::runtime_error(fmt::format(
          "--resume: {} holds another part of the study.\n  file:     {}\n  this run: {}\n"
          "Resume a shard with the same --shard K/N and --runs, or write to a new file.",
          path, file_is_part ? second_line : "(the whole run, no --shard)",
          layout.shard_line.empty() ? "(the whole run, no --shard)" : layout.shard_line));
    throw std::runtime_error("--resume: the columns of " + path + " do not match the netlist's .measure lines");
  }

  ExistingResults existing;
  existing.valid_bytes = header.size();
  std::size_t begin = header.size();
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) break;  // a row cut short by a kill: dropped, redone
    const std::string line = text.substr(begin, end - begin);
    const std::string where = fmt::format("{}: row {}", path, existing.rows.size() + 1);
    SampleResult r = parse_row(line, layout, where);
    if (r.index != layout.first_sample + existing.rows.size())
      throw std::runtime_error(
          fmt::format("{}: sample {} where {} was expected", where, r.index, layout.first_sample + existing.rows.size()));
    existing.rows.push_back(std::move(r));
    existing.valid_bytes = end + 1;
    begin = end + 1;
  }
  return existing;
}

}  // namespace picospice
