// .measure on synthetic waveforms whose answers are known in closed form.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/analyses/measure.hpp"

using namespace picospice;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double frequency = 1e3;  // sine waves: 1 kHz, two periods
constexpr double rc = 1e-3;

// Tokens as the netlist parser delivers them: lower case, whitespace-separated, `=` apart.
MeasureSpec spec(const std::string& analysis, const std::string& name, const std::string& text,
                 int line = 7) {
  MeasureSpec s;
  s.analysis = analysis;
  s.name = name;
  s.location = SourceLocation{"deck.cir", line, 1};
  std::istringstream words(text);
  for (std::string word; words >> word;) s.tokens.push_back(word);
  return s;
}

// time 0..2 ms in 1 us steps; v(a) = sin(wt), v(b) = cos(wt), v(in) a 1 us ramp to 1,
// v(out) = 1 - exp(-t/RC), v(lin) = 2t/ms, i(v1) = -v(out)/1k.
Plot tran_plot(double stop = 2e-3) {
  Plot plot;
  plot.name = "Transient Analysis";
  plot.analysis = "tran";
  Signal time{"time", "time", {}}, a{"v(a)", "voltage", {}}, b{"v(b)", "voltage", {}},
      in{"v(in)", "voltage", {}}, out{"v(out)", "voltage", {}}, lin{"v(lin)", "voltage", {}},
      current{"i(v1)", "current", {}};
  const int steps = static_cast<int>(std::lround(stop / 1e-6));
  for (int k = 0; k <= steps; ++k) {
    double t = k * 1e-6;
    time.values.push_back(t);
    a.values.push_back(std::sin(2 * pi * frequency * t));
    b.values.push_back(std::cos(2 * pi * frequency * t));
    in.values.push_back(std::min(t / 1e-6, 1.0));
    out.values.push_back(1 - std::exp(-t / rc));
    lin.values.push_back(2 * t / 1e-3);
    current.values.push_back(-(1 - std::exp(-t / rc)) / 1e3);
  }
  plot.signals = {time, a, b, in, out, lin, current};
  return plot;
}

// v-sweep 0..5 V in 0.1 V steps; v(out) = x²/5, v(ref) = 1.
Plot dc_plot() {
  Plot plot;
  plot.name = "DC transfer characteristic";
  plot.analysis = "dc";
  Signal sweep{"v-sweep", "voltage", {}}, out{"v(out)", "voltage", {}}, ref{"v(ref)", "voltage", {}};
  for (int k = 0; k <= 50; ++k) {
    double x = k * 0.1;
    sweep.values.push_back(x);
    out.values.push_back(x * x / 5);
    ref.values.push_back(1);
  }
  plot.signals = {sweep, out, ref};
  return plot;
}

MeasureResult measure(const Plot& plot, const std::string& text) {
  return evaluate_measure(parse_measure(spec(plot.analysis, "m", text)), plot);
}

double value(const Plot& plot, const std::string& text) {
  MeasureResult r = measure(plot, text);
  INFO(text << " -> " << r.failure);
  REQUIRE(r.ok);
  return r.value;
}

// Times at which sin(wt) = 0.5: rising at 1/12 period, falling at 5/12.
double sine_half(double period_fraction) { return period_fraction / frequency; }

}  // namespace

TEST_CASE("measure: WHEN finds sine crossings by rise, fall, cross and last", "[measure]") {
  const Plot plot = tran_plot();
  const double tol = 2e-9;  // linear interpolation on 1 us steps
  const double rise1 = sine_half(1.0 / 12), fall1 = sine_half(5.0 / 12);
  const double rise2 = rise1 + 1e-3, fall2 = fall1 + 1e-3;
  CHECK(value(plot, "when v(a) = 0.5") == Approx(rise1).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 rise = 1") == Approx(rise1).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 rise = 2") == Approx(rise2).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 fall = 1") == Approx(fall1).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 fall = 2") == Approx(fall2).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 cross = 2") == Approx(fall1).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 cross = 3") == Approx(rise2).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 cross = last") == Approx(fall2).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 last") == Approx(fall2).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 rise = last") == Approx(rise2).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 fall = last") == Approx(fall2).margin(tol));
  // TD ignores earlier crossings; numbers take SPICE suffixes.
  CHECK(value(plot, "when v(a) = 0.5 td = 0.5m rise = 1") == Approx(rise2).margin(tol));
  CHECK(value(plot, "when v(a) = 0.5 rise = 1 td = 100us") == Approx(rise2).margin(tol));
  // Negative level: the first crossing is the fall at 7/12 period.
  CHECK(value(plot, "when v(a) = -0.5") == Approx(sine_half(7.0 / 12)).margin(tol));
}

