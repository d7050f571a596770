// The `digits` task: the 1797 8x8 handwritten digits (UCI "Optical Recognition of Handwritten
// Digits", test part, as shipped by scikit-learn) read from Debian's python3-sklearn package, so
// nothing is downloaded. Each image becomes a sequence of 8 frames (its rows, top to bottom) of 8
// inputs (the row's pixels, 0..16, divided by 16: model units 0..1); 10 classes.
//
// The split is fixed (documented in netlists/network/DATASET.md): the images are shuffled by a
// Fisher-Yates permutation whose draws are the counter-based generator's
// unit_uniform(seed 0, stream fnv1a64("picospice digits split"), counter i), then the first 70%
// (1258) are the training split, the next 15% (270) validation and the last 269 test. Clip ids are
// "digit<row>" with <row> the image's 0-based row in digits.csv.gz.
#pragma once
#include <filesystem>
#include <string>

#include "netlists/network/training/dataset.hpp"

namespace picospice::training {

// Where Debian's python3-sklearn puts the file.
inline constexpr const char* kDigitsDefaultPath = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

// `source` may be digits.csv.gz, the directory holding it, or empty (the Debian path, then the
// other python3 dist-packages/site-packages directories). Throws DatasetError naming the package
// to install when the file is missing, and file:line for a malformed row.
Dataset load_digits(const std::filesystem::path& source = {});

// Locates digits.csv.gz as load_digits does (empty path when not found).
std::filesystem::path find_digits_file(const std::filesystem::path& source = {});

}  // namespace picospice::training
