// The Monte Carlo results file: one row per sample, in sample order.
//
//   # picospice mc: netlist=mirror.cir fnv1a=0123456789abcdef seed=1 mismatch=... temps=... set=...
//   sample,seed,status[,temp],<measure 1>,<measure 2>,...
//   0,1,ok,1.0234e-10,...
//   1,1,"measure iout: v(out) never crosses 0.9",,...
//
// The first line is a fingerprint of everything that determines the draws and the results; the
// number of runs is not part of it, so `--resume --runs 2000` extends a finished 1000-sample file.
// A shard's part (`mc --shard K/N`, engine/monte_carlo/shards.hpp) has a second `#` line naming
// the shard, the runs and its sample range, and its rows start at the range's first sample.
// Values are written in the shortest form that reads back exactly (std::to_chars), so the file
// is byte-identical for any --jobs, and a resumed file equals an uninterrupted one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/monte_carlo/sample_result.hpp"

namespace picospice {

struct ResultsLayout {
  std::string fingerprint;           // the first line, without its newline
  std::vector<std::string> columns;  // measure columns
  bool with_temperature = false;
  std::uint64_t seed = 0;
  std::string shard_line;            // a part's second `#` line, without its newline; empty otherwise
  std::uint64_t first_sample = 0;    // the sample of the first row (a shard's range starts later)

  std::string header() const;  // fingerprint line + column line, each ending in '\n'
  std::string row(const SampleResult& result) const;  // ending in '\n'
};

// What a partial results file holds: its complete rows, and how many bytes they span (a last line
// without its newline, from a killed run, is not part of it).
struct ExistingResults {
  std::vector<SampleResult> rows;  // samples first_sample .. first_sample+rows.size()-1, in order
  std::size_t valid_bytes = 0;
};

// Reads a results file for --resume. Throws std::runtime_error saying what does not match (the
// fingerprint, the columns, a seed, a sample out of order) so the user never mixes two studies.
ExistingResults read_existing_results(const std::string& path, const ResultsLayout& layout);

// One data row (without its newline) read back; `where` prefixes error messages. Throws
// std::runtime_error when the row has the wrong fields or does not read back to its own text.
SampleResult parse_row(const std::string& line, const ResultsLayout& layout, const std::string& where);

// Splits one CSV line (no newline) into fields, undoing csv_field's quoting.
std::vector<std::string> split_csv_line(const std::string& line);

// The shortest decimal text that reads back as exactly v.
std::string exact_number(double v);

}  // namespace picospice