TEST_CASE("measure: a point exactly on the level is the crossing; touching is not", "[measure]") {
  Plot plot;
  plot.analysis = "tran";
  plot.signals = {{"time", "time", {0, 1, 2, 3, 4, 5, 6}},
                  {"v(x)", "voltage", {0, 1, 0, 1, 2, 1, 2}},
                  {"v(y)", "voltage", {0, -1, 0, 1, 1, 1, 1}},
                  {"v(z)", "voltage", {0.50000000000000011, 0.4, 0.5, 0.6, 0.6, 0.6, 0.6}}};
  // v(x) = 1 at t=1 (touch from below: no crossing) and t=3 (passes upward), t=5 (touch).
  CHECK(value(plot, "when v(x) = 1") == Approx(3));
  CHECK(value(plot, "when v(x) = 1 cross = last") == Approx(3));
  CHECK_FALSE(measure(plot, "when v(x) = 1 fall = 1").ok);
  CHECK(value(plot, "when v(x) = 0.5 cross = 2") == Approx(1.5));
  // Starting on the level is no crossing either (as in ngspice).
  CHECK(value(plot, "when v(y) = 0") == Approx(2));
  CHECK(value(plot, "when v(y) = 0 rise = 1") == Approx(2));
  CHECK_FALSE(measure(plot, "when v(y) = 0 fall = 1").ok);
  // A start within rounding of the level (a sine source at 0.5 + 1e-16) counts as on it.
  CHECK(value(plot, "when v(z) = 0.5") == Approx(2));
}

TEST_CASE("measure: TRIG/TARG gives the RC 50% delay RC*ln2", "[measure]") {
  const Plot plot = tran_plot(5e-3);
  // v(in) crosses 0.5 at 0.5 us exactly (linear ramp).
  CHECK(value(plot, "trig v(in) val = 0.5 rise = 1 targ v(out) val = 0.5 rise = 1") ==
        Approx(rc * std::log(2.0) - 0.5e-6).margin(1e-10));
  CHECK(value(plot, "when v(out) = 0.5") == Approx(rc * std::log(2.0)).margin(1e-10));
  // 10%-90% rise time of an RC: RC*ln 9.
  CHECK(value(plot, "trig v(out) val = 0.1 rise = 1 targ v(out) val = 0.9 rise = 1") ==
        Approx(rc * std::log(9.0)).margin(1e-10));
  // AT= on either side.
  CHECK(value(plot, "trig at = 1m targ v(out) val = 0.9 rise = 1") ==
        Approx(rc * std::log(10.0) - 1e-3).margin(1e-10));
  CHECK(value(plot, "trig v(out) val = 0.5 targ at = 2m") ==
        Approx(2e-3 - rc * std::log(2.0)).margin(1e-10));
  // Sine: from the first rise through 0.5 to the first fall through 0.5, TD on the target.
  const Plot sine = tran_plot();
  CHECK(value(sine, "trig v(a) val = 0.5 rise = 1 targ v(a) val = 0.5 fall = 1 td = 1m") ==
        Approx(sine_half(5.0 / 12) + 1e-3 - sine_half(1.0 / 12)).margin(4e-9));
}

