// `picospice demo kws [WAV]`: the flagship demo (docs/requirements.md, 'Training and the
// keyword-spotting dataset'). A spoken word (a user's WAV, or one
// espeak-ng says) becomes 101 frames of input currents (the features its encoding names: 13 MFCCs,
// or 13 MFCCs and 13 PCEN cepstra), encoded exactly as the trained network's training data were
// (training/kws/); the trained network (the shipped one: a linear layer of 32, then 2 BMRU layers
// of 16 units) then runs in software (infer) and as a transistor circuit (lowered, simulated and
// compared by the agreement code), and the demo prints both decisions, the power and the energy per inference, and
// plots the unit-state rasters.
//
// The audio is never shifted: a WAV is classified as recorded (its first second), and the decision
// does not depend on where the word falls. The network streams frame by frame, its units' binary
// states carrying what it has heard; the decision rule is the network's own, stored in the network
// file (codesign/inference.hpp, 'Decision'). The shipped network (netlists/examples/kws_robust/)
// uses run detection as an up/down count: +1 on a "yes" frame, -2 on another, "yes" when the count
// reaches 21 anywhere in the clip; trained on onsets of 0.05-0.55 s. The demo also prints the frame
// from which the readout stays on its final class.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "codesign/agreement.hpp"
#include "codesign/calibration.hpp"
#include "codesign/inference.hpp"
#include "training/kws/clip_recipe.hpp"
#include "training/kws/front_end.hpp"
#include "training/kws/input_encoding.hpp"
#include "training/kws/mfcc.hpp"
#include "training/kws/resample.hpp"
#include "training/kws/speech_engine.hpp"
#include "training/kws/wav.hpp"
#include "tools/agreement_plot.hpp"
#include "base/data_files.hpp"
#include "tools/command.hpp"
#include "tools/gnuplot.hpp"

