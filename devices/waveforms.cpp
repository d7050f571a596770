// Independent source time functions. Formulas follow the ngspice manual (section "Independent
// Sources for Voltage or Current"); only the tstep/tstop-dependent defaults differ, see below.
// ngspice takes a missing or zero SIN frequency as 1/TSTOP (checked with ngspice 39: SIN(0 1 0)
// under .tran 0.1m 10m is a 100 Hz sine), as SFFM's FC and FS and AM's MF (below); so does
// picospice, once the transient is known (set_transient_defaults).
//
// Modulated sources (ngspice manual, "Independent Sources", "Single-Frequency FM" and
// "Amplitude modulated source"; phases in degrees, checked against ngspice 39 by simulation):
//   SFFM(VO VA FC [MDI [FS [PHASEC [PHASES]]]])
//     VO + VA sin(2 pi FC t + PHASEC + MDI sin(2 pi FS t + PHASES)), from t = 0 (no delay).
//   AM(VA VO MF FC [TD [PHASEM [PHASEC]]])
//     0 until TD (t = TD included), then
//     VA (VO + sin(2 pi MF (t - TD) + PHASEM)) sin(2 pi FC (t - TD) + PHASEC).
//   A missing or zero FC and FS (SFFM) and MF (AM) is 1/TSTOP, as in ngspice. AM's FC is required
//   (ngspice takes a missing one as 0, which makes the source 0 forever); FC = 0 written out is
//   accepted. Difference from ngspice 39: it ignores PHASEM and turns the modulating sine by
//   PHASEC as well; picospice follows the manual, so the two agree when PHASEM = PHASEC (in
//   particular when neither is given).
//
// Transient noise sources (ngspice manual, "Transient noise source" and "Random voltage source"):
//   TRNOISE(NA NT [NALPHA NAMP [RTSAM RTSCAPT RTSEMT]])
//     white Gaussian samples of rms NA every NT, linearly interpolated, plus 1/f^NALPHA noise of
//     amplitude NAMP, added to the source's DC value. Differences from ngspice:
//      - samples are addressed, not streamed: sample k is unit_normal(noiseseed, hash(instance
//        name, generator), k) (devices/noise/noise_address.hpp), so they do not depend on the step
//        control, other sources, or the order of evaluation; ngspice draws from its global
//        generator (seeded by `set rndseed`), so the actual numbers differ;
//      - the 1/f part is a sum of single-pole processes (devices/noise/flicker_poles.hpp, 3 per
//        decade over 8 decades below 1/(2 NT)) instead of ngspice's FFT-filtered block (Kasdin,
//        Proc. IEEE 83(5), 1995). Its density is set to what Kasdin's filter (1 - z^-1)^(-NALPHA/2)
//        driven by white noise of rms NAMP gives at low frequency: S(f) = 2 NAMP^2 NT (2 pi f NT)^-NALPHA;
//      - random telegraph noise (RTSAM != 0) is not supported (an error);
//      - NT must be positive when NA or NAMP is not zero (an error instead of a default).
//   TRRANDOM(TYPE TS [TD [PARAM1 [PARAM2]]])
//     a random value held for TS from TD on, added to the DC value: TYPE 1 uniform in
//     PARAM2 +- PARAM1 (PARAM1 default 1), 2 Gaussian (sd PARAM1, default 1; mean PARAM2),
//     3 exponential (mean PARAM1, default 1; offset PARAM2), 4 Poisson (lambda PARAM1, default 1,
//     at most 700; offset PARAM2). Before TD the noise part is 0 (the DC value alone). Values are
//     addressed as TRNOISE's (value k at counter k), so again not ngspice's numbers.
#include "devices/waveforms.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/counter_rng.hpp"
#include "devices/noise/noise_address.hpp"

