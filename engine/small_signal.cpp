#include "engine/small_signal.hpp"

#include <fmt/format.h>

#include <cmath>

namespace picospice {

namespace {
// 2^100: see the file comment of small_signal.hpp for why a power of two this large.
constexpr double kReactiveProbe = 1267650600228229401496703205376.0;
}  // namespace

SmallSignalModel::SmallSignalModel(System& system, const std::vector<double>& x, Values values)
    : system_(system), solver_(system.pattern(), system.klu()) {
  // Device bypass would hand back the Newton loop's last evaluation, made up to bypass_fraction
  // UT away from x and linearized: gm off by that fraction. The small-signal model is made once,
  // so every device is evaluated in full at x.
  SimOptions& options = system_.circuit().options;
  const bool bypass = options.bypass;
  options.bypass = false;
  EvalPoint point;
  point.limit = false;
  point.want_reactive = true;
  point.reactive_scale = 0.0;
  point.small_signal = values == Values::Ac;  // a resistor's ac= value
  system_.evaluate(x.data(), point);
  g_ = system_.jacobian();
  point.reactive_scale = kReactiveProbe;
  system_.evaluate(x.data(), point);
  const std::vector<double>& j = system_.jacobian();
  c_.assign(j.size(), 0.0);
  for (std::size_t k = 0; k < j.size(); ++k) c_[k] = (j[k] - g_[k]) / kReactiveProbe;
  options.bypass = bypass;
  values_.resize(static_cast<std::size_t>(system_.pattern().nnz()));
  work_.resize(static_cast<std::size_t>(system_.size()));
}

void SmallSignalModel::factor(double omega) {
  omega_ = omega;
  for (std::size_t k = 0; k < values_.size(); ++k) values_[k] = {g_[k], omega * c_[k]};
  if (!solver_.factor(values_)) {
    const Index unknown = solver_.singular_column() + 1;
    throw SimulationError(fmt::format("small-signal matrix is singular at f = {:g} Hz: {} has no small-signal path "
                                      "(check for a node held only by capacitors at DC or only by current sources)",
                                      omega / (2 * 3.14159265358979323846), system_.describe(unknown)));
  }
}

void SmallSignalModel::solve(ComplexVector& rhs) { solve_in_place(rhs, false); }

void SmallSignalModel::solve_transposed(ComplexVector& rhs) { solve_in_place(rhs, true); }

void SmallSignalModel::solve_in_place(ComplexVector& rhs, bool transposed) {
  std::copy(rhs.begin() + 1, rhs.end(), work_.begin());
  solver_.solve(work_.data(), transposed);
  std::copy(work_.begin(), work_.end(), rhs.begin() + 1);
  rhs[0] = 0.0;
}

ComplexVector SmallSignalModel::excitation(const SmallSignalExcitation& which) const {
  ComplexVector rhs(static_cast<std::size_t>(system_.size()) + 1);
  bool found = false;
  for (const auto& group : system_.circuit().groups) found = group->load_small_signal_excitation(which, rhs.data()) || found;
  if (!which.only_instance.empty() && !found)
    throw SimulationError(fmt::format("'{}' is not an independent voltage or current source", which.only_instance));
  rhs[0] = 0.0;
  return rhs;
}

}  // namespace picospice
