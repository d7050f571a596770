#include "training/kws/input_encoding.hpp"
#include "codesign/json_file.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace picospice::kws {

std::vector<std::vector<double>> InputEncoding::encode(const std::vector<std::vector<double>>& frames) const {
  std::vector<std::vector<double>> out(frames.size());
  for (std::size_t t = 0; t < frames.size(); ++t) {
    if (frames[t].size() != means.size())
      throw std::invalid_argument(fmt::format("input encoding: frame {} has {} coefficients, the encoding {}", t,
                                              frames[t].size(), means.size()));
    out[t].resize(means.size());
    for (std::size_t k = 0; k < means.size(); ++k) {
      const double x = scale * std::max(0.0, (frames[t][k] - means[k]) / stds[k] + offset);
      // Divide by 1/rounding (an integer for decimal steps): k / 10000 is then the double nearest
      // the decimal, which prints short, where k * 1e-4 may not (0.057300000000000004).
      const double per_unit = rounding > 0 ? std::round(1 / rounding) : 0;
      if (rounding > 0 && per_unit >= 1 && std::abs(per_unit * rounding - 1) < 1e-12) out[t][k] = std::round(x * per_unit) / per_unit;
      else out[t][k] = rounding > 0 ? std::round(x / rounding) * rounding : x;
    }
  }
  return out;
}

InputEncoding fit_encoding(const std::vector<std::vector<std::vector<double>>>& clips, double offset, double scale) {
  InputEncoding e;
  e.offset = offset;
  e.scale = scale;
  std::size_t width = 0, count = 0;
  for (const auto& clip : clips)
    for (const auto& frame : clip) {
      if (!width) {
        width = frame.size();
        e.means.assign(width, 0.0);
        e.stds.assign(width, 0.0);
      }
      if (frame.size() != width) throw std::invalid_argument("fit_encoding: frames of different widths");
      for (std::size_t k = 0; k < width; ++k) e.means[k] += frame[k];
      ++count;
    }
  if (!count) throw std::invalid_argument("fit_encoding: no frames");
  for (auto& m : e.means) m /= double(count);
  for (const auto& clip : clips)  // two passes: no cancellation in the variance
    for (const auto& frame : clip)
      for (std::size_t k = 0; k < width; ++k) e.stds[k] += (frame[k] - e.means[k]) * (frame[k] - e.means[k]);
  for (auto& s : e.stds) {
    s = std::sqrt(s / double(count));
    if (!(s > 0)) s = 1;
  }
  return e;
}

nlohmann::json encoding_to_json(const InputEncoding& e) {
  return {{"type", "zscore-offset-clip"},
          {"formula", "x_k = scale * max(0, (mfcc_k - means[k]) / stds[k] + offset), rounded to a multiple of rounding"},
          {"means", e.means},
          {"stds", e.stds},
          {"offset", e.offset},
          {"scale", e.scale},
          {"rounding", e.rounding}};
}

InputEncoding encoding_from_json(const nlohmann::json& document, const std::string& source) {
  const nlohmann::json* j = &document;
  if (j->is_object() && j->contains("provenance") && (*j)["provenance"].is_object() && (*j)["provenance"].contains("encoding"))
    j = &(*j)["provenance"]["encoding"];
  else if (j->is_object() && j->contains("encoding"))
    j = &(*j)["encoding"];
  auto fail = [&](const std::string& what) { return std::runtime_error(fmt::format("{}: encoding: {}", source, what)); };
  if (!j->is_object() || j->value("type", "") != "zscore-offset-clip")
    throw fail("expected an object with \"type\": \"zscore-offset-clip\"");
  InputEncoding e;
  try {
    e.means = j->at("means").get<std::vector<double>>();
    e.stds = j->at("stds").get<std::vector<double>>();
    e.offset = j->at("offset").get<double>();
    e.scale = j->at("scale").get<double>();
    e.rounding = j->value("rounding", 0.0);
  } catch (const nlohmann::json::exception& ex) {
    throw fail(ex.what());
  }
  if (e.means.empty() || e.means.size() != e.stds.size()) throw fail("means and stds must be non-empty and equally long");
  for (std::size_t k = 0; k < e.stds.size(); ++k) {
    if (!std::isfinite(e.means[k])) throw fail(fmt::format("means[{}] is not finite", k));
    if (!(e.stds[k] > 0) || !std::isfinite(e.stds[k])) throw fail(fmt::format("stds[{}] must be positive", k));
  }
  if (!std::isfinite(e.offset) || !(e.scale > 0) || !std::isfinite(e.scale) || !(e.rounding >= 0))
    throw fail("offset must be finite, scale positive, rounding >= 0");
  return e;
}

InputEncoding load_encoding(const std::filesystem::path& path) {
  const nlohmann::json j = read_json_file(path, "input encoding");
  return encoding_from_json(j, path.string());
}

}  // namespace picospice::kws
