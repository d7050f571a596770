// Helpers shared by tests that simulate netlists written as text: run one, read a signal, catch
// the error a bad one gives, and a generic CMOS inverter chain.
#pragma once
#include <catch2/catch.hpp>

#include <exception>
#include <string>
#include <vector>

#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"

namespace picospice::test {

// Elaborates `text` (named test.cir in messages) and runs its analyses.
inline std::vector<Plot> simulate(const std::string& text, const ParamOverrides& overrides = {}) {
  auto circuit = elaborate_text(text, "test.cir", overrides);
  return run_analyses(*circuit);
}

// Signal `name` of `plot` at `point`; the test fails if the plot has no such signal.
inline double value_of(const Plot& plot, const std::string& name, std::size_t point = 0) {
  const Signal* s = plot.find(name);
  REQUIRE(s != nullptr);
  return s->values.at(point);
}

// The message simulate(text) fails with; the test fails if it does not.
inline std::string error_of(const std::string& text) {
  try {
    simulate(text);
  } catch (const std::exception& e) {
    return e.what();
  }
  FAIL("no error for the netlist");
  return {};
}

// A chain of `stages` CMOS inverters (EKV, strong inversion, 1 fF on each output) driven by a
// pulse on n0, nodes n1..n<stages>; `tail` follows the models (options, analyses, `.end`).
inline std::string inverter_chain(int stages, const std::string& tail) {
  std::string text = "inverter chain\nVdd vdd 0 1\nVin n0 0 PULSE(0 1 10n 5n 5n 50n 200n)\n";
  for (int s = 0; s < stages; ++s) {
    const std::string in = "n" + std::to_string(s), out = "n" + std::to_string(s + 1);
    text += "MP" + std::to_string(s) + " " + out + " " + in + " vdd vdd pch w=2u l=1u\n";
    text += "MN" + std::to_string(s) + " " + out + " " + in + " 0 0 nch w=1u l=1u\n";
    text += "C" + std::to_string(s) + " " + out + " 0 1f\n";
  }
  return text +
         ".model nch nmos level=ekv vto=0.45 kp=300u n=1.35 lambda=0.05\n"
         ".model pch pmos level=ekv vto=-0.45 kp=70u n=1.35 lambda=0.05\n" +
         tail;
}

}  // namespace picospice::test
