// One `.measure` evaluated over one plot as its points arrive (engine/analyses/measure.hpp has
// the syntax and the rules). It keeps a few numbers per condition, never the waveforms, so a
// measured run's memory does not grow with its length.
//
// A nested .dc plot (Plot::segment_by) is a sequence of inner sweeps: a crossing is looked for,
// an AT= position located, and a window integrated within each inner sweep, never across the
// jump from the end of one inner sweep to the start of the next.
#pragma once
#include <complex>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "engine/analyses/measure.hpp"

namespace picospice {

class MeasureEvaluator {
 public:
  MeasureEvaluator(const Measurement& measurement, const Plot& layout);
  void add_point(const std::vector<double>& row);
  // A point of a complex plot (.ac): the scale is the real part of row[0]; signals are taken
  // as the measure's part of them (vdb, vp, vm, vr, vi; plain v(x) is the real part, as in ngspice).
  void add_complex_point(const std::vector<std::complex<double>>& row);
  // The value, or why there is none; `name` is what the result is called (name, name_2, ...).
  MeasureResult result(const std::string& name) const;

 private:
  // A signal of the row: the part (real, magnitude, dB, ...) of positive - negative, by column
  // (-1 for ground). `imag` holds the row's imaginary parts (null for a real plot).
  struct Column {
    int positive = -1, negative = -1;
    WaveformRef::Part part = WaveformRef::Part::Real;
    double of(const std::vector<double>& row, const std::vector<double>* imag) const;
  };
  // Finds the wanted crossing of one TRIG/TARG/WHEN condition (or its AT= position), and the
  // value of the FIND signal there.
  struct ConditionTracker {
    const CrossingSpec* spec = nullptr;
    const char* section = "";
    Column signal, level_signal;
    bool has_level_signal = false;
    // Between points: the last point off the level, and the first of a run on it.
    int last_sign = 0;
    double last_x = 0, last_d = 0, last_find = 0;
    std::optional<std::pair<double, double>> first_zero;  // (x, find value) where the run began
    int seen = 0;
    bool done = false;
    std::optional<double> chosen_x, chosen_find;
    // For AT=: the previous point of this inner sweep.
    bool have_previous = false;
    double previous_x = 0, previous_find = 0;
  };

  void add_row(const std::vector<double>& row);
  void start_segment();
  void track(ConditionTracker& c, double x, const std::vector<double>& row, double find_value);
  void accept_crossing(ConditionTracker& c, double x, double find_value, bool rising);
  void locate_at(ConditionTracker& c, double x, double find_value);
  void add_to_window(double x, double y);
  std::optional<std::string> condition_failure(const ConditionTracker& c) const;

  Measurement m_;
  std::string plot_name_;
  // During a complex point: its imaginary parts (the real parts are the row); null otherwise.
  const std::vector<double>* imag_row_ = nullptr;
  std::vector<double> real_buffer_, imag_buffer_;
  std::optional<std::string> missing_;  // a signal the plot does not have
  Column find_;                          // FIND and the statistics' signal
  bool has_find_ = false;
  ConditionTracker trigger_, target_;
  int segment_column_ = -1;
  double segment_value_ = 0;
  long points_ = 0;
  // Statistics over [from, to] (the whole scale by default).
  double from_ = -std::numeric_limits<double>::infinity(), to_ = std::numeric_limits<double>::infinity();
  bool have_previous_ = false;
  double previous_x_ = 0, previous_y_ = 0;
  double width_ = 0, integral_ = 0, integral_of_square_ = 0;
  double minimum_ = std::numeric_limits<double>::infinity(), maximum_ = -std::numeric_limits<double>::infinity();
  double first_x_ = 0, last_x_ = 0;  // the scale's first and last points
  double lowest_x_ = std::numeric_limits<double>::infinity(), highest_x_ = -std::numeric_limits<double>::infinity();
};

}  // namespace picospice