namespace picospice {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;

bool given(double v) { return !std::isnan(v); }

const char* shape_word(Waveform::Shape shape) {
  switch (shape) {
    case Waveform::Shape::Pulse: return "PULSE";
    case Waveform::Shape::Pwl: return "PWL";
    case Waveform::Shape::Sin: return "SIN";
    case Waveform::Shape::Exp: return "EXP";
    case Waveform::Shape::Sffm: return "SFFM";
    case Waveform::Shape::Am: return "AM";
    case Waveform::Shape::TrNoise: return "TRNOISE";
    case Waveform::Shape::TrRandom: return "TRRANDOM";
    default: return "DC";
  }
}

// Reads the positional numbers of PULSE/SIN/EXP/SFFM/AM/TRNOISE/TRRANDOM into out[], NaN for
// those not written.
void read_positional(Waveform::Shape shape, const ElementArg& word, const std::vector<ElementArg>& args,
                     const ElementCard& card, int required, int maximum, double* out) {
  for (int i = 0; i < 8; ++i) out[i] = kNaN;
  int count = 0;
  for (const auto& arg : args) {
    if (!arg.is_number || !arg.key.empty())
      card.fail(arg, std::string(shape_word(shape)) + " of " + card.name + " takes only numbers");
    if (count == maximum)
      card.fail(arg, std::string(shape_word(shape)) + " of " + card.name + " takes at most " +
                         std::to_string(maximum) + " values");
    if (!std::isfinite(arg.value))
      card.fail(arg, std::string(shape_word(shape)) + " of " + card.name + " has a non-finite value");
    out[count++] = arg.value;
  }
  if (count < required)
    card.fail(args.empty() ? word : args.back(),
              std::string(shape_word(shape)) + " of " + card.name + " needs at least " +
                  std::to_string(required) + " values, got " + std::to_string(count));
}

}  // namespace

Waveform Waveform::constant(double value) {
  Waveform w;
  w.shape_ = Shape::Constant;
  w.given_[0] = w.p_[0] = value;
  return w;
}

