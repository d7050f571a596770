// Independent source time functions: values, repetition, breakpoints and input errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "devices/waveforms.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

using namespace picospice;

namespace {

ElementArg num(double v) { ElementArg a; a.value = v; a.is_number = true; return a; }
ElementArg word(const std::string& w) { ElementArg a; a.word = w; return a; }
ElementArg key(const std::string& k, double v) { ElementArg a; a.key = k; a.value = v; a.is_number = true; return a; }

ElementCard source_card(std::vector<ElementArg> args) {
  ElementCard card;
  card.name = "v1";
  card.nodes = {1, 0};
  card.args = std::move(args);
  card.location.file = "test.cir";
  card.location.line = 3;
  return card;
}

SourceArgs parse(std::vector<ElementArg> args) { return parse_source_args(source_card(std::move(args)), true); }

std::vector<ElementArg> with(const std::string& shape, std::vector<double> numbers) {
  std::vector<ElementArg> args{word(shape)};
  for (double v : numbers) args.push_back(num(v));
  return args;
}

// The corners in (0, tstop], asked for one at a time as the transient does.
std::vector<double> sorted_breakpoints(const Waveform& w, double tstop) {
  std::vector<double> out;
  for (double t = w.next_breakpoint(0); t <= tstop && out.size() < 100000; t = w.next_breakpoint(t)) out.push_back(t);
  return out;
}

void require_same_times(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-12));
}

}  // namespace

TEST_CASE("devices: DC value and keywords of a source line", "[devices]") {
  SourceArgs plain = parse({num(1.5)});
  CHECK(plain.dc.value() == 1.5);
  CHECK_FALSE(plain.has_waveform);
  CHECK(plain.value_at(0, false) == 1.5);
  CHECK(plain.value_at(1e-3, true) == 1.5);

  SourceArgs keyword = parse({word("dc"), num(2.0), word("ac"), num(1), num(90)});
  CHECK(keyword.dc.value() == 2.0);

  SourceArgs nothing = parse({});
  CHECK(nothing.value_at(0, false) == 0.0);

  SourceArgs mult = parse({num(1e-9), key("m", 3)});
  CHECK(mult.multiplier == 3);
}

TEST_CASE("devices: operating point uses DC, or the waveform at t=0 without one", "[devices]") {
  auto pulse = with("pulse", {0.2, 1.8, 1e-9, 1e-9, 1e-9, 5e-9, 20e-9});
  SourceArgs without_dc = parse(pulse);
  CHECK(without_dc.value_at(0, false) == Approx(0.2));
  CHECK(without_dc.value_at(2e-9, true) == Approx(1.8));

  auto args = pulse;
  args.insert(args.begin(), {word("dc"), num(0.7)});
  SourceArgs with_dc = parse(args);
  CHECK(with_dc.value_at(0, false) == Approx(0.7));
  CHECK(with_dc.value_at(2e-9, true) == Approx(1.8));

  with_dc.set_dc(1.1);  // a .dc sweep
  CHECK(with_dc.value_at(0, false) == Approx(1.1));
  SourceArgs plain = parse({num(1.0)});
  plain.set_dc(-0.3);
  CHECK(plain.value_at(5e-9, true) == Approx(-0.3));
}

