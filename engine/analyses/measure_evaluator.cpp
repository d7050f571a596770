#include "engine/analyses/measure_evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace picospice {
namespace {

int column_of(const Plot& layout, const std::string& name) {
  for (std::size_t s = 0; s < layout.signals.size(); ++s)
    if (layout.signals[s].name == name) return static_cast<int>(s);
  return -1;
}

std::string ordinal_text(const CrossingSpec& c) {
  const char* edge = c.edge == CrossingSpec::Edge::Rise ? "rise" : c.edge == CrossingSpec::Edge::Fall ? "fall" : "cross";
  return c.last ? fmt::format("{} last", edge) : fmt::format("{} {}", edge, c.count);
}

}  // namespace

double MeasureEvaluator::Column::of(const std::vector<double>& row, const std::vector<double>* imag) const {
  auto value = [&](int column) {
    if (column < 0) return std::complex<double>();
    return std::complex<double>(row[column], imag ? (*imag)[column] : 0.0);
  };
  const std::complex<double> z = value(positive) - value(negative);
  using Part = WaveformRef::Part;
  switch (part) {
    case Part::Real: return z.real();
    case Part::Imag: return z.imag();
    case Part::Magnitude: return std::abs(z);
    case Part::Phase: return std::arg(z);  // radians, in (-pi, pi], as ngspice's vp()
    case Part::Db: return 20.0 * std::log10(std::abs(z));
  }
  return z.real();
}

MeasureEvaluator::MeasureEvaluator(const Measurement& measurement, const Plot& layout)
    : m_(measurement), plot_name_(layout.name.empty() ? layout.analysis : layout.name) {
  auto resolve = [&](const WaveformRef& ref) {
    Column column;
    column.part = ref.part;
    for (const auto* name : {&ref.positive, &ref.negative}) {
      if (name->empty()) continue;
      const int index = column_of(layout, *name);
      if (index < 0 && !missing_) missing_ = fmt::format("no signal {} in the {} plot", *name, plot_name_);
      (name == &ref.positive ? column.positive : column.negative) = index;
    }
    return column;
  };
  if (layout.signals.empty()) missing_ = "the plot has no signals";
  using K = Measurement::Kind;
  // Resolved in the order the conditions are evaluated, so the first missing signal is named.
  const bool finds = m_.kind != K::TrigTarg && m_.kind != K::When && m_.kind != K::Param;
  if (finds) {
    find_ = resolve(m_.signal);
    has_find_ = true;
  }
  auto setup = [&](ConditionTracker& c, const CrossingSpec& spec, const char* section) {
    c.spec = &spec;
    c.section = section;
    if (spec.at) return;
    c.signal = resolve(spec.signal);
    if (spec.level_signal) {
      c.level_signal = resolve(*spec.level_signal);
      c.has_level_signal = true;
    }
  };
  if (m_.kind == K::TrigTarg) {
    setup(trigger_, m_.trigger, "trig");
    setup(target_, m_.target, "targ");
  } else if (m_.kind == K::When || m_.kind == K::FindWhen) {
    setup(trigger_, m_.trigger, "when");
  }  // FIND ... AT=x locates x with the trigger's tracker and no CrossingSpec (locate_at).
  if (m_.from) from_ = *m_.from;
  if (m_.to) to_ = *m_.to;
  if (!layout.segment_by.empty()) segment_column_ = column_of(layout, layout.segment_by);
}

void MeasureEvaluator::start_segment() {
  for (auto* c : {&trigger_, &target_}) {
    c->last_sign = 0;
    c->first_zero.reset();
    c->have_previous = false;
  }
  have_previous_ = false;
}

void MeasureEvaluator::add_complex_point(const std::vector<std::complex<double>>& row) {
  real_buffer_.resize(row.size());
  imag_buffer_.resize(row.size());
  for (std::size_t k = 0; k < row.size(); ++k) {
    real_buffer_[k] = row[k].real();
    imag_buffer_[k] = row[k].imag();
  }
  imag_row_ = &imag_buffer_;
  add_row(real_buffer_);
  imag_row_ = nullptr;
}

void MeasureEvaluator::add_point(const std::vector<double>& row) { add_row(row); }