Waveform Waveform::parse(Shape shape, const ElementArg& word, const std::vector<ElementArg>& args,
                         const ElementCard& card, double default_edge) {
  Waveform w;
  w.shape_ = shape;
  w.default_edge_ = default_edge;
  const std::string what = std::string(shape_word(shape)) + " of " + card.name;
  auto nonnegative = [&](int index, const char* name) {
    if (given(w.given_[index]) && w.given_[index] < 0)
      card.fail(args[index], what + ": " + name + " must not be negative");
  };
  // AM's carrier frequency must be written: ngspice takes a missing one as 0, leaving the source
  // at 0, which picospice accepts only when written out. (A missing or zero SIN, SFFM or AM
  // modulating frequency is 1/TSTOP: resolve_defaults.)
  auto require_frequency = [&](int index, const char* name, const char* position) {
    if (!given(w.given_[index])) card.fail(args.back(), what + " needs a " + name + " (" + position + ")");
    nonnegative(index, name);
  };
  switch (shape) {
    case Shape::Constant:
      read_positional(shape, word, args, card, 1, 1, w.given_);
      break;
    case Shape::Pulse:  // v1 v2 td tr tf pw per np
      read_positional(shape, word, args, card, 2, 8, w.given_);
      nonnegative(3, "rise time");
      nonnegative(4, "fall time");
      nonnegative(5, "pulse width");
      nonnegative(6, "period");
      nonnegative(7, "pulse count");
      break;
    case Shape::Sin:  // vo va freq td theta phase
      read_positional(shape, word, args, card, 2, 6, w.given_);
      nonnegative(2, "frequency");
      break;
    case Shape::Exp:  // v1 v2 td1 tau1 td2 tau2
      read_positional(shape, word, args, card, 2, 6, w.given_);
      nonnegative(3, "tau1");
      nonnegative(5, "tau2");
      break;
    case Shape::Sffm: {  // vo va fc mdi fs phasec phases
      read_positional(shape, word, args, card, 2, 7, w.given_);
      nonnegative(2, "carrier frequency FC");
      nonnegative(4, "signal frequency FS");
      break;
    }
    case Shape::Am:  // va vo mf fc td phasem phasec
      read_positional(shape, word, args, card, 2, 7, w.given_);
      nonnegative(2, "modulating frequency MF");
      require_frequency(3, "carrier frequency FC", "fourth value");
      break;
    case Shape::TrNoise: {  // NA NT [NALPHA NAMP [RTSAM RTSCAPT RTSEMT]]
      read_positional(shape, word, args, card, 2, 7, w.given_);
      auto value = [&](int i) { return given(w.given_[i]) ? w.given_[i] : 0.0; };
      if (value(4) != 0)
        card.fail(args[4], what + ": random telegraph noise (RTSAM) is not supported by picospice");
      const double na = value(0), nt = value(1), alpha = value(2), namp = value(3);
      if ((na != 0 || namp != 0) && !(nt > 0)) card.fail(args[1], what + ": NT must be positive");
      if (namp != 0 && !(alpha > 0 && alpha < 2))
        card.fail(args.size() > 2 ? args[2] : args.back(), what + ": NALPHA must be in (0, 2) when NAMP is given");
      w.instance_ = card.name;
      if (namp != 0) {
        w.flicker_.emplace(nt, alpha, 0.5 / nt);
        w.flicker_state_.assign(w.flicker_->count(), 0.0);
      }
      break;
    }
    case Shape::TrRandom: {  // TYPE TS [TD [PARAM1 [PARAM2]]]
      read_positional(shape, word, args, card, 2, 5, w.given_);
      const double type = w.given_[0];
      if (!(type == 1 || type == 2 || type == 3 || type == 4))
        card.fail(args[0], what + ": TYPE must be 1 (uniform), 2 (Gaussian), 3 (exponential) or 4 (Poisson)");
      if (!(w.given_[1] > 0)) card.fail(args[1], what + ": TS must be positive");
      nonnegative(2, "TD");
      if (type == 4 && given(w.given_[3]) && !(w.given_[3] > 0 && w.given_[3] <= 700))
        card.fail(args[3], what + ": the Poisson lambda (PARAM1) must be in (0, 700]");
      w.instance_ = card.name;
      break;
    }
    case Shape::Pwl: {
      double delay = 0, repeat_time = kNaN;
      const ElementArg* repeat_arg = nullptr;
      std::vector<double> numbers;
      const ElementArg* last_number = &word;
      for (const auto& arg : args) {
        if (arg.key == "td") delay = arg.value;
        else if (arg.key == "r") { repeat_time = arg.value; repeat_arg = &arg; }
        else if (arg.is_number && arg.key.empty()) { numbers.push_back(arg.value); last_number = &arg; }
        else card.fail(arg, what + ": unexpected argument (expected time-value pairs, r= or td=)");
      }
      if (numbers.empty()) card.fail(word, what + " needs time-value pairs");
      if (numbers.size() % 2 != 0)
        card.fail(*last_number, what + " has an odd number of values; it needs time-value pairs");
      for (std::size_t i = 0; i < numbers.size(); ++i)
        if (!std::isfinite(numbers[i])) card.fail(*last_number, what + " has a non-finite value");
      for (std::size_t i = 0; i < numbers.size(); i += 2) {
        if (i > 0 && !(numbers[i] > numbers[i - 2])) {
          // Find the argument of this time to point at it.
          std::size_t seen = 0;
          for (const auto& arg : args)
            if (arg.is_number && arg.key.empty() && seen++ == i)
              card.fail(arg, what + ": times must increase strictly (" + fmt::format("{:g}", numbers[i]) +
                                 " after " + fmt::format("{:g}", numbers[i - 2]) + ")");
        }
        w.pwl_time_.push_back(numbers[i] + delay);
        w.pwl_value_.push_back(numbers[i + 1]);
      }
      if (given(repeat_time)) {
        // r= names the point the repetition restarts from; it must be one of the times, and not
        // the last one (the repeated part would be empty).
        for (std::size_t i = 0; i < numbers.size(); i += 2) {
          const double tol = 1e-12 * std::max(1.0, std::fabs(numbers[i]));
          if (std::fabs(numbers[i] - repeat_time) <= tol) w.pwl_repeat_from_ = static_cast<int>(i / 2);
        }
        if (w.pwl_repeat_from_ < 0)
          card.fail(*repeat_arg, what + ": r=" + fmt::format("{:g}", repeat_time) + " is not one of its times");
        if (w.pwl_repeat_from_ == static_cast<int>(w.pwl_time_.size()) - 1)
          card.fail(*repeat_arg, what + ": r= must name a time before the last point");
      }
      break;
    }
  }
  w.resolve_defaults();
  return w;
}

