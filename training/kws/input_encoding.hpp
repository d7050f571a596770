// From signed MFCCs to the non-negative input currents of a BMRU network (first quadrant only).
//
//   x_k = scale * max(0, (c_k - mean_k) / std_k + offset)       model units (x unit_current = A)
//
// mean_k and std_k are the per-coefficient statistics over every frame of the TRAINING split only
// (validation and test never inform the encoding). With the defaults offset = 2 and scale = 0.25,
// a coefficient at its training mean becomes 0.5 units (0.5 nA at 1 nA per unit) and one at +2
// standard deviations 1 unit; values below -2 standard deviations (about 2% of a Gaussian) clip to
// zero. That keeps nearly all inputs within the 50 pA to 3 nA the cell and mirrors are accurate over
// (docs/design.md, 'Operating range'). The values are rounded to 1e-4 units (0.1 pA at 1 nA per
// unit), far below any current the circuit resolves, to keep the dataset CSVs compact.
//
// The encoding is stored as JSON {"type": "zscore-offset-clip", "means": [...], "stds": [...],
// "offset": 2, "scale": 0.25, "rounding": 1e-4} in the dataset's provenance ("encoding") and beside a
// trained network, so a new WAV can be encoded exactly as the training data was.
#pragma once
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

namespace picospice::kws {

struct InputEncoding {
  std::vector<double> means, stds;
  double offset = 2.0;
  double scale = 0.25;
  double rounding = 1e-4;

  // frames[t][k] (signed MFCCs) -> inputs[t][k] (model units, >= 0). Throws std::invalid_argument
  // when a frame's width differs from the encoding's.
  std::vector<std::vector<double>> encode(const std::vector<std::vector<double>>& frames) const;
};

// Statistics over every frame of every clip; a coefficient with zero spread gets std 1 (so it
// encodes to scale * offset rather than dividing by zero).
InputEncoding fit_encoding(const std::vector<std::vector<std::vector<double>>>& clips, double offset, double scale);

nlohmann::json encoding_to_json(const InputEncoding& encoding);
// Accepts the encoding object itself, or a document holding it under "encoding" or
// "provenance.encoding" (a dataset.json). Throws std::runtime_error naming `source` and the fault.
InputEncoding encoding_from_json(const nlohmann::json& document, const std::string& source);
InputEncoding load_encoding(const std::filesystem::path& path);

}  // namespace picospice::kws
