// Pre-distortion of the schmitt9 bias currents from a characterization file
// (`picospice characterize schmitt9 --sweep all -o calib.json`, format documented in
// tools/command_characterize.cpp), so that the cell's measured switching points and output level
// land on the software's beta2, beta1 and alpha.
//
// The cell is characterized one bias at a time; the lowering needs all three at once. The model
// used to invert the curves (each piecewise linear in log-log coordinates, extrapolated with the
// ratio at the nearest end):
//   up_switch   = U(I_thresh)                       from sweeps.ithresh (the up switch does not
//                                                   see I_width: the feedback is off while low)
//   width       = up_switch - down_switch = Wd(I_width) + D(I_thresh) - D(I_ref)
//       Wd from sweeps.iwidth (up - down at that sweep's fixed I_thresh I_ref), and D, the drift
//       of the measured width with I_thresh, from sweeps.ithresh (up - down at its fixed
//       I_width); an additive shift, which the igain sweep's loop confirms to ~3%;
//   out_high    = H(I_gain)                         from sweeps.igain.
// So I_thresh = U^-1(beta2), I_width = Wd^-1(delta - D(I_thresh) + D(I_ref)), I_gain = H^-1(alpha).
// A file with the (I_thresh, I_width) grid (sweeps.grid, written by `--sweep all` since the
// trainer's range was covered: I_thresh 20 pA - 60 nA, I_width 5 pA - 40 nA) replaces the
// additive model wherever the grid measured it: per measured I_thresh row the width is inverted
// for I_width (log-log) at the same width relative to its I_thresh, and the relative I_width of
// the two rows around the wanted I_thresh is interpolated in log-log.
// (Measured before the grid: the drift model extrapolated proportionally below 100 pA where the
// measured drift is flat, so beta1 0.05 / delta 0.0056 units switched down at 26 pA instead of
// 50; above beta2 = 3 units the down switch drifted +5% at 12.5 units and +29% at 50.)
// Outside the measured ranges the curves are still extrapolated, and unmeasured() says so.
// The mirrors are not pre-distorted: the file's mirror tables show ratio errors below 0.2%,
// well under one step of the width grid.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace picospice::network {

// A measured monotone curve y(x), both positive, sorted by x.
struct MeasuredCurve {
  std::vector<std::pair<double, double>> points;
  double y_at(double x) const;  // interpolated in log-log, extrapolated proportionally
  double x_for(double y) const;  // the inverse
};

struct CellCalibration {
  std::string source;  // the file it came from
  MeasuredCurve up_switch;          // x = I_thresh
  MeasuredCurve width;              // x = I_width, at width_reference_ithresh
  MeasuredCurve width_drift;        // x = I_thresh, y = D: the width at the ithresh sweep's I_width
  double width_drift_reference = 0; // D at width_reference_ithresh
  MeasuredCurve out_high;           // x = I_gain
  double width_reference_ithresh = 0;
  // One measured row of the file (the iwidth sweep's middle point), kept to check the file still
  // describes the cell (calibration_staleness).
  struct Row {
    double ithresh = 0, iwidth = 0, igain = 0, up_switch = 0, down_switch = 0;
  } check_row;
  double vdd = 1.8, temp_celsius = 27.0;  // the file's conditions
  std::string library;                    // the cell library the file characterized

  // The measured width table: per I_thresh (ascending) the width up - down against I_width.
  // Empty for a file without sweeps.grid.
  struct WidthRow {
    double ithresh = 0;
    MeasuredCurve width;  // x = I_width, y = up_switch - down_switch
  };
  std::vector<WidthRow> width_grid;

  // Bias currents (A) that realise the wanted switching points and level (A).
  double ithresh_for(double beta2) const;
  double iwidth_for(double delta, double ithresh) const;
  double igain_for(double alpha) const;
  // Why the biases (A) a lowering computed lie outside what the file measured (so they were
  // extrapolated), or nullopt when every one is inside.
  std::optional<std::string> unmeasured(double ithresh, double iwidth, double igain) const;
  // The width (A) the grid says (ithresh, iwidth) gives; 0 without a grid.
  double iwidth_measured_width(double ithresh, double iwidth) const;
};

// Throws std::runtime_error naming the file and the missing or malformed part.
CellCalibration load_calibration(const std::filesystem::path& path);

// A calibration file is a snapshot: when the cell library or the simulator changes, its tables no
// longer describe the cell, and the biases computed from them miss the software's switching
// points. (Measured: a snapshot taken before a simulator change put every calibrated cell's lower
// switching point 11-25 pA below beta1 over 295 units of 20 random networks, up to 2.3 times the
// borderline margin; a fresh file, within 1.8 pA.) This re-simulates the file's check_row with
// the default cell library (netlists/cells/cells.lib; ~0.05 s) and returns what moved when
// either switching point differs by more than max(2 pA, 0.1%); nullopt when the file is current.
std::optional<std::string> calibration_staleness(const CellCalibration& calibration);

}  // namespace picospice::network