void Waveform::set_transient_defaults(double tstep, double tstop) {
  default_edge_ = tstep;
  default_frequency_ = tstop > 0 ? 1.0 / tstop : 0.0;
  resolve_defaults();
}

// Turns the written values into the ones evaluation uses. ngspice's defaults that depend on the
// analysis (tstep for PULSE tr/tf and EXP taus, tstop for PULSE pw/per) become default_edge_ and
// "forever": a pulse without a period happens once, one without a width stays high. Frequencies
// left unset or 0 (SIN's, SFFM's FC and FS, AM's MF) become 1/tstop, default_frequency_.
void Waveform::resolve_defaults() {
  auto or_value = [&](int i, double fallback) { return given(given_[i]) ? given_[i] : fallback; };
  auto edge = [&](int i) { return given(given_[i]) && given_[i] > 0 ? given_[i] : default_edge_; };
  auto frequency = [&](int i) { return given(given_[i]) && given_[i] > 0 ? given_[i] : default_frequency_; };
  switch (shape_) {
    case Shape::Constant: p_[0] = given_[0]; break;
    case Shape::Pulse:
      p_[0] = given_[0];
      p_[1] = given_[1];
      p_[2] = or_value(2, 0.0);
      p_[3] = edge(3);
      p_[4] = edge(4);
      p_[5] = or_value(5, kInf);
      p_[6] = given(given_[6]) && given_[6] > 0 ? given_[6] : kInf;
      p_[7] = given(given_[7]) && given_[7] > 0 ? std::floor(given_[7]) : kInf;
      break;
    case Shape::Sin:
      for (int i = 0; i < 6; ++i) p_[i] = or_value(i, 0.0);
      p_[2] = frequency(2);
      break;
    case Shape::Sffm:
      for (int i = 0; i < 7; ++i) p_[i] = or_value(i, 0.0);
      p_[2] = frequency(2);
      p_[4] = frequency(4);
      break;
    case Shape::Am:
      for (int i = 0; i < 7; ++i) p_[i] = or_value(i, 0.0);
      p_[2] = frequency(2);
      break;
    case Shape::Exp:
      p_[0] = given_[0];
      p_[1] = given_[1];
      p_[2] = or_value(2, 0.0);
      p_[3] = edge(3);
      p_[4] = or_value(4, p_[2] + default_edge_);
      p_[5] = edge(5);
      break;
    case Shape::TrNoise: {
      for (int i = 0; i < 4; ++i) p_[i] = or_value(i, 0.0);
      // The 1/f density at 1 Hz (see the file comment): 2 NAMP^2 NT (2 pi NT)^-NALPHA.
      p_[4] = flicker_ ? std::sqrt(2 * p_[3] * p_[3] * p_[1] * std::pow(2 * kPi * p_[1], -p_[2])) : 0.0;
      break;
    }
    case Shape::TrRandom:
      p_[0] = given_[0];
      p_[1] = given_[1];
      p_[2] = or_value(2, 0.0);
      p_[3] = or_value(3, 1.0);
      p_[4] = or_value(4, 0.0);
      break;
    case Shape::Pwl: break;
  }
}