namespace picospice::tools {
namespace {

namespace fs = std::filesystem;
using namespace picospice::network;

struct DemoOptions {
  std::string wav, network, encoding, plot_dir, calibrate, save_wav;
  std::string say = "yes";
  std::string voice;  // empty: en-us for espeak, the engine's first voice otherwise
  std::string engine = "espeak";
  int words_per_minute = 160, pitch = 50;
  double snr_db = 20;
  double onset_s = 0.2;
};

fs::path default_network() { return data_file("examples/kws_robust/network.json"); }

// The encoding beside the network: encoding.json in its directory.
fs::path default_encoding(const fs::path& network) { return network.parent_path() / "encoding.json"; }

std::vector<std::string> class_names_from(const fs::path& encoding_file, int classes) {
  std::vector<std::string> names;
  std::ifstream in(encoding_file);
  try {
    const auto j = nlohmann::json::parse(in);
    if (j.contains("class_names")) names = j["class_names"].get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
  }
  if (int(names.size()) != classes) {
    names.clear();
    for (int k = 0; k < classes; ++k) names.push_back(classes == 2 ? (k ? "yes" : "other") : fmt::format("class {}", k));
  }
  return names;
}

// A user's recording as one 1 s, 16 kHz clip: resampled when needed, then its first second as it is
// (padded with zeros when shorter). Nothing is shifted: the network's decision does not depend on
// where the word starts (see the top of this file).
std::vector<double> clip_from_wav(const kws::Audio& audio, const std::string& name) {
  std::vector<double> samples = audio.samples;
  if (audio.sample_rate != kws::kClipRate) {
    fmt::print("{}: {} Hz, resampled to {} Hz\n", name, audio.sample_rate, kws::kClipRate);
    samples = kws::resample(samples, audio.sample_rate, kws::kClipRate);
  }
  const auto [first, last] = kws::active_span(samples, kws::kClipRate);
  if (last <= first) fmt::print("{}: digital silence\n", name);
  if (samples.size() > std::size_t(kws::kClipSamples))
    fmt::print("{}: {:.2f} s long; only its first second is classified\n", name, double(samples.size()) / kws::kClipRate);
  std::vector<double> clip(kws::kClipSamples, 0.0);
  std::copy_n(samples.begin(), std::min(samples.size(), clip.size()), clip.begin());
  return clip;
}

// The first frame from which the readout's class stays `decision` to the end of the clip (the
// frame at which the network settled on it), or -1 when the last frame says otherwise.
int settled_from(const std::vector<int>& frame_class, int decision) {
  int first = int(frame_class.size());
  while (first > 0 && frame_class[std::size_t(first - 1)] == decision) --first;
  return first < int(frame_class.size()) ? first : -1;
}

void plot_inputs(const std::vector<Vector>& inputs, const fs::path& dir) {
  const fs::path data = dir / "inputs.dat";
  {
    std::ofstream out(data);
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      for (std::size_t k = 0; k < inputs[t].size(); ++k) out << t << ' ' << k << ' ' << inputs[t][k] << '\n';
      out << '\n';
    }
  }
  run_gnuplot(fmt::format(
      "set terminal pngcairo size 1100,360 noenhanced font 'sans,10'\nset output {}\n"
      "set title 'input currents (encoded MFCCs, model units = nA)'\nset xlabel 'frame (10 ms)'\nset ylabel 'input'\n"
      "set xrange [-0.5:{}-0.5]\nset yrange [-0.5:{}-0.5]\nset palette rgbformulae 33,13,10\n"
      "plot {} using 1:2:3 with image notitle\n",
      gnuplot_quote((dir / "inputs.png").string()), inputs.size(), inputs.empty() ? 0 : inputs[0].size(),
      gnuplot_quote(data.string())));
}

int run_demo_kws(const DemoOptions& o) {
  const fs::path network_path = o.network.empty() ? default_network() : fs::path(o.network);
  if (!fs::exists(network_path))
    throw std::runtime_error(fmt::format("{}: no such network (give one with --network)", network_path.string()));
  const fs::path encoding_path = o.encoding.empty() ? default_encoding(network_path) : fs::path(o.encoding);
  if (!fs::exists(encoding_path))
    throw std::runtime_error(fmt::format("{}: no input encoding beside the network (give the dataset.json the network "
                                         "was trained on, or an encoding.json, with --encoding)",
                                         encoding_path.string()));
  const Network net = load_network(network_path);
  const kws::InputEncoding encoding = kws::load_encoding(encoding_path);
  if (int(encoding.means.size()) != net.inputs)
    throw std::runtime_error(fmt::format("{}: the encoding has {} inputs, the network {} ({})", encoding_path.string(),
                                         encoding.means.size(), net.inputs, network_path.string()));
  const auto class_names = class_names_from(encoding_path, net.classes());

  std::vector<double> clip;
  std::string source;
  if (!o.wav.empty()) {
    clip = clip_from_wav(kws::read_wav(o.wav), o.wav);
    source = o.wav;
  } else {
    kws::ClipRecipe recipe;
    recipe.word = o.say;
    const std::string voice =
        !o.voice.empty() ? o.voice : o.engine == "espeak" ? "en-us" : kws::speech_engine(o.engine).voices().front();
    recipe.voice = {voice, "", o.engine};
    recipe.words_per_minute = o.words_per_minute;
    recipe.pitch = o.pitch;
    recipe.level_db = -20;
    recipe.snr_db = o.snr_db;
    recipe.noise = kws::NoiseColor::pink;
    recipe.onset_s = o.onset_s;
    recipe.seed = 1;
    clip = kws::render_clip(recipe);
    const std::string speaker =
        o.engine == "espeak"
            ? fmt::format("espeak-ng -v {} -s {} -p {}", voice, o.words_per_minute, o.pitch)
            : fmt::format("{} voice {}, speed {} wpm, pitch {} (espeak-ng units)", o.engine, voice, o.words_per_minute, o.pitch);
    source = fmt::format("{} \"{}\", from {} s in a 1 s clip, pink noise at {} dB SNR", speaker, o.say, o.onset_s, o.snr_db);
  }
  if (!o.save_wav.empty()) kws::write_wav16({kws::kClipRate, clip}, o.save_wav);

  // The front end the network was trained on, from the same file as the encoding (front_end.hpp).
  const kws::MfccOptions front_end = kws::load_front_end(encoding_path);
  kws::MfccExtractor mfcc(front_end);
  const std::vector<Vector> inputs = encoding.encode(mfcc.compute(clip));
  fmt::print("input      {}\n", source);
  fmt::print("features   {} frames x {} {} -> input currents (mean {:.3f} nA)\n", inputs.size(), net.inputs,
             kws::front_end_description(front_end), [&] {
    double s = 0;
    for (const auto& f : inputs)
      for (double x : f) s += x;
    return s / double(inputs.size() * inputs[0].size()) * net.unit_current * 1e9;
  }());
  // Relative to the working directory when the file is beneath it, else as given.
  const fs::path shown = fs::proximate(network_path);
  fmt::print("network    {}\n\n", (shown.empty() || *shown.begin() == "..") ? network_path.string() : shown.string());

  const InferenceResult software = infer(net, inputs);
  const auto votes = [&](const std::vector<int>& counts) {
    std::string s;
    for (std::size_t k = 0; k < counts.size(); ++k) s += fmt::format("{}{} {}", k ? ", " : "", class_names[k], counts[k]);
    return s;
  };
  fmt::print("rule       {}\n", network::decision_rule_text(net));
  fmt::print("software   decision: {:<6} ({}: {}{})\n", class_names[software.vote.decision],
             network::decision_counts_name(net), votes(software.vote.counts),
             software.vote.borderline ? "; borderline" : "");
  if (const int settled = settled_from(software.frame_class, software.vote.decision); settled > 0)
    fmt::print("           the readout says {} from frame {} ({:.2f} s) on\n", class_names[software.vote.decision], settled,
               settled * net.frame);

  std::optional<CellCalibration> calibration;
  AgreementOptions options;
  options.lowering.title = "picospice demo kws: " + network_path.filename().string();
  if (!o.calibrate.empty()) {
    calibration = load_calibration(o.calibrate);
    options.lowering.calibration = &*calibration;
  }
  fmt::print("circuit    lowering to transistors and simulating {} frames ({:.2f} s of circuit time)...\n", inputs.size(),
             inputs.size() * net.frame);
  const AgreementReport circuit = run_agreement(net, inputs, options);
  fmt::print("circuit    decision: {:<6} ({} software; {} transistors, simulated in {:.1f} s)\n",
             class_names[circuit.circuit_decision], circuit.decision_agreement ? "agrees with" : "DIFFERS from",
             circuit.transistors, circuit.simulation_seconds);
  fmt::print("states     {:.1f}% of {} non-borderline unit-frames agree ({} borderline)\n", 100 * circuit.state_agreement,
             circuit.compared_frames, circuit.borderline_frames);
  fmt::print("power      {:.1f} nW ({:.1f} nW in the recurrent cells, {:.1f} nW in mirrors and biases)\n",
             circuit.power_total_w * 1e9, circuit.power_cells_w * 1e9, (circuit.power_total_w - circuit.power_cells_w) * 1e9);
  fmt::print("energy     {:.1f} nJ per inference ({} frames of {:.0f} ms)\n", circuit.energy_per_inference_j * 1e9,
             circuit.frames, net.frame * 1e3);

  if (!o.plot_dir.empty()) {
    if (!find_gnuplot()) fmt::print("plots      skipped: gnuplot not found (Debian package gnuplot-nox)\n");
    else {
      fs::create_directories(o.plot_dir);
      write_agreement_plots(circuit, o.plot_dir);
      plot_inputs(inputs, o.plot_dir);
      fmt::print("plots      {0}/states.png (state raster), {0}/logits.png, {0}/inputs.png\n", o.plot_dir);
    }
  }
  return 0;
}

}  // namespace

