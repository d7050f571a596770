#include "engine/integrator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace picospice {

Integrator::Integrator(IntegrationMethod method, int maxord, int rows)
    : method_(method),
      max_order_(method == IntegrationMethod::BackwardEuler || maxord <= 1 ? 1 : 2) {
  for (auto& q : charges_) q.assign(rows, 0.0);
  qdot_.assign(rows, 0.0);
  history_.assign(rows, 0.0);
}

void Integrator::start(double t0, const std::vector<double>& q0) {
  times_ = {t0, t0, t0};
  charges_[0] = q0;
  std::fill(qdot_.begin(), qdot_.end(), 0.0);
  accepted_ = 1;
}

int Integrator::usable_order() const {
  // Gear-2 needs two accepted points; the trapezoidal rule needs one plus a valid qdot.
  return std::min(max_order_, accepted_ >= 2 ? 2 : 1);
}

void Integrator::prepare(double h, int order) {
  h_ = h;
  order_ = std::min(order, usable_order());
  const auto& q0 = charges_[0];
  const std::size_t rows = q0.size();
  if (order_ == 1) {
    a0_ = 1.0 / h;
    for (std::size_t i = 0; i < rows; ++i) history_[i] = -a0_ * q0[i];
  } else if (method_ == IntegrationMethod::Trapezoidal) {
    a0_ = 2.0 / h;
    for (std::size_t i = 0; i < rows; ++i) history_[i] = -a0_ * q0[i] - qdot_[i];
  } else {
    const double rho = h / (times_[0] - times_[1]);
    a0_ = (1.0 + 2.0 * rho) / (h * (1.0 + rho));
    a1_ = -(1.0 + rho) / h;
    a2_ = rho * rho / (h * (1.0 + rho));
    const auto& qm1 = charges_[1];
    for (std::size_t i = 0; i < rows; ++i) history_[i] = a1_ * q0[i] + a2_ * qm1[i];
  }
}

double Integrator::truncation_ratio(const std::vector<double>& q1,
                                    const SimOptions& options) const {
  const int k = order_;
  if (accepted_ < k + 1) return std::numeric_limits<double>::infinity();
  const double t1 = times_[0] + h_;
  const double t[4] = {t1, times_[0], times_[1], times_[2]};
  const double error_constant =
      k == 1 ? 0.5 : (method_ == IntegrationMethod::Trapezoidal ? 1.0 / 12.0 : 2.0 / 9.0);
  const double factorial = k == 1 ? 2.0 : 6.0;  // (k+1)!
  const double hk1 = std::pow(h_, k + 1);
  double worst = std::numeric_limits<double>::infinity();
  const std::size_t rows = q1.size();
  for (std::size_t i = 1; i < rows; ++i) {
    const double q[4] = {q1[i], charges_[0][i], charges_[1][i], charges_[2][i]};
    if (q[0] == 0.0 && q[1] == 0.0) continue;  // a row without charge
    // Divided differences up to order k+1.
    double d1[3] = {(q[0] - q[1]) / (t[0] - t[1]), (q[1] - q[2]) / (t[1] - t[2]),
                    k == 2 ? (q[2] - q[3]) / (t[2] - t[3]) : 0.0};
    double d2[2] = {(d1[0] - d1[1]) / (t[0] - t[2]), k == 2 ? (d1[1] - d1[2]) / (t[1] - t[3]) : 0.0};
    const double dd = k == 1 ? d2[0] : (d2[0] - d2[1]) / (t[0] - t[3]);
    const double error = std::fabs(error_constant * factorial * dd * hk1);
    if (error == 0.0) continue;
    const double qdot1 = a0_ * q1[i] + history_[i];
    const double charge_tol = options.reltol * std::fmax(std::fabs(q[0]), std::fabs(q[1])) + options.chgtol;
    const double current_tol =
        (options.reltol * std::fmax(std::fabs(qdot1), std::fabs(qdot_[i])) + options.abstol) * h_;
    const double tol = options.trtol * std::fmax(charge_tol, current_tol);
    worst = std::fmin(worst, tol / error);
  }
  return std::isfinite(worst) ? std::pow(worst, 1.0 / (k + 1)) : worst;
}

void Integrator::accept(double t1, const std::vector<double>& q1) {
  const std::size_t rows = q1.size();
  for (std::size_t i = 0; i < rows; ++i) qdot_[i] = a0_ * q1[i] + history_[i];
  std::rotate(charges_.rbegin(), charges_.rbegin() + 1, charges_.rend());  // shift back by one
  charges_[0] = q1;
  times_ = {t1, times_[0], times_[1]};
  accepted_ = std::min(accepted_ + 1, 3);
}

}  // namespace picospice
