#include "engine/system.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "engine/topology_check.hpp"

namespace picospice {

System::System(Circuit& circuit, PathNeeded need, Entries entries) : circuit_(circuit), gmin_(circuit.options.gmin) {
  check_topology(circuit, need);
  // By unknown, for Newton's loops over every unknown at every iteration (Unknown carries a name).
  is_node_.assign(circuit.size() + 1, 0);
  for (Index i = 1; i <= circuit.size(); ++i) is_node_[i] = circuit.unknowns[i].kind == UnknownKind::Voltage;
  for (const auto& group : circuit.groups) linear_ = linear_ && group->is_linear();
  PatternBuilder builder(circuit.size());
  for (auto& group : circuit.groups) group->bind_slots(builder);
  for (Index i = 1; i <= circuit.size(); ++i)
    if (is_node(i)) builder.add(i, i);  // gmin homotopy and .ic forcing (add_to_diagonal)
  const SimOptions& options = circuit.options;
  pattern_ = std::make_unique<SparsityPattern>(
      builder, entries == Entries::FeedForwardSplit && options.bypass && options.feed_forward_split);
  if (pattern_->left_out() > 0) {
    full_pattern_ = std::make_unique<SparsityPattern>(builder);
    const auto& start = full_pattern_->column_start();
    const auto& rows = full_pattern_->row_index();
    for (int c = 0; c < full_pattern_->size(); ++c)
      for (int k = start[c]; k < start[c + 1]; ++k) full_gather_.push_back(pattern_->find(rows[k] + 1, c + 1));
    full_values_.resize(full_gather_.size() + 1);
  }
  for (auto& group : circuit.groups) group->bind_slots(*pattern_);
  klu_ = std::make_unique<KluSolver>(*pattern_);
  const std::size_t rows = circuit.size() + 1;
  f_.assign(rows, 0.0);
  f_abs_.assign(rows, 0.0);
  q_.assign(rows, 0.0);
  jac_.assign(pattern_->values_size(), 0.0);
  circuit.set_temperature(circuit.options.temp);
  plan_chunks();
  // The System's own latency sums serve the unsplit groups that can list their entries (those
  // that cannot do not use the sums); each chunk of a split group has its own, loaded on the
  // chunk's thread.
  std::vector<int> latent_slots;
  std::vector<Index> latent_rows;
  std::size_t served = 0;
  for (const auto& group : circuit.groups) {
    if (!group->can_split()) continue;
    const auto split = std::find_if(split_.begin(), split_.end(), [&](const SplitGroup& s) { return s.group == group.get(); });
    if (split != split_.end()) continue;
    group->list_range_entries(0, group->size(), latent_slots, latent_rows);
    served += group->size();
  }
  latent_.set_up(*pattern_, std::move(latent_slots), std::move(latent_rows), served);
  for (SplitGroup& split : split_) {
    split.latent.resize(split.bounds.size() - 1);
    for (std::size_t c = 0; c < split.latent.size(); ++c)
      split.latent[c].set_up(*pattern_, split.slots[c], split.rows[c], split.bounds[c + 1] - split.bounds[c]);
  }
}

// Groups of at least 2 kChunkSize instances that can be split are evaluated in an even number of
// chunks of at least kChunkSize (even, so two threads get equal shares). Below it the
// bookkeeping (zeroing and adding the chunk arrays, waking a thread) costs more than it saves:
// a chunk of 2000 EKV transistors takes ~0.2 ms to evaluate in full, less when most are bypassed.
void System::plan_chunks() {
  constexpr std::size_t kChunkSize = 2000, kMaxChunks = 8;
  std::size_t most = 1;
  for (auto& group : circuit_.groups) {
    if (!group->can_split() || group->size() < 2 * kChunkSize) continue;
    SplitGroup split;
    split.group = group.get();
    const std::size_t chunks = std::min(kMaxChunks, group->size() / kChunkSize) / 2 * 2;
    for (std::size_t c = 0; c <= chunks; ++c) split.bounds.push_back(group->size() * c / chunks);
    split.slots.resize(chunks);
    split.rows.resize(chunks);
    for (std::size_t c = 0; c < chunks; ++c) {
      auto& slots = split.slots[c];
      auto& rows = split.rows[c];
      group->list_range_entries(split.bounds[c], split.bounds[c + 1], slots, rows);
      std::sort(slots.begin(), slots.end());
      slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
      std::sort(rows.begin(), rows.end());
      rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    }
    most = std::max(most, chunks);
    split_.push_back(std::move(split));
  }
  if (split_.empty()) return;
  chunk_arrays_.resize(most);
  for (std::size_t c = 1; c < most; ++c) {
    chunk_arrays_[c].f.assign(f_.size(), 0.0);
    chunk_arrays_[c].f_abs.assign(f_.size(), 0.0);
    chunk_arrays_[c].q.assign(f_.size(), 0.0);
    chunk_arrays_[c].jac.assign(jac_.size(), 0.0);
  }
  int threads = circuit_.options.threads > 0 ? circuit_.options.threads
                                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min<int>(threads, static_cast<int>(most));
  if (threads > 1) team_ = std::make_unique<ThreadTeam>(threads);
}

void System::evaluate_split(SplitGroup& split, EvalRequest& request, bool latent_restart) {
  const std::size_t chunks = split.bounds.size() - 1;
  chunk_requests_.assign(chunks, ChunkRequest{request});  // capacity kept: no allocation per call
  auto requests = [&](std::size_t c) -> EvalRequest& { return chunk_requests_[c].r; };
  for (std::size_t c = 0; c < chunks; ++c) requests(c).latent = request.latent ? &split.latent[c].sums() : nullptr;
  for (std::size_t c = 1; c < chunks; ++c) {
    ChunkArrays& a = chunk_arrays_[c];
    EvalRequest& r = requests(c);
    r.f = a.f.data();
    r.f_abs = a.f_abs.data();
    r.q = a.q.data();
    r.jac = a.jac.data();
    r.clear_counts();
  }
  // The chunk arrays are zero here (clear_chunk_arrays after the last use). Chunk 0 loads straight
  // into the System's arrays (cleared by evaluate), its latency sums included: loaded after the
  // chunks on one thread, they had kept the other idle (64-unit layer: 0.16 of 1.8 s of evaluation).
  if (team_) team_->wait_posted();  // the last clear
  if (uncleared_split_) clear_chunk_arrays(*uncleared_split_);  // a run that threw left them
  uncleared_split_ = &split;
  auto work = [&](std::size_t c) {
    EvalRequest& r = requests(c);
    LatencySums& latent = split.latent[c];
    if (request.latent && (latent_restart || latent.needs_restart())) latent.start_over();
    split.group->evaluate_range(r, split.bounds[c], split.bounds[c + 1]);
    if (request.latent) latent.load(request.x, request.reactive_scale, r.f, r.f_abs, r.q, r.jac);
  };
  if (team_) team_->run(chunks, work);
  else for (std::size_t c = 0; c < chunks; ++c) work(c);
  request = requests(0);  // chunk 0 loaded into the System's arrays
  for (std::size_t c = 1; c < chunks; ++c) {
    const ChunkArrays& a = chunk_arrays_[c];
    for (Index row : split.rows[c]) {
      f_[row] += a.f[row];
      f_abs_[row] += a.f_abs[row];
      if (request.want_reactive) q_[row] += a.q[row];
    }
    for (int slot : split.slots[c]) jac_[slot] += a.jac[slot];
    request.add_counts(requests(c));
  }
  // The chunk arrays are cleared for the next evaluation on a worker, while this thread goes on to
  // factor and solve. Cleared at the start of each chunk instead, on the thread that loads it,
  // the worker spent 0.15 s of a 2.2 s run on a 64-unit layer in those stores alone (5 times what
  // the same stores cost the caller): the caller had just read those cache lines in the sum above,
  // and each store waited for the other core to give its copy up. The caller waited 0.32 s for the
  // worker's chunks in all.
  if (team_) team_->post([this, &split] { clear_chunk_arrays(split); });
  else clear_chunk_arrays(split);
}

void System::clear_chunk_arrays(const SplitGroup& split) {
  for (std::size_t c = 1; c + 1 < split.bounds.size(); ++c) {
    ChunkArrays& a = chunk_arrays_[c];
    for (Index row : split.rows[c]) {
      a.f[row] = 0.0;
      a.f_abs[row] = 0.0;
      a.q[row] = 0.0;
    }
    for (int slot : split.slots[c]) a.jac[slot] = 0.0;
  }
  uncleared_split_ = nullptr;
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
  request.small_signal = point.small_signal;
  request.gmin = gmin_;
  const SimOptions& options = circuit_.options;
  // DC solves (operating points, sweeps) bypass at a tenth of the tolerance (SimOptions).
  const double bypass_fraction = point.transient ? options.bypass_fraction : 0.1 * options.bypass_fraction;
  request.bypass_fraction = options.bypass && !point.cold_start ? bypass_fraction : 0.0;
  request.f = f_.data();
  request.f_abs = f_abs_.data();
  request.q = q_.data();
  request.jac = jac_.data();
  // Latency sums serve transient evaluations with bypass; any other evaluation in between (an
  // operating point's, a small-signal linearization) leaves devices' records behind them, so the
  // sums start over at the next transient one.
  const bool latency = options.latency && request.bypass_fraction > 0 && point.want_reactive && !point.small_signal;
  const bool latent_current_before = latent_current_;
  const bool latent_restart = latency && (!latent_current_ || latent_.needs_restart());
  if (latent_restart) latent_.start_over();
  latent_current_ = latency;
  request.latent = latency ? &latent_.sums() : nullptr;
  for (auto& group : circuit_.groups) {
    const auto split = std::find_if(split_.begin(), split_.end(), [&](SplitGroup& s) { return s.group == group.get(); });
    if (split == split_.end()) group->evaluate(request);
    else evaluate_split(*split, request, latency && !latent_current_before);
  }
  if (latency) latent_.load(x, request.reactive_scale, f_.data(), f_abs_.data(), q_.data(), jac_.data());
  ++stats_.evaluations;
  stats_.bypassed_instances += request.bypassed;
  stats_.evaluated_instances += request.evaluated;
  stats_.latent_instances += request.latent_loads;
  stats_.latent_unvisited += request.latent_unvisited;
  stats_.evaluate_seconds += seconds_since(start);
  return request.limited;
}

bool System::factor(double reuse_tolerance) {
  const auto start = std::chrono::steady_clock::now();
  bool ok;
  if (use_full_) {
    if (!full_klu_) full_klu_ = std::make_unique<KluSolver>(*full_pattern_);
    for (std::size_t k = 0; k < full_gather_.size(); ++k) full_values_[k] = jac_[full_gather_[k]];
    ok = full_klu_->factor(full_values_.data(), reuse_tolerance);
    ++full_matrix_factorizations_;
    stats_.full_matrix_factor_seconds += seconds_since(start);
  } else {
    ok = klu_->factor(jac_.data(), reuse_tolerance);
  }
  stats_.factor_seconds += seconds_since(start);
  return ok;
}

bool System::solve_step(std::vector<double>& rhs, const std::vector<double>& scale,
                        const std::vector<double>& row_tolerance) {
  const int first_left_out = pattern_->nnz() + 1;
  const bool inexact = !use_full_ && leaves_out_entries() &&
                       std::any_of(jac_.begin() + first_left_out, jac_.end(), [](double v) { return v != 0.0; });
  if (!inexact) {  // at DC every left-out entry is zero: the split matrix is exact
    solve(rhs);
    return true;
  }
  // J = M + L, M the factored matrix and L the left-out entries. With dx = M^-1 rhs, the rest of
  // J^-1 rhs is the series of corrections c <- -M^-1 (L c), starting from c = dx.
  step_rhs_ = rhs;
  solve(rhs);
  correction_ = rhs;
  product_.assign(rhs.size(), 0.0);
  const auto& left_out = pattern_->left_out_entries();
  constexpr int kMaxSweeps = 30;
  double last_change = std::numeric_limits<double>::infinity();
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    std::fill(product_.begin(), product_.end(), 0.0);
    for (std::size_t k = 0; k < left_out.size(); ++k)
      product_[left_out[k].second + 1] -= jac_[first_left_out + k] * correction_[left_out[k].first + 1];
    solve(product_);
    ++refinement_sweeps_;
    double change = 0;
    for (std::size_t i = 1; i < rhs.size(); ++i) {
      rhs[i] += product_[i];
      change = std::max(change, std::fabs(product_[i]) / std::max(std::fabs(rhs[i]), scale[i]));
    }
    if (change <= 0.01) return true;
    if (!(change <= 0.9 * last_change)) break;  // not contracting
    last_change = change;
    std::swap(correction_, product_);
  }
  if (krylov_solve(rhs, row_tolerance)) return true;
  use_full_ = true;
  if (!factor()) return false;
  rhs = step_rhs_;
  solve(rhs);
  return true;
}

