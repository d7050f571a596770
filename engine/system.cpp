#include "engine/system.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "engine/topology_check.hpp"

namespace picospice {

System::System(Circuit& circuit) : circuit_(circuit), gmin_(circuit.options.gmin) {
  check_topology(circuit);
  for (const auto& group : circuit.groups) linear_ = linear_ && group->is_linear();
  PatternBuilder builder(circuit.size());
  for (auto& group : circuit.groups) group->bind_slots(builder);
  pattern_ = std::make_unique<SparsityPattern>(builder);
  for (auto& group : circuit.groups) group->bind_slots(*pattern_);
  klu_ = std::make_unique<KluSolver>(*pattern_);
  const std::size_t rows = circuit.size() + 1;
  f_.assign(rows, 0.0);
  f_abs_.assign(rows, 0.0);
  q_.assign(rows, 0.0);
  jac_.assign(pattern_->nnz() + 1, 0.0);
  circuit.set_temperature(circuit.options.temp);
}

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

int System::evaluate(const double* x, const EvalPoint& point) {
  const auto start = std::chrono::steady_clock::now();
  std::fill(f_.begin(), f_.end(), 0.0);
  std::fill(f_abs_.begin(), f_abs_.end(), 0.0);
  std::fill(jac_.begin(), jac_.end(), 0.0);
  if (point.want_reactive) std::fill(q_.begin(), q_.end(), 0.0);
  EvalRequest request;
  request.x = x;
  request.time = point.time;
  request.transient = point.transient;
  request.source_scale = point.source_scale;
  request.reactive_scale = point.reactive_scale;
  request.want_reactive = point.want_reactive;
  request.limit = point.limit;
  request.cold_start = point.cold_start;
  request.gmin = gmin_;
  request.f = f_.data();
  request.f_abs = f_abs_.data();
  request.q = q_.data();
  request.jac = jac_.data();
  for (auto& group : circuit_.groups) group->evaluate(request);
  ++stats_.evaluations;
  stats_.evaluate_seconds += seconds_since(start);
  return request.limited;
}

bool System::factor() {
  const auto start = std::chrono::steady_clock::now();
  const bool ok = klu_->factor(jac_.data());
  stats_.factor_seconds += seconds_since(start);
  return ok;
}

void System::solve(std::vector<double>& rhs) {
  const auto start = std::chrono::steady_clock::now();
  klu_->solve(rhs.data() + 1);
  rhs[0] = 0;
  ++stats_.solves;
  stats_.solve_seconds += seconds_since(start);
}

void System::restore_initial_states() {
  for (auto& group : circuit_.groups) group->restore_initial_state();
}

bool System::accept_states(const double* x) {
  bool changed = false;
  for (auto& group : circuit_.groups) changed = group->accept_state(x) || changed;
  return changed;
}

double System::state_change_fraction(const double* x_old, const double* x_new) const {
  double first = std::numeric_limits<double>::infinity();
  for (const auto& group : circuit_.groups) first = std::min(first, group->state_change_fraction(x_old, x_new));
  return first;
}

std::string System::describe_faults() const {
  std::string faults;
  for (const auto& group : circuit_.groups) {
    const std::string fault = group->describe_faults();
    if (!fault.empty()) faults += (faults.empty() ? "" : "; ") + fault;
  }
  return faults;
}

SolverStatistics System::statistics() const {
  SolverStatistics s = stats_;
  s.refactors = klu_->refactor_count();
  s.full_factors = klu_->full_factor_count();
  s.reused_factors = klu_->reused_count();
  s.matrix_nonzeros = static_cast<long>(pattern_->nnz());
  s.lu_nonzeros = klu_->lu_nonzeros();
  s.refactor_flops = klu_->factor_flops();
  return s;
}

std::string System::describe(Index unknown) const {
  if (unknown <= 0 || unknown > size()) return "an unknown";
  const Unknown& u = circuit_.unknowns[unknown];
  if (u.kind == UnknownKind::Current) return fmt::format("the branch current of '{}'", u.name);
  std::string touching;
  if (unknown < static_cast<Index>(circuit_.instances_at.size()))
    for (const auto& inst : circuit_.instances_at[unknown])
      touching += (touching.empty() ? "" : ", ") + inst;
  return fmt::format("node '{}'{}", u.name, touching.empty() ? "" : " (devices: " + touching + ")");
}

}  // namespace picospice
