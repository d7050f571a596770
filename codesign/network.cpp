// Loading and validating `picospice-bmru/1` network files (see network.hpp and FORMAT.md).
#include "codesign/network.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "codesign/json_file.hpp"
#include <set>
#include <sstream>

namespace picospice::network {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw NetworkError(fmt::format("{}: {}", path, message));
}

// "layers[1]" + "W_c" -> "layers[1].W_c"; top-level keys have no leading dot.
std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string type_of(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "a list";
  return "an object";
}

double read_number(const json& j, const std::string& path) {
  // nlohmann parses NaN/Infinity only from non-standard input, but a huge literal (1e999)
  // becomes infinity: reject both, with the path.
  if (!j.is_number()) fail(path, "expected a number, got " + type_of(j));
  const double v = j.get<double>();
  if (!std::isfinite(v)) fail(path, "not a finite number");
  return v;
}

Vector read_vector(const json& j, const std::string& path, std::size_t expected) {
  if (!j.is_array()) fail(path, "expected a list of " + std::to_string(expected) + " numbers, got " + type_of(j));
  if (j.size() != expected)
    fail(path, fmt::format("expected {} values, got {}", expected, j.size()));
  Vector v;
  for (std::size_t i = 0; i < j.size(); ++i) v.push_back(read_number(j[i], fmt::format("{}[{}]", path, i)));
  return v;
}

// A matrix of `rows` x `cols`; rows == 0 means "any number of rows, at least one".
Matrix read_matrix(const json& j, const std::string& path, std::size_t rows, std::size_t cols) {
  const std::string want = rows ? fmt::format("{}x{}", rows, cols) : fmt::format("Nx{}", cols);
  if (!j.is_array()) fail(path, fmt::format("expected a {} matrix (a list of rows), got {}", want, type_of(j)));
  if (j.empty()) fail(path, "expected a " + want + " matrix, got an empty list");
  for (std::size_t r = 0; r < j.size(); ++r)
    if (!j[r].is_array()) fail(fmt::format("{}[{}]", path, r), "expected a row (a list of numbers), got " + type_of(j[r]));
  // Report the shape as a whole when it is consistent but wrong, the bad row otherwise.
  bool rectangular = true;
  for (const auto& row : j) rectangular = rectangular && row.size() == j[0].size();
  if (rectangular && ((rows && j.size() != rows) || j[0].size() != cols))
    fail(path, fmt::format("expected {}, got {}x{}", want, j.size(), j[0].size()));
  Matrix m;
  for (std::size_t r = 0; r < j.size(); ++r) {
    const std::string row_path = fmt::format("{}[{}]", path, r);
    if (j[r].size() != cols) fail(row_path, fmt::format("expected {} columns, got {}", cols, j[r].size()));
    m.push_back(read_vector(j[r], row_path, cols));
  }
  return m;
}

void check_keys(const json& j, const std::string& path, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : j.items())
    if (!allowed.count(key)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(child(path, key), "unknown key (expected one of: " + list + ")");
    }
}

const json& required(const json& j, const std::string& path, const std::string& key) {
  if (!j.contains(key)) fail(child(path, key), "missing");
  return j.at(key);
}

Vector optional_vector(const json& j, const std::string& path, const std::string& key, std::size_t n) {
  if (!j.contains(key)) return Vector(n, 0.0);
  return read_vector(j.at(key), path + "." + key, n);
}

void check_non_negative(const Vector& v, const std::string& path) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0) fail(fmt::format("{}[{}]", path, i), fmt::format("must be >= 0, got {}", v[i]));
}

// `linear` and `readout` layers have the same keys, W and b; only their formulas differ.
template <class Layer>
Layer read_weights_and_bias(const json& j, const std::string& path, std::size_t in) {
  check_keys(j, path, {"type", "W", "b"});
  Layer l;
  l.W = read_matrix(required(j, path, "W"), path + ".W", 0, in);
  l.b = optional_vector(j, path, "b", l.W.size());
  return l;
}

LinearLayer read_linear(const json& j, const std::string& path, std::size_t in) {
  return read_weights_and_bias<LinearLayer>(j, path, in);
}

ReadoutLayer read_readout(const json& j, const std::string& path, std::size_t in) {
  return read_weights_and_bias<ReadoutLayer>(j, path, in);
}

