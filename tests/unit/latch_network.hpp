// The smallest BMRU network the network tests share: one unit, one input, identity weights
// (c = x); beta1 0.3, beta2 0.7 (margins 0.01 and 0.014); alpha 0.5; a two-class readout.
#pragma once
#include <nlohmann/json.hpp>

inline nlohmann::json latch_json() {
  return nlohmann::json::parse(R"({
    "format": "picospice-bmru/1", "inputs": 1,
    "layers": [
      {"type": "bmru", "W_c": [[1.0]], "beta1": [0.3], "delta": [0.4], "alpha": [0.5], "W_p": [[1.0]]},
      {"type": "readout", "W": [[-1.0], [1.0]], "b": [0.25, -0.25]}
    ]})");
}
