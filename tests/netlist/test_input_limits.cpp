// Netlists that used to crash, exhaust memory or run for years, and numbers that used to pass
// silently (issue 17): each is now refused with a message naming file:line:column, by the
// command line, without a signal. The unbounded cases also run under `ulimit -v 2000000` (2 GB of
// address space), where a missing limit ends in bad_alloc instead of the message.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/run_command.hpp"

namespace picospice {
namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  const fs::path dir = fs::temp_directory_path() / "picospice_input_limits";
  fs::create_directories(dir);
  return dir;
}

std::string write_netlist(const std::string& name, const std::string& text) {
  const fs::path path = scratch() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::string output_for(const std::string& name) { return (scratch() / (name + ".raw")).string(); }

testing::ProcessOutcome run_netlist(const std::string& netlist) {
  return testing::run_picospice("run -q " + netlist + " -o " + output_for(fs::path(netlist).stem().string()));
}

// ASan reserves terabytes of address space for its shadow memory, so a sanitizer build cannot run
// under `ulimit -v`; those cases are checked by the ordinary builds.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressLimitWorks = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressLimitWorks = false;
#else
constexpr bool kAddressLimitWorks = true;
#endif
#else
constexpr bool kAddressLimitWorks = true;
#endif

// `picospice ARGS` under a 2 GB address-space limit.
testing::ProcessOutcome run_limited(const std::string& arguments) {
  return testing::run_command({"/bin/sh", "-c", "ulimit -v 2000000; exec " + std::string(PICOSPICE_BINARY) + " " + arguments});
}

}  // namespace

TEST_CASE("expressions nested thousands deep are an error naming the place, not a stack overflow", "[limits]") {
  const auto netlist_with = [](const std::string& name, const std::string& expression) {
    return write_netlist(name, "x\n.param p={" + expression + "}\nv1 a 0 {p}\nr1 a 0 1k\n.op\n.end\n");
  };
  const int n = 10000;
  CHECK_REFUSED_WITH(run_netlist(netlist_with("deep_parens.cir", std::string(n, '(') + "1" + std::string(n, ')'))),
                     "deep_parens.cir:2:");
  CHECK_REFUSED_WITH(run_netlist(netlist_with("deep_parens2.cir", std::string(n, '(') + "1" + std::string(n, ')'))),
                     "expression nested deeper than 1000 levels");
  std::string calls;
  for (int i = 0; i < n; ++i) calls += "abs(";
  CHECK_REFUSED_WITH(run_netlist(netlist_with("deep_abs.cir", calls + "1" + std::string(n, ')'))),
                     "expression nested deeper than 1000 levels");
  std::string ternaries;
  for (int i = 0; i < 50000; ++i) ternaries += "0?1:";
  CHECK_REFUSED_WITH(run_netlist(netlist_with("deep_ternary.cir", ternaries + "2")),
                     "expression nested deeper than 1000 levels");
  CHECK_REFUSED_WITH(run_netlist(netlist_with("deep_unary.cir", std::string(150000, '-') + "1")),
                     "expression nested deeper than 1000 levels");
  // Just inside the bound still evaluates: 100 parentheses around 2, then minus signs in pairs.
  const std::string ok = write_netlist("nested_ok.cir", "x\n.param p={" + std::string(100, '(') + "2" +
                                                            std::string(100, ')') + "*" + std::string(100, '-') +
                                                            "1}\nv1 a 0 {p}\nr1 a 0 1k\n.op\n.end\n");
  REQUIRE_SUCCEEDS(run_netlist(ok));
}

TEST_CASE("a subcircuit instance chain deeper than 256 is an error, not a stack overflow", "[limits]") {
  std::string text = "chain\n";
  const int depth = 300;
  for (int i = 0; i < depth; ++i) text += ".subckt s" + std::to_string(i) + " a\nx1 a s" + std::to_string(i + 1) + "\n.ends\n";
  text += ".subckt s" + std::to_string(depth) + " a\nr1 a 0 1k\n.ends\nv1 a 0 1\nx0 a s0\n.op\n.end\n";
  CHECK_REFUSED_WITH(run_netlist(write_netlist("instance_chain.cir", text)),
                     "instance_chain.cir:768:1: error: subcircuit instances nested more than 256 deep");
}

TEST_CASE("subcircuit definitions nested deeper than 256 are an error, not a crash at teardown", "[limits]") {
  std::string text = "nest\n";
  for (int i = 0; i < 300; ++i) text += ".subckt n" + std::to_string(i) + " a\n";
  for (int i = 0; i < 300; ++i) text += ".ends\n";
  text += "v1 a 0 1\nr1 a 0 1k\n.op\n.end\n";
  CHECK_REFUSED_WITH(run_netlist(write_netlist("nested_definitions.cir", text)),
                     "nested_definitions.cir:258:1: error: '.subckt' definitions nested more than 256 deep");
}

