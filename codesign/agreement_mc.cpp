// Agreement under mismatch (see agreement_mc.hpp).
#include "codesign/agreement_mc.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>

#include "base/worker_pool.hpp"
#include "engine/circuit_clone.hpp"
#include "engine/monte_carlo/reused_system_runner.hpp"
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

// What every sample shares and nobody changes: the lowering, the nominal circuit elaborated once,
// and the mismatch recipe read from it.
struct AgreementStudy {
  AgreementStudy(const Network& network, const std::vector<Vector>& frames, const AgreementMcSettings& settings)
      : network(network),
        frames(frames),
        settings(settings),
        lowered(lower_network(network, frames, settings.agreement.lowering)),
        nominal(elaborate_text(agreement_netlist(lowered, settings.agreement),
                               "<lowered " + settings.agreement.lowering.title + ">")),
        plan(*nominal, mismatch_with_options(*nominal, settings.mismatch)) {}

  static MismatchSettings mismatch_with_options(const Circuit& nominal, MismatchSettings mismatch) {
    read_mismatch_options(nominal, mismatch);  // .options mc_* fill in what the flags left unset
    return mismatch;
  }

  const Network& network;
  const std::vector<Vector>& frames;
  const AgreementMcSettings& settings;
  const LoweredNetwork lowered;
  const std::unique_ptr<Circuit> nominal;
  const MismatchPlan plan;
};

// One worker thread's state, as `mc` keeps it (SampleRunner): its own clone of the nominal
// circuit, and one System for all its samples. Everything a sample changes (every MOSFET's DVTO
// and DKP, the noise seed) is set absolutely, and each analysis starts with a full factorization
// (NumericReuse::none), so a sample's result depends only on (seed, k), bit for bit, not on what
// the worker ran before.
class AgreementSampleRunner {
 public:
  explicit AgreementSampleRunner(const AgreementStudy& study) : study_(study) { start_from_nominal(); }

  AgreementSample run(std::uint64_t k) {
    const AgreementMcSettings& settings = study_.settings;
    AgreementSample sample;
    sample.index = k;
    try {
      MismatchPlan::apply(*circuit_, study_.plan.draw(settings.seed, k));
      prepare_sample_circuit(*circuit_, settings.agreement, settings.seed, k);
      sample.report =
          compare_with_software(study_.network, study_.frames, study_.lowered, analyses_->run(), settings.agreement);
      drop_traces(sample.report);
    } catch (const std::exception& e) {
      sample.status = std::string("simulation failed: ") + e.what();
      for (char& c : sample.status)
        if (c == '\n' || c == '\r') c = ' ';
      // A simulation that failed half-way may leave device state behind (limiting history):
      // the next sample starts from a fresh copy, as every sample did before Systems were reused.
      start_from_nominal();
    }
    return sample;
  }

 private:
  void start_from_nominal() {
    analyses_.reset();
    circuit_ = clone_circuit_for_worker(*study_.nominal);
    analyses_ = std::make_unique<ReusedSystemRunner>(*circuit_, NumericReuse::none);
  }

  const AgreementStudy& study_;
  std::unique_ptr<Circuit> circuit_;
  std::unique_ptr<ReusedSystemRunner> analyses_;  // of *circuit_
};

}  // namespace

std::size_t AgreementMcResult::failed() const {
  return static_cast<std::size_t>(std::count_if(samples.begin(), samples.end(), [](const auto& s) { return !s.ok(); }));
}

AgreementMcResult run_agreement_mc(const Network& net, const std::vector<Vector>& frames,
                                   const AgreementMcSettings& settings) {
  const auto started = std::chrono::steady_clock::now();
  const AgreementStudy study(net, frames, settings);
  const InferenceResult software = infer(net, frames);

  AgreementMcResult result;
  result.requested = settings.samples;
  result.mosfets = study.plan.size();
  result.transistors = study.lowered.transistors;
  result.gate_area = study.lowered.gate_area;
  result.gate_area_by_layer = study.lowered.gate_area_by_layer;
  result.unit_area = study.lowered.unit_area;
  result.frames = static_cast<int>(frames.size());
  result.software_decision = software.vote.decision;
  result.borderline_clip = software.vote.borderline;

  OrderedRunSettings run;
  run.end = settings.samples;
  run.jobs = settings.jobs;
  run.stop = settings.stop;
  run.stop_after = settings.stop_after;
  const auto make_worker = [&] {
    return [runner = AgreementSampleRunner(study)](std::uint64_t k) mutable { return runner.run(k); };
  };
  const OrderedRunOutcome outcome = run_in_order(run, make_worker, [&](std::uint64_t k, AgreementSample&& sample) {
    result.samples.push_back(std::move(sample));
    if (settings.progress) settings.progress(k + 1, settings.samples);
  });
  // The samples kept are exactly those delivered: 0 .. outcome.next - 1.
  result.interrupted = outcome.stopped;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

const std::vector<std::string>& agreement_mc_columns() {
  static const std::vector<std::string> columns{
      "state_agreement",   "state_agreement_all", "state_agreement_determined", "decision_agreement",
      "frame_class_agreement", "candidate_mae",   "logit_correlation",          "power_total_w",
      "power_cells_w",     "energy_per_inference_j", "state_agreement_replayed"};
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
                    r.energy_per_inference_j, r.state_agreement_replayed};
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
