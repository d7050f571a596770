#include "engine/monte_carlo/shards.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace picospice {

namespace {

constexpr const char* kFingerprintStart = "# picospice mc: ";
constexpr const char* kShardStart = "# picospice mc shard: ";

bool read_unsigned(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

// The text after `key` up to the next space (or the end).
std::string_view field_after(std::string_view line, std::string_view key) {
  const std::size_t at = line.find(key);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + key.size();
  const std::size_t stop = line.find(' ', start);
  return line.substr(start, stop == std::string_view::npos ? std::string_view::npos : stop - start);
}

std::string describe(const ResultsPart& part) {
  return fmt::format("{} (shard {}/{} of runs={})", part.path, part.shard.index, part.shard.count, part.runs);
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  Shard shard;
  if (slash == std::string::npos || !read_unsigned(std::string_view(text).substr(0, slash), shard.index) ||
      !read_unsigned(std::string_view(text).substr(slash + 1), shard.count))
    throw std::invalid_argument("--shard " + text + ": expected K/N, shard K (from 0) of N, e.g. --shard 0/4");
  if (shard.count == 0 || shard.index >= shard.count)
    throw std::invalid_argument(fmt::format("--shard {}: K must be in 0..N-1 (0..{} for N = {}); a Slurm array "
                                            "--array=0-{} gives $SLURM_ARRAY_TASK_ID in that range",
                                            text, shard.count == 0 ? 0 : shard.count - 1, shard.count,
                                            shard.count == 0 ? 0 : shard.count - 1));
  return shard;
}

SampleRange shard_range(const Shard& shard, std::uint64_t runs) {
  // 128-bit products: K * R overflows 64 bits only for absurd sizes, but costs nothing to avoid.
  const auto boundary = [&](std::uint64_t k) {
    return static_cast<std::uint64_t>(static_cast<unsigned __int128>(k) * runs / shard.count);
  };
  return {boundary(shard.index), boundary(shard.index + 1)};
}

std::string shard_header_line(const Shard& shard, std::uint64_t runs) {
  const SampleRange range = shard_range(shard, runs);
  return fmt::format("{}{}/{} runs={} samples=[{},{})", kShardStart, shard.index, shard.count, runs, range.begin,
                     range.end);
}

ResultsPart read_results_part(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("mc-merge: cannot read " + path);
  std::string fingerprint, shard_line, column_line;
  std::getline(in, fingerprint);
  std::getline(in, shard_line);
  std::getline(in, column_line);
  if (fingerprint.rfind(kFingerprintStart, 0) != 0)
    throw std::runtime_error("mc-merge: " + path + " is not a picospice mc results file (no '# picospice mc:' line)");
  if (shard_line.rfind(kShardStart, 0) != 0)
    throw std::runtime_error("mc-merge: " + path +
                             " is not a shard's part (its second line is not '# picospice mc shard: ...'); "
                             "only files written by `picospice mc --shard K/N` are merged");
  ResultsPart part;
  part.path = path;
  // The shard line is parsed, then written again from the parsed numbers: it must come out the same.
  const std::string_view shard_text = std::string_view(shard_line).substr(std::string_view(kShardStart).size());
  const std::string_view k_of_n = shard_text.substr(0, shard_text.find(' '));
  bool readable = read_unsigned(field_after(shard_line, " runs="), part.runs);
  if (readable) {
    try {
      part.shard = parse_shard(std::string(k_of_n));
    } catch (const std::invalid_argument&) {
      readable = false;
    }
  }
  if (!readable || shard_header_line(part.shard, part.runs) != shard_line)
    throw std::runtime_error("mc-merge: " + path + ": the shard line '" + shard_line + "' is damaged");

  part.column_line = column_line;
  const auto columns = split_csv_line(column_line);
  std::size_t first_measure = 3;
  if (columns.size() < 3 || columns[0] != "sample" || columns[1] != "seed" || columns[2] != "status")
    throw std::runtime_error("mc-merge: " + path + ": the third line is not the column line 'sample,seed,status,...'");
  part.layout.with_temperature = columns.size() > 3 && columns[3] == "temp";
  if (part.layout.with_temperature) ++first_measure;
  part.layout.columns.assign(columns.begin() + static_cast<std::ptrdiff_t>(first_measure), columns.end());
  if (!read_unsigned(field_after(fingerprint, " seed="), part.layout.seed))
    throw std::runtime_error("mc-merge: " + path + ": no seed=N in its first line");
  part.layout.fingerprint = fingerprint;
  part.layout.shard_line = shard_line;
  part.layout.first_sample = shard_range(part.shard, part.runs).begin;
  if (part.layout.header() != fingerprint + "\n" + shard_line + "\n" + column_line + "\n")
    throw std::runtime_error("mc-merge: " + path + ": the column line is not one picospice writes");
  part.rows = read_existing_results(path, part.layout).rows;
  return part;
}

MergedResults merge_parts(std::vector<ResultsPart> parts) {
  if (parts.empty()) throw std::runtime_error("mc-merge: no parts given");
  const ResultsPart& first = parts.front();
  for (const auto& part : parts) {
    if (part.layout.fingerprint != first.layout.fingerprint)
      throw std::runtime_error(fmt::format(
          "mc-merge: {} and {} belong to different runs (netlist, seed or variation options differ):\n"
          "  {}\n  {}",
          first.path, part.path, first.layout.fingerprint, part.layout.fingerprint));
    if (part.runs != first.runs || part.shard.count != first.shard.count)
      throw std::runtime_error(fmt::format("mc-merge: {} and {} belong to differently split runs: {} against {}",
                                           first.path, part.path, describe(first), describe(part)));
    if (part.column_line != first.column_line)
      throw std::runtime_error(fmt::format("mc-merge: {} and {} have different columns:\n  {}\n  {}", first.path,
                                           part.path, first.column_line, part.column_line));
  }
  std::map<std::uint64_t, const ResultsPart*> by_shard;
  for (const auto& part : parts) {
    const auto [it, inserted] = by_shard.emplace(part.shard.index, &part);
    if (!inserted)
      throw std::runtime_error(fmt::format("mc-merge: shard {}/{} is given twice: {} and {}", part.shard.index,
                                           part.shard.count, it->second->path, part.path));
  }
  std::string missing;
  for (std::uint64_t k = 0; k < first.shard.count; ++k)
    if (!by_shard.count(k)) {
      const SampleRange range = shard_range({k, first.shard.count}, first.runs);
      missing += fmt::format("\n  shard {}/{}: samples [{}, {})", k, first.shard.count, range.begin, range.end);
    }
  if (!missing.empty())
    throw std::runtime_error(fmt::format("mc-merge: {} of {} shards of the run ({} runs) are missing:{}\n"
                                         "Run them with `picospice mc ... --shard K/{}` and merge again.",
                                         first.shard.count - by_shard.size(), first.shard.count, first.runs, missing,
                                         first.shard.count));
  MergedResults merged;
  merged.runs = first.runs;
  merged.layout = first.layout;
  merged.layout.shard_line.clear();
  merged.layout.first_sample = 0;
  merged.rows.reserve(first.runs);
  for (const auto& [k, part] : by_shard) {
    const SampleRange range = shard_range(part->shard, part->runs);
    if (part->rows.size() != range.size())
      throw std::runtime_error(fmt::format(
          "mc-merge: {} is unfinished: it holds {} of the {} samples [{}, {}) of shard {}/{}.\n"
          "Finish it with the same `picospice mc ... --shard {}/{}` command plus --resume.",
          part->path, part->rows.size(), range.size(), range.begin, range.end, k, part->shard.count, k,
          part->shard.count));
    merged.rows.insert(merged.rows.end(), part->rows.begin(), part->rows.end());
  }
  return merged;
}

}  // namespace picospice
