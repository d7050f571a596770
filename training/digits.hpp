// The `digits` task: the 1797 8x8 handwritten digits (UCI "Optical Recognition of Handwritten
// Digits", test part, as shipped by scikit-learn) read from Debian's python3-sklearn package, so
// nothing is downloaded. Each image becomes a sequence of 8 frames of 8 inputs (pixels 0..16,
// divided by 16: model units 0..1); 10 classes. The scan decides which: by default the columns,
// left to right (frame t = column t, input k = the pixel in row k); or the rows, top to bottom.
//
// Why columns by default: a BMRU unit sees one frame at a time through one weighted sum, and it has
// no clock, so what it can remember is the last frame that pushed its candidate out of the hold
// band, not where in the image that frame was. Read by rows, many digits share their rows (the
// horizontal bars of 2, 3, 5, 7; the loops of 6, 8, 9 differ mostly in which rows hold them), and a
// 1 x 32 network cannot even fit its training split (91% after 100 epochs; trained with a
// smooth-step forward pass instead, 93%: the model's reach, not the surrogate gradient, limits
// it). Read by columns, the same network (same command and seed, measured without
// --hardware-aware) fits the training split (99%) and its validation accuracy rises from 83% to
// 88%. benchmarks/train_bench runs its digits command both ways. Chosen on the validation split.
//
// The split is fixed (documented in training/DATASET.md): the images are shuffled by a
// Fisher-Yates permutation whose draws are the counter-based generator's
// unit_uniform(seed 0, stream fnv1a64("picospice digits split"), counter i), then the first 70%
// (1258) are the training split, the next 15% (270) validation and the last 269 test. Clip ids are
// "digit<row>" with <row> the image's 0-based row in digits.csv.gz.
#pragma once
#include <filesystem>
#include <string>

#include "training/dataset.hpp"

namespace picospice::training {

// Where Debian's python3-sklearn puts the file.
inline constexpr const char* kDigitsDefaultPath = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

// The order in which an image is read as a sequence of frames (see above).
enum class DigitsScan { Columns, Rows };
// "columns" or "rows"; throws std::invalid_argument for anything else.
DigitsScan parse_digits_scan(const std::string& name);

// `source` may be digits.csv.gz, the directory holding it, or empty (the Debian path, then the
// other python3 dist-packages/site-packages directories). Throws DatasetError naming the package
// to install when the file is missing, and file:line for a malformed row. The split does not
// depend on the scan.
Dataset load_digits(const std::filesystem::path& source = {}, DigitsScan scan = DigitsScan::Columns);

// Locates digits.csv.gz as load_digits does (empty path when not found).
std::filesystem::path find_digits_file(const std::filesystem::path& source = {});

}  // namespace picospice::training
