// A trained FQ-BMRU network as plain data, and the `picospice-bmru/1` JSON format it is read from.
// The format is documented for users in codesign/FORMAT.md; in short:
//
//   {
//     "format": "picospice-bmru/1",        required, exactly this string
//     "unit_current": 1e-9,                A per model unit (optional, default 1e-9, > 0)
//     "frame": 0.01,                       s per time step (optional, default 0.01, > 0)
//     "inputs": 13,                        input width (required, >= 1)
//     "vote_last": 0,                      majority vote over the last K frames (optional, 0 = all)
//     "detect_run": 0,                     keyword detection instead of a vote: a class other than 0
//                                          held for K consecutive frames (optional, 0 = off;
//                                          not with vote_last; inference.hpp, 'Decision')
//     "detect_decrement": 0,               with detect_run: 0 = the K frames must be consecutive;
//                                          d > 0 = an up/down count, +1 on the class's frames and
//                                          -d (not below 0) on others, reaching K (optional)
//     "layers": [                          required; the last layer must be the readout
//       {"type": "linear",  "W": [[..]], "b": [..]},                 y = max(W x + b, 0)
//       {"type": "bmru",    "W_c": [[..]], "b_c": [..],              c = max(W_c x + b_c, 0)
//                           "beta1": [..], "delta": [..], "alpha": [..], "s0": [0|1, ..],
//                           "W_p": [[..]], "b_p": [..], "skip": false},
//                                                                    y = max(W_p h + b_p, 0) (+ x)
//       {"type": "readout", "W": [[..]], "b": [..]}                  z = W y + b  (signed logits)
//     ]
//   }
//
// Matrices are lists of rows (rows = outputs, columns = inputs). Biases (b, b_c, b_p) and s0
// default to zeros and skip to false; every other key is required, and unknown keys are errors
// (a misspelt "Wc" must not silently become a zero matrix). beta1, delta and alpha must be >= 0;
// every number must be finite. Errors are NetworkError with the JSON path of the fault, e.g.
// "layers[1].W_c: expected 4x4, got 4x3".
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace picospice::network {

using Vector = std::vector<double>;
using Matrix = std::vector<Vector>;  // a list of rows, all of the same length

inline constexpr const char* kFormatTag = "picospice-bmru/1";

// A malformed network file. what() starts with the JSON path ("layers[1].W_c: ...").
class NetworkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LinearLayer {  // y = max(W x + b, 0)
  Matrix W;
  Vector b;
};

struct BmruLayer {  // docs/design.md, 'The recurrent cell'
  Matrix W_c;       // units x inputs
  Vector b_c;
  Vector beta1, delta, alpha;  // per unit, >= 0
  std::vector<int> s0;         // per unit, 0 or 1
  Matrix W_p;       // outputs x units
  Vector b_p;
  bool skip = false;  // y += x (only when outputs == inputs)
  std::size_t units() const { return W_c.size(); }
  // The upper switching point of a unit: above it the state goes high (docs/design.md, 'The recurrent cell').
  double beta2(std::size_t unit) const { return beta1[unit] + delta[unit]; }
};

struct ReadoutLayer {  // z = W y + b
  Matrix W;
  Vector b;
};

using Layer = std::variant<LinearLayer, BmruLayer, ReadoutLayer>;

struct Network {
  double unit_current = 1e-9;  // A per model unit
  double frame = 0.01;         // s per time step
  int inputs = 0;
  int vote_last = 0;           // 0: vote over all frames
  int detect_run = 0;          // > 0: the run-detection rule instead of the vote (inference.hpp)
  int detect_decrement = 0;    // with detect_run: 0 = a run; d > 0 = an up/down count (inference.hpp)
  std::vector<Layer> layers;   // ends with exactly one ReadoutLayer

  const ReadoutLayer& readout() const { return std::get<ReadoutLayer>(layers.back()); }
  int classes() const { return static_cast<int>(readout().W.size()); }
};

// The decision rule in words, for reports: "majority of the readout over all frames" (or "over the
// last 10 frames"), "a class > 0 on the readout for 30 consecutive frames (else class 0)".
std::string decision_rule_text(const Network& network);
// The same for a rule not yet in a network (a trainer's options).
std::string decision_rule_text(int vote_last, int detect_run, int detect_decrement = 0);
// What the rule's Vote::counts hold, for reports: "frame votes", "longest runs" or "highest counts".
std::string decision_counts_name(const Network& network);

// "linear", "bmru" or "readout".
std::string layer_type_name(const Layer& layer);
// Input and output widths of a layer.
std::size_t layer_input_width(const Layer& layer);
std::size_t layer_output_width(const Layer& layer);

Network network_from_json(const nlohmann::json& document);
// Reads and parses a file; a JSON syntax error is a NetworkError naming the file and byte.
Network load_network(const std::filesystem::path& path);
// The inverse of network_from_json (defaults written out), for tools that generate networks.
nlohmann::json network_to_json(const Network& network);

}  // namespace picospice::network