TEST_CASE("devices: PULSE values, period, count and breakpoints", "[devices]") {
  // v1=0 v2=1 td=1n tr=1n tf=2n pw=5n per=20n
  Waveform w = parse(with("pulse", {0, 1, 1e-9, 1e-9, 2e-9, 5e-9, 20e-9})).waveform;
  CHECK(w.value(0) == 0);
  CHECK(w.value(1e-9) == 0);
  CHECK(w.value(1.5e-9) == Approx(0.5));
  CHECK(w.value(2e-9) == Approx(1));
  CHECK(w.value(7e-9) == Approx(1));
  CHECK(w.value(8e-9) == Approx(0.5));
  CHECK(w.value(9.5e-9) == Approx(0).margin(1e-12));
  CHECK(w.value(21.5e-9) == Approx(0.5));
  CHECK(w.value(45e-9) == Approx(1));
  require_same_times(sorted_breakpoints(w, 45e-9),
                     {1e-9, 2e-9, 7e-9, 9e-9, 21e-9, 22e-9, 27e-9, 29e-9, 41e-9, 42e-9});

  // np = 2: the third period stays at v1.
  Waveform counted = parse(with("pulse", {0, 1, 0, 1e-9, 1e-9, 3e-9, 10e-9, 2})).waveform;
  CHECK(counted.value(12e-9) == Approx(1));
  CHECK(counted.value(22e-9) == Approx(0));
  CHECK(sorted_breakpoints(counted, 100e-9).size() == 7);  // 1,4,5 | 10,11,14,15 (t=0 excluded)

  // Unset edges take the default; an unset width keeps v2 forever.
  Waveform step = parse(with("pulse", {0, 1, 1e-6})).waveform;
  CHECK(step.value(1e-6 + 0.5 * Waveform::kDefaultEdge) == Approx(0.5));
  CHECK(step.value(1.0) == 1);
  require_same_times(sorted_breakpoints(step, 1.0), {1e-6, 1e-6 + Waveform::kDefaultEdge});
  step.set_transient_defaults(1e-7, 1e-3);  // the transient's tstep
  CHECK(step.value(1e-6 + 0.5e-7) == Approx(0.5));
}

TEST_CASE("devices: PWL interpolation, hold, delay and repeat", "[devices]") {
  Waveform w = parse(with("pwl", {0, 0, 1, 1, 2, 0})).waveform;
  CHECK(w.value(-1) == 0);
  CHECK(w.value(0.5) == Approx(0.5));
  CHECK(w.value(1.5) == Approx(0.5));
  CHECK(w.value(3) == 0);
  require_same_times(sorted_breakpoints(w, 10), {1, 2});

  auto repeat_from_one = with("pwl", {0, 0, 1, 1, 2, 0});
  repeat_from_one.push_back(key("r", 1));
  Waveform r1 = parse(repeat_from_one).waveform;
  CHECK(r1.value(2.25) == Approx(0.75));  // maps to 1.25
  CHECK(r1.value(2.5) == Approx(0.5));
  CHECK(r1.value(5.75) == Approx(0.25));  // maps to 1.75
  require_same_times(sorted_breakpoints(r1, 4), {1, 2, 3, 4});

  auto repeat_all = with("pwl", {0, 0, 1, 1, 2, 0});
  repeat_all.push_back(key("r", 0));
  Waveform r0 = parse(repeat_all).waveform;
  CHECK(r0.value(2.5) == Approx(0.5));
  CHECK(r0.value(3.0) == Approx(1.0));
  CHECK(r0.value(7.5) == Approx(0.5));
  require_same_times(sorted_breakpoints(r0, 5), {1, 2, 3, 4, 5});

  auto delayed = with("pwl", {0, 0, 1, 1});
  delayed.push_back(key("td", 1));
  Waveform d = parse(delayed).waveform;
  CHECK(d.value(0.5) == 0);
  CHECK(d.value(1.5) == Approx(0.5));
  require_same_times(sorted_breakpoints(d, 10), {1, 2});
}

TEST_CASE("devices: PWL with many points agrees with a brute-force search in any order", "[devices]") {
  std::vector<double> numbers;
  const int points = 1000;
  for (int i = 0; i < points; ++i) {
    numbers.push_back(i * 1e-6 + (i % 3) * 1e-7);
    numbers.push_back(std::sin(0.37 * i));
  }
  Waveform w = parse(with("pwl", numbers)).waveform;
  auto brute = [&](double t) {
    if (t <= numbers[0]) return numbers[1];
    for (int i = 0; i + 1 < points; ++i) {
      const double t0 = numbers[2 * i], t1 = numbers[2 * i + 2];
      if (t <= t1) return numbers[2 * i + 1] + (numbers[2 * i + 3] - numbers[2 * i + 1]) * (t - t0) / (t1 - t0);
    }
    return numbers.back();
  };
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> any(-1e-6, 1.01e-3);
  double t = 0;
  for (int i = 0; i < 3000; ++i) {
    // Mostly forward steps, sometimes a rejected step backwards, sometimes a jump.
    if (i % 50 == 0) t = any(rng);
    else if (i % 7 == 0) t -= 3e-7;
    else t += 4e-7;
    REQUIRE(w.value(t) == Approx(brute(t)).margin(1e-12));
  }
  CHECK(sorted_breakpoints(w, 1).size() == points - 1);  // t = 0 is not in (0, tstop]
}

