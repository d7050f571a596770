// Reading and writing WAV (RIFF) audio files, mono, as doubles in [-1, 1].
//
// Read: PCM integer samples of 8 (unsigned), 16, 24 or 32 bits, and IEEE float of 32 or 64 bits,
// plain (format tag 1 or 3) or WAVE_FORMAT_EXTENSIBLE (0xFFFE with a PCM or float sub-format).
// Several channels are averaged into one. A data chunk whose declared size runs past the end of
// the file is cut at the end of the file: `espeak-ng --stdout` writes a placeholder size
// (0x7ffff000-ish) because it streams to a pipe and cannot seek back to patch the header.
// Write: 16-bit PCM mono, samples clipped to [-1, 1] and rounded to the nearest integer step.
#pragma once
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace picospice::kws {

struct Audio {
  int sample_rate = 0;          // Hz
  std::vector<double> samples;  // mono, nominally in [-1, 1]
  double seconds() const { return sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0; }
};

// A malformed or unsupported WAV. what() starts with the source name.
class WavError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a WAV image held in memory; `source` names it in errors ("espeak-ng output", a path).
Audio parse_wav(const std::vector<std::uint8_t>& bytes, const std::string& source);
Audio read_wav(const std::filesystem::path& path);

std::vector<std::uint8_t> encode_wav16(const Audio& audio);
// Writes atomically (a temporary file renamed into place).
void write_wav16(const Audio& audio, const std::filesystem::path& path);

}  // namespace picospice::kws
