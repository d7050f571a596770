// A transient evaluation point for tests that call System::evaluate directly.
#pragma once
#include "engine/system.hpp"

namespace picospice::test {

// At time t with a0 = 1e9 (a 1 ns backward-Euler step), no limiting.
inline EvalPoint transient_point(double t) {
  EvalPoint p;
  p.time = t;
  p.transient = true;
  p.want_reactive = true;
  p.reactive_scale = 1e9;
  p.limit = false;
  return p;
}

}  // namespace picospice::test
