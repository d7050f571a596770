// The keyword-spotting front end as a dataset or a trained network records it: the "features"
// object of a kws dataset.json's provenance and of the encoding.json beside a network. It names
// what turns audio into the coefficients the encoding then z-scores (mfcc.hpp): MFCCs ("type":
// "mfcc", the log of the mel energies) or PCEN cepstra ("type": "pcen-cepstra", per-channel energy
// normalization in place of the log, with its settings under "pcen"), or both ("type":
// "mfcc+pcen-cepstra": the MFCCs, then the PCEN cepstra). A network must be fed the
// features it was trained on, so `dataset kws --encoding` and `demo kws` take the front end from
// the same file as the encoding.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "training/kws/mfcc.hpp"

namespace picospice::kws {

// The front end's "type": "mfcc", "pcen-cepstra" or "mfcc+pcen-cepstra".
std::string front_end_type(const MfccOptions& options);
// The front end a `dataset kws --features` name selects ("mfcc", "pcen", "mfcc+pcen"; throws
// std::invalid_argument for another), and its words for reports ("MFCCs", "PCEN cepstra",
// "MFCCs and PCEN cepstra").
MfccOptions front_end_from_option(const std::string& option);
std::string front_end_description(const MfccOptions& options);

// The description written into provenance and encoding.json (for MFCCs exactly the object of
// before PCEN existed).
nlohmann::json front_end_to_json(const MfccOptions& options);

// Reads the "features" object of a document (an encoding.json, a dataset.json, or the object
// itself: under "provenance.features", "features", or at the top). Without one, the MFCCs every
// dataset had before the choice existed. Only the type (and PCEN's settings) are read; the framing
// is picospice's fixed one. Throws std::runtime_error naming `source` for an unknown type.
MfccOptions front_end_from_json(const nlohmann::json& document, const std::string& source);
MfccOptions load_front_end(const std::filesystem::path& path);

}  // namespace picospice::kws