void MeasureEvaluator::add_row(const std::vector<double>& row) {
  if (missing_ || row.empty()) return;
  const double x = row[0];
  if (segment_column_ >= 0) {
    if (points_ > 0 && row[segment_column_] != segment_value_) start_segment();
    segment_value_ = row[segment_column_];
  }
  ++points_;
  first_x_ = points_ == 1 ? x : first_x_;
  last_x_ = x;
  const double find_value = has_find_ ? find_.of(row, imag_row_) : 0.0;
  using K = Measurement::Kind;
  switch (m_.kind) {
    case K::TrigTarg:
      track(trigger_, x, row, 0.0);
      track(target_, x, row, 0.0);
      break;
    case K::When:
    case K::FindWhen: track(trigger_, x, row, find_value); break;
    case K::FindAt: locate_at(trigger_, x, find_value); break;
    default: add_to_window(x, find_value); break;
  }
}

// AT=x: the first point equal to x, or the first segment of an inner sweep holding x strictly.
void MeasureEvaluator::locate_at(ConditionTracker& c, double x, double find_value) {
  if (c.done) return;
  const double at = c.spec ? *c.spec->at : m_.at;
  if (c.have_previous && std::min(c.previous_x, x) < at && at < std::max(c.previous_x, x)) {
    const double fraction = (at - c.previous_x) / (x - c.previous_x);
    c.chosen_x = at;
    c.chosen_find = c.previous_find + fraction * (find_value - c.previous_find);
    c.done = true;
    return;
  }
  if (x == at) {
    c.chosen_x = at;
    c.chosen_find = find_value;
    c.done = true;
    return;
  }
  c.have_previous = true;
  c.previous_x = x;
  c.previous_find = find_value;
}

// Sign changes of d = signal - level. A run of points exactly on the level is one crossing at
// its first point if the sign differs on both sides, and no crossing if it returns.
void MeasureEvaluator::track(ConditionTracker& c, double x, const std::vector<double>& row, double find_value) {
  if (c.done) return;
  if (c.spec->at) return locate_at(c, x, find_value);
  double d = c.signal.of(row, imag_row_);
  const double level = c.has_level_signal ? c.level_signal.of(row, imag_row_) : c.spec->level;
  // A difference within rounding of the operands is "on the level": a source that starts at
  // 0.5 + 1e-16 and falls must not count as crossing 0.5 at t=0 (ngspice agrees).
  const double rounding = 4 * std::numeric_limits<double>::epsilon() * std::max(std::abs(d), std::abs(level));
  d -= level;
  if (std::abs(d) <= rounding) d = 0;
  const int sign = d > 0 ? 1 : d < 0 ? -1 : 0;
  if (sign == 0) {
    if (!c.first_zero) c.first_zero = std::make_pair(x, find_value);
    return;
  }
  if (c.last_sign != 0 && sign != c.last_sign) {
    if (c.first_zero) {
      accept_crossing(c, c.first_zero->first, c.first_zero->second, sign > 0);
    } else {
      const double fraction = c.last_d / (c.last_d - d);
      accept_crossing(c, c.last_x + fraction * (x - c.last_x), c.last_find + fraction * (find_value - c.last_find),
                      sign > 0);
    }
  }
  c.last_sign = sign;
  c.last_x = x;
  c.last_d = d;
  c.last_find = find_value;
  c.first_zero.reset();
}

void MeasureEvaluator::accept_crossing(ConditionTracker& c, double x, double find_value, bool rising) {
  const CrossingSpec& spec = *c.spec;
  double lower = -std::numeric_limits<double>::infinity(), upper = -lower;
  if (spec.delay) lower = *spec.delay;
  if (spec.from) lower = std::max(lower, *spec.from);
  if (spec.to) upper = *spec.to;
  if (x < lower || x > upper) return;
  const bool wanted = spec.edge == CrossingSpec::Edge::Cross || (spec.edge == CrossingSpec::Edge::Rise) == rising;
  if (!wanted) return;
  ++c.seen;
  if (spec.last || c.seen == spec.count) {
    c.chosen_x = x;
    c.chosen_find = find_value;
  }
  if (!spec.last && c.chosen_x) c.done = true;
}