TEST_CASE("devices: SIN and EXP values and breakpoints", "[devices]") {
  // vo=0.5 va=1 f=1k td=1m theta=0 phase=90 degrees
  Waveform s = parse(with("sin", {0.5, 1, 1e3, 1e-3, 0, 90})).waveform;
  CHECK(s.value(0) == Approx(1.5));
  CHECK(s.value(1.25e-3) == Approx(0.5).margin(1e-12));
  CHECK(s.value(1.5e-3) == Approx(-0.5));
  require_same_times(sorted_breakpoints(s, 1), {1e-3});

  Waveform damped = parse(with("sin", {0, 2, 1e3, 0, 100})).waveform;
  CHECK(damped.value(0.25e-3) == Approx(2 * std::exp(-100 * 0.25e-3)));
  CHECK(sorted_breakpoints(damped, 1).empty());

  Waveform e = parse(with("exp", {0, 1, 1, 0.5, 3, 1})).waveform;
  CHECK(e.value(0.5) == 0);
  CHECK(e.value(2) == Approx(1 - std::exp(-2)));
  CHECK(e.value(4) == Approx((1 - std::exp(-6)) - (1 - std::exp(-1))));
  require_same_times(sorted_breakpoints(e, 10), {1, 3});
}

TEST_CASE("devices: bad source input is a NetlistError at the argument", "[devices]") {
  CHECK_THROWS_AS(parse(with("pwl", {0, 0, 1})), NetlistError);            // odd count
  CHECK_THROWS_AS(parse(with("pwl", {0, 0, 1, 1, 1, 2})), NetlistError);   // repeated time
  CHECK_THROWS_AS(parse(with("pwl", {0, 0, 2, 1, 1, 2})), NetlistError);   // decreasing time
  CHECK_THROWS_AS(parse(with("pwl", {})), NetlistError);                   // no points
  auto bad_repeat = with("pwl", {0, 0, 1, 1});
  bad_repeat.push_back(key("r", 0.5));
  CHECK_THROWS_AS(parse(bad_repeat), NetlistError);                        // r= not a point
  auto last_repeat = with("pwl", {0, 0, 1, 1});
  last_repeat.push_back(key("r", 1));
  CHECK_THROWS_AS(parse(last_repeat), NetlistError);                       // r= the last point
  CHECK_THROWS_AS(parse(with("pulse", {0})), NetlistError);                // missing v2
  CHECK_THROWS_AS(parse(with("pulse", {0, 1, 0, -1e-9})), NetlistError);   // negative rise
  CHECK_THROWS_AS(parse(with("pulse", {0, 1, 0, 1, 1, 1, 1, 1, 1})), NetlistError);  // too many
  CHECK_THROWS_AS(parse(with("sin", {0, 1, -1e3})), NetlistError);        // negative frequency
  CHECK_THROWS_AS(parse(with("exp", {0})), NetlistError);
  CHECK_THROWS_AS(parse({word("dc")}), NetlistError);                      // DC without value
  CHECK_THROWS_AS(parse({num(1), num(2)}), NetlistError);                  // two values
  CHECK_THROWS_AS(parse({word("fm"), num(0), num(1)}), NetlistError);      // unknown function
  auto two = with("sin", {0, 1, 1e3});
  auto more = with("pulse", {0, 1});
  two.insert(two.end(), more.begin(), more.end());
  CHECK_THROWS_AS(parse(two), NetlistError);                               // two functions

  try {
    parse(with("pwl", {0, 0, 1}));
    FAIL("expected an error");
  } catch (const NetlistError& e) {
    CHECK(std::string(e.what()).find("test.cir:3") != std::string::npos);
    CHECK(std::string(e.what()).find("v1") != std::string::npos);
  }
}