TEST_CASE("an include chain deeper than 64 files is an error naming the include line", "[limits]") {
  const fs::path dir = scratch() / "include_chain";
  fs::create_directories(dir);
  for (int i = 0; i < 80; ++i)
    std::ofstream(dir / ("f" + std::to_string(i) + ".inc")) << ".include f" << i + 1 << ".inc\n";
  std::ofstream(dir / "f80.inc") << "r1 a 0 1k\n";
  const std::string netlist = write_netlist("include_chain.cir", "inc\n.include include_chain/f0.inc\nv1 a 0 1\n.op\n.end\n");
  CHECK_REFUSED_WITH(run_netlist(netlist), "f62.inc:1:10: error: includes nested more than 64 deep");
}

TEST_CASE("including a directory or an endless device is an error, also under a 2 GB limit", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("include_dir.cir", "x\n.include /tmp\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n")),
                     "include_dir.cir:2:10: error: cannot read include file '/tmp': it is a directory");
  const std::string zero = write_netlist("include_zero.cir", "x\n.include /dev/zero\n.op\n.end\n");
  CHECK_REFUSED_WITH(run_netlist(zero), "include_zero.cir:2:10: error: include file '/dev/zero' makes the netlist larger than 64 MiB");
  if (kAddressLimitWorks)
    CHECK_REFUSED_WITH(run_limited("run -q " + zero + " -o " + output_for("include_zero")), "larger than 64 MiB");
}

TEST_CASE("a netlist line of millions of words is refused at the token limit, also under a 2 GB limit", "[limits]") {
  std::string text = "x\nr1 ";
  text.reserve(5'000'000);
  while (text.size() < 4'500'000) text += "a ";
  text += "\n.op\n.end\n";
  const std::string netlist = write_netlist("long_line.cir", text);
  CHECK_REFUSED_WITH(run_netlist(netlist), "long_line.cir:2:4000002: error: the netlist holds more than 2000000 tokens");
  if (kAddressLimitWorks)
    CHECK_REFUSED_WITH(run_limited("run -q " + netlist + " -o " + output_for("long_line")), "more than 2000000 tokens");
}

TEST_CASE("integer options are range-checked before any conversion", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("maxord.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.options maxord=4294967297\n.op\n.end\n")),
                     "maxord.cir:4:17: error: option 'maxord' must be at most 1000000");
  CHECK_REFUSED_WITH(run_netlist(write_netlist("trannoise.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.options trannoise=4294967297\n.op\n.end\n")),
                     "trannoise.cir:4:20: error: option 'trannoise' must be at most 1000000");
  CHECK_REFUSED_WITH(run_netlist(write_netlist("noiseseed.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.options noiseseed=1e30\n.op\n.end\n")),
                     "noiseseed.cir:4:20: error: option 'noiseseed' must be a non-negative integer below 2^64");
  CHECK_REFUSED_WITH(run_netlist(write_netlist("itl4.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.options itl4=0.5\n.op\n.end\n")),
                     "itl4.cir:4:15: error: option 'itl4' must be at least 1");
}

TEST_CASE("an option value that is not a number names its place", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("reltol_paren.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.options reltol=)\n.op\n.end\n")),
                     "reltol_paren.cir:4:");
}

TEST_CASE("a measure count beyond 1e9 is refused with its value", "[limits]") {
  CHECK_REFUSED_WITH(
      run_netlist(write_netlist("rise.cir", "x\nv1 a 0 sin(0 1 1k)\nr1 a 0 1k\n.tran 10u 5m\n"
                                            ".measure tran t1 when v(a)=0.5 rise=1e12\n.end\n")),
      "expected a positive whole count or 'last', found '1e12'");
}

TEST_CASE("a .dc sweep of more than ten million points is refused where it is written", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("dc_huge.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.dc v1 0 1e30 1\n.end\n")),
                     "dc_huge.cir:4:15: error: '.dc' v1 from 0 to 1e+30 in steps of 1 makes 1e+30 points; picospice's limit is 1e+07");
  CHECK_REFUSED_WITH(
      run_netlist(write_netlist("dc_nested.cir", "x\nv1 a 0 1\nv2 b 0 1\nr1 a b 1k\n.dc v1 0 1 1e-4 v2 0 1 1e-4\n.end\n")),
      "makes 10001 points (1.0002e+08 with the outer sweep)");
}