TEST_CASE("measure: FIND ... WHEN and FIND ... AT interpolate", "[measure]") {
  const Plot plot = tran_plot();
  // cos(wt) when sin(wt) first rises through 0.5: cos(pi/6).
  CHECK(value(plot, "find v(b) when v(a) = 0.5") == Approx(std::sqrt(3.0) / 2).margin(1e-6));
  CHECK(value(plot, "find v(b) when v(a) = 0.5 fall = 1") ==
        Approx(-std::sqrt(3.0) / 2).margin(1e-6));
  // Crossing of two signals: sin = cos at 1/8 period (rising: sin - cos goes up).
  CHECK(value(plot, "when v(a) = v(b)") == Approx(0.125e-3).margin(2e-9));
  CHECK(value(plot, "when v(a) = v(b) cross = 2") == Approx(0.625e-3).margin(2e-9));
  CHECK(value(plot, "find v(lin) when v(a) = v(b)") == Approx(0.25).margin(1e-8));
  // AT: between points and on one.
  CHECK(value(plot, "find v(lin) at = 0.7503m") == Approx(1.5006));
  CHECK(value(plot, "find v(out) at = 1m") == Approx(1 - std::exp(-1.0)).epsilon(1e-12));
  CHECK(value(plot, "find i(v1) at = 1m") == Approx(-(1 - std::exp(-1.0)) / 1e3));
  // Differences v(a,b), also with the signal split at the comma by the tokenizer.
  CHECK(value(plot, "find v(a,b) at = 0.25m") == Approx(1.0).margin(1e-9));
  CHECK(value(plot, "find v(a , b) at = 0.25m") == Approx(1.0).margin(1e-9));
  CHECK(value(plot, "find v(a b) at = 0.5m") == Approx(1.0).margin(1e-9));
  CHECK(value(plot, "find v(0,a) at = 0.25m") == Approx(-1.0).margin(1e-9));
}

TEST_CASE("measure: PARAM= gives the value the netlist layer computed from .param values", "[measure]") {
  const auto r = measure(tran_plot(), "param = 9.5");
  CHECK(r.ok);
  CHECK(r.value == 9.5);
}

TEST_CASE("measure: AVG, RMS, INTEG, MIN, MAX, PP over windows", "[measure]") {
  const Plot plot = tran_plot();
  // Trapezoids are exact for whole periods of sin and sin², and for straight lines.
  CHECK(value(plot, "avg v(a)") == Approx(0).margin(1e-12));
  CHECK(value(plot, "rms v(a)") == Approx(1 / std::sqrt(2.0)).epsilon(1e-9));
  CHECK(value(plot, "rms v(a) from = 0.5m to = 1.5m") == Approx(1 / std::sqrt(2.0)).epsilon(1e-9));
  CHECK(value(plot, "avg v(lin)") == Approx(2.0));
  CHECK(value(plot, "integ v(lin) from = 0.2505m to = 0.7505m") ==
        Approx(0.7505e-3 * 0.7505e-3 / 1e-3 - 0.2505e-3 * 0.2505e-3 / 1e-3).epsilon(1e-12));
  CHECK(value(plot, "avg v(lin) from = 1m") == Approx(3.0));
  CHECK(value(plot, "avg v(lin) to = 1m") == Approx(1.0));
  // Average of a half sine wave: 2/pi, less the trapezoid error of about (w h)^2 / 12.
  CHECK(value(plot, "avg v(a) from = 0 to = 0.5m") == Approx(2 / pi).epsilon(1e-5));
  // RC charge: average over [0, RC] is 1 - (1 - e^-1) = e^-1.
  CHECK(value(plot, "avg v(out) to = 1m") == Approx(std::exp(-1.0)).epsilon(1e-6));
  CHECK(value(plot, "max v(a)") == Approx(1.0).margin(1e-12));
  CHECK(value(plot, "min v(a)") == Approx(-1.0).margin(1e-12));
  CHECK(value(plot, "pp v(a)") == Approx(2.0).margin(1e-12));
  // The window's ends count, interpolated: sin(0.2 pi) at to=0.1m.
  CHECK(value(plot, "max v(a) from = 0 to = 0.1m") == Approx(std::sin(0.2 * pi)).margin(1e-9));
  CHECK(value(plot, "min v(lin) from = 0.3333m to = 0.5m") == Approx(0.6666).epsilon(1e-12));
}

