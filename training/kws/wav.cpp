// WAV reading and writing (see wav.hpp). The RIFF layout: "RIFF" size "WAVE", then chunks of
// (4-byte id, 32-bit little-endian size, payload padded to an even length); "fmt " describes the
// samples and "data" holds them, little-endian and channel-interleaved.
#include "training/kws/wav.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "base/atomic_file.hpp"

namespace picospice::kws {
namespace {

std::uint32_t u32le(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }
std::uint16_t u16le(const std::uint8_t* p) { return std::uint16_t(p[0] | (p[1] << 8)); }

constexpr std::uint16_t kPcm = 1, kFloat = 3, kExtensible = 0xFFFE;

double decode_sample(const std::uint8_t* p, int bits, bool is_float) {
  if (is_float) {
    if (bits == 32) {
      float f;
      std::uint32_t u = u32le(p);
      std::memcpy(&f, &u, 4);
      return f;
    }
    std::uint64_t u = std::uint64_t(u32le(p)) | (std::uint64_t(u32le(p + 4)) << 32);
    double d;
    std::memcpy(&d, &u, 8);
    return d;
  }
  switch (bits) {
    case 8: return (double(p[0]) - 128.0) / 128.0;
    case 16: return double(std::int16_t(u16le(p))) / 32768.0;
    case 24: {
      std::int32_t v = std::int32_t((std::uint32_t(p[0]) << 8) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 24)) >> 8;
      return double(v) / 8388608.0;
    }
    default: return double(std::int32_t(u32le(p))) / 2147483648.0;
  }
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
}
void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(std::uint8_t(v));
  out.push_back(std::uint8_t(v >> 8));
}

}  // namespace

Audio parse_wav(const std::vector<std::uint8_t>& bytes, const std::string& source) {
  auto fail = [&](const std::string& what) { return WavError(fmt::format("{}: {}", source, what)); };
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    throw fail("not a WAV file (no RIFF/WAVE header)");
  int channels = 0, bits = 0, rate = 0;
  bool is_float = false, have_format = false;
  std::size_t pos = 12;
  while (pos + 8 <= bytes.size()) {
    const std::uint8_t* chunk = bytes.data() + pos;
    const std::size_t declared = u32le(chunk + 4);
    const std::size_t available = bytes.size() - (pos + 8);
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (declared < 16 || declared > available) throw fail(fmt::format("'fmt ' chunk of {} bytes is truncated", declared));
      std::uint16_t tag = u16le(chunk + 8);
      channels = u16le(chunk + 10);
      rate = int(u32le(chunk + 12));
      bits = u16le(chunk + 22);
      if (tag == kExtensible) {
        if (declared < 40) throw fail("WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk shorter than 40 bytes");
        tag = u16le(chunk + 8 + 24);  // the first two bytes of the sub-format GUID are the format tag
      }
      if (tag != kPcm && tag != kFloat) throw fail(fmt::format("unsupported sample format tag {} (only PCM and IEEE float)", tag));
      is_float = tag == kFloat;
      if (is_float ? (bits != 32 && bits != 64) : (bits != 8 && bits != 16 && bits != 24 && bits != 32))
        throw fail(fmt::format("unsupported {} sample width of {} bits", is_float ? "float" : "PCM", bits));
      if (channels < 1) throw fail("zero channels");
      if (rate < 1) throw fail("sample rate must be positive");
      have_format = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_format) throw fail("'data' chunk before the 'fmt ' chunk");
      const std::size_t size = std::min(declared, available);  // streamed writers leave a placeholder size
      const std::size_t frame_bytes = std::size_t(channels) * (bits / 8);
      const std::size_t frames = size / frame_bytes;
      Audio audio;
      audio.sample_rate = rate;
      audio.samples.resize(frames);
      for (std::size_t i = 0; i < frames; ++i) {
        double sum = 0;
        for (int c = 0; c < channels; ++c) sum += decode_sample(chunk + 8 + i * frame_bytes + c * (bits / 8), bits, is_float);
        audio.samples[i] = sum / channels;
        if (!std::isfinite(audio.samples[i])) throw fail(fmt::format("sample {} is not a finite number", i));
      }
      return audio;
    }
    if (declared > available) break;
    pos += 8 + declared + (declared & 1);
  }
  throw fail(have_format ? "no 'data' chunk" : "no 'fmt ' chunk");
}

Audio read_wav(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw WavError(fmt::format("{}: cannot open for reading", path.string()));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_wav(bytes, path.string());
}

std::vector<std::uint8_t> encode_wav16(const Audio& audio) {
  if (audio.sample_rate < 1) throw WavError("write_wav16: sample rate must be positive");
  const std::uint32_t data_bytes = std::uint32_t(audio.samples.size() * 2);
  std::vector<std::uint8_t> out;
  out.reserve(44 + data_bytes);
  for (char c : std::string("RIFF")) out.push_back(std::uint8_t(c));
  put_u32(out, 36 + data_bytes);
  for (char c : std::string("WAVEfmt ")) out.push_back(std::uint8_t(c));
  put_u32(out, 16);
  put_u16(out, kPcm);
  put_u16(out, 1);  // mono
  put_u32(out, std::uint32_t(audio.sample_rate));
  put_u32(out, std::uint32_t(audio.sample_rate) * 2);
  put_u16(out, 2);
  put_u16(out, 16);
  for (char c : std::string("data")) out.push_back(std::uint8_t(c));
  put_u32(out, data_bytes);
  for (double s : audio.samples) {
    const double clipped = std::clamp(std::isfinite(s) ? s : 0.0, -1.0, 32767.0 / 32768.0);
    put_u16(out, std::uint16_t(std::int16_t(std::lround(clipped * 32768.0))));
  }
  return out;
}

void write_wav16(const Audio& audio, const std::filesystem::path& path) {
  const auto bytes = encode_wav16(audio);
  try {
    write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const std::runtime_error& e) {
    throw WavError(e.what());  // callers handle every WAV trouble as a WavError
  }
}

}  // namespace picospice::kws
