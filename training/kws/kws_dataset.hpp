// `picospice dataset kws`: a keyword-spotting dataset synthesized offline (docs/requirements.md,
// 'Training and the keyword-spotting dataset'), in the picospice-dataset/1 format
// (training/dataset.hpp).
//
// Binary task, class 1 "yes" against class 0 "other" (the other words and silence), exactly half of
// each split's clips "yes" (even indices; odd ones "other"). Clips come from held-out voice groups
// (voices.hpp): the test split's voices (espeak's (accent, variant) combinations, the other
// engines' voices) appear in no other split, nor do validation's; with a test engine, none of its
// voices speaks outside the test split. Each clip is a recipe drawn from (seed, split, index) (clip_recipe.hpp), rendered to
// 1 s of 16 kHz audio, turned into 101 frames of 13 MFCCs (mfcc.hpp), and encoded into 13
// non-negative input currents with statistics of the training split (input_encoding.hpp).
//
// Deterministic for a seed: every random choice is an addressed draw, espeak-ng is deterministic,
// the FFT plan is FFTW_ESTIMATE; the thread count does not matter.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "training/kws/clip_recipe.hpp"
#include "training/kws/input_encoding.hpp"
#include "training/kws/mfcc.hpp"
#include "training/dataset.hpp"

namespace picospice::kws {

struct KwsDatasetOptions {
  std::uint64_t seed = 1;
  int clips = 4000;                 // over all splits
  double validation_fraction = 0.15, test_fraction = 0.15;  // of the clips and of the voices
  // > 0: the test split's share of the clips instead of test_fraction (`dataset kws --test-fraction`),
  // the voices still dealt by test_fraction, so that every other clip stays the one it was (a
  // held-out engine that synthesizes slowly needs fewer test clips, not other training voices).
  double test_clip_fraction = 0;
  int jobs = 2;                     // synthesis threads
  double offset = 2.0, scale = 0.25;  // the input encoding (input_encoding.hpp)
  RecipeRanges ranges;              // incl. the harder mix (clip_recipe.hpp)
  // Speech engines (speech_engine.hpp), each with its own voices split three ways
  // (split_engine_voices); espeak alone gives exactly the datasets of before.
  std::vector<std::string> engines = {"espeak"};
  // Non-empty: this engine's voices speak only in the test split (`dataset kws --test-engine`).
  std::string test_engine;
  // With test_engine: the test split is that engine alone; the other engines' voices are dealt to
  // train and validation only (`dataset kws --test-engine-only`; split_engine_voices).
  bool test_engine_only = false;
  // Given: every split is encoded with it instead of the training split's statistics (an evaluation
  // set for a trained network, encoded exactly as its training data were; `dataset kws --encoding`).
  std::optional<InputEncoding> encoding;
  // The front end (mfcc.hpp): MFCCs by default; PCEN cepstra, or both (`dataset kws --features`).
  MfccOptions features;
  std::string command;              // recorded in the provenance
};

// Called after each clip with (clips done, total), from one thread at a time.
using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

// Throws std::invalid_argument for fewer than 6 clips (each split needs a clip of each class) or bad
// engines, and SpeechError when an engine's program is missing (naming its Debian packages) or fails.
training::Dataset build_kws_dataset(const KwsDatasetOptions& options, const ProgressCallback& progress = {});

}  // namespace picospice::kws
