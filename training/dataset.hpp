// Sequence-classification datasets for training BMRU networks: the `picospice-dataset/1` format
// shared by the trainer (`picospice train --task FILE`) and the generators (`picospice dataset`).
// Documented for users in training/DATASET.md; in short, a directory DIR holding
//
//   DIR/dataset.json   {"format": "picospice-dataset/1", "name": "kws", "inputs": 13, "classes": 2,
//                       "class_names": ["other", "yes"],
//                       "splits": {"train": "train.csv", "validation": "validation.csv", "test": "test.csv"},
//                       "provenance": {... free-form ...}}
//   DIR/<split>.csv    header `clip,frame,label,x0,...,x{inputs-1}`, one row per frame; the rows of a
//                      clip are contiguous with frame = 0, 1, 2, ...; the label is constant within a
//                      clip; x values are finite and >= 0 (model units: the network's unit_current
//                      turns them into amperes).
//   DIR/<split>_word_spans.csv  optional (dataset.json's "word_spans"): `clip,begin,end`, the frames
//                      [begin, end) holding a clip's spoken word (`train --loss-after-word`).
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace picospice::training {

inline constexpr const char* kDatasetFormatTag = "picospice-dataset/1";

// A malformed dataset. what() names the file (and line, for CSVs) and what is wrong.
class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One labelled sequence: frames[t][k] is input k at frame t (model units, >= 0).
struct Clip {
  std::string id;
  int label = 0;
  std::vector<std::vector<double>> frames;
  // The frames [word_begin, word_end) that hold the clip's spoken word, when the dataset says
  // (its word spans); -1 when it does not or the clip has no word (silence).
  int word_begin = -1, word_end = -1;
  bool has_word_span() const { return word_begin >= 0 && word_end > word_begin; }
};

struct Dataset {
  std::string name;
  int inputs = 0;
  int classes = 0;
  std::vector<std::string> class_names;  // one per class
  std::vector<Clip> train, validation, test;
  nlohmann::json provenance = nlohmann::json::object();  // free-form: generator, seed, command, ...
};

// Reads a dataset from its directory or from the path of its dataset.json. The CSVs named in
// "splits" are resolved relative to the dataset.json's directory. Throws DatasetError naming
// file:line and the fault (wrong header, a non-contiguous clip, a frame out of order, a label out
// of range or changing within a clip, a negative or non-finite input, a clip id used twice, a word
// span naming no clip of its split or not within its frames).
Dataset load_dataset(const std::filesystem::path& dir_or_json);

// Writes dataset.json and train.csv, validation.csv, test.csv into `dir` (created if needed).
// Each file is written atomically; dataset.json last, so its presence means the set is complete.
// Numbers are written in their shortest round-trip form, so load_dataset(save_dataset(d)) == d.
// Word spans are written (<split>_word_spans.csv and dataset.json's "word_spans") only when a clip
// has one, so a dataset without them is written as before.
// Throws DatasetError for an inconsistent dataset (a frame of the wrong width, a negative input,
// a label out of range, an empty clip, a clip id with a comma).
void save_dataset(const Dataset& dataset, const std::filesystem::path& dir);

// Throws DatasetError if the dataset breaks the format's rules (the checks save_dataset makes).
void validate_dataset(const Dataset& dataset);

}  // namespace picospice::training