BmruLayer read_bmru(const json& j, const std::string& path, std::size_t in) {
  check_keys(j, path, {"type", "W_c", "b_c", "beta1", "delta", "alpha", "s0", "W_p", "b_p", "skip"});
  BmruLayer l;
  l.W_c = read_matrix(required(j, path, "W_c"), path + ".W_c", 0, in);
  const std::size_t n = l.W_c.size();
  l.b_c = optional_vector(j, path, "b_c", n);
  l.beta1 = read_vector(required(j, path, "beta1"), path + ".beta1", n);
  l.delta = read_vector(required(j, path, "delta"), path + ".delta", n);
  l.alpha = read_vector(required(j, path, "alpha"), path + ".alpha", n);
  check_non_negative(l.beta1, path + ".beta1");
  check_non_negative(l.delta, path + ".delta");
  check_non_negative(l.alpha, path + ".alpha");
  l.s0.assign(n, 0);
  if (j.contains("s0")) {
    const auto& s0 = j.at("s0");
    if (!s0.is_array() || s0.size() != n)
      fail(path + ".s0", fmt::format("expected a list of {} states (0 or 1)", n));
    for (std::size_t i = 0; i < n; ++i) {
      const std::string p = fmt::format("{}.s0[{}]", path, i);
      if (s0[i].is_boolean()) l.s0[i] = s0[i].get<bool>() ? 1 : 0;
      else {
        const double v = read_number(s0[i], p);
        if (v != 0 && v != 1) fail(p, fmt::format("expected 0 or 1, got {}", v));
        l.s0[i] = static_cast<int>(v);
      }
    }
  }
  l.W_p = read_matrix(required(j, path, "W_p"), path + ".W_p", 0, n);
  l.b_p = optional_vector(j, path, "b_p", l.W_p.size());
  if (j.contains("skip")) {
    if (!j.at("skip").is_boolean()) fail(path + ".skip", "expected true or false, got " + type_of(j.at("skip")));
    l.skip = j.at("skip").get<bool>();
  }
  if (l.skip && l.W_p.size() != in)
    fail(path + ".skip", fmt::format("a skip connection needs as many outputs (rows of W_p: {}) as inputs ({})",
                                     l.W_p.size(), in));
  return l;
}

double optional_positive(const json& j, const std::string& key, double fallback) {
  if (!j.contains(key)) return fallback;
  const double v = read_number(j.at(key), key);
  if (v <= 0) fail(key, fmt::format("must be > 0, got {}", v));
  return v;
}

int read_count(const json& j, const std::string& path, int minimum) {
  const double v = read_number(j, path);
  if (v != std::floor(v) || v < minimum || v > 1e6)
    fail(path, fmt::format("expected a whole number >= {}, got {}", minimum, v));
  return static_cast<int>(v);
}

json matrix_json(const Matrix& m) { return json(m); }

}  // namespace

std::string layer_type_name(const Layer& layer) {
  return std::visit([](const auto& l) -> std::string {
    using T = std::decay_t<decltype(l)>;
    if constexpr (std::is_same_v<T, LinearLayer>) return "linear";
    else if constexpr (std::is_same_v<T, BmruLayer>) return "bmru";
    else return "readout";
  }, layer);
}

std::size_t layer_input_width(const Layer& layer) {
  return std::visit([](const auto& l) -> std::size_t {
    using T = std::decay_t<decltype(l)>;
    if constexpr (std::is_same_v<T, BmruLayer>) return l.W_c.empty() ? 0 : l.W_c[0].size();
    else return l.W.empty() ? 0 : l.W[0].size();
  }, layer);
}

std::size_t layer_output_width(const Layer& layer) {
  return std::visit([](const auto& l) -> std::size_t {
    using T = std::decay_t<decltype(l)>;
    if constexpr (std::is_same_v<T, BmruLayer>) return l.W_p.size();
    else return l.W.size();
  }, layer);
}