CommandAction add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Flagship demos.");
  cmd->require_subcommand(1);
  auto o = std::make_shared<DemoOptions>();
  auto* k = cmd->add_subcommand(
      "kws",
      "Keyword spotting on a transistor circuit: a WAV (or a word espeak-ng says) -> MFCC and PCEN input\n"
      "currents -> the trained BMRU network (a linear layer, 2 x 16 units), run in software and as a lowered,\n"
      "simulated circuit.\n"
      "Prints both decisions, the power and the energy per inference; --plot draws the state raster.");
  k->add_option("wav", o->wav, "a WAV recording (16 kHz preferred; other rates are resampled); default: espeak-ng says --say")
      ->check(CLI::ExistingFile);
  k->add_option("--network", o->network, "the network (default netlists/examples/kws_robust/network.json)")
      ->check(CLI::ExistingFile);
  k->add_option("--encoding", o->encoding,
                "the input encoding: encoding.json or the dataset.json trained on (default: encoding.json beside the network)")
      ->check(CLI::ExistingFile);
  k->add_option("--say", o->say, "the word espeak-ng says when no WAV is given (default \"yes\")");
  k->add_option("--engine", o->engine, "speech engine for --say: espeak (default), flite or festival")
      ->check(CLI::IsMember({"espeak", "flite", "festival"}));
  k->add_option("--voice", o->voice,
                "voice for --say (espeak-ng default en-us, e.g. en-gb-x-rp+f2; flite: kal16 awb rms slt;\n"
                "festival: kal ked slt; default the engine's first)");
  k->add_option("--speed", o->words_per_minute,
                "espeak-ng words per minute (default 160; other engines: duration x 175/wpm)")->check(CLI::Range(80, 450));
  k->add_option("--pitch", o->pitch, "espeak-ng pitch 0-99 (default 50)")->check(CLI::Range(0, 99));
  k->add_option("--onset", o->onset_s, "where the word --say starts in the 1 s clip, s (default 0.2)")
      ->check(CLI::Range(0.0, 0.95));
  k->add_option("--snr", o->snr_db, "pink background noise under the spoken word, dB (default 20, as in training)");
  k->add_option("--save-wav", o->save_wav, "also write the 1 s, 16 kHz clip that was classified");
  k->add_option("--calibrate", o->calibrate, "cell characterization file: pre-distort the cell biases")
      ->check(CLI::ExistingFile);
  k->add_option("--plot", o->plot_dir, "write states.png, logits.png and inputs.png (gnuplot) into this directory");
  return [k, o] {
    if (k->parsed()) return run_demo_kws(*o);
    throw std::runtime_error("picospice demo: unknown demo; see `picospice demo --help`");
  };
}

}  // namespace picospice::tools
