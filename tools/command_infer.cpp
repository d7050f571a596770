// `picospice infer NET.json --input SEQ.csv`: the software model of a BMRU network
// (codesign/inference.hpp) run over an input sequence: per-frame states, logits, the
// per-frame class and the majority-vote decision.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "codesign/inference.hpp"
#include "codesign/sequence.hpp"
#include "tools/command.hpp"

namespace picospice::tools {
namespace {

using nlohmann::json;
using namespace picospice::network;

struct InferOptions {
  std::string network;
  std::string input;
  std::string format = "table";
};

std::string bits(const Vector& state) {
  std::string s;
  for (double v : state) s += v > 0.5 ? '1' : '0';
  return s;
}

void print_table(const Network& net, const InferenceResult& r) {
  std::string header = fmt::format("{:>5}", "frame");
  for (std::size_t l = 0; l < net.layers.size(); ++l)
    if (std::holds_alternative<BmruLayer>(net.layers[l])) {
      const std::size_t w = std::max<std::size_t>(std::get<BmruLayer>(net.layers[l]).units(), 8);
      header += fmt::format("  {:<{}}", fmt::format("l{} state", l), w);
    }
  header += "  logits";
  fmt::print("{}\n", header);
  for (std::size_t t = 0; t < r.logits.size(); ++t) {
    std::string row = fmt::format("{:>5}", t);
    for (std::size_t l = 0; l < net.layers.size(); ++l)
      if (std::holds_alternative<BmruLayer>(net.layers[l])) {
        const std::size_t w = std::max<std::size_t>(std::get<BmruLayer>(net.layers[l]).units(), 8);
        row += fmt::format("  {:<{}}", bits(r.layers[l].state[t]), w);
      }
    row += " ";
    for (double z : r.logits[t]) row += fmt::format(" {:>8.4f}", z);
    row += fmt::format("   -> {}", r.frame_class[t]);
    fmt::print("{}\n", row);
  }
  std::string counts;
  for (std::size_t k = 0; k < r.vote.counts.size(); ++k) counts += fmt::format("{}{}:{}", k ? " " : "", k, r.vote.counts[k]);
  if (net.detect_run > 0)  // run detection: the counts are each class's longest run, the margin its distance from K
    fmt::print("decision: class {} ({}: {}; detection needs {}{}; margin {}{})\n", r.vote.decision,
               network::decision_counts_name(net), counts, net.detect_run,
               net.detect_decrement > 0 ? "" : " frames", r.vote.margin, r.vote.borderline ? ", borderline clip" : "");
  else
    fmt::print("decision: class {} (votes over frames {}..{}: {}; margin {}{})\n", r.vote.decision, r.vote.first_frame,
               r.logits.size() - 1, counts, r.vote.margin, r.vote.borderline ? ", borderline clip" : "");
}

json result_json(const Network& net, const InferenceResult& r) {
  json layers = json::array();
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    json j{{"type", layer_type_name(net.layers[l])}, {"output", r.layers[l].output}};
    if (std::holds_alternative<BmruLayer>(net.layers[l])) {
      j["candidate"] = r.layers[l].candidate;
      j["state"] = r.layers[l].state;
      j["h"] = r.layers[l].h;
    }
    layers.push_back(j);
  }
  return json{{"frames", r.logits.size()},   {"layers", layers},
              {"logits", r.logits},          {"frame_class", r.frame_class},
              {"votes", r.vote.counts},      {"vote_first_frame", r.vote.first_frame},
              {"decision", r.vote.decision}, {"vote_margin", r.vote.margin},
              {"borderline_clip", r.vote.borderline}};
}

int run_infer(const InferOptions& o) {
  const Network net = load_network(o.network);
  const InputSequence seq = read_sequence_csv(o.input, net.inputs);
  const InferenceResult r = infer(net, seq.frames);
  if (o.format == "json") fmt::print("{}\n", result_json(net, r).dump(2));
  else print_table(net, r);
  return 0;
}

}  // namespace

CommandAction add_infer_command(CLI::App& app) {
  auto options = std::make_shared<InferOptions>();
  auto* cmd = app.add_subcommand("infer", "Run the software model of a BMRU network (picospice-bmru/1 JSON) over an\n"
                                          "input sequence: per-frame states, logits and the majority-vote decision.");
  add_network_arguments(cmd, options->network, options->input);
  cmd->add_option("--format", options->format, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
  return [options] { return run_infer(*options); };
}

}  // namespace picospice::tools
