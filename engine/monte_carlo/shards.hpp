// Monte Carlo in pieces: `mc --shard K/N` runs one shard of a sweep (a job-array task, say), and
// `mc-merge` puts the parts back together into the file one process would have written.
//
// Partition: shard K of N (0 <= K < N) holds the contiguous samples [floor(K R / N),
// floor((K+1) R / N)) of R runs. Contiguous ranges keep each part a resumable results file
// (results_csv.hpp) and make the merge a concatenation; since a sample's row is a pure function
// of (seed, sample), the concatenation is byte-identical to a one-process run.
//
// A part is a results file with a second `#` line after the fingerprint:
//   # picospice mc shard: 1/3 runs=1000 samples=[333,666)
// The merge refuses parts whose fingerprints (netlist hash, seed, variation options), runs, shard
// counts or columns differ, a shard given twice, a missing shard and an unfinished part, each with
// the file names and what to do.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/monte_carlo/results_csv.hpp"

namespace picospice {

struct Shard {
  std::uint64_t index = 0;  // K, from 0
  std::uint64_t count = 1;  // N
};

struct SampleRange {
  std::uint64_t begin = 0, end = 0;  // [begin, end)
  std::uint64_t size() const { return end - begin; }
};

// "K/N" with 0 <= K < N. Throws std::invalid_argument saying the expected form.
Shard parse_shard(const std::string& text);
SampleRange shard_range(const Shard& shard, std::uint64_t runs);
// The part's second header line (no newline).
std::string shard_header_line(const Shard& shard, std::uint64_t runs);

// One part file as read by the merge: its header, and every complete row.
struct ResultsPart {
  std::string path;
  Shard shard;
  std::uint64_t runs = 0;
  std::string column_line;
  ResultsLayout layout;  // as the part's header describes it
  std::vector<SampleResult> rows;
};

// Reads a part written by `mc --shard`. Throws std::runtime_error naming the file when it is not
// one, or when a row does not read back exactly.
ResultsPart read_results_part(const std::string& path);

struct MergedResults {
  ResultsLayout layout;  // the one-process file's layout: no shard line, rows from sample 0
  std::uint64_t runs = 0;
  std::vector<SampleResult> rows;  // samples 0 .. runs-1
};

// Checks that the parts are the N complete shards of one run, exactly once each, and returns the
// rows in sample order. Throws std::runtime_error listing what is wrong.
MergedResults merge_parts(std::vector<ResultsPart> parts);

}  // namespace picospice