// The sweeps are the Richardson iteration on (I + M^-1 L) dx = M^-1 rhs; where they diverge (a
// few of M^-1 L's eigenvalues beyond the unit circle: a mirror's gate line at short steps, whose
// left-out gate-drain capacitances to its 64 outputs outweigh the diode's conductance), GMRES
// still converges, in about as many products as there are such eigenvalues. It runs right-
// preconditioned, on (I + L M^-1) y = rhs with dx = M^-1 y, so that what it makes small is the
// step's own residual rhs - J dx, row by row against Newton's residual tolerance: each row within
// 1% of it, so the next iterate's residual is what the exact step would give to 1% of the
// tolerance. (Making the update's change small instead, as the sweeps do, is not enough where
// I + M^-1 L is nearly singular: on an inverter chain it cost 23% more Newton iterations.) It
// gives up after kMaxProducts products, and is no longer tried in a run where it failed more
// often than it succeeded.
bool System::krylov_solve(std::vector<double>& rhs, const std::vector<double>& row_tolerance) {
  constexpr int kMaxProducts = 100;
  if (krylov_tries_.failed > krylov_tries_.succeeded + 3) return false;
  const std::size_t size = rhs.size();
  const int first_left_out = pattern_->nnz() + 1;
  const auto& left_out = pattern_->left_out_entries();
  auto add_left_out_product = [&](const std::vector<double>& v, std::vector<double>& out) {  // out += L v
    for (std::size_t k = 0; k < left_out.size(); ++k)
      out[left_out[k].second + 1] += jac_[first_left_out + k] * v[left_out[k].first + 1];
  };
  // (I + L M^-1) v
  auto apply = [&](const std::vector<double>& v, std::vector<double>& out) {
    krylov_dx_ = v;
    solve(krylov_dx_);
    out = v;
    add_left_out_product(krylov_dx_, out);
  };
  krylov_y_ = step_rhs_;  // dx = M^-1 rhs, one sweep's worth, to start from
  bool accurate = false;
  int products = 0;
  // GMRES's residual is an estimate that drifts from the true one in rounding (the weights span
  // 1e-15 A to 1e-6 V): each row is checked on the residual recomputed from y, and where that
  // fails GMRES starts again from y while products are left.
  while (!accurate && products < kMaxProducts) {
    const Gmres::Result result = gmres_.solve(apply, step_rhs_, row_tolerance, krylov_y_, 0.01, kMaxProducts - products);
    products += result.iterations;
    if (!result.converged) break;
    krylov_dx_ = krylov_y_;
    solve(krylov_dx_);
    ++products;
    product_ = krylov_y_;  // J dx = M dx + L dx = y + L dx
    add_left_out_product(krylov_dx_, product_);
    accurate = true;
    for (std::size_t i = 1; i < size && accurate; ++i)
      accurate = std::fabs(step_rhs_[i] - product_[i]) <= 0.01 * row_tolerance[i];
  }
  krylov_products_ += products;
  if (!accurate) {
    ++krylov_failures_;
    ++krylov_tries_.failed;
    return false;
  }
  ++krylov_successes_;
  ++krylov_tries_.succeeded;
  rhs = krylov_dx_;
  return true;
}