double Waveform::value(double t) const {
  switch (shape_) {
    case Shape::Constant: return p_[0];
    case Shape::Pulse: return pulse(t);
    case Shape::Pwl: return pwl(t);
    case Shape::Sin: return sine(t);
    case Shape::Exp: return exponential(t);
    case Shape::Sffm: return sffm(t);
    case Shape::Am: return amplitude_modulated(t);
    case Shape::TrNoise: return trnoise(t);
    case Shape::TrRandom: return trrandom(t);
  }
  return 0.0;
}

// The 1/f process of TRNOISE at grid index k, for unit density at 1 Hz. The poles' state is a
// function of the normals 0..k only; it is cached and advanced forward, and recomputed from 0 in
// the rare case the transient asks for an earlier index.
double Waveform::flicker_at(std::int64_t k) const {
  if (k == flicker_index_) return flicker_sum_;
  if (k >= 0 && k == flicker_index_ - 1) return flicker_previous_sum_;
  if (k < flicker_index_) flicker_index_ = -1;
  const noise::FlickerPoles& poles = *flicker_;
  while (flicker_index_ < k) {
    const std::int64_t next = flicker_index_ + 1;
    double sum = 0.0;
    for (int j = 0; j < poles.count(); ++j) {
      const double xi = random::unit_normal(noise_seed_, noise::noise_stream(instance_, 1, 1 + j),
                                            static_cast<std::uint64_t>(next));
      flicker_state_[j] = next == 0 ? poles.deviation(j) * xi : poles.rho(j) * flicker_state_[j] + poles.drive(j) * xi;
      sum += flicker_state_[j];
    }
    flicker_previous_sum_ = flicker_index_ >= 0 ? flicker_sum_ : 0.0;
    flicker_sum_ = sum;
    flicker_index_ = next;
  }
  return flicker_sum_;
}

double Waveform::trnoise(double t) const {
  const double na = p_[0], nt = p_[1], flicker_amplitude = p_[4];
  if (!(nt > 0)) return offset_;
  const double position = std::max(t, 0.0) / nt;
  const auto k = static_cast<std::int64_t>(std::floor(position));
  const double fraction = position - static_cast<double>(k);
  double value = offset_;
  if (na != 0) {
    const std::uint64_t stream = noise::noise_stream(instance_, 0);
    const double w0 = random::unit_normal(noise_seed_, stream, static_cast<std::uint64_t>(k));
    const double w1 = random::unit_normal(noise_seed_, stream, static_cast<std::uint64_t>(k + 1));
    value += na * (w0 + fraction * (w1 - w0));
  }
  if (flicker_) {
    const double f0 = flicker_at(k), f1 = flicker_at(k + 1);
    value += flicker_amplitude * (f0 + fraction * (f1 - f0));
  }
  return value;
}

double Waveform::trrandom(double t) const {
  const double ts = p_[1], td = p_[2], p1 = p_[3], p2 = p_[4];
  if (t < td) return offset_;
  const auto k = static_cast<std::uint64_t>(std::floor((t - td) / ts));
  const std::uint64_t stream = noise::noise_stream(instance_, 2);
  const double u = random::unit_uniform(noise_seed_, stream, k);
  switch (static_cast<int>(p_[0])) {
    case 1: return offset_ + p2 + p1 * (2.0 * u - 1.0);
    case 2: return offset_ + p2 + p1 * random::unit_normal(noise_seed_, stream, k);
    case 3: return offset_ + p2 - p1 * std::log(u);
    default: {  // Poisson by inversion of its distribution function
      double probability = std::exp(-p1), cumulative = probability;
      int n = 0;
      while (u > cumulative && n < 100000) {
        ++n;
        probability *= p1 / n;
        cumulative += probability;
        if (probability == 0.0 && static_cast<double>(n) > p1) break;  // the tail underflowed
      }
      return offset_ + p2 + n;
    }
  }
}

