// `picospice agree NET.json --input SEQ.csv`: lowers a BMRU network, simulates it in-process and
// reports how closely the circuit follows the software model, and what it costs in power
// (codesign/agreement.hpp). With --mc N it repeats the circuit under transistor mismatch
// and reports the distribution of each figure (codesign/agreement_mc.hpp); with --noise
// the circuit runs with transient device noise on.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "engine/monte_carlo/statistics.hpp"
#include "codesign/agreement.hpp"
#include "codesign/agreement_mc.hpp"
#include "codesign/sequence.hpp"
#include "base/numbers.hpp"
#include "tools/agreement_plot.hpp"
#include "tools/lowering_flags.hpp"
#include "tools/command.hpp"
#include "tools/grid_option.hpp"
#include "tools/gnuplot.hpp"
#include "tools/mc_histogram_plot.hpp"
#include "tools/progress_bar.hpp"
#include "tools/stop_on_signal.hpp"

namespace picospice::tools {
namespace {

// Keys in the order written: the stable keys of docs/requirements.md, 'Co-design agreement', first.
using json = nlohmann::ordered_json;
using namespace picospice::network;

struct AgreeOptions {
  std::string network, input, calibrate, plot_dir, library;
  std::string format = "table";
  std::string area = "1", area_budget;
  std::string unit_current;  // empty: the network file's
  std::vector<std::string> area_from;
  bool no_blanking = false;
  int reference_ratio_limit = LoweringOptions{}.reference_ratio_limit;
  bool no_power_breakdown = false;
  std::string grid = "32";
  std::uint64_t mc = 0;
  std::uint64_t seed = 1;
  int jobs = 0;  // 0: one per hardware thread
  std::string avto, akp;
  bool noise = false;
  std::uint64_t noise_seed = 1;
  std::string noise_scale = "1", noise_fmax;
  std::optional<std::uint64_t> stop_after;  // hidden test hook: act as if interrupted
};

double positive_number(const std::string& flag, const std::string& text, bool zero_allowed = false) {
  double value = 0;
  if (!try_parse_number(text, value) || !std::isfinite(value) || value < 0 || (value == 0 && !zero_allowed))
    throw std::invalid_argument(fmt::format("{} {}: expected a {} number", flag, text,
                                            zero_allowed ? "non-negative" : "positive"));
  return value;
}

constexpr PowerKind kPowerKinds[] = {PowerKind::cell_core, PowerKind::cell_references, PowerKind::cell_blanking,
                                     PowerKind::blanking_reference, PowerKind::bias, PowerKind::mirror};

json power_breakdown_json(const AgreementReport& r) {
  json by_kind = json::object(), blocks = json::array();
  for (PowerKind kind : kPowerKinds) by_kind[power_kind_name(kind)] = power_of_kind(r.power_blocks, kind);
  for (const auto& b : r.power_blocks)
    blocks.push_back({{"block", b.block}, {"kind", power_kind_name(b.kind)}, {"layer", b.layer}, {"power_w", b.watts}});
  return json{{"by_kind", by_kind}, {"blocks", blocks}};
}

// The breakdown as text: per kind, per cell (core, references, blanking), and the largest biases,
// mirrors and blanking references.
void print_power_breakdown(const AgreementReport& r) {
  if (r.power_blocks.empty()) return;
  const auto nw = [](double w) { return fmt::format("{:.2f}", w * 1e9); };
  fmt::print("power breakdown     measured: every block on a supply source of its own (nW, mean over the run)\n");
  std::string kinds;
  for (PowerKind kind : kPowerKinds)
    kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", power_kind_name(kind), nw(power_of_kind(r.power_blocks, kind)));
  fmt::print("  by kind           {}\n", kinds);
  for (const auto& core : r.power_blocks) {
    if (core.kind != PowerKind::cell_core) continue;
    double references = 0, blanking = 0;
    for (const auto& b : r.power_blocks) {
      if (b.block != core.block) continue;
      if (b.kind == PowerKind::cell_references) references = b.watts;
      if (b.kind == PowerKind::cell_blanking) blanking = b.watts;
    }
    fmt::print("  cell {:<12} {:>7} = core {}, references {}, blanking {}\n", core.block,
               nw(core.watts + references + blanking), nw(core.watts), nw(references), nw(blanking));
  }
  for (PowerKind kind : {PowerKind::bias, PowerKind::mirror, PowerKind::blanking_reference}) {
    std::vector<BlockPower> of_kind;
    for (const auto& b : r.power_blocks)
      if (b.kind == kind) of_kind.push_back(b);
    if (of_kind.empty()) continue;
    std::sort(of_kind.begin(), of_kind.end(), [](const auto& a, const auto& b) { return a.watts > b.watts; });
    std::string list;
    for (std::size_t k = 0; k < std::min<std::size_t>(of_kind.size(), 6); ++k)
      list += fmt::format("{}{} {}", k ? ", " : "", of_kind[k].block, nw(of_kind[k].watts));
    if (of_kind.size() > 6) list += fmt::format(", ... ({} blocks)", of_kind.size());
    const char* label = kind == PowerKind::bias ? "biases" : kind == PowerKind::mirror ? "mirrors" : "blanking refs";
    fmt::print("  {:<17} {:>7}: {}\n", label,
               nw(power_of_kind(r.power_blocks, kind)), list);
  }
}

// The gate area: total and per layer (um^2), and each BMRU unit's area factor (per layer).
json gate_area_json(double total, const std::vector<double>& by_layer, const std::vector<std::vector<double>>& unit_area) {
  json layers = json::array(), units = json::array();
  for (double a : by_layer) layers.push_back(a * 1e12);
  for (const auto& row : unit_area) units.push_back(row);
  return json{{"gate_area_um2", total * 1e12}, {"gate_area_by_layer_um2", layers}, {"unit_area", units}};
}

std::string gate_area_text(double total, const std::vector<double>& by_layer, const std::vector<std::vector<double>>& unit_area) {
  std::string s = fmt::format("{:.1f} um^2 (", total * 1e12);
  for (std::size_t l = 0; l < by_layer.size(); ++l) s += fmt::format("{}layer {} {:.1f}", l ? ", " : "", l, by_layer[l] * 1e12);
  s += "); unit area factors";
  for (std::size_t l = 0; l < unit_area.size(); ++l) {
    if (unit_area[l].empty()) continue;
    s += fmt::format(" l{}:", l);
    for (double a : unit_area[l]) s += fmt::format(" {:.3g}", a);
  }
  return s;
}

json report_json(const AgreementReport& r) {
  json per_unit = json::array(), layers = json::array();
  for (const auto& u : r.units) per_unit.push_back(u.agreement);
  for (const auto& l : r.layers)
    layers.push_back({{"layer", l.layer}, {"power_cells_w", l.cells_w}, {"power_other_w", l.other_w}});
  json units = json::array();
  for (const auto& u : r.units)
    units.push_back({{"layer", u.layer}, {"unit", u.unit}, {"agreement", u.agreement}, {"borderline", u.borderline},
                     {"borderline_dependent", u.dependent}, {"agreement_determined", u.agreement_determined},
                     {"agreement_replayed", u.agreement_replayed}, {"replayed_borderline", u.replayed_borderline},
                     {"unsettled", u.unsettled}, {"candidate_mae", u.candidate_mae}});
  return json{{"state_agreement", r.state_agreement},
              {"state_agreement_per_unit", per_unit},
              {"borderline_frames", r.borderline_frames},
              {"decision_agreement", r.decision_agreement},
              {"candidate_mae", r.candidate_mae},
              {"logit_correlation", r.logit_correlation},
              {"power_total_w", r.power_total_w},
              {"power_cells_w", r.power_cells_w},
              {"energy_per_inference_j", r.energy_per_inference_j},
              {"transistors", r.transistors},
              // Beyond the stable keys (docs/requirements.md, 'Co-design agreement'): detail for a reader.
              {"compared_frames", r.compared_frames},
              {"state_agreement_all", r.state_agreement_all},
              {"state_agreement_determined", r.state_agreement_determined},
              {"borderline_dependent_frames", r.borderline_dependent_frames},
              {"determined_frames", r.determined_frames},
              {"state_agreement_replayed", r.state_agreement_replayed},
              {"replayed_compared_frames", r.replayed_compared_frames},
              {"state_agreement_float", r.state_agreement_float},
              {"float_borderline_frames", r.float_borderline_frames},
              {"unsettled_frames", r.unsettled_frames},
              {"software_decision", r.software_decision},
              {"circuit_decision", r.circuit_decision},
              {"borderline_clip", r.borderline_clip},
              {"frame_class_agreement", r.frame_class_agreement},
              {"largest_quantization_error", r.largest_quantization_error},
              {"power_per_layer", layers},
              {"power_breakdown", r.power_blocks.empty() ? json(nullptr) : power_breakdown_json(r)},
              {"units", units},
              {"frames", r.frames},
              {"simulation_seconds", r.simulation_seconds}};
}

void print_table(const AgreementReport& r) {
  fmt::print("{:<10} {:>9} {:>10} {:>9} {:>9} {:>10}\n", "unit", "agree %", "borderline", "dependent", "unsettled",
             "cand MAE");
  for (const auto& u : r.units)
    fmt::print("{:<10} {:>9.1f} {:>10} {:>9} {:>9} {:>10.4f}\n", fmt::format("l{}_u{}", u.layer, u.unit),
               100 * u.agreement, u.borderline, u.dependent, u.unsettled, u.candidate_mae);
  fmt::print("\nstate agreement     {:.2f}% of {} non-borderline unit-frames ({} borderline), against the quantized "
             "network;\n                    against the float network {:.2f}% ({} borderline)\n",
             100 * r.state_agreement, r.compared_frames, r.borderline_frames, 100 * r.state_agreement_float,
             r.float_borderline_frames);
  fmt::print("  determined frames {:.2f}% of {} (leaving out also {} borderline-dependent: their state follows\n"
             "                    from an earlier borderline decision); all frames {:.2f}%\n",
             100 * r.state_agreement_determined, r.determined_frames, r.borderline_dependent_frames,
             100 * r.state_agreement_all);
  fmt::print("  replayed          {:.2f}% of {} non-borderline unit-frames of the quantized network run with the\n"
             "                    circuit's own borderline decisions (what follows from them is still checked)\n",
             100 * r.state_agreement_replayed, r.replayed_compared_frames);
  fmt::print("settling            {} unit-frames not settled at the sample{}\n", r.unsettled_frames,
             r.unsettled_frames ? fmt::format(" (output mid-range, or switched after {:g}% of the frame)",
                                              100 * kSettledFraction)
                                : "");
  fmt::print("decision            software {}, circuit {}: {}{}\n", r.software_decision, r.circuit_decision,
             r.decision_agreement ? "agree" : "DIFFER", r.borderline_clip ? " (borderline clip)" : "");
  fmt::print("frame classes       {:.1f}% of frames agree\n", 100 * r.frame_class_agreement);
  fmt::print("candidate MAE       {:.4f} units\n", r.candidate_mae);
  fmt::print("logit correlation   {:.4f}\n", r.logit_correlation);
  fmt::print("power               {:.2f} nW total, {:.2f} nW in the recurrent cells, {:.2f} nW elsewhere\n",
             r.power_total_w * 1e9, r.power_cells_w * 1e9, (r.power_total_w - r.power_cells_w) * 1e9);
  for (const auto& l : r.layers)
    fmt::print("  layer {}           {:.2f} nW cells, {:.2f} nW mirrors and biases\n", l.layer, l.cells_w * 1e9,
               l.other_w * 1e9);
  print_power_breakdown(r);
  fmt::print("energy / inference  {:.3g} J ({} frames)\n", r.energy_per_inference_j, r.frames);
  fmt::print("transistors         {} (largest quantization error {:.4g})\n", r.transistors,
             r.largest_quantization_error);
  fmt::print("gate area           {}\n", gate_area_text(r.gate_area, r.gate_area_by_layer, r.unit_area));
  fmt::print("simulation          {:.2f} s\n", r.simulation_seconds);
}

// ---- Monte Carlo ----

json statistics_json(const MeasureStatistics& s) {
  auto number = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return json{{"mean", number(s.mean)}, {"sigma", number(s.sigma)}, {"min", number(s.min)}, {"p1", number(s.p1)},
              {"p50", number(s.p50)},   {"p99", number(s.p99)},     {"max", number(s.max)}, {"count", s.count}};
}

json sample_json(const AgreementSample& s) {
  if (!s.ok()) return json{{"sample", s.index}, {"status", s.status}};
  const AgreementReport& r = s.report;
  json per_unit = json::array();
  for (const auto& u : r.units) per_unit.push_back(u.agreement);
  return json{{"sample", s.index},
              {"status", s.status},
              {"state_agreement", r.state_agreement},
              {"state_agreement_all", r.state_agreement_all},
              {"state_agreement_determined", r.state_agreement_determined},
              {"state_agreement_replayed", r.state_agreement_replayed},
              {"decision_agreement", r.decision_agreement},
              {"circuit_decision", r.circuit_decision},
              {"frame_class_agreement", r.frame_class_agreement},
              {"candidate_mae", r.candidate_mae},
              {"logit_correlation", r.logit_correlation},
              {"power_total_w", r.power_total_w},
              {"power_cells_w", r.power_cells_w},
              {"energy_per_inference_j", r.energy_per_inference_j},
              {"state_agreement_per_unit", per_unit}};
}

// The unit with the lowest non-borderline agreement of a sample, as "l0_u3 85.0%".
std::string weakest_unit(const AgreementReport& r) {
  const UnitAgreement* worst = nullptr;
  for (const auto& u : r.units)
    if (!worst || u.agreement < worst->agreement) worst = &u;
  return worst ? fmt::format("l{}_u{} {:.1f}%", worst->layer, worst->unit, 100 * worst->agreement) : "-";
}

struct McSummary {
  std::vector<MeasureStatistics> statistics;  // one per agreement_mc_columns()
  std::size_t decisions_agreeing = 0, ok = 0;
  const MeasureStatistics& of(const std::string& column) const {
    for (const auto& s : statistics)
      if (s.name == column) return s;
    throw std::logic_error("no Monte Carlo column " + column);
  }
};

McSummary summarize_mc(const AgreementMcResult& result) {
  McSummary m;
  m.statistics = summarize(agreement_mc_columns(), agreement_mc_rows(result));
  for (const auto& s : result.samples) {
    if (!s.ok()) continue;
    ++m.ok;
    m.decisions_agreeing += s.report.decision_agreement;
  }
  return m;
}

json mc_json(const AgreeOptions& o, const AgreementMcResult& result, const McSummary& m) {
  json j;
  j["monte_carlo"] = json{{"samples_requested", result.requested},
                          {"samples", result.samples.size()},
                          {"failed", result.failed()},
                          {"interrupted", result.interrupted},
                          {"seed", o.seed},
                          {"mosfets_varied", result.mosfets},
                          {"noise", o.noise},
                          {"seconds", result.seconds}};
  if (o.noise) j["monte_carlo"]["noise_seed"] = o.noise_seed;
  // The stable keys (docs/requirements.md, 'Co-design agreement'), each now a distribution over
  // the samples.
  for (const auto& s : m.statistics) j[s.name] = statistics_json(s);
  j["decision_agreement_rate"] = m.ok ? json(static_cast<double>(m.decisions_agreeing) / m.ok) : json(nullptr);
  j["software_decision"] = result.software_decision;
  j["borderline_clip"] = result.borderline_clip;
  j["transistors"] = result.transistors;
  j.update(gate_area_json(result.gate_area, result.gate_area_by_layer, result.unit_area));
  j["area"] = o.area;
  json worst = json::array();
  for (const AgreementSample* s : worst_samples(result, 5)) worst.push_back(sample_json(*s));
  j["worst_samples"] = worst;
  json all = json::array();
  for (const auto& s : result.samples) all.push_back(sample_json(s));
  j["per_sample"] = all;
  return j;
}

void print_mc_table(const AgreeOptions& o, const AgreementMcResult& result, const McSummary& m) {
  fmt::print("Monte Carlo agreement: {} of {} samples of {} (seed {}{}), {} failed; mismatch on {} MOSFETs{}\n",
             result.samples.size(), result.requested, o.network, o.seed, result.interrupted ? ", INTERRUPTED" : "",
             result.failed(), result.mosfets,
             o.noise ? fmt::format(", device noise on (noise seed {} mixed with each sample)", o.noise_seed) : "");
  struct Row {
    const char* column;
    const char* label;
    double scale;
    const char* unit;
  };
  const Row rows[] = {{"state_agreement", "state agreement, non-borderline", 100, "%"},
                      {"state_agreement_all", "state agreement, all frames", 100, "%"},
                      {"state_agreement_determined", "state agreement, determined", 100, "%"},
                      {"state_agreement_replayed", "state agreement, replayed", 100, "%"},
                      {"frame_class_agreement", "frame class agreement", 100, "%"},
                      {"candidate_mae", "candidate MAE", 1, "units"},
                      {"logit_correlation", "logit correlation", 1, ""},
                      {"power_total_w", "power, total", 1e9, "nW"},
                      {"power_cells_w", "power, recurrent cells", 1e9, "nW"},
                      {"energy_per_inference_j", "energy per inference", 1e9, "nJ"}};
  fmt::print("\n{:<36} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "figure", "mean", "sigma", "min", "median", "max");
  for (const Row& row : rows) {
    const MeasureStatistics& s = m.of(row.column);
    const std::string label = std::string(row.label) + (row.unit[0] ? fmt::format(" ({})", row.unit) : "");
    if (s.count == 0) {
      fmt::print("{:<36} {:>10}\n", label, "(no samples)");
      continue;
    }
    fmt::print("{:<36} {:>10.4g} {:>10.3g} {:>10.4g} {:>10.4g} {:>10.4g}\n", label, row.scale * s.mean,
               row.scale * s.sigma, row.scale * s.min, row.scale * s.p50, row.scale * s.max);
  }
  if (m.ok > 0)
    fmt::print("\ndecision agreement  {} of {} samples ({:.1f}%) take the software's decision {}{}\n",
               m.decisions_agreeing, m.ok, 100.0 * m.decisions_agreeing / m.ok, result.software_decision,
               result.borderline_clip ? " (a borderline clip: its vote is won by at most 5% of the frames)" : "");
  fmt::print("gate area           {}\n", gate_area_text(result.gate_area, result.gate_area_by_layer, result.unit_area));
  fmt::print("transistors         {}\n\nworst samples (lowest non-borderline state agreement):\n", result.transistors);
  for (const AgreementSample* s : worst_samples(result, 5)) {
    if (!s->ok()) {
      fmt::print("  sample {:<5} {}\n", s->index, s->status);
      continue;
    }
    const AgreementReport& r = s->report;
    fmt::print("  sample {:<5} {:6.2f}% non-borderline, {:6.2f}% all, {:6.2f}% determined; decision {} ({}); "
               "power {:.2f} nW; weakest unit {}\n",
               s->index, 100 * r.state_agreement, 100 * r.state_agreement_all, 100 * r.state_agreement_determined,
               r.circuit_decision, r.decision_agreement ? "agrees" : "DIFFERS", r.power_total_w * 1e9, weakest_unit(r));
  }
  fmt::print("time                {:.2f} s\n", result.seconds);
}

int run_agree_mc(const AgreeOptions& o, const Network& net, const InputSequence& seq, const AgreementOptions& options) {
  AgreementMcSettings settings;
  settings.agreement = options;
  settings.samples = o.mc;
  settings.seed = o.seed;
  settings.jobs = jobs_or_all_cores(o.jobs);
  if (!o.avto.empty()) settings.mismatch.coefficients["avto"] = positive_number("--avto", o.avto, true);
  if (!o.akp.empty()) settings.mismatch.coefficients["akp"] = positive_number("--akp", o.akp, true);
  settings.stop = &stop_requested();
  settings.stop_after = o.stop_after;
  ProgressBar bar;
  settings.progress = [&](std::uint64_t done, std::uint64_t total) {
    bar.update("agree --mc", static_cast<double>(done) / static_cast<double>(total));
  };
  AgreementMcResult result;
  {
    StopOnSignal signals;
    result = run_agreement_mc(net, seq.frames, settings);
  }
  bar.finish();
  if (result.mosfets == 0)
    fmt::print(stderr, "picospice agree: warning: the lowered circuit has no EKV MOSFETs, so mismatch varies nothing\n");
  const McSummary summary = summarize_mc(result);
  if (o.format == "json") {
    json j = mc_json(o, result, summary);
    j["unit_current_a"] = net.unit_current;
    fmt::print("{}\n", j.dump(2));
  }
  else print_mc_table(o, result, summary);
  if (!o.plot_dir.empty()) {
    if (!find_gnuplot()) {
      fmt::print(stderr, "picospice agree: --plot skipped: gnuplot is not installed (apt-get install gnuplot-nox)\n");
    } else {
      for (const auto& f : plot_histograms(o.plot_dir, agreement_mc_columns(), agreement_mc_rows(result),
                                           "agree --mc " + o.network))
        fmt::print(stderr, "picospice agree: wrote {}\n", f);
    }
  }
  if (result.interrupted) {
    fmt::print(stderr, "picospice agree: interrupted: the figures above cover the {} finished samples (0..{}) of {}\n",
               result.samples.size(), result.samples.empty() ? 0 : result.samples.size() - 1, result.requested);
    return 130;
  }
  return 0;
}

int run_agree(const AgreeOptions& o) {
  Network net = load_network(o.network);
  apply_unit_current_option(o.unit_current, net);
  const InputSequence seq = read_sequence_csv(o.input, net.inputs);
  std::optional<CellCalibration> calibration;
  AgreementOptions options;
  const auto grids = apply_grid_option(o.grid, net, seq.frames, options.lowering);
  // The table prints the choice with the figures; JSON has it as grid_auto; --mc on stderr.
  if (!grids.empty() && o.mc > 0) fmt::print(stderr, "picospice agree: grid auto: {}\n", describe_grids(grids));
  apply_area_options(o.area, o.area_budget, options.lowering);
  apply_area_from_option(o.area_from, net.inputs, options.lowering);
  options.lowering.frame_blanking = !o.no_blanking;
  options.lowering.reference_ratio_limit = o.reference_ratio_limit;
  options.lowering.cell_library = o.library;
  options.lowering.title = o.network;
  if (!o.calibrate.empty()) {
    calibration = load_calibration(o.calibrate);
    options.lowering.calibration = &*calibration;
    // The check simulates with the default cell library, so it only speaks for that library.
    if (o.library.empty())
      if (const auto stale = calibration_staleness(*calibration))
        fmt::print(stderr, "picospice agree: warning: {}\n", *stale);
    // The biases outside the file's measured range (a lowering is cheap next to the simulation).
    for (const auto& w : lower_network(net, seq.frames, options.lowering).warnings)
      fmt::print(stderr, "picospice agree: warning: {}: {}\n", o.calibrate, w);
  }
  if (o.noise) {
    options.noise.enabled = true;
    options.noise.seed = o.noise_seed;
    options.noise.scale = positive_number("--noise-scale", o.noise_scale);  // 0: leave out --noise
    if (!o.noise_fmax.empty()) options.noise.fmax = positive_number("--noise-fmax", o.noise_fmax);
  } else if (o.noise_scale != "1" || !o.noise_fmax.empty()) {
    throw std::invalid_argument("--noise-scale and --noise-fmax need --noise");
  }
  if (o.mc > 0) return run_agree_mc(o, net, seq, options);
  if (!o.avto.empty() || !o.akp.empty()) throw std::invalid_argument("--avto and --akp need --mc N");

  options.lowering.power_breakdown = !o.no_power_breakdown;
  const AgreementReport report = run_agreement(net, seq.frames, options);
  if (o.format == "json") {
    json j = report_json(report);
    j.update(gate_area_json(report.gate_area, report.gate_area_by_layer, report.unit_area));
    j["area"] = describe_area(options.lowering);
    j["unit_current_a"] = net.unit_current;
    if (!grids.empty()) {
      json per_layer = json::array();
      for (const auto& g : grids)
        per_layer.push_back({{"layer", g.layer}, {"grid", g.grid}, {"worst_move_of_margin", g.worst_move},
                             {"within_margin", g.within_margin}});
      j["grid_auto"] = per_layer;
    }
    fmt::print("{}\n", j.dump(2));
  } else {
    print_table(report);
    if (!grids.empty()) fmt::print("grid auto           {}\n", describe_grids(grids));
  }
  if (!o.plot_dir.empty()) {
    if (!find_gnuplot()) fmt::print(stderr, "picospice agree: gnuplot not found, plots skipped\n");
    else {
      write_agreement_plots(report, o.plot_dir);
      fmt::print(stderr, "picospice agree: plots in {}/states.png and {}/logits.png\n", o.plot_dir, o.plot_dir);
    }
  }
  return 0;
}

}  // namespace

CommandAction add_agree_command(CLI::App& app) {
  auto options = std::make_shared<AgreeOptions>();
  auto* cmd = app.add_subcommand(
      "agree", "Lower a BMRU network, simulate it, and compare the circuit with the software model:\n"
               "state agreement (non-borderline unit-frames), decision, candidate error, logit correlation,\n"
               "supply power and energy per inference. Each frame is sampled at 90% of its length.\n"
               "--mc N repeats the circuit under mismatch (as `picospice mc` draws it) and reports the\n"
               "distribution of each figure; results depend on --seed, not on --jobs.");
  add_network_arguments(cmd, options->network, options->input);
  cmd->add_option("--calibrate", options->calibrate, "characterization file: pre-distort the cell biases")
      ->check(CLI::ExistingFile);
  add_grid_option(cmd, options->grid);
  cmd->add_option("--library", options->library, "cell library (default: the source tree's cells.lib)")
      ->check(CLI::ExistingFile);
  add_area_option(cmd, options->area, kAreaAutoHelp);
  add_area_budget_option(cmd, options->area_budget);
  add_area_from_option(cmd, options->area_from);
  add_no_blanking_flag(cmd, options->no_blanking);
  add_reference_ratio_option(cmd, options->reference_ratio_limit);
  add_unit_current_option(cmd, options->unit_current);
  cmd->add_flag("--no-power-breakdown", options->no_power_breakdown,
                "leave out the per-block power breakdown (it gives every block a supply source of its own, "
                "which costs simulation time on large networks; never under --mc)");
  cmd->add_option("--format", options->format, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--plot", options->plot_dir,
                  "write plots (gnuplot) into this directory: states.png and logits.png; with --mc a histogram "
                  "per figure (state_agreement.png, ...)");
  cmd->add_option("--mc", options->mc, "Monte Carlo samples under mismatch (0, the default: the nominal circuit)");
  cmd->add_option("--seed", options->seed, "Monte Carlo seed (default 1)");
  cmd->add_option("-j,--jobs", options->jobs, "Monte Carlo worker threads (default: one per hardware thread)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--avto", options->avto, "with --mc: override every model's AVTO (V*m, e.g. 5n for 5 mV*um)");
  cmd->add_option("--akp", options->akp, "with --mc: override every model's AKP (m, e.g. 10n for 1 %*um)");
  cmd->add_flag("--noise", options->noise, "transient device noise on (thermal and shot noise of every device)");
  cmd->add_option("--noise-seed", options->noise_seed,
                  "noise seed (default 1); with --mc each sample's seed derives from it, the MC seed and the sample");
  cmd->add_option("--noise-scale", options->noise_scale, "multiply every noise amplitude by K (default 1)");
  cmd->add_option("--noise-fmax", options->noise_fmax,
                  fmt::format("noise bandwidth in Hz (default {:g} per frame: 10k for 10 ms frames)", kNoiseFmaxPerFrame));
  cmd->add_option("--stop-after", options->stop_after, "")->group("");  // test hook: the interrupt path
  return [options] { return run_agree(*options); };
}

}  // namespace picospice::tools