bool System::factorization_is_costly() {
  if (costly_factorization_ < 0 && klu_->full_factor_count() > 0) {
    std::size_t nonlinear = 0;
    for (const auto& group : circuit_.groups)
      if (!group->is_linear()) nonlinear += group->size();
    const double flops = klu_->factor_flops();
    costly_factorization_ = flops >= circuit_.options.factor_reuse_min_flops &&
                                    flops >= circuit_.options.factor_reuse_min_flops_per_device * static_cast<double>(nonlinear)
                                ? 1
                                : 0;
  }
  return costly_factorization_ == 1;
}

void System::solve(std::vector<double>& rhs) {
  const auto start = std::chrono::steady_clock::now();
  (use_full_ ? *full_klu_ : *klu_).solve(rhs.data() + 1);
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
  s.refactors = klu_->refactor_count() + (full_klu_ ? full_klu_->refactor_count() : 0);
  s.full_factors = klu_->full_factor_count() + (full_klu_ ? full_klu_->full_factor_count() : 0);
  s.reused_factors = klu_->reused_count() + (full_klu_ ? full_klu_->reused_count() : 0);
  s.near_reused_factors = near_reused_factorizations();
  if (team_) {
    s.threads = team_->threads();
    s.thread_wait_seconds = team_->caller_wait_seconds();
  }
  s.latent_restarts = latent_.restarts();
  for (const SplitGroup& split : split_)
    for (const LatencySums& latent : split.latent) s.latent_restarts += latent.restarts();
  s.left_out_entries = pattern_->left_out();
  s.full_matrix_factors = full_matrix_factorizations_;
  s.refinement_sweeps = refinement_sweeps_;
  s.krylov_solves = krylov_successes_;
  s.krylov_failures = krylov_failures_;
  s.krylov_products = krylov_products_;
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
