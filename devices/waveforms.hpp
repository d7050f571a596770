// Time functions of independent sources, with ngspice semantics (ngspice manual, section
// "Independent Sources"): PULSE, PWL (with r= repeat and td= delay), SIN and EXP.
//
// A source line's arguments (`V1 a 0 DC 1.8 PULSE(0 1.8 1n 1n 1n 5n 10n) AC 1`) are read by
// parse_source_args, which separates the DC value from the transient waveform.
//
// Evaluation allocates nothing: PWL keeps a cursor on the last segment used (the transient moves
// forward; after a rejected step it may step back, and the lookup falls back to binary search).
#pragma once
#include <optional>
#include <vector>

#include "devices/device.hpp"

namespace picospice {

class Waveform {
 public:
  enum class Shape { Constant, Pulse, Pwl, Sin, Exp };

  // ngspice defaults an unset PULSE rise/fall time (and EXP time constants) to the transient's
  // tstep, which is not known while a netlist is read. picospice uses this instead; a source
  // group may override it (see set_default_edge).
  static constexpr double kDefaultEdge = 1e-9;  // s

  Waveform() = default;
  static Waveform constant(double value);
  // Builds a waveform from the arguments after the shape word (numbers, and r=/td= for PWL).
  // Throws NetlistError at the offending argument (or at the shape word) for bad input.
  static Waveform parse(Shape shape, const ElementArg& shape_word, const std::vector<ElementArg>& args,
                        const ElementCard& card, double default_edge = kDefaultEdge);

  Shape shape() const { return shape_; }
  double value(double t) const;
  // Every corner in (0, tstop], appended to out (unsorted, may repeat across sources).
  void breakpoints(double tstop, std::vector<double>& out) const;
  // Re-resolves rise/fall times and EXP time constants that were left unset (0) in the netlist.
  void set_default_edge(double edge);

 private:
  double pulse(double t) const;
  double pwl(double t) const;
  double pwl_in_first_pass(double t) const;  // t already mapped into [t0, tlast] by the repeat
  double sine(double t) const;
  double exponential(double t) const;
  void resolve_edges();

  Shape shape_ = Shape::Constant;
  // Constant: p[0]. PULSE: v1 v2 td tr tf pw per np. SIN: vo va freq td theta phase.
  // EXP: v1 v2 td1 tau1 td2 tau2. Unset optional values are stored as NaN until resolved.
  double p_[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double given_[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // as written; NaN when not given
  double default_edge_ = kDefaultEdge;
  // PWL: strictly increasing times (already shifted by td=), values, and the repeat start index.
  std::vector<double> pwl_time_, pwl_value_;
  int pwl_repeat_from_ = -1;  // index of the point r= names; -1 without repetition
  mutable std::size_t pwl_cursor_ = 0;  // segment [cursor, cursor+1] used last
};

// A source line's value description: the DC value (if written) and the transient waveform.
struct SourceArgs {
  std::optional<double> dc;  // `DC v` or a leading bare number
  Waveform waveform;         // Constant(dc or 0) when no transient function is given
  bool has_waveform = false;
  double multiplier = 1.0;   // `m=` (current sources only; parallel copies)

  // The value for one evaluation, before source stepping. Operating points and DC sweeps use the
  // DC value, or the waveform at t = 0 when none is written (ngspice). The transient uses the
  // waveform. `transient` is true for evaluations inside a transient (time > 0 or charges wanted).
  double value_at(double time, bool transient) const {
    if (transient && has_waveform) return waveform.value(time);
    return dc ? *dc : waveform.value(0.0);
  }
  // A `.dc` sweep (or alter) of the source's DC value.
  void set_dc(double value) {
    dc = value;
    if (!has_waveform) waveform = Waveform::constant(value);
  }
};

// Parses `[DC] v [PULSE|PWL|SIN|EXP ...] [AC mag [phase]] [m=k]`. `allow_multiplier` accepts m=.
SourceArgs parse_source_args(const ElementCard& card, bool allow_multiplier,
                             double default_edge = Waveform::kDefaultEdge);

}  // namespace picospice
