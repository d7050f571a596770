// Time functions of independent sources, with ngspice semantics (ngspice manual, section
// "Independent Sources"): PULSE, PWL (with r= repeat and td= delay), SIN, EXP, SFFM
// (single-frequency FM) and AM (amplitude modulation), and the transient-noise functions
// TRNOISE(NA NT [NALPHA NAMP]) and TRRANDOM(TYPE TS [TD [P1 [P2]]])
// (see waveforms.cpp for their semantics and how they differ from ngspice).
//
// A source line's arguments (`V1 a 0 DC 1.8 PULSE(0 1.8 1n 1n 1n 5n 10n) AC 1`) are read by
// parse_source_args, which separates the DC value from the transient waveform.
//
// Evaluation allocates nothing: PWL keeps a cursor on the last segment used (the transient moves
// forward; after a rejected step it may step back, and the lookup falls back to binary search).
#pragma once
#include <complex>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "devices/device.hpp"
#include "devices/noise/flicker_poles.hpp"

namespace picospice {

class Waveform {
 public:
  enum class Shape { Constant, Pulse, Pwl, Sin, Exp, Sffm, Am, TrNoise, TrRandom };

  // ngspice defaults an unset PULSE rise/fall time (and EXP time constants) to the transient's
  // tstep, which is not known while a netlist is read. picospice uses this until a transient
  // sets it (set_transient_defaults).
  static constexpr double kDefaultEdge = 1e-9;  // s

  Waveform() = default;
  static Waveform constant(double value);
  // Builds a waveform from the arguments after the shape word (numbers, and r=/td= for PWL).
  // Throws NetlistError at the offending argument (or at the shape word) for bad input.
  static Waveform parse(Shape shape, const ElementArg& shape_word, const std::vector<ElementArg>& args,
                        const ElementCard& card, double default_edge = kDefaultEdge);

  Shape shape() const { return shape_; }
  double value(double t) const;
  // The first corner strictly after `after` (and after 0), +infinity when there is none. Corners
  // are found one at a time, so a long pulse train or a fine noise grid costs no memory.
  double next_breakpoint(double after) const;
  // A transient's defaults (ngspice's): PULSE rise/fall times and EXP time constants left unset
  // (or 0) become tstep; SIN's frequency, SFFM's FC and FS and AM's MF left unset or 0 become
  // 1/tstop. Outside a transient those frequencies are 0: the source holds its t = 0 value.
  void set_transient_defaults(double tstep, double tstop);
  // TRNOISE/TRRANDOM: the noise seed (`.options noiseseed`, per Monte Carlo sample) and the
  // source's DC value, which the noise is added to.
  bool is_noise() const { return shape_ == Shape::TrNoise || shape_ == Shape::TrRandom; }
  void set_noise_seed(std::uint64_t seed) { noise_seed_ = seed; flicker_index_ = -1; }
  void set_offset(double offset) { offset_ = offset; }

 private:
  double pulse(double t) const;
  double pwl(double t) const;
  double pwl_in_first_pass(double t) const;  // t already mapped into [t0, tlast] by the repeat
  double sine(double t) const;
  double exponential(double t) const;
  double sffm(double t) const;
  double amplitude_modulated(double t) const;
  double trnoise(double t) const;
  double trrandom(double t) const;
  double flicker_at(std::int64_t k) const;  // TRNOISE 1/f part at grid index k (unit density)
  void resolve_defaults();

  Shape shape_ = Shape::Constant;
  // Constant: p[0]. PULSE: v1 v2 td tr tf pw per np. SIN: vo va freq td theta phase.
  // EXP: v1 v2 td1 tau1 td2 tau2. SFFM: vo va fc mdi fs phasec phases. AM: va vo mf fc td phasem
  // phasec. Unset optional values are stored as NaN until resolved.
  double p_[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double given_[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // as written; NaN when not given
  double default_edge_ = kDefaultEdge;
  double default_frequency_ = 0;  // 1/tstop of the transient (0 before one)
  // PWL: strictly increasing times (already shifted by td=), values, and the repeat start index.
  std::vector<double> pwl_time_, pwl_value_;
  int pwl_repeat_from_ = -1;  // index of the point r= names; -1 without repetition
  mutable std::size_t pwl_cursor_ = 0;  // segment [cursor, cursor+1] used last
  // TRNOISE/TRRANDOM: DC offset, random address (seed, hash of the instance name), and the
  // TRNOISE 1/f part's poles with a cache of their state at grid index flicker_index_ (and the
  // sum one index earlier), advanced forward as the transient moves.
  double offset_ = 0.0;
  std::uint64_t noise_seed_ = 1;
  std::string instance_;
  std::optional<noise::FlickerPoles> flicker_;
  mutable std::vector<double> flicker_state_;
  mutable std::int64_t flicker_index_ = -1;
  mutable double flicker_sum_ = 0.0, flicker_previous_sum_ = 0.0;
};

// A source line's value description: the DC value (if written) and the transient waveform.
struct SourceArgs {
  std::optional<double> dc;  // `DC v` or a leading bare number
  Waveform waveform;         // Constant(dc or 0) when no transient function is given
  bool has_waveform = false;
  double multiplier = 1.0;   // `m=` (current sources only; parallel copies)
  // `AC mag [phase]`: the small-signal excitation of .ac (phase in degrees, as ngspice). A bare
  // `AC` is magnitude 1; no AC keyword is magnitude 0 (the source is quiet in .ac).
  double ac_magnitude = 0.0;
  double ac_phase_degrees = 0.0;
  // The AC phasor mag * e^(j phase).
  std::complex<double> ac_phasor() const {
    return std::polar(ac_magnitude, ac_phase_degrees * 3.14159265358979323846 / 180.0);
  }

  // The value for one evaluation, before source stepping. Operating points and DC sweeps use the
  // DC value, or the waveform at t = 0 when none is written (ngspice). The transient uses the
  // waveform, its initial point included (`DC 5 PULSE(0 1 ...)` starts at 0); `transient` is true
  // for every evaluation of a transient analysis. TRNOISE/TRRANDOM start from their DC value at
  // t = 0, as in ngspice.
  double value_at(double time, bool transient) const {
    if (transient && has_waveform && !(waveform.is_noise() && time == 0.0)) return waveform.value(time);
    return dc ? *dc : waveform.value(0.0);
  }
  // A `.dc` sweep (or alter) of the source's DC value.
  void set_dc(double value) {
    dc = value;
    if (!has_waveform) waveform = Waveform::constant(value);
    if (waveform.is_noise()) waveform.set_offset(value);
  }
  // DeviceGroup::set_instance_param for V and I: "dc" the DC value; "ac"/"acmag" and "acphase"
  // the .ac excitation (ngspice's `alter v1 ac=2`). False for any other parameter.
  bool set_param(std::string_view param, double value) {
    if (param == "dc") set_dc(value);
    else if (param == "acphase") ac_phase_degrees = value;
    else if (param == "ac" || param == "acmag") ac_magnitude = value;
    else return false;
    return true;
  }
};

// Parses `[DC] v [PULSE|PWL|SIN|EXP|SFFM|AM|TRNOISE|TRRANDOM ...] [AC mag [phase]] [m=k]`.
// `allow_multiplier` accepts m=.
SourceArgs parse_source_args(const ElementCard& card, bool allow_multiplier,
                             double default_edge = Waveform::kDefaultEdge);

}  // namespace picospice
