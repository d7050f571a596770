// Monte Carlo building blocks: the counter-based generator, mismatch draws, results file, statistics.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/counter_rng.hpp"
#include "engine/monte_carlo/mismatch.hpp"
#include "engine/monte_carlo/results_csv.hpp"
#include "engine/monte_carlo/statistics.hpp"
#include "netlists/elaborate.hpp"

using namespace picospice;

TEST_CASE("Philox-4x32-10 matches the Random123 known-answer vectors", "[mc]") {
  using A4 = std::array<std::uint32_t, 4>;
  CHECK(random::philox4x32({0, 0, 0, 0}, {0, 0}) == A4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(random::philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        A4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(random::philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        A4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("FNV-1a 64 matches its published test values", "[mc]") {
  CHECK(random::fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(random::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(random::fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("unit_normal is a pure function of its address", "[mc]") {
  const double z = random::unit_normal(7, 11, 3);
  CHECK(random::unit_normal(7, 11, 3) == z);
  CHECK(random::unit_normal(8, 11, 3) != z);
  CHECK(random::unit_normal(7, 12, 3) != z);
  CHECK(random::unit_normal(7, 11, 4) != z);
  const double u = random::unit_uniform(1, 2, 3);
  CHECK(u > 0.0);
  CHECK(u < 1.0);
  CHECK(random::bits_to_open_unit(0) > 0.0);
  CHECK(random::bits_to_open_unit(~0ull) < 1.0);
}

TEST_CASE("unit_normal draws have zero mean, unit variance and normal tails", "[mc]") {
  const int n = 200000;
  double sum = 0, squares = 0, fourth = 0;
  int beyond_two = 0;
  for (int k = 0; k < n; ++k) {
    const double z = random::unit_normal(42, random::mix_stream(k, random::fnv1a64("m1")), 0);
    sum += z;
    squares += z * z;
    fourth += z * z * z * z;
    beyond_two += std::abs(z) > 2.0;
  }
  const double mean = sum / n, variance = squares / n - mean * mean;
  CHECK(std::abs(mean) < 4.0 / std::sqrt(n));
  CHECK(std::abs(variance - 1.0) < 4.0 * std::sqrt(2.0 / n));
  CHECK(std::abs(fourth / n - 3.0) < 4.0 * std::sqrt(96.0 / n));  // kurtosis 3, var(z^4) = 96
  const double tail = 0.0455003;                                   // P(|z| > 2)
  CHECK(std::abs(beyond_two / double(n) - tail) < 4.0 * std::sqrt(tail * (1 - tail) / n));
}

TEST_CASE("neighbouring streams and counters are uncorrelated", "[mc]") {
  const int n = 50000;
  double same_sample = 0, next_sample = 0;
  for (int k = 0; k < n; ++k) {
    const auto stream = random::mix_stream(k, random::fnv1a64("m1"));
    const double a = random::unit_normal(1, stream, 0);
    same_sample += a * random::unit_normal(1, stream, 1);
    next_sample += a * random::unit_normal(1, random::mix_stream(k + 1, random::fnv1a64("m1")), 0);
  }
  CHECK(std::abs(same_sample / n) < 4.0 / std::sqrt(n));
  CHECK(std::abs(next_sample / n) < 4.0 / std::sqrt(n));
}

namespace {
const char* kTwoDevices = R"(mirror
.model nch nmos level=ekv vto=0.45 kp=300u n=1.35 avto=5n akp=10n
.model pch pmos level=ekv vto=-0.45 kp=70u n=1.35 avto=5n akp=10n
I1 0 d 100p
M1 d d 0 0 nch W=2u L=2u
M2 o d 0 0 nch W=2u L=2u DVTO=3m
V1 o 0 0.5
.op
)";
}  // namespace

TEST_CASE("mismatch draws follow Pelgrom and keep the netlist values as the base", "[mc]") {
  auto circuit = elaborate_text(kTwoDevices);
  MismatchPlan plan(*circuit, {});
  REQUIRE(plan.size() == 4);  // dvto and dkp of each MOSFET
  CHECK(plan.find("m1", "dvto")->sigma == Approx(2.5e-3));
  CHECK(plan.find("m1", "dkp")->sigma == Approx(5e-3));
  CHECK(plan.find("m2", "dvto")->declared.nominal == Approx(3e-3));
  CHECK(plan.find("m1", "nosuch") == nullptr);

  MismatchSettings overridden;
  overridden.coefficients["avto"] = 10e-9;
  MismatchPlan wider(*circuit, overridden);
  CHECK(wider.find("m1", "dvto")->sigma == Approx(5e-3));
  CHECK(wider.find("m1", "dkp")->sigma == Approx(5e-3));

  // Over many samples the drawn spread matches sigma, around the base value.
  double sum = 0, squares = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    const auto draws = plan.draw(5, k);
    REQUIRE(draws[2].instance == "m2");
    REQUIRE(draws[2].parameter == "dvto");
    const double d = draws[2].value - 3e-3;
    sum += d;
    squares += d * d;
  }
  CHECK(std::abs(sum / n) < 4 * 2.5e-3 / std::sqrt(n));
  CHECK(std::sqrt(squares / n) == Approx(2.5e-3).epsilon(0.03));
}

TEST_CASE(".options mc_avto and mc_akp override the model coefficients", "[mc]") {
  std::string text = kTwoDevices;
  text += ".options mc_avto=2.5n mc_akp=0\n";
  auto circuit = elaborate_text(text);
  MismatchSettings settings;
  read_mismatch_options(*circuit, settings);
  MismatchPlan plan(*circuit, settings);
  CHECK(plan.find("m1", "dvto")->sigma == Approx(1.25e-3));
  CHECK(plan.find("m1", "dkp")->sigma == 0.0);

  auto bad = elaborate_text(std::string(kTwoDevices) + ".options mc_avto=lots\n");
  MismatchSettings unused;
  CHECK_THROWS_WITH(read_mismatch_options(*bad, unused), Catch::Contains("mc_avto"));
}

TEST_CASE("an instance's draws do not depend on other instances", "[mc]") {
  auto two = elaborate_text(kTwoDevices);
  std::string three_text = kTwoDevices;
  three_text.insert(three_text.find("V1"), "M0 o2 d 0 0 nch W=1u L=1u\nV2 o2 0 0.5\n");
  auto three = elaborate_text(three_text);
  MismatchPlan a(*two, {}), b(*three, {});
  REQUIRE(b.size() == 6);
  for (std::uint64_t k = 0; k < 50; ++k) {
    const auto da = a.draw(9, k), db = b.draw(9, k);
    for (const auto& d : da) {
      const auto match = std::find_if(db.begin(), db.end(), [&](const MismatchDraw& e) {
        return e.instance == d.instance && e.parameter == d.parameter;
      });
      REQUIRE(match != db.end());
      CHECK(match->value == d.value);
    }
  }
  // And the two devices of one sample get different values.
  const auto d0 = a.draw(9, 0);
  REQUIRE(d0[0].parameter == "dvto");
  REQUIRE(d0[2].parameter == "dvto");
  CHECK(d0[0].value != d0[2].value - 3e-3);
}

TEST_CASE("a process shift moves all devices of one polarity together", "[mc]") {
  auto circuit = elaborate_text(kTwoDevices);
  MismatchSettings process_only;
  process_only.coefficients["avto"] = 0;
  process_only.coefficients["akp"] = 0;
  process_only.process_sigma["dvto"] = 10e-3;
  process_only.process_sigma["dkp"] = 0.02;
  MismatchPlan plan(*circuit, process_only);
  const auto d = plan.draw(1, 4);  // m1 dvto, m1 dkp, m2 dvto, m2 dkp
  REQUIRE(d.size() == 4);
  CHECK(d[0].value != 0.0);
  CHECK(d[2].value - 3e-3 == Approx(d[0].value));
  CHECK(d[3].value == Approx(d[1].value));
  CHECK(d[1].value != 0.0);
}

TEST_CASE("statistics: percentiles, moments and yield", "[mc]") {
  std::vector<SampleResult> results;
  for (int k = 0; k < 101; ++k) {
    SampleResult r;
    r.index = k;
    r.values = {double(k), k % 10 == 0 ? std::nullopt : std::optional<double>(1.0)};
    if (k % 10 == 0) r.status = "measure b: never crosses";
    results.push_back(r);
  }
  const auto s = summarize({"a", "b"}, results);
  CHECK(s[0].count == 101);
  CHECK(s[0].failures == 0);
  CHECK(s[0].mean == Approx(50));
  CHECK(s[0].sigma == Approx(std::sqrt(101.0 * 102.0 / 12.0)));  // variance of 0..100, n-1
  CHECK(s[0].p1 == Approx(1.0));
  CHECK(s[0].p50 == Approx(50.0));
  CHECK(s[0].p99 == Approx(99.0));
  CHECK(s[0].max == 100.0);
  CHECK(s[1].count == 90);
  CHECK(s[1].failures == 11);

  const auto y = compute_yield({"a", "b"}, results, {parse_spec_limit("a:10:59.5"), parse_spec_limit("B::2")});
  CHECK(y.total == 101);
  CHECK(y.passed == 45);  // a in 10..59, minus the 5 failed b (10, 20, ..., 50)
  CHECK(parse_spec_limit("iout:-1n:").low == Approx(-1e-9));
  CHECK(std::isinf(parse_spec_limit("iout:-1n:").high));
  CHECK_THROWS_WITH(parse_spec_limit("iout:1"), Catch::Contains("NAME:LO:HI"));
  CHECK_THROWS_WITH(parse_spec_limit("iout:2:1"), Catch::Contains("above"));
  CHECK_THROWS_WITH(compute_yield({"a"}, results, {parse_spec_limit("c:0:1")}), Catch::Contains("no such measure"));
}

TEST_CASE("results rows read back exactly, and a cut-off last row is dropped", "[mc]") {
  ResultsLayout layout;
  layout.fingerprint = "# picospice mc: test";
  layout.columns = {"iout", "t,delay"};
  layout.with_temperature = true;
  layout.seed = 3;
  SampleResult a;
  a.index = 0;
  a.temperature = 27;
  a.values = {-1.0000000000000002e-10, 0.1};
  SampleResult b;
  b.index = 1;
  b.temperature = 85;
  b.status = "measure t,delay: v(out) never crosses 0.9 \"quoted\"";
  b.values = {2.5e-10, std::nullopt};
  const std::string full = layout.header() + layout.row(a) + layout.row(b);
  CHECK(layout.row(a) == "0,3,ok,27,-1.0000000000000002e-10,0.1\n");
  const auto path = std::filesystem::temp_directory_path() / "picospice_mc_results_test.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << full << "2,3,ok,27,1e-1";  // killed mid-row
  }
  const auto existing = read_existing_results(path.string(), layout);
  REQUIRE(existing.rows.size() == 2);
  CHECK(existing.valid_bytes == full.size());
  CHECK(existing.rows[1].status == b.status);
  CHECK(!existing.rows[1].values[1]);

  ResultsLayout other = layout;
  other.fingerprint = "# picospice mc: another study";
  CHECK_THROWS_WITH(read_existing_results(path.string(), other), Catch::Contains("different study"));
  ResultsLayout other_seed = layout;
  other_seed.seed = 4;
  CHECK_THROWS_WITH(read_existing_results(path.string(), other_seed), Catch::Contains("seed"));
  std::filesystem::remove(path);
}
