// Independent source time functions: values, repetition, breakpoints and input errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "devices/waveforms.hpp"

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
  step.set_default_edge(1e-7);  // the transient's tstep
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
  CHECK_THROWS_AS(parse(with("sin", {0, 1})), NetlistError);               // no frequency
  CHECK_THROWS_AS(parse(with("exp", {0})), NetlistError);
  CHECK_THROWS_AS(parse({word("dc")}), NetlistError);                      // DC without value
  CHECK_THROWS_AS(parse({num(1), num(2)}), NetlistError);                  // two values
  CHECK_THROWS_AS(parse({word("sffm"), num(0), num(1)}), NetlistError);    // unsupported
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
