// I: `Iname n+ n- [DC] i [PULSE|PWL|SIN|EXP ...] [AC ...] [m=k]`.
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

bool CurrentSourceGroup::set_instance_param(std::string_view instance, std::string_view param,
                                            double value) {
  if (param != "dc") return false;
  for (std::size_t i = 0; i < size(); ++i)
    if (names_[i] == instance) { sources_[i].set_dc(value); return true; }
  return false;
}

void CurrentSourceGroup::set_default_edge(double edge) {
  for (auto& source : sources_) source.waveform.set_default_edge(edge);
}

}  // namespace picospice