// Trapezoidal integrals of y and y^2 and the extremes over [from, to], with y interpolated at the
// window's ends. Segments are clipped in x, so a falling DC sweep works as well.
void MeasureEvaluator::add_to_window(double x, double y) {
  if (from_ <= x && x <= to_) {
    minimum_ = std::min(minimum_, y);
    maximum_ = std::max(maximum_, y);
  }
  if (have_previous_ && previous_x_ != x) {
    const double x0 = previous_x_, x1 = x;
    const double lo = std::max(std::min(x0, x1), from_), hi = std::min(std::max(x0, x1), to_);
    if (lo < hi) {
      auto at = [&](double position) { return previous_y_ + (position - x0) / (x1 - x0) * (y - previous_y_); };
      const double y_lo = at(lo), y_hi = at(hi);
      minimum_ = std::min({minimum_, y_lo, y_hi});
      maximum_ = std::max({maximum_, y_lo, y_hi});
      width_ += hi - lo;
      integral_ += 0.5 * (hi - lo) * (y_lo + y_hi);
      integral_of_square_ += 0.5 * (hi - lo) * (y_lo * y_lo + y_hi * y_hi);
    }
  }
  have_previous_ = true;
  previous_x_ = x;
  previous_y_ = y;
  lowest_x_ = std::min(lowest_x_, x);
  highest_x_ = std::max(highest_x_, x);
}

std::optional<std::string> MeasureEvaluator::condition_failure(const ConditionTracker& c) const {
  const CrossingSpec& spec = *c.spec;
  if (c.chosen_x) return std::nullopt;
  if (spec.at)
    return fmt::format("at={:g} is outside the simulated range [{:g}, {:g}]", *spec.at, std::min(first_x_, last_x_),
                       std::max(first_x_, last_x_));
  std::string level = spec.level_signal ? spec.level_signal->text : fmt::format("{:g}", spec.level);
  std::string window;
  if (spec.delay) window += fmt::format(", td={:g}", *spec.delay);
  if (spec.from) window += fmt::format(", from={:g}", *spec.from);
  if (spec.to) window += fmt::format(", to={:g}", *spec.to);
  return fmt::format("{} never crosses {} ({}{}; found {}) in the {} condition", spec.signal.text, level,
                     ordinal_text(spec), window, c.seen, c.section);
}

MeasureResult MeasureEvaluator::result(const std::string& name) const {
  MeasureResult r{name, false, 0, ""};
  auto fail = [&](std::string reason) {
    r.failure = std::move(reason);
    return r;
  };
  using K = Measurement::Kind;
  if (m_.kind == K::Param) {
    // A PARAM= of other results gets its value in MeasureSink::results(), once they are known.
    r.value = m_.at;
    r.ok = !m_.param_value;
    if (m_.param_value) r.failure = "evaluated after the other measures";
    return r;
  }
  if (missing_) return fail(*missing_);
  switch (m_.kind) {
    case K::TrigTarg: {
      if (auto why = condition_failure(trigger_)) return fail(*why);
      if (auto why = condition_failure(target_)) return fail(*why);
      r.value = *target_.chosen_x - *trigger_.chosen_x;
      break;
    }
    case K::When:
    case K::FindWhen: {
      if (auto why = condition_failure(trigger_)) return fail(*why);
      r.value = m_.kind == K::When ? *trigger_.chosen_x : *trigger_.chosen_find;
      break;
    }
    case K::FindAt: {
      if (!trigger_.chosen_x)
        return fail(fmt::format("at={:g} is outside the simulated range [{:g}, {:g}]", m_.at,
                                points_ ? std::min(first_x_, last_x_) : 0.0, points_ ? std::max(first_x_, last_x_) : 0.0));
      r.value = *trigger_.chosen_find;
      break;
    }
    default: {
      if (points_ == 0) return fail("the plot has no points");
      const double from = m_.from.value_or(lowest_x_), to = m_.to.value_or(highest_x_);
      if (minimum_ > maximum_)
        return fail(fmt::format("the window from={:g} to={:g} holds no simulated point (range [{:g}, {:g}])", from, to,
                                lowest_x_, highest_x_));
      if (m_.kind == K::Min) r.value = minimum_;
      else if (m_.kind == K::Max) r.value = maximum_;
      else if (m_.kind == K::PeakToPeak) r.value = maximum_ - minimum_;
      else if (m_.kind == K::Integral) r.value = integral_;
      else if (width_ <= 0) return fail(fmt::format("the window from={:g} to={:g} has zero width", from, to));
      else if (m_.kind == K::Avg) r.value = integral_ / width_;
      else r.value = std::sqrt(integral_of_square_ / width_);
      break;
    }
  }
  r.ok = true;
  return r;
}

}  // namespace picospice
