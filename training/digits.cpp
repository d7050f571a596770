// The `digits` task (see digits.hpp).
#include "training/digits.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <charconv>
#include <cmath>
#include <numeric>
#include <sstream>

#include "base/counter_rng.hpp"

namespace picospice::training {
namespace {

constexpr int kSide = 8;
constexpr int kClasses = 10;
constexpr int kImages = 1797;

// The whole gzip file, decompressed with zlib's gzread (which also reads uncompressed files).
std::string read_gzip(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw DatasetError(path.string() + ": cannot open");
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const int n = gzread(file, buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      throw DatasetError(path.string() + ": cannot decompress: " + message);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  gzclose(file);
  return text;
}

}  // namespace

std::filesystem::path find_digits_file(const std::filesystem::path& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!source.empty()) {
    if (fs::is_directory(source, ec)) return fs::exists(source / "digits.csv.gz", ec) ? source / "digits.csv.gz" : fs::path{};
    return fs::exists(source, ec) ? source : fs::path{};
  }
  if (fs::exists(kDigitsDefaultPath, ec)) return kDigitsDefaultPath;
  // Other Python installations' package directories (a pip-installed scikit-learn, say).
  for (const char* root : {"/usr/lib", "/usr/local/lib"}) {
    if (!fs::is_directory(root, ec)) continue;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("python3", 0) != 0) continue;
      for (const char* packages : {"dist-packages", "site-packages"}) {
        const fs::path candidate = entry.path() / packages / "sklearn/datasets/data/digits.csv.gz";
        if (fs::exists(candidate, ec)) return candidate;
      }
    }
  }
  return {};
}

DigitsScan parse_digits_scan(const std::string& name) {
  if (name == "columns") return DigitsScan::Columns;
  if (name == "rows") return DigitsScan::Rows;
  throw std::invalid_argument(fmt::format("the digits scan must be \"columns\" or \"rows\", got \"{}\"", name));
}

Dataset load_digits(const std::filesystem::path& source, DigitsScan scan) {
  const std::filesystem::path path = find_digits_file(source);
  if (path.empty()) {
    if (!source.empty()) throw DatasetError(source.string() + ": no digits.csv.gz there");
    throw DatasetError(fmt::format("the digits task needs {} (install the Debian package python3-sklearn: "
                                   "`apt-get install python3-sklearn`), or pass its path with --data",
                                   kDigitsDefaultPath));
  }
  const std::string text = read_gzip(path);
  std::vector<Clip> images;
  std::istringstream lines(text);
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = fmt::format("{}:{}", path.string(), line_no);
    std::vector<double> values;
    std::size_t start = 0;
    while (start <= line.size()) {
      const auto comma = std::min(line.find(',', start), line.size());
      double v = 0;
      const auto [p, ec] = std::from_chars(line.data() + start, line.data() + comma, v);
      if (ec != std::errc() || p != line.data() + comma || !std::isfinite(v))
        throw DatasetError(fmt::format("{}: field {} is not a number", where, values.size() + 1));
      values.push_back(v);
      start = comma + 1;
    }
    if (values.size() != kSide * kSide + 1)
      throw DatasetError(fmt::format("{}: expected 65 fields (64 pixels and the label), got {}", where, values.size()));
    const double label = values.back();
    if (label != std::floor(label) || label < 0 || label >= kClasses)
      throw DatasetError(fmt::format("{}: label {} is not a digit 0..9", where, label));
    Clip clip{fmt::format("digit{}", images.size()), static_cast<int>(label), {}};
    for (int i = 0; i < kSide * kSide; ++i)
      if (values[i] < 0 || values[i] > 16)
        throw DatasetError(fmt::format("{}: pixel {} is {}, outside 0..16", where, i, values[i]));
    // The file holds each image row by row: pixel (row, col) is field row * 8 + col.
    for (int t = 0; t < kSide; ++t) {
      std::vector<double> frame(kSide);
      for (int k = 0; k < kSide; ++k)
        frame[k] = (scan == DigitsScan::Rows ? values[t * kSide + k] : values[k * kSide + t]) / 16.0;
      clip.frames.push_back(std::move(frame));
    }
    images.push_back(std::move(clip));
  }
  if (images.size() != kImages)
    throw DatasetError(fmt::format("{}: expected {} images, found {} (a different scikit-learn release?)",
                                   path.string(), kImages, images.size()));

  // The fixed split: a Fisher-Yates shuffle with addressed draws (seed 0), then 70/15/15.
  std::vector<std::size_t> order(images.size());
  std::iota(order.begin(), order.end(), 0);
  const std::uint64_t stream = random::fnv1a64("picospice digits split");
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    const auto j = static_cast<std::size_t>(random::unit_uniform(0, stream, i) * static_cast<double>(i + 1));
    std::swap(order[i], order[std::min(j, i)]);
  }
  const std::size_t n_train = (images.size() * 70 + 50) / 100, n_validation = (images.size() * 15 + 50) / 100;
  Dataset d;
  d.name = "digits";
  d.inputs = kSide;
  d.classes = kClasses;
  for (int k = 0; k < kClasses; ++k) d.class_names.push_back(std::to_string(k));
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto& split = i < n_train ? d.train : i < n_train + n_validation ? d.validation : d.test;
    split.push_back(images[order[i]]);
  }
  d.provenance = {{"source", path.string()},
                  {"package", "python3-sklearn (Debian)"},
                  {"origin", "UCI Optical Recognition of Handwritten Digits (test part), 1797 images of 8x8"},
                  {"encoding", scan == DigitsScan::Rows ? "frame t = image row t, input k = pixel (row t, column k) / 16"
                                                        : "frame t = image column t, input k = pixel (row k, column t) / 16"},
                  {"split", "Fisher-Yates with unit_uniform(0, fnv1a64(\"picospice digits split\"), i); 70/15/15"}};
  return d;
}

}  // namespace picospice::training
