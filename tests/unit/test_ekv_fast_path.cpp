// The hand-derived constant-slope EKV path (devices/ekv/ekv_evaluation.cpp) against the
// forward-mode (BiasDual) path that carries the same equations, and the hand-derived pieces it is
// built from (the charge-partition bracket and its partials, the shared-exponential F(v)).
// The finite-difference checks of both paths are in test_ekv.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "devices/ekv/ekv_charge.hpp"
#include "devices/ekv/ekv_evaluation.hpp"
#include "devices/ekv/ekv_interpolation.hpp"
#include "devices/ekv/ekv_params.hpp"

using namespace picospice;
using namespace picospice::ekv;

namespace {

ModelCard fast_path_card(const std::string& type, std::map<std::string, double> params) {
  ModelCard card;
  card.name = type == "pmos" ? "pch" : "nch";
  card.type = type;
  card.params = std::move(params);
  card.words["level"] = "ekv";
  card.location = {"test.cir", 1, 1};
  return card;
}

}  // namespace

TEST_CASE("ekv fast path: constant slope equals the forward-mode evaluation", "[ekv]") {
  // Every optional factor of the constant-slope model, alone and together.
  const std::vector<std::map<std::string, double>> variants = {
      {{"n", 1.35}, {"cox", 0.0}},
      {{"n", 1.35}, {"cox", 8.5e-3}, {"lambda", 0.05}},
      {{"n", 1.3}, {"lambda", 0.08}, {"theta", 0.3}, {"cox", 8.5e-3}},
      {{"n", 1.25}, {"lambda", 0.05}, {"e0", 1e8}, {"ucrit", 5e6}, {"cox", 8.5e-3}, {"cgdo", 3e-10},
       {"cgso", 2e-10}, {"cgbo", 1e-10}},
  };
  std::mt19937_64 rng(4711);
  std::uniform_real_distribution<double> gate(-0.4, 1.8), channel(-0.1, 1.8), body(-0.3, 0.3);
  const EkvInstanceParams inst{2e-6, 1e-6, 2, 0.01, -0.03};
  int points = 0;
  for (const auto& params : variants) {
    for (const std::string type : {"nmos", "pmos"}) {
      const EkvModelParams model = parse_ekv_model(fast_path_card(type, params), 27.0);
      REQUIRE(model.constant_slope());
      const EkvTemperatureParams t = ekv_at_temperature(model, 330.0);
      for (int k = 0; k < 200; ++k) {
        const double p = model.polarity, vb = body(rng);
        const EkvTerminalVoltages v{vb + p * channel(rng), vb + p * gate(rng), vb + p * channel(rng), vb};
        for (bool charges : {true, false}) {
          const EkvEvaluation fast = evaluate_ekv(model, t, inst, v, charges);
          const EkvEvaluation dual = evaluate_ekv_dual(model, t, inst, v, charges);
          ++points;
          INFO(type << " variant " << params.size() << " d=" << v.d << " g=" << v.g << " s=" << v.s << " b=" << v.b);
          // Same equations, other rounding: agreement to a few ulps of the largest term.
          const double g_scale = std::fabs(dual.did[0]) + std::fabs(dual.did[1]) + std::fabs(dual.did[2]) +
                                 std::fabs(dual.did[3]) + 1e-300;
          CHECK(fast.id == Approx(dual.id).epsilon(1e-12).margin(1e-13 * std::fabs(dual.id) + 1e-300));
          for (int c = 0; c < 4; ++c) CHECK(fast.did[c] == Approx(dual.did[c]).epsilon(1e-11).margin(1e-12 * g_scale));
          CHECK(fast.vp == Approx(dual.vp).epsilon(1e-14).margin(1e-15));
          CHECK(fast.ispec == Approx(dual.ispec).epsilon(1e-13));
          CHECK(fast.forward == Approx(dual.forward).epsilon(1e-13).margin(1e-300));
          CHECK(fast.reverse == Approx(dual.reverse).epsilon(1e-13).margin(1e-300));
          CHECK(fast.region == dual.region);
          double q_scale = 1e-300, c_scale = 1e-300;
          for (int r = 0; r < 4; ++r) {
            q_scale += std::fabs(dual.charge[r]);
            for (int c = 0; c < 4; ++c) c_scale += std::fabs(dual.capacitance[r][c]);
          }
          for (int r = 0; r < 4; ++r) {
            CHECK(fast.charge[r] == Approx(dual.charge[r]).epsilon(1e-11).margin(1e-13 * q_scale));
            for (int c = 0; c < 4; ++c)
              CHECK(fast.capacitance[r][c] == Approx(dual.capacitance[r][c]).epsilon(1e-11).margin(1e-12 * c_scale));
          }
          if (!charges) CHECK(q_scale < 1e-299);  // nothing computed without charges
        }
      }
    }
  }
  CHECK(points == 4 * 2 * 200 * 2);
}

TEST_CASE("ekv fast path: the charge-partition bracket partials match finite differences", "[ekv]") {
  // a, b = sqrt(1/4 + i) range over [1/2, large): deep weak to strong inversion.
  for (double a : {0.5, 0.5000001, 0.7, 2.0, 31.0, 1e3}) {
    for (double b : {0.5, 0.6, 3.0, 80.0, 2e3}) {
      const PartitionBracket p = partition_bracket(a, b);
      const double ha = 1e-6 * a, hb = 1e-6 * b;
      const double da = (partition_bracket(a + ha, b).value - partition_bracket(a - ha, b).value) / (2 * ha);
      const double db = (partition_bracket(a, b + hb).value - partition_bracket(a, b - hb).value) / (2 * hb);
      INFO("a=" << a << " b=" << b);
      // Rounding of the value (scale a + b) divided by the step.
      CHECK(p.d_own == Approx(da).epsilon(1e-6).margin(1e-9 * (a + b) / ha));
      CHECK(p.d_other == Approx(db).epsilon(1e-6).margin(1e-9 * (a + b) / hb));
      CHECK(p.d_own > 0);
      CHECK(p.d_other > 0);
    }
    // On the diagonal the bracket is a - 1/2 and its total derivative is 1.
    const PartitionBracket d = partition_bracket(a, a);
    CHECK(d.value == Approx(a - 0.5).epsilon(1e-12).margin(1e-15));
    CHECK(d.d_own + d.d_other == Approx(1.0).epsilon(1e-14));
  }
}

TEST_CASE("ekv fast path: F(v) with one shared exponential equals the softplus form", "[ekv]") {
  for (double v = -800; v <= 800; v += 0.731) {
    const InterpolationValue f = ekv_interpolation(v);
    const double l = softplus(0.5 * v);
    INFO("v=" << v);
    CHECK(f.value == l * l);                       // bit for bit
    CHECK(f.derivative == l * logistic(0.5 * v));  // bit for bit
  }
  for (double v : {0.0, -0.0, 1e-300, -1e-300}) {
    const InterpolationValue f = ekv_interpolation(v);
    CHECK(f.value == std::log(2.0) * std::log(2.0));
    CHECK(f.derivative == Approx(0.5 * std::log(2.0)).epsilon(1e-15));
  }
}