TEST_CASE("measure: dc plots measure against the swept value", "[measure]") {
  const Plot plot = dc_plot();
  // x²/5 = 1 at x = sqrt(5); linear interpolation between 2.2 and 2.3.
  const double x0 = 2.2, x1 = 2.3, y0 = x0 * x0 / 5, y1 = x1 * x1 / 5;
  CHECK(value(plot, "when v(out) = 1") == Approx(x0 + (1 - y0) / (y1 - y0) * (x1 - x0)));
  CHECK(value(plot, "when v(out) = v(ref)") == Approx(x0 + (1 - y0) / (y1 - y0) * (x1 - x0)));
  CHECK(value(plot, "find v(out) at = 2") == Approx(0.8));
  CHECK(value(plot, "max v(out,ref)") == Approx(4.0));
  CHECK(value(plot, "integ v(ref) from = 1 to = 3") == Approx(2.0));
}

TEST_CASE("measure: failures are rows with a reason, not exceptions", "[measure]") {
  const Plot plot = tran_plot();
  MeasureResult never = measure(plot, "when v(a) = 0.5 rise = 3");
  CHECK_FALSE(never.ok);
  CHECK_THAT(never.failure, Catch::Contains("v(a) never crosses 0.5 (rise 3") &&
                                Catch::Contains("found 2"));
  MeasureResult high = measure(plot, "trig v(a) val = 2 rise = 1 targ v(a) val = 0 fall = 1");
  CHECK_FALSE(high.ok);
  CHECK_THAT(high.failure, Catch::Contains("never crosses 2") && Catch::Contains("trig"));
  MeasureResult missing = measure(plot, "avg v(nowhere)");
  CHECK_FALSE(missing.ok);
  CHECK_THAT(missing.failure, Catch::Contains("no signal v(nowhere)"));
  MeasureResult outside = measure(plot, "find v(a) at = 3m");
  CHECK_FALSE(outside.ok);
  CHECK_THAT(outside.failure, Catch::Contains("at=0.003 is outside"));
  MeasureResult empty_window = measure(plot, "avg v(a) from = 5m to = 6m");
  CHECK_FALSE(empty_window.ok);
  CHECK_THAT(empty_window.failure, Catch::Contains("no simulated point"));
  MeasureResult late = measure(plot, "when v(a) = 0.5 td = 1.9m");
  CHECK_FALSE(late.ok);
  CHECK_THAT(late.failure, Catch::Contains("td=0.0019"));
}

TEST_CASE("measure: malformed lines are NetlistErrors at the line", "[measure]") {
  auto error_of = [](const std::string& text) {
    try {
      parse_measure(spec("tran", "bad", text, 12));
    } catch (const NetlistError& e) {
      CHECK(e.location.line == 12);
      return std::string(e.what());
    }
    FAIL("no NetlistError for: " << text);
    return std::string();
  };
  CHECK_THAT(error_of("trig v(a) val = 0.5 rise = 1"),
             Catch::StartsWith("deck.cir:12:1: error: measure 'bad'") &&
                 Catch::Contains("expected 'targ'"));
  CHECK_THAT(error_of("avg"), Catch::Contains("expected a signal"));
  CHECK_THAT(error_of("avg out"), Catch::Contains("expected a signal such as v(out)"));
  CHECK_THAT(error_of("when v(a) 0.5"), Catch::Contains("expected '='"));
  CHECK_THAT(error_of("when v(a) = 0.5 rise = 0"), Catch::Contains("positive whole count"));
  CHECK_THAT(error_of("when v(a) = 0.5 rise = 1 fall = 1"), Catch::Contains("more than one"));
  CHECK_THAT(error_of("trig v(a) val = x targ v(a) val = 1"), Catch::Contains("expected a number"));
  CHECK_THAT(error_of("find v(a)"), Catch::Contains("'when"));
  CHECK_THAT(error_of("deriv v(a) at = 1"), Catch::Contains("unknown measure kind 'deriv'"));
  CHECK_THAT(error_of("avg v(a) from = 2 to = 1"), Catch::Contains("after to="));
  CHECK_THAT(error_of("avg v(a) sideways"), Catch::Contains("unexpected 'sideways'"));
  CHECK_THAT(error_of("param = {m1/m2}"), Catch::Contains("param={m1/m2} reads something other than .param values"));
  CHECK_THAT(error_of("param 3"), Catch::Contains("'=' after 'param'"));
  CHECK_THROWS_AS(parse_measure(spec("noise", "m", "avg v(a)")), NetlistError);
}

