// Agreement under mismatch (see agreement_mc.hpp).
#include "codesign/agreement_mc.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "engine/circuit_clone.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

namespace picospice::network {
namespace {

// The traces are per frame and per unit: a 1000-sample study of a large network would hold them
// all for nothing, since the Monte Carlo summary uses the figures only.
void drop_traces(AgreementReport& r) {
  r.software_states.clear();
  r.circuit_states.clear();
  r.frame_classes.clear();
  r.software_logits.clear();
  r.circuit_logits.clear();
}

}  // namespace

std::size_t AgreementMcResult::failed() const {
  return static_cast<std::size_t>(std::count_if(samples.begin(), samples.end(), [](const auto& s) { return !s.ok(); }));
}

AgreementMcResult run_agreement_mc(const Network& net, const std::vector<Vector>& frames,
                                   const AgreementMcSettings& settings) {
  const auto started = std::chrono::steady_clock::now();
  const LoweredNetwork lowered = lower_network(net, frames, settings.agreement.lowering);
  const std::unique_ptr<Circuit> nominal =
      elaborate_text(agreement_netlist(lowered, settings.agreement), "<lowered " + settings.agreement.lowering.title + ">");
  MismatchSettings mismatch = settings.mismatch;
  read_mismatch_options(*nominal, mismatch);
  const MismatchPlan plan(*nominal, mismatch);
  const InferenceResult software = infer(net, frames);

  AgreementMcResult result;
  result.requested = settings.samples;
  result.mosfets = plan.size();
  result.transistors = lowered.transistors;
  result.frames = static_cast<int>(frames.size());
  result.software_decision = software.vote.decision;
  result.borderline_clip = software.vote.borderline;

  const std::uint64_t end = settings.samples;
  const std::uint64_t last = settings.stop_after ? std::min(end, *settings.stop_after) : end;
  std::vector<AgreementSample> finished(end);
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> interrupted{false};
  std::mutex progress_mutex;
  std::uint64_t done = 0;

  auto run_sample = [&](std::uint64_t k) {
    AgreementSample sample;
    sample.index = k;
    try {
      // A fresh copy per sample: nothing a previous sample left in a worker can leak into this one.
      const std::unique_ptr<Circuit> circuit = clone_circuit(*nominal);
      MismatchPlan::apply(*circuit, plan.draw(settings.seed, k));
      prepare_sample_circuit(*circuit, settings.agreement, settings.seed, k);
      const std::vector<Plot> plots = run_analyses(*circuit);
      sample.report = compare_with_software(net, frames, lowered, plots, settings.agreement);
      drop_traces(sample.report);
    } catch (const std::exception& e) {
      sample.status = std::string("simulation failed: ") + e.what();
      for (char& c : sample.status)
        if (c == '\n' || c == '\r') c = ' ';
    }
    return sample;
  };
  auto worker = [&] {
    for (;;) {
      if (settings.stop && settings.stop->load(std::memory_order_relaxed)) {
        interrupted = true;
        return;
      }
      const std::uint64_t k = next.fetch_add(1);
      if (k >= last) {
        if (k < end) interrupted = true;
        return;
      }
      finished[k] = run_sample(k);
      std::lock_guard lock(progress_mutex);
      ++done;
      if (settings.progress) settings.progress(done, end);
    }
  };
  const int jobs = static_cast<int>(std::clamp<std::uint64_t>(settings.jobs, 1, std::max<std::uint64_t>(1, end)));
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  // Every sample handed out has finished, so the kept samples are the prefix 0 .. handed_out-1.
  const std::uint64_t handed_out = std::min(next.load(), last);
  finished.resize(handed_out);
  result.samples = std::move(finished);
  result.interrupted = interrupted || handed_out < end;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

const std::vector<std::string>& agreement_mc_columns() {
  static const std::vector<std::string> columns{
      "state_agreement",   "state_agreement_all", "state_agreement_determined", "decision_agreement",
      "frame_class_agreement", "candidate_mae",   "logit_correlation",          "power_total_w",
      "power_cells_w",     "energy_per_inference_j"};
  return columns;
}

std::vector<SampleResult> agreement_mc_rows(const AgreementMcResult& result) {
  std::vector<SampleResult> rows;
  for (const auto& s : result.samples) {
    SampleResult row;
    row.index = s.index;
    row.status = s.status;
    row.values.assign(agreement_mc_columns().size(), std::nullopt);
    if (s.ok()) {
      const AgreementReport& r = s.report;
      row.values = {r.state_agreement,      r.state_agreement_all, r.state_agreement_determined,
                    r.decision_agreement ? 1.0 : 0.0, r.frame_class_agreement, r.candidate_mae,
                    r.logit_correlation,    r.power_total_w,       r.power_cells_w,
                    r.energy_per_inference_j};
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<const AgreementSample*> worst_samples(const AgreementMcResult& result, std::size_t count) {
  std::vector<const AgreementSample*> order;
  for (const auto& s : result.samples) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const AgreementSample* a, const AgreementSample* b) {
    if (a->ok() != b->ok()) return !a->ok();
    return a->ok() && a->report.state_agreement < b->report.state_agreement;
  });
  order.resize(std::min(count, order.size()));
  return order;
}

}  // namespace picospice::network