TEST_CASE("a transient of more than 1e8 points is refused where it is written", "[limits]") {
  const std::string netlist = write_netlist("tran_long.cir", "x\nv1 a 0 1\nr1 a 0 1k\nc1 a 0 1n\n.tran 1n 1e6\n.end\n");
  CHECK_REFUSED_WITH(run_netlist(netlist), "tran_long.cir:5:7: error: '.tran' from 0 to 1e+06 s in steps of at most 1e-09 s takes "
                                           "at least 1e+15 points; picospice's limit is 1e+08");
  if (kAddressLimitWorks)
    CHECK_REFUSED_WITH(run_limited("run -q " + netlist + " -o " + output_for("tran_long")), "picospice's limit is 1e+08");
}

TEST_CASE("TRNOISE and TRRANDOM steps of 1e-15 s are refused before the transient starts", "[limits]") {
  for (const char* source : {"trnoise(1m 1e-15 0 0)", "trrandom(1 1e-15 0 1 0)"}) {
    const std::string netlist =
        write_netlist("tiny_noise_step.cir", std::string("x\nv1 a 0 ") + source + "\nr1 a 0 1k\n.tran 1n 1u\n.end\n");
    CHECK_REFUSED_WITH(run_netlist(netlist), "the sources' corners (a TRNOISE or TRRANDOM step, a PULSE or PWL) come every 1.0001e-15 s on average");
    if (kAddressLimitWorks)
      CHECK_REFUSED_WITH(run_limited("run -q " + netlist + " -o " + output_for("tiny_noise_step")), "picospice's limit is 1e+08");
  }
  CHECK_REFUSED_WITH(
      run_netlist(write_netlist("noise_grid.cir", "x\nv1 a 0 1\nr1 a 0 1k\nc1 a 0 1p\n"
                                                  ".options trannoise=1 noisetstep=1e-18\n.tran 1n 1u\n.end\n")),
      "the transient-noise grid step of 1e-18 s makes 1e+12 points");
}

TEST_CASE("non-finite numbers are refused where they enter the netlist", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("inf_value.cir", "x\nv1 a 0 1e999\nr1 a 0 1k\n.op\n.end\n")),
                     "inf_value.cir:2:8: error: '1e999' is infinite, not a finite number");
  CHECK_REFUSED_WITH(run_netlist(write_netlist("inf_param.cir", "x\n.param big={1e300*1e300}\nv1 a 0 {big}\nr1 a 0 1k\n.op\n.end\n")),
                     "inf_param.cir:2:13: error: the result is not finite (overflow)");
  CHECK_REFUSED_WITH(run_netlist(write_netlist("temp_inf.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.temp 1e999\n.op\n.end\n")),
                     "temp_inf.cir:4:7: error: '1e999' is infinite");
  CHECK_REFUSED_WITH(run_netlist(write_netlist("temp_big.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.temp 1e30\n.op\n.end\n")),
                     "temp_big.cir:4:7: error: '.temp' must be above -273.15 and at most 1000 (degrees Celsius), found 1e+30");
}

TEST_CASE("an instance name with a '.' of its own is refused, not misread (fuzzing found a switch read past its nodes)", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("dotted.cir", "x\nv1 a 0 1\nr1 a 0 1k\nw.a a b v1 wm\nrb b 0 1k\n"
                                                             ".model wm csw it=0.5m\n.op\n.end\n")),
                     "dotted.cir:4:1: error: instance name 'w.a' contains '.', which separates subcircuit levels");
}

TEST_CASE(".save of a node or branch that does not exist names the .save line", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("save_missing.cir", "x\nv1 a 0 1\nr1 a 0 1k\n.save i(v1)\n.save v(nosuch)\n.op\n.end\n")),
                     "save_missing.cir:5:1: error: .save v(nosuch): no such node or branch current");
}

TEST_CASE("numbers in messages are printed with %g, never as 0.000000", "[limits]") {
  CHECK_REFUSED_WITH(run_netlist(write_netlist("pwl_equal.cir", "x\nv1 a 0 pwl(0 0 1e-7 1 1e-7 2)\nr1 a 0 1k\n.tran 1n 1u\n.end\n")),
                     "times must increase strictly (1e-07 after 1e-07)");
}

TEST_CASE("duplicate models and subcircuits are still found among many definitions", "[limits]") {
  std::string text = "x\n";
  for (int i = 0; i < 20000; ++i) text += ".model m" + std::to_string(i) + " d is=1e-14\n";
  text += ".model m7 d is=2e-14\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n";
  CHECK_REFUSED_WITH(run_netlist(write_netlist("many_models.cir", text)),
                     "many_models.cir:20002:1: error: model 'm7' is already defined at");
}

}  // namespace picospice