TEST_CASE("measure: evaluate_measures names per plot and writes JSON", "[measure]") {
  Plot first = tran_plot(2e-3), second = tran_plot(5e-3);
  std::vector<MeasureSpec> specs = {spec("tran", "t50", "when v(out) = 0.5"),
                                    spec("tran", "t95", "when v(out) = 0.95"),
                                    spec("dc", "vx", "when v(out) = 1")};
  auto results = evaluate_measures(specs, {first, dc_plot(), second});
  REQUIRE(results.size() == 5);
  CHECK(results[0].name == "t50");
  CHECK(results[1].name == "t50_2");
  CHECK(results[0].value == Approx(rc * std::log(2.0)));
  CHECK(results[1].value == Approx(rc * std::log(2.0)));
  CHECK(results[2].name == "t95");
  CHECK_FALSE(results[2].ok);  // 3 RC > 2 ms
  CHECK(results[3].name == "t95_2");
  CHECK(results[3].value == Approx(rc * std::log(20.0)));
  CHECK(results[4].name == "vx");
  CHECK(results[4].ok);

  auto none = evaluate_measures({spec("dc", "vx", "when v(out) = 1")}, {first});
  REQUIRE(none.size() == 1);
  CHECK_FALSE(none[0].ok);
  CHECK(none[0].failure == "no dc analysis ran");
  CHECK_THROWS_AS(evaluate_measures({spec("tran", "broken", "when")}, {first}), NetlistError);

  auto directory = std::filesystem::temp_directory_path() /
                   ("picospice-measure-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  auto path = directory / "measures.json";
  write_measures(path, results);
  std::ifstream in(path);
  auto json = nlohmann::json::parse(in);
  CHECK(json["t50"].get<double>() == results[0].value);  // full precision
  CHECK(json["t95"].is_null());
  CHECK_THAT(json["failures"]["t95"].get<std::string>(), Catch::Contains("never crosses 0.95"));
  CHECK(json["failures"].size() == 1);
  CHECK(std::distance(std::filesystem::directory_iterator(directory),
                      std::filesystem::directory_iterator()) == 1);
  std::filesystem::remove_all(directory);
}

TEST_CASE("measure: statistics over a DC sweep that goes up and back down", "[measure]") {
  // `.dc ... updown` starts and ends at the same sweep value: the default window is the whole
  // scale, not front..back.
  Plot plot;
  plot.name = "DC transfer characteristic";
  plot.analysis = "dc";
  Signal sweep{"i-sweep", "current", {}}, out{"i(vsense)", "current", {}};
  for (int k = 0; k <= 10; ++k) { sweep.values.push_back(k * 1e-10); out.values.push_back(k >= 7 ? 5e-10 : 0.0); }
  for (int k = 9; k >= 0; --k) { sweep.values.push_back(k * 1e-10); out.values.push_back(k >= 3 ? 5e-10 : 0.0); }
  plot.signals = {sweep, out};
  auto results = evaluate_measures({spec("dc", "high", "max i(vsense)"), spec("dc", "low", "min i(vsense)"),
                                    spec("dc", "down", "when i(vsense) = 2.5e-10 fall = 1")},
                                   {plot});
  REQUIRE(results.size() == 3);
  CHECK(results[0].ok);
  CHECK(results[0].value == Approx(5e-10));
  CHECK(results[1].value == Approx(0.0).margin(1e-30));
  CHECK(results[2].value == Approx(2.5e-10));
}