// PULSE(v1 v2 td tr tf pw per np): v1 until td, a linear rise over tr, v2 for pw, a linear fall
// over tf, v1 until the period ends; repeated every per, np times when np is given.
double Waveform::pulse(double t) const {
  const double v1 = p_[0], v2 = p_[1], td = p_[2], tr = p_[3], tf = p_[4], pw = p_[5], per = p_[6],
               np = p_[7];
  if (t <= td) return v1;
  double local = t - td;
  if (std::isfinite(per)) {
    const double period_index = std::floor(local / per);
    if (period_index >= np) return v1;
    local -= period_index * per;
  }
  if (local < tr) return v1 + (v2 - v1) * (local / tr);
  local -= tr;
  if (local <= pw) return v2;
  local -= pw;
  if (local < tf) return v2 + (v1 - v2) * (local / tf);
  return v1;
}

// PWL: the first value before the first point, the last one after the last point; with r= the
// part from point r to the end repeats forever after the last point.
double Waveform::pwl(double t) const {
  const double first = pwl_time_.front(), last = pwl_time_.back();
  if (t <= first) return pwl_value_.front();
  if (t > last) {
    if (pwl_repeat_from_ < 0) return pwl_value_.back();
    const double start = pwl_time_[pwl_repeat_from_];
    const double period = last - start;
    t = start + std::fmod(t - last, period);
  }
  return pwl_in_first_pass(t);
}

double Waveform::pwl_in_first_pass(double t) const {
  const std::size_t segments = pwl_time_.size() - 1;
  if (segments == 0) return pwl_value_.front();
  std::size_t k = std::min(pwl_cursor_, segments - 1);
  // The transient advances a little each step: try the remembered segment and its successor
  // before searching.
  if (!(pwl_time_[k] <= t && t <= pwl_time_[k + 1])) {
    if (k + 2 <= segments && pwl_time_[k + 1] <= t && t <= pwl_time_[k + 2]) {
      ++k;
    } else {
      auto it = std::upper_bound(pwl_time_.begin(), pwl_time_.end(), t);
      const std::size_t upper = static_cast<std::size_t>(it - pwl_time_.begin());
      k = std::clamp<std::size_t>(upper == 0 ? 0 : upper - 1, 0, segments - 1);
    }
  }
  pwl_cursor_ = k;
  const double t0 = pwl_time_[k], t1 = pwl_time_[k + 1];
  const double v0 = pwl_value_[k], v1 = pwl_value_[k + 1];
  return v0 + (v1 - v0) * ((t - t0) / (t1 - t0));
}

// SIN(vo va freq td theta phase): vo + va*exp(-theta*(t-td))*sin(2*pi*freq*(t-td) + phase) after
// td (phase in degrees), and the t = td value before.
double Waveform::sine(double t) const {
  const double vo = p_[0], va = p_[1], freq = p_[2], td = p_[3], theta = p_[4];
  const double phase = p_[5] * kPi / 180.0;
  if (t <= td) return vo + va * std::sin(phase);
  const double local = t - td;
  return vo + va * std::exp(-theta * local) * std::sin(2.0 * kPi * freq * local + phase);
}

// EXP(v1 v2 td1 tau1 td2 tau2): v1 until td1, an exponential approach to v2 with tau1, and from
// td2 an exponential return towards v1 with tau2 superposed.
double Waveform::exponential(double t) const {
  const double v1 = p_[0], v2 = p_[1], td1 = p_[2], tau1 = p_[3], td2 = p_[4], tau2 = p_[5];
  double v = v1;
  if (t > td1) v += (v2 - v1) * (1.0 - std::exp(-(t - td1) / tau1));
  if (t > td2) v += (v1 - v2) * (1.0 - std::exp(-(t - td2) / tau2));
  return v;
}

// SFFM(vo va fc mdi fs phasec phases): vo + va*sin(2*pi*fc*t + phasec + mdi*sin(2*pi*fs*t + phases))
// (ngspice manual, "Independent Sources", "Single-Frequency FM"; phases in degrees).
double Waveform::sffm(double t) const {
  const double vo = p_[0], va = p_[1], fc = p_[2], mdi = p_[3], fs = p_[4];
  const double phasec = p_[5] * kPi / 180.0, phases = p_[6] * kPi / 180.0;
  return vo + va * std::sin(2.0 * kPi * fc * t + phasec + mdi * std::sin(2.0 * kPi * fs * t + phases));
}