Network network_from_json(const json& doc) {
  if (!doc.is_object()) fail("(top level)", "expected a JSON object, got " + type_of(doc));
  check_keys(doc, "", {"format", "unit_current", "frame", "inputs", "vote_last", "detect_run", "detect_decrement",
                     "layers"});
  if (!doc.contains("format")) fail("format", std::string("missing (expected \"") + kFormatTag + "\")");
  if (!doc.at("format").is_string() || doc.at("format").get<std::string>() != kFormatTag)
    fail("format", fmt::format("expected \"{}\", got {}", kFormatTag, doc.at("format").dump()));

  Network net;
  net.unit_current = optional_positive(doc, "unit_current", 1e-9);
  net.frame = optional_positive(doc, "frame", 0.01);
  net.inputs = read_count(required(doc, "", "inputs"), "inputs", 1);
  if (doc.contains("vote_last")) net.vote_last = read_count(doc.at("vote_last"), "vote_last", 0);
  if (doc.contains("detect_run")) net.detect_run = read_count(doc.at("detect_run"), "detect_run", 0);
  if (net.detect_run > 0 && net.vote_last > 0)
    fail("detect_run", "the run-detection rule replaces the vote: vote_last must then be 0");
  if (doc.contains("detect_decrement")) net.detect_decrement = read_count(doc.at("detect_decrement"), "detect_decrement", 0);
  if (net.detect_decrement > 0 && net.detect_run <= 0)
    fail("detect_decrement", "the up/down count is a form of run detection: it needs detect_run K > 0");

  const json& layers = required(doc, "", "layers");
  if (!layers.is_array() || layers.empty()) fail("layers", "expected a non-empty list of layers");
  std::size_t width = static_cast<std::size_t>(net.inputs);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string path = fmt::format("layers[{}]", i);
    const json& l = layers[i];
    if (!l.is_object()) fail(path, "expected an object, got " + type_of(l));
    const json& type = required(l, path, "type");
    const std::string name = type.is_string() ? type.get<std::string>() : type.dump();
    if (name == "linear") net.layers.emplace_back(read_linear(l, path, width));
    else if (name == "bmru") net.layers.emplace_back(read_bmru(l, path, width));
    else if (name == "readout") {
      if (i + 1 != layers.size()) fail(path + ".type", "the readout must be the last layer");
      net.layers.emplace_back(read_readout(l, path, width));
    } else fail(path + ".type", "unknown layer type " + name + " (expected linear, bmru or readout)");
    width = layer_output_width(net.layers.back());
  }
  if (!std::holds_alternative<ReadoutLayer>(net.layers.back()))
    fail(fmt::format("layers[{}].type", layers.size() - 1), "the last layer must be a readout (the logits)");
  return net;
}

Network load_network(const std::filesystem::path& path) {
  json doc;
  try {
    doc = read_json_file(path, "network file");
  } catch (const std::runtime_error& e) {
    throw NetworkError(e.what());
  }
  try {
    return network_from_json(doc);
  } catch (const NetworkError& e) {
    throw NetworkError(path.string() + ": " + e.what());
  }
}

json network_to_json(const Network& net) {
  json layers = json::array();
  for (const auto& layer : net.layers) {
    json l;
    l["type"] = layer_type_name(layer);
    if (const auto* b = std::get_if<BmruLayer>(&layer)) {
      l["W_c"] = matrix_json(b->W_c); l["b_c"] = b->b_c;
      l["beta1"] = b->beta1; l["delta"] = b->delta; l["alpha"] = b->alpha; l["s0"] = b->s0;
      l["W_p"] = matrix_json(b->W_p); l["b_p"] = b->b_p; l["skip"] = b->skip;
    } else if (const auto* r = std::get_if<LinearLayer>(&layer)) {
      l["W"] = matrix_json(r->W); l["b"] = r->b;
    } else {
      const auto& o = std::get<ReadoutLayer>(layer);
      l["W"] = matrix_json(o.W); l["b"] = o.b;
    }
    layers.push_back(l);
  }
  json doc{{"format", kFormatTag}, {"unit_current", net.unit_current}, {"frame", net.frame},
           {"inputs", net.inputs}, {"vote_last", net.vote_last}, {"layers", layers}};
  if (net.detect_run > 0) doc["detect_run"] = net.detect_run;  // only when used: files without it stay as they were
  if (net.detect_decrement > 0) doc["detect_decrement"] = net.detect_decrement;  // likewise
  return doc;
}

std::string decision_rule_text(int vote_last, int detect_run, int detect_decrement) {
  if (detect_run > 0 && detect_decrement > 0)
    return fmt::format("a class > 0 counted to {} on the readout, +1 on its frames and -{} on others (else class 0)",
                       detect_run, detect_decrement);
  if (detect_run > 0)
    return fmt::format("a class > 0 on the readout for {} consecutive frames (else class 0)", detect_run);
  return vote_last > 0 ? fmt::format("majority of the readout over the last {} frames", vote_last)
                       : std::string("majority of the readout over all frames");
}

std::string decision_counts_name(const Network& net) {
  if (net.detect_run <= 0) return "frame votes";
  return net.detect_decrement > 0 ? "highest counts" : "longest runs";
}

std::string decision_rule_text(const Network& net) {
  return decision_rule_text(net.vote_last, net.detect_run, net.detect_decrement);
}

}  // namespace picospice::network
