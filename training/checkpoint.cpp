// Saving and loading training checkpoints (see checkpoint.hpp).
#include "training/checkpoint.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "base/atomic_file.hpp"
#include "codesign/json_file.hpp"

namespace picospice::training {
namespace {

using nlohmann::json;

json to_json(const Eigen::VectorXd& v) { return json(std::vector<double>(v.data(), v.data() + v.size())); }

Eigen::VectorXd vector_from(const json& doc, const char* key, const std::string& file) {
  if (!doc.contains(key) || !doc[key].is_array()) throw std::runtime_error(fmt::format("{}: {}: missing or not a list", file, key));
  Eigen::VectorXd v(doc[key].size());
  for (std::size_t i = 0; i < doc[key].size(); ++i) {
    if (!doc[key][i].is_number()) throw std::runtime_error(fmt::format("{}: {}[{}]: not a number", file, key, i));
    v[static_cast<Eigen::Index>(i)] = doc[key][i].get<double>();
  }
  return v;
}

// A count: a float-to-int conversion of 1e10 or -1 would be undefined or nonsense, so range first.
double whole_number(const json& doc, const char* key, double high, const std::string& file) {
  const json& value = doc.at(key);
  const double v = value.is_number() ? value.get<double>() : -1;
  if (!(v >= 0 && v <= high) || v != std::floor(v))
    throw std::runtime_error(fmt::format("{}: {}: expected a whole number from 0 to {:g}, got {}", file, key, high,
                                         value.dump()));
  return v;
}

}  // namespace

void save_checkpoint(const Checkpoint& c, const std::filesystem::path& path) {
  const json doc{{"format", kCheckpointFormatTag},
                 {"config", c.config},
                 {"epochs_done", c.epochs_done},
                 {"theta", to_json(c.theta)},
                 {"adam_m", to_json(c.adam.m)},
                 {"adam_v", to_json(c.adam.v)},
                 {"adam_step", c.adam.step},
                 {"best_epoch", c.best_epoch},
                 {"best_theta", to_json(c.best_theta)},
                 {"best_score", c.best_score},
                 {"history", c.history}};
  write_file_atomically(path, [&](std::ostream& out) { out << doc.dump() << '\n'; });
}

Checkpoint load_checkpoint(const std::filesystem::path& path, JsonFileRole role) {
  const std::string file = path.string();
  const json doc = read_json_file(path, "checkpoint", role);
  if (!doc.is_object() || doc.value("format", "") != kCheckpointFormatTag)
    throw std::runtime_error(fmt::format("{}: not a training checkpoint (format \"{}\" expected)", file, kCheckpointFormatTag));
  Checkpoint c;
  try {
    c.config = doc.at("config");
    c.epochs_done = static_cast<int>(whole_number(doc, "epochs_done", 1e6, file));
    c.adam.step = static_cast<long long>(whole_number(doc, "adam_step", 1e15, file));
    c.best_epoch = static_cast<int>(whole_number(doc, "best_epoch", 1e6, file));
    c.best_score = doc.at("best_score");
    c.history = doc.at("history");
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("{}: malformed checkpoint: {}", file, json_error_text(e)));
  }
  c.theta = vector_from(doc, "theta", file);
  c.adam.m = vector_from(doc, "adam_m", file);
  c.adam.v = vector_from(doc, "adam_v", file);
  c.best_theta = vector_from(doc, "best_theta", file);
  if (c.adam.m.size() != c.theta.size() || c.adam.v.size() != c.theta.size() || c.best_theta.size() != c.theta.size())
    throw std::runtime_error(file + ": malformed checkpoint: its vectors differ in length");
  return c;
}

}  // namespace picospice::training
