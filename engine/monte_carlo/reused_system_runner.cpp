// One System for every run of a circuit (see reused_system_runner.hpp).
#include "engine/monte_carlo/reused_system_runner.hpp"

#include <algorithm>

#include "engine/analyses/ac_analysis.hpp"
#include "engine/analyses/dc_sweep.hpp"
#include "engine/analyses/noise_analysis.hpp"
#include "engine/analyses/operating_point.hpp"
#include "engine/analyses/output_selection.hpp"
#include "engine/analyses/tf_analysis.hpp"
#include "engine/analyses/transient.hpp"

namespace picospice {

System& ReusedSystemRunner::system() {
  if (!system_) {
    // The small-signal analyses factor every entry; the others may split (engine/system.hpp).
    const bool small_signal = std::any_of(circuit_.analyses.begin(), circuit_.analyses.end(), [](const auto& a) {
      return std::holds_alternative<AcSpec>(a) || std::holds_alternative<NoiseSpec>(a) || std::holds_alternative<TfSpec>(a);
    });
    // A node without a DC path is fine when the System serves only `uic` transients (no operating
    // point is solved), as in `picospice run` (engine/simulator.cpp).
    const bool only_uic_transients = std::all_of(circuit_.analyses.begin(), circuit_.analyses.end(), [](const auto& a) {
      const auto* tran = std::get_if<TranSpec>(&a);
      return std::holds_alternative<DcSpec>(a) || (tran && tran->uic);  // .dc builds its own System
    });
    system_ = std::make_unique<System>(circuit_, only_uic_transients ? PathNeeded::TransientOnly : PathNeeded::Dc,
                                       small_signal ? System::Entries::All : System::Entries::FeedForwardSplit);
  }
  else if (numeric_ == NumericReuse::none) system_->forget_factorization();
  return *system_;
}

std::vector<Plot> ReusedSystemRunner::run() {
  std::vector<Plot> plots;
  for (const auto& analysis : circuit_.analyses) {
    if (std::holds_alternative<OpSpec>(analysis)) {
      std::vector<double> x(circuit_.size() + 1, 0.0);
      for (const auto& ns : circuit_.nodesets) x[ns.node] = ns.value;
      OperatingPointSettings settings;
      if (!circuit_.initial_conditions.empty()) settings.forced = &circuit_.initial_conditions;
      system().restore_initial_states();  // switches start from their ON/OFF, as in every analysis
      solve_operating_point(system(), x, settings);
      const auto columns = select_outputs(circuit_);
      Plot plot = make_plot(circuit_, "Operating Point", "op", "", "", columns);
      append_point(plot, 0.0, columns, x);
      plots.push_back(std::move(plot));
    } else if (const auto* dc = std::get_if<DcSpec>(&analysis)) {
      plots.push_back(run_dc_sweep(circuit_, *dc));
    } else if (const auto* tran = std::get_if<TranSpec>(&analysis)) {
      plots.push_back(run_transient(system(), *tran));
    } else if (const auto* ac = std::get_if<AcSpec>(&analysis)) {
      plots.push_back(run_ac(system(), *ac));
    } else if (const auto* noise = std::get_if<NoiseSpec>(&analysis)) {
      for (Plot& plot : run_noise(system(), *noise)) plots.push_back(std::move(plot));
    } else if (const auto* tf = std::get_if<TfSpec>(&analysis)) {
      plots.push_back(run_tf(system(), *tf));
    }
  }
  return plots;
}

}  // namespace picospice
