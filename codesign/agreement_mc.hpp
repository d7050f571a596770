// `picospice agree --mc N`: the circuit-against-software agreement under transistor mismatch.
//
// The network is lowered and elaborated once. Sample k then runs the lowered circuit with every
// MOSFET's DVTO and DKP drawn exactly as `picospice mc` draws them (engine/monte_carlo: Pelgrom's
// law, MismatchPlan::draw(seed, k), a pure function of (seed, k, instance name)), and compares it
// with the software model as the nominal `agree` does (agreement.hpp). As in `mc`, each worker
// thread keeps one clone of the nominal circuit and one System for all its samples, and a sample
// sets everything it changes absolutely, so its result depends only on (seed, k): the same for
// any number of jobs and any order in which the workers take samples.
//
// The samples run on the worker pool (base/worker_pool.hpp). When *stop turns true (Ctrl-C) or
// `stop_after` samples have been handed out, no new sample starts and the running ones finish;
// the samples kept are then exactly 0 .. n-1.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/monte_carlo/mismatch.hpp"
#include "engine/monte_carlo/sample_result.hpp"
#include "codesign/agreement.hpp"

namespace picospice::network {

struct AgreementMcSettings {
  AgreementOptions agreement;
  std::uint64_t samples = 0;
  std::uint64_t seed = 1;
  int jobs = 1;
  MismatchSettings mismatch;  // unset coefficients: the model cards' (or .options mc_*)
  const std::atomic<bool>* stop = nullptr;
  std::optional<std::uint64_t> stop_after;  // a test hook: behave as if interrupted after this many
  // Called in sample order (never concurrently) with (samples finished, samples requested).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct AgreementSample {
  std::uint64_t index = 0;
  std::string status = "ok";  // or why the sample has no report ("simulation failed: ...")
  AgreementReport report;     // without the per-frame traces (they would cost memory for nothing)
  bool ok() const { return status == "ok"; }
};

struct AgreementMcResult {
  std::vector<AgreementSample> samples;  // samples 0 .. n-1, in order
  std::uint64_t requested = 0;
  bool interrupted = false;
  std::size_t mosfets = 0;  // instances the mismatch varies
  int transistors = 0;
  double gate_area = 0;  // as AgreementReport
  std::vector<double> gate_area_by_layer;
  std::vector<std::vector<double>> unit_area;
  int frames = 0;
  int software_decision = 0;
  bool borderline_clip = false;  // the software's own vote is borderline (docs/design.md, 'Borderline')
  double seconds = 0;
  std::size_t failed() const;
};

AgreementMcResult run_agreement_mc(const Network& network, const std::vector<Vector>& frames,
                                   const AgreementMcSettings& settings);

// The per-sample figures as named columns (fractions, units, watts, joules; decision_agreement is
// 1 or 0), to reuse the Monte Carlo statistics (engine/monte_carlo/statistics.hpp) and histograms.
const std::vector<std::string>& agreement_mc_columns();
std::vector<SampleResult> agreement_mc_rows(const AgreementMcResult& result);

// The `count` samples with the lowest non-borderline state agreement (ties: lower index first),
// failed samples first of all.
std::vector<const AgreementSample*> worst_samples(const AgreementMcResult& result, std::size_t count);

}  // namespace picospice::network