// SFFM and AM (ngspice manual, "Independent Sources"). The expected values are written out here
// from the manual's formulas, independently of devices/waveforms.cpp.
namespace {

constexpr double kTestPi = 3.14159265358979323846;
double radians(double degrees) { return degrees * kTestPi / 180.0; }

// vo + va sin(2 pi fc t + phasec + mdi sin(2 pi fs t + phases))
double sffm_reference(double t, double vo, double va, double fc, double mdi, double fs, double phasec_deg,
                      double phases_deg) {
  const double modulation = mdi * std::sin(2 * kTestPi * fs * t + radians(phases_deg));
  return vo + va * std::sin(2 * kTestPi * fc * t + radians(phasec_deg) + modulation);
}

// 0 until td, then va (vo + sin(2 pi mf (t - td) + phasem)) sin(2 pi fc (t - td) + phasec)
double am_reference(double t, double va, double vo, double mf, double fc, double td, double phasem_deg,
                    double phasec_deg) {
  if (t <= td) return 0.0;
  const double envelope = vo + std::sin(2 * kTestPi * mf * (t - td) + radians(phasem_deg));
  return va * envelope * std::sin(2 * kTestPi * fc * (t - td) + radians(phasec_deg));
}

// Arguments with distinct source columns (value i at column 10 (i + 1)), so an error message
// shows which argument it points at.
std::vector<ElementArg> located(const std::string& shape, std::vector<double> numbers) {
  std::vector<ElementArg> args = with(shape, numbers);
  for (std::size_t i = 0; i < args.size(); ++i)
    args[i].location = SourceLocation{"test.cir", 3, static_cast<int>(10 * i)};
  return args;
}

// The message of the NetlistError that parsing `args` throws ("" if it does not throw).
std::string parse_error(const std::vector<ElementArg>& args) {
  try {
    parse(args);
  } catch (const NetlistError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("waveform: SFFM values follow vo + va sin(2 pi fc t + phasec + mdi sin(2 pi fs t + phases))",
          "[waveform]") {
  // vo=0.5 va=2 fc=10k mdi=3 fs=1k phasec=30 phases=60 degrees
  SourceArgs source = parse(with("sffm", {0.5, 2, 10e3, 3, 1e3, 30, 60}));
  REQUIRE(source.has_waveform);
  const Waveform& w = source.waveform;
  CHECK(w.shape() == Waveform::Shape::Sffm);
  for (double t : {0.0, 1e-6, 13e-6, 0.1e-3, 0.2537e-3, 0.7e-3, 1.5e-3}) {
    INFO("t = " << t);
    CHECK(w.value(t) == Approx(sffm_reference(t, 0.5, 2, 10e3, 3, 1e3, 30, 60)).margin(1e-12));
  }
  // At t = 0: 0.5 + 2 sin(30 deg + 3 sin(60 deg)), written out.
  CHECK(w.value(0) == Approx(0.5 + 2 * std::sin(kTestPi / 6 + 3 * std::sqrt(3.0) / 2)).margin(1e-12));
  // The operating point without a DC value is the value at t = 0; the transient follows the waveform.
  CHECK(source.value_at(0, false) == Approx(w.value(0)));
  CHECK(source.value_at(0.2537e-3, true) == Approx(sffm_reference(0.2537e-3, 0.5, 2, 10e3, 3, 1e3, 30, 60)));
  CHECK(sorted_breakpoints(w, 1).empty());  // smooth: no corners

  // The carrier and the signal phase are different knobs: swapping them changes the value.
  Waveform swapped = parse(with("sffm", {0.5, 2, 10e3, 3, 1e3, 60, 30})).waveform;
  CHECK(std::abs(swapped.value(0) - w.value(0)) > 0.1);
}

TEST_CASE("waveform: SFFM defaults (MDI, FS and the phases 0) and a DC value beside it", "[waveform]") {
  // Three values: an unmodulated sine at the carrier frequency.
  Waveform plain = parse(with("sffm", {0.25, 1.5, 2e3})).waveform;
  for (double t : {0.0, 0.1e-3, 0.33e-3, 1.2e-3})
    CHECK(plain.value(t) == Approx(0.25 + 1.5 * std::sin(2 * kTestPi * 2e3 * t)).margin(1e-12));
  // MDI = 0 written out: FS is not needed.
  Waveform unmodulated = parse(with("sffm", {0.25, 1.5, 2e3, 0})).waveform;
  CHECK(unmodulated.value(0.33e-3) == Approx(plain.value(0.33e-3)).margin(1e-15));
  // Five values: the phases default to 0.
  Waveform five = parse(with("sffm", {0, 1, 10e3, 5, 1e3})).waveform;
  for (double t : {0.0, 0.05e-3, 0.4e-3})
    CHECK(five.value(t) == Approx(sffm_reference(t, 0, 1, 10e3, 5, 1e3, 0, 0)).margin(1e-12));
  CHECK(five.value(0.05e-3) != Approx(std::sin(2 * kTestPi * 10e3 * 0.05e-3)).margin(1e-3));  // modulated

  auto args = with("sffm", {0, 1, 10e3});
  args.insert(args.begin(), {word("dc"), num(0.7)});
  SourceArgs with_dc = parse(args);
  CHECK(with_dc.value_at(0, false) == Approx(0.7));
  CHECK(with_dc.value_at(0.025e-3, true) == Approx(1.0));  // a quarter period of 10 kHz
}

TEST_CASE("waveform: AM is 0 until TD, then va (vo + sin(modulation)) sin(carrier)", "[waveform]") {
  // va=2 vo=0.5 mf=1k fc=20k td=0.3m phasem=30 phasec=60 degrees
  SourceArgs source = parse(with("am", {2, 0.5, 1e3, 20e3, 0.3e-3, 30, 60}));
  REQUIRE(source.has_waveform);
  const Waveform& w = source.waveform;
  CHECK(w.shape() == Waveform::Shape::Am);
  CHECK(w.value(0) == 0);
  CHECK(w.value(0.1e-3) == 0);
  CHECK(w.value(0.3e-3) == 0);  // t = TD included
  for (double t : {0.3e-3 + 1e-9, 0.31e-3, 0.4567e-3, 0.9e-3, 1.75e-3}) {
    INFO("t = " << t);
    CHECK(w.value(t) == Approx(am_reference(t, 2, 0.5, 1e3, 20e3, 0.3e-3, 30, 60)).margin(1e-12));
  }
  // Just after TD, written out: 2 (0.5 + sin 30 deg) sin 60 deg = 2 sin 60 deg.
  CHECK(w.value(0.3e-3 + 1e-15) == Approx(std::sqrt(3.0)).epsilon(1e-6));
  CHECK(source.value_at(0, false) == 0);  // the operating point sees the value at t = 0
  require_same_times(sorted_breakpoints(w, 1), {0.3e-3});

  // PHASEM turns the modulating sine, PHASEC the carrier: swapping them changes the value.
  Waveform swapped = parse(with("am", {2, 0.5, 1e3, 20e3, 0.3e-3, 60, 30})).waveform;
  CHECK(std::abs(swapped.value(0.3e-3 + 1e-15) - w.value(0.3e-3 + 1e-15)) > 0.1);
}

TEST_CASE("waveform: AM defaults (TD and the phases 0) and a zero carrier", "[waveform]") {
  Waveform four = parse(with("am", {1.5, 1, 1e3, 20e3})).waveform;
  CHECK(four.value(0) == 0);
  for (double t : {1e-6, 0.123e-3, 0.5e-3, 1.9e-3})
    CHECK(four.value(t) ==
          Approx(1.5 * (1 + std::sin(2 * kTestPi * 1e3 * t)) * std::sin(2 * kTestPi * 20e3 * t)).margin(1e-12));
  CHECK(sorted_breakpoints(four, 1).empty());  // TD = 0 is no corner after t = 0
  // Six values: PHASEC defaults to 0.
  Waveform six = parse(with("am", {-1, -0.2, 3e3, 50e3, 0.1e-3, 70})).waveform;
  for (double t : {0.05e-3, 0.2e-3, 0.61e-3})
    CHECK(six.value(t) == Approx(am_reference(t, -1, -0.2, 3e3, 50e3, 0.1e-3, 70, 0)).margin(1e-12));
  // FC = 0 written out is a carrier of 0 Hz (as ngspice): with PHASEC 0 the source stays at 0.
  Waveform still = parse(with("am", {1, 0.5, 1e3, 0})).waveform;
  CHECK(still.value(0.37e-3) == 0);
}

TEST_CASE("waveform: a missing or zero SIN, SFFM or AM frequency is 1/TSTOP, as in ngspice", "[waveform]") {
  // ngspice 39: SIN(0 1 0) under .tran 0.1m 10m is a 100 Hz sine. Before a transient the
  // frequency is 0 (the source holds its t = 0 value); the transient sets it.
  const double tstop = 1e-3, f = 1 / tstop;
  for (const std::vector<double>& values : {std::vector<double>{0.5, 1}, std::vector<double>{0.5, 1, 0}}) {
    Waveform sine = parse(with("sin", values)).waveform;
    CHECK(sine.value(0.3e-3) == 0.5);
    sine.set_transient_defaults(1e-6, tstop);
    for (double t : {0.1e-3, 0.37e-3, 0.9e-3}) CHECK(sine.value(t) == Approx(0.5 + std::sin(2 * kTestPi * f * t)));
  }
  // A written frequency is kept.
  Waveform written = parse(with("sin", {0, 1, 3e3})).waveform;
  written.set_transient_defaults(1e-6, tstop);
  CHECK(written.value(0.1e-3) == Approx(std::sin(2 * kTestPi * 3e3 * 0.1e-3)));
  // SFFM: FC and FS; AM: MF (its FC has to be written, below).
  Waveform fm = parse(with("sffm", {0, 1, 0, 2})).waveform;
  fm.set_transient_defaults(1e-6, tstop);
  for (double t : {0.1e-3, 0.6e-3})
    CHECK(fm.value(t) == Approx(std::sin(2 * kTestPi * f * t + 2 * std::sin(2 * kTestPi * f * t))).margin(1e-12));
  Waveform am = parse(with("am", {1, 0.5, 0, 20e3})).waveform;
  am.set_transient_defaults(1e-6, tstop);
  for (double t : {0.1e-3, 0.6e-3})
    CHECK(am.value(t) == Approx((0.5 + std::sin(2 * kTestPi * f * t)) * std::sin(2 * kTestPi * 20e3 * t)).margin(1e-12));
}

TEST_CASE("waveform: SFFM and AM input errors name the value and point at it", "[waveform]") {
  using Catch::Contains;
  // AM's carrier frequency has to be written (ngspice takes a missing one as 0: a source at 0).
  CHECK_THAT(parse_error(located("am", {1, 0.5})), Contains("AM of v1 needs a carrier frequency FC (fourth value)"));
  CHECK_THAT(parse_error(located("am", {1, 0.5, 1e3})),
             Contains("AM of v1 needs a carrier frequency FC (fourth value)") && !Contains("1/TSTOP"));
  CHECK_THAT(parse_error(located("sffm", {0})), Contains("needs at least 2 values, got 1"));
  CHECK_THAT(parse_error(located("am", {})), Contains("needs at least 2 values, got 0"));

  // Too many values: the eighth is pointed at (column 80).
  CHECK_THAT(parse_error(located("sffm", {0, 1, 10e3, 1, 1e3, 0, 0, 5})),
             Contains("test.cir:3:80") && Contains("SFFM of v1 takes at most 7 values"));
  CHECK_THAT(parse_error(located("am", {1, 0.5, 1e3, 20e3, 0, 0, 0, 5})),
             Contains("test.cir:3:80") && Contains("AM of v1 takes at most 7 values"));

  // Negative frequencies, at their argument: FC third (column 30), FS fifth (50), MF third, AM's FC fourth (40).
  CHECK_THAT(parse_error(located("sffm", {0, 1, -10e3})),
             Contains("test.cir:3:30") && Contains("carrier frequency FC must not be negative"));
  CHECK_THAT(parse_error(located("sffm", {0, 1, 10e3, 2, -1e3})),
             Contains("test.cir:3:50") && Contains("signal frequency FS must not be negative"));
  CHECK_THAT(parse_error(located("sffm", {0, 1, 10e3, 0, -1e3})),  // unused, still refused
             Contains("test.cir:3:50") && Contains("signal frequency FS must not be negative"));
  CHECK_THAT(parse_error(located("am", {1, 0.5, -1e3, 20e3})),
             Contains("test.cir:3:30") && Contains("AM of v1: modulating frequency MF must not be negative"));
  CHECK_THAT(parse_error(located("am", {1, 0.5, 1e3, -20e3})),
             Contains("test.cir:3:40") && Contains("AM of v1: carrier frequency FC must not be negative"));

  // Non-finite values, at the argument.
  CHECK_THAT(parse_error(located("sffm", {0, 1, std::numeric_limits<double>::infinity()})),
             Contains("test.cir:3:30") && Contains("non-finite"));
  CHECK_THAT(parse_error(located("am", {1, 0.5, 1e3, std::numeric_limits<double>::quiet_NaN()})),
             Contains("test.cir:3:40") && Contains("non-finite"));

  // The list of known functions names them.
  CHECK_THAT(parse_error({word("fm"), num(0), num(1)}), Contains("SFFM, AM"));
}

TEST_CASE("waveform: SFFM and AM sources drive resistors through a transient", "[waveform]") {
  // V1 sets v(a) directly; I2 pushes its current into R2 (from node 0 through the source into b).
  auto circuit = elaborate_text(
      "modulated sources\n"
      "V1 a 0 SFFM(0.5 2 10k 3 1k 30 60)\n"
      "R1 a 0 1k\n"
      "I2 0 b AM(1m 0.5 1k 20k 0.2m 30 60)\n"
      "R2 b 0 2k\n"
      ".tran 1u 1m\n"
      ".end\n",
      "modulated.cir");
  const auto plots = run_analyses(*circuit);
  REQUIRE(plots.size() == 1);
  const Plot& tran = plots[0];
  REQUIRE(tran.analysis == "tran");
  const Signal* time = tran.find("time");
  const Signal* a = tran.find("v(a)");
  const Signal* b = tran.find("v(b)");
  const Signal* i1 = tran.find("i(v1)");
  REQUIRE(time != nullptr);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  REQUIRE(i1 != nullptr);
  REQUIRE(tran.points() > 500);
  CHECK(time->values.back() == Approx(1e-3));
  double largest_b = 0, worst_a = 0, worst_b = 0;
  bool lands_on_td = false;
  for (std::size_t k = 0; k < tran.points(); ++k) {
    const double t = time->values[k];
    const double want_a = sffm_reference(t, 0.5, 2, 10e3, 3, 1e3, 30, 60);
    const double want_b = 2e3 * am_reference(t, 1e-3, 0.5, 1e3, 20e3, 0.2e-3, 30, 60);
    worst_a = std::max(worst_a, std::abs(a->values[k] - want_a));
    worst_b = std::max(worst_b, std::abs(b->values[k] - want_b));
    CHECK(i1->values[k] == Approx(-a->values[k] / 1e3).margin(1e-12));  // the source feeds R1
    if (t <= 0.2e-3) CHECK(b->values[k] == Approx(0).margin(1e-12));
    if (t == Approx(0.2e-3).epsilon(1e-12)) lands_on_td = true;
    largest_b = std::max(largest_b, std::abs(b->values[k]));
  }
  CHECK(worst_a < 1e-9);
  CHECK(worst_b < 1e-9);
  CHECK(lands_on_td);                   // TD is a breakpoint
  CHECK(largest_b > 2.0);               // 2k * 1m * (0.5 + 1) = 3 V at the envelope's peak
  CHECK(a->values[0] == Approx(sffm_reference(0, 0.5, 2, 10e3, 3, 1e3, 30, 60)));  // the initial point
}