// AM(va vo mf fc td phasem phasec): 0 until td, then
// va*(vo + sin(2*pi*mf*(t-td) + phasem))*sin(2*pi*fc*(t-td) + phasec) (ngspice manual,
// "Independent Sources", "Amplitude modulated source"; phases in degrees). ngspice 39 itself uses
// phasec for both sines (see the file comment).
double Waveform::amplitude_modulated(double t) const {
  const double va = p_[0], vo = p_[1], mf = p_[2], fc = p_[3], td = p_[4];
  const double phasem = p_[5] * kPi / 180.0, phasec = p_[6] * kPi / 180.0;
  if (t <= td) return 0.0;
  const double local = t - td;
  return va * (vo + std::sin(2.0 * kPi * mf * local + phasem)) * std::sin(2.0 * kPi * fc * local + phasec);
}

double Waveform::next_breakpoint(double after) const {
  double best = std::numeric_limits<double>::infinity();
  auto consider = [&](double t) {
    if (t > 0 && t > after && t < best) best = t;
  };
  switch (shape_) {
    case Shape::Constant: break;
    case Shape::Pulse: {
      const double td = p_[2], tr = p_[3], tf = p_[4], pw = p_[5], per = p_[6], np = p_[7];
      auto corners = [&](double k) {
        if (k < 0 || k >= np) return;
        const double start = td + (std::isfinite(per) ? k * per : 0.0);
        consider(start);
        consider(start + tr);
        if (std::isfinite(pw)) {
          consider(start + tr + pw);
          consider(start + tr + pw + tf);
        }
      };
      if (!std::isfinite(per) || !(per > 0)) {
        corners(0);
        break;
      }
      // The periods whose corners can follow `after`: the one holding it, those before it whose
      // pulse is longer than a period, and the next.
      const double span = std::isfinite(pw) ? tr + pw + tf : tr;
      const double k0 = std::floor((after - td) / per);
      const double back = std::ceil(span / per) + 1;
      for (double k = std::max(0.0, k0 - back); k <= std::max(0.0, k0 + 1); k += 1.0) corners(k);
      break;
    }
    case Shape::Pwl: {
      auto it = std::upper_bound(pwl_time_.begin(), pwl_time_.end(), after);
      if (it != pwl_time_.end()) consider(*it);
      if (pwl_repeat_from_ < 0 || best < std::numeric_limits<double>::infinity()) break;
      // Past the first pass: the repeated points shifted by whole periods.
      const double period = pwl_time_.back() - pwl_time_[pwl_repeat_from_];
      const double first = pwl_time_[pwl_repeat_from_ + 1];
      const double m = std::max(1.0, std::floor((after - first) / period));
      for (double shift = m; shift <= m + 1; shift += 1.0)
        for (std::size_t i = pwl_repeat_from_ + 1; i < pwl_time_.size(); ++i) consider(pwl_time_[i] + shift * period);
      break;
    }
    case Shape::Sin: consider(p_[3]); break;
    case Shape::Exp: consider(p_[2]); consider(p_[4]); break;
    case Shape::Sffm: break;
    case Shape::Am: consider(p_[4]); break;  // the start at td
    case Shape::TrNoise:  // the corners of the interpolated samples, k * NT
      if (p_[1] > 0 && (p_[0] != 0 || flicker_)) {
        const double k = std::max(1.0, std::floor(after / p_[1]));
        for (double j = k; j <= k + 2; j += 1.0) consider(j * p_[1]);
      }
      break;
    case Shape::TrRandom: {  // where a new value starts, td + k * TS
      if (!(p_[1] > 0)) break;
      const double k = std::max(0.0, std::floor((after - p_[2]) / p_[1]));
      for (double j = k; j <= k + 2; j += 1.0) consider(p_[2] + j * p_[1]);
      break;
    }
  }
  return best;
}

