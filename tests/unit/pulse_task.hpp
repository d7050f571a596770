// The small memory task the trainer tests share (tests/unit/test_training.cpp,
// test_threshold_margin.cpp).
#pragma once
#include <string>
#include <vector>

#include "base/counter_rng.hpp"
#include "training/dataset.hpp"
#include "training/trainer.hpp"

// A task that needs memory: class k pulses input k in frames 0..2, then every input carries only
// low noise for frames 3..11. A frame after the pulse can only be classified by a unit that
// latched during it, so the vote over all 12 frames needs the hold. Chance is 1/3.
inline std::vector<picospice::training::Clip> pulse_clips(int count, std::uint64_t seed, const std::string& prefix) {
  std::vector<picospice::training::Clip> clips;
  for (int c = 0; c < count; ++c) {
    picospice::training::Clip clip{prefix + std::to_string(c), c % 3, {}};
    for (int t = 0; t < 12; ++t) {
      std::vector<double> x(3);
      for (int k = 0; k < 3; ++k) {
        const double noise = 0.25 * picospice::random::unit_uniform(seed, c, t * 3 + k);
        x[k] = (t < 3 && k == clip.label) ? 0.8 + noise : noise;
      }
      clip.frames.push_back(x);
    }
    clips.push_back(clip);
  }
  return clips;
}

inline picospice::training::Dataset pulse_dataset() {
  picospice::training::Dataset d;
  d.name = "pulse";
  d.inputs = 3;
  d.classes = 3;
  d.class_names = {"a", "b", "c"};
  d.train = pulse_clips(120, 1, "train");
  d.validation = pulse_clips(30, 2, "val");
  d.test = pulse_clips(60, 3, "test");
  return d;
}

// The settings that learn the pulse task in well under a second: 1 layer, minibatches of 16,
// learning rate 0.03; `units` and `epochs` as given.
inline picospice::training::TrainOptions pulse_options(int units, int epochs) {
  picospice::training::TrainOptions o;
  o.layers = 1;
  o.units = units;
  o.epochs = epochs;
  o.batch = 16;
  o.learning_rate = 0.03;
  return o;
}
