// The front end's JSON description (see front_end.hpp).
#include "training/kws/front_end.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "codesign/json_file.hpp"
#include "training/kws/clip_recipe.hpp"

namespace picospice::kws {

namespace {

// One row per MfccOptions::Compression, in its order: the JSON "type", the `--features` name, and
// the words reports use.
struct FrontEndNames {
  const char* type;
  const char* option;
  const char* description;
};
constexpr FrontEndNames kNames[] = {{"mfcc", "mfcc", "MFCCs"},
                                    {"pcen-cepstra", "pcen", "PCEN cepstra"},
                                    {"mfcc+pcen-cepstra", "mfcc+pcen", "MFCCs and PCEN cepstra"}};

const FrontEndNames& names_of(const MfccOptions& o) { return kNames[static_cast<int>(o.compression)]; }

}  // namespace

std::string front_end_type(const MfccOptions& o) { return names_of(o).type; }
std::string front_end_description(const MfccOptions& o) { return names_of(o).description; }

MfccOptions front_end_from_option(const std::string& option) {
  for (int k = 0; k < static_cast<int>(std::size(kNames)); ++k)
    if (option == kNames[k].option) {
      MfccOptions o;
      o.compression = static_cast<MfccOptions::Compression>(k);
      return o;
    }
  throw std::invalid_argument("unknown front end \"" + option + "\" (expected mfcc, pcen or mfcc+pcen)");
}

nlohmann::json front_end_to_json(const MfccOptions& o) {
  nlohmann::json j = {{"type", front_end_type(o)},
                      {"sample_rate", o.sample_rate},
                      {"window", o.window},
                      {"window_function", "periodic Hamming"},
                      {"hop", o.hop},
                      {"fft_size", o.fft_size},
                      {"padding", "centred, reflect (x[-1] = x[1])"},
                      {"frames_per_clip", mfcc_frames(kClipSamples, o)},
                      {"mel_filters", o.mel_filters},
                      {"mel_scale", "HTK: 2595 log10(1 + f/700)"},
                      {"mel_range_hz", {o.low_hz, o.high_hz}},
                      {"log", "natural, floored at 1e-10"},
                      {"dct", "orthonormal DCT-II"},
                      {"coefficients", o.coefficients}};
  if (o.compression == MfccOptions::Compression::pcen) j.erase("log");
  if (o.compression == MfccOptions::Compression::log_and_pcen)
    j["order"] = fmt::format("the {0} MFCCs, then the {0} PCEN cepstra", o.coefficients);
  if (o.uses_pcen()) {
    j["pcen"] = {{"formula", "(E / (eps + M)^gain + bias)^power - bias^power, M_t = (1 - s) M_{t-1} + s E_t, M_0 = E_0"},
                 {"smoothing", o.pcen_smoothing},
                 {"gain", o.pcen_gain},
                 {"bias", o.pcen_bias},
                 {"power", o.pcen_power},
                 {"eps", o.pcen_eps}};
  }
  return j;
}

MfccOptions front_end_from_json(const nlohmann::json& document, const std::string& source) {
  const nlohmann::json* j = &document;
  if (j->is_object() && j->contains("provenance") && (*j)["provenance"].is_object() &&
      (*j)["provenance"].contains("features"))
    j = &(*j)["provenance"]["features"];
  else if (j->is_object() && j->contains("features"))
    j = &(*j)["features"];
  MfccOptions o;
  if (!j->is_object() || !j->contains("type")) return o;  // from before the choice: MFCCs
  const std::string type = j->value("type", "");
  const auto known = std::find_if(std::begin(kNames), std::end(kNames),
                                  [&](const FrontEndNames& n) { return type == n.type; });
  if (known == std::end(kNames))
    throw std::runtime_error(
        fmt::format("{}: features: unknown type \"{}\" (expected mfcc, pcen-cepstra or mfcc+pcen-cepstra)", source, type));
  o.compression = static_cast<MfccOptions::Compression>(known - std::begin(kNames));
  if (!o.uses_pcen()) return o;
  try {
    const nlohmann::json& p = j->at("pcen");
    o.pcen_smoothing = p.at("smoothing").get<double>();
    o.pcen_gain = p.at("gain").get<double>();
    o.pcen_bias = p.at("bias").get<double>();
    o.pcen_power = p.at("power").get<double>();
    o.pcen_eps = p.at("eps").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: features.pcen: {}", source, e.what()));
  }
  if (!(o.pcen_smoothing > 0 && o.pcen_smoothing <= 1) || !(o.pcen_gain >= 0) || !(o.pcen_bias > 0) ||
      !(o.pcen_power > 0) || !(o.pcen_eps > 0))
    throw std::runtime_error(fmt::format("{}: features.pcen: need 0 < smoothing <= 1, gain >= 0, bias, power, eps > 0", source));
  return o;
}

MfccOptions load_front_end(const std::filesystem::path& path) {
  return front_end_from_json(read_json_file(path, "kws front end"), path.string());
}

}  // namespace picospice::kws