SourceArgs parse_source_args(const ElementCard& card, bool allow_multiplier, double default_edge) {
  SourceArgs out;
  const auto& args = card.args;
  auto shape_of = [](const std::string& word, Waveform::Shape& shape) {
    if (word == "pulse") shape = Waveform::Shape::Pulse;
    else if (word == "pwl") shape = Waveform::Shape::Pwl;
    else if (word == "sin") shape = Waveform::Shape::Sin;
    else if (word == "exp") shape = Waveform::Shape::Exp;
    else if (word == "sffm") shape = Waveform::Shape::Sffm;
    else if (word == "am") shape = Waveform::Shape::Am;
    else if (word == "trnoise") shape = Waveform::Shape::TrNoise;
    else if (word == "trrandom") shape = Waveform::Shape::TrRandom;
    else return false;
    return true;
  };
  auto is_plain_number = [](const ElementArg& a) { return a.is_number && a.key.empty(); };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const ElementArg& arg = args[i];
    Waveform::Shape shape = Waveform::Shape::Constant;
    if (is_plain_number(arg)) {
      if (out.dc || out.has_waveform) card.fail(arg, "unexpected number in source " + card.name);
      out.dc = arg.value;
    } else if (arg.key == "dc") {
      out.dc = arg.value;
    } else if (arg.key == "ac") {  // `ac=1` (ngspice accepts the keyword form too)
      out.ac_magnitude = arg.value;
    } else if (arg.key == "m" && allow_multiplier) {
      out.multiplier = arg.value;
    } else if (!arg.key.empty()) {
      card.fail(arg, "unexpected parameter " + arg.key + "= for source " + card.name);
    } else if (arg.word == "dc") {
      if (i + 1 >= args.size() || !is_plain_number(args[i + 1]))
        card.fail(arg, "DC of source " + card.name + " needs a value");
      if (out.dc) card.fail(arg, "source " + card.name + " has two DC values");
      out.dc = args[++i].value;
    } else if (arg.word == "ac") {
      // `AC [mag [phase]]`, the .ac excitation (ngspice manual, "Independent Sources").
      out.ac_magnitude = 1.0;
      if (i + 1 < args.size() && is_plain_number(args[i + 1])) out.ac_magnitude = args[++i].value;
      if (i + 1 < args.size() && is_plain_number(args[i + 1])) out.ac_phase_degrees = args[++i].value;
      if (!std::isfinite(out.ac_magnitude) || !std::isfinite(out.ac_phase_degrees))
        card.fail(arg, "AC magnitude and phase of source " + card.name + " must be finite");
    } else if (arg.word == "distof1" || arg.word == "distof2") {
      // Distortion inputs: picospice has no .disto analysis, so they are read and ignored.
      for (int k = 0; k < 2 && i + 1 < args.size() && is_plain_number(args[i + 1]); ++k) ++i;
    } else if (shape_of(arg.word, shape)) {
      if (out.has_waveform) card.fail(arg, "source " + card.name + " has two transient functions");
      std::vector<ElementArg> values;
      while (i + 1 < args.size() &&
             (is_plain_number(args[i + 1]) ||
              (shape == Waveform::Shape::Pwl && (args[i + 1].key == "r" || args[i + 1].key == "td"))))
        values.push_back(args[++i]);
      out.waveform = Waveform::parse(shape, arg, values, card, default_edge);
      out.has_waveform = true;
    } else {
      card.fail(arg, "unknown source function or keyword '" + arg.word + "' for " + card.name +
                         " (expected DC, PULSE, PWL, SIN, EXP, SFFM, AM, TRNOISE, TRRANDOM or AC)");
    }
  }
  if (!out.has_waveform) out.waveform = Waveform::constant(out.dc.value_or(0.0));
  // Noise functions add to the DC value; operating points see the DC value alone.
  if (out.waveform.is_noise()) {
    out.dc = out.dc.value_or(0.0);
    out.waveform.set_offset(*out.dc);
  }
  return out;
}

}  // namespace picospice
