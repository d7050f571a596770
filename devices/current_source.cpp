// I: `Iname n+ n- [DC] i [PULSE|PWL|SIN|EXP|SFFM|AM ...] [AC ...] [m=k]`.
// The current flows from n+ through the source to n- (SPICE convention): it leaves node n+ and
// enters node n-, so a positive source pulls current out of n+.
#include "devices/current_source.hpp"
#include "devices/device_registry.hpp"

#include <algorithm>
#include <limits>

namespace picospice {

// Registers this device type (devices/device_registry.hpp).
namespace {
const DeviceRegistration kRegistered{{'i', 2, false, {}, "isource", make_group<CurrentSourceGroup>}};
}  // namespace

void CurrentSourceGroup::add_instance(const ElementCard& card, CircuitBuilder& builder) {
  SourceArgs source = parse_source_args(card, /*allow_multiplier=*/true);
  names_.push_back(card.name);
  pos_.push_back(card.nodes[0]);
  neg_.push_back(card.nodes[1]);
  sources_.push_back(std::move(source));
}

void CurrentSourceGroup::evaluate(EvalRequest& r) {
  const bool transient = r.transient;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const SourceArgs& source = sources_[i];
    r.add_current(pos_[i], neg_[i],
                  r.source_scale * source.multiplier * source.value_at(r.time, transient));
  }
}

double CurrentSourceGroup::next_breakpoint(double after) const {
  double next = std::numeric_limits<double>::infinity();
  for (const auto& source : sources_)
    if (source.has_waveform) next = std::min(next, source.waveform.next_breakpoint(after));
  return next;
}

// SourceArgs::set_param names the parameters (dc, ac/acmag, acphase).
bool CurrentSourceGroup::set_instance_param(std::string_view instance, std::string_view param, double value) {
  for (std::size_t i = 0; i < size(); ++i)
    if (names_[i] == instance) return sources_[i].set_param(param, value);
  return false;
}

// The source's current I leaves n+ and enters n- in the residual (add_current), so a change dI
// moves f[n+] by +dI and f[n-] by -dI: the right-hand side gets -dI at n+ and +dI at n-. The AC
// value is multiplied by m= like the DC one; the unit excitation is 1 A in total.
bool CurrentSourceGroup::load_small_signal_excitation(const SmallSignalExcitation& which,
                                                      std::complex<double>* rhs) const {
  bool loaded = false;
  for (std::size_t i = 0; i < size(); ++i) {
    std::complex<double> phasor;
    if (which.only_instance.empty()) {
      phasor = sources_[i].multiplier * sources_[i].ac_phasor();
    } else if (names_[i] == which.only_instance) {
      phasor = 1.0;
    } else {
      continue;
    }
    rhs[pos_[i]] -= phasor;
    rhs[neg_[i]] += phasor;
    loaded = true;
    if (!which.only_instance.empty()) break;
  }
  return loaded;
}

void CurrentSourceGroup::set_transient_defaults(double tstep, double tstop) {
  for (auto& source : sources_) source.waveform.set_transient_defaults(tstep, tstop);
}

}  // namespace picospice
