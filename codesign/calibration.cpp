// Reading the characterization file and inverting its curves (see calibration.hpp).
#include "codesign/calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "codesign/characterize.hpp"
#include "codesign/json_file.hpp"

namespace picospice::network {
namespace {

using nlohmann::json;

// Linear interpolation of log(y) against log(x) on a sorted table; beyond the ends, y scales in
// proportion to x from the end point (a current-mode cell's error is relative to first order).
// Not the plot sampler (engine/plot_sampling.hpp): that reads a simulated waveform between its
// points; this is a power law between a few measured bias points, extrapolated beyond them.
double interpolate_log(const std::vector<std::pair<double, double>>& table, double x) {
  if (table.empty() || x <= 0) return x;
  if (table.size() == 1 || x <= table.front().first) return table.front().second * x / table.front().first;
  if (x >= table.back().first) return table.back().second * x / table.back().first;
  auto hi = std::upper_bound(table.begin(), table.end(), x, [](double v, const auto& p) { return v < p.first; });
  auto lo = hi - 1;
  const double f = std::log(x / lo->first) / std::log(hi->first / lo->first);
  return std::exp(std::log(lo->second) + f * std::log(hi->second / lo->second));
}

MeasuredCurve make_curve(std::vector<std::pair<double, double>> points) {
  std::sort(points.begin(), points.end());
  MeasuredCurve c;
  for (const auto& p : points)
    if (p.first > 0 && p.second > 0 && (c.points.empty() || p.first > c.points.back().first)) c.points.push_back(p);
  return c;
}

double number(const json& row, const char* key) {
  if (!row.is_object()) return std::nan("");
  const auto it = row.find(key);
  if (it == row.end() || !it->is_number()) return std::nan("");
  return it->get<double>();
}

// A string member, or "" when it is missing or not a string (nlohmann's value() throws then).
std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The measured I_width range of a row, and whether `delta` lies within its measured widths.
bool row_covers(const CellCalibration::WidthRow& row, double delta) {
  const auto& p = row.width.points;
  if (p.size() < 2) return false;
  double low = p.front().second, high = low;
  for (const auto& [x, y] : p) low = std::min(low, y), high = std::max(high, y);
  return delta >= low && delta <= high;
}

// I_width for width `delta` at `ithresh` from the grid: inverted on the two rows around
// ithresh, interpolated between them in log-log. nullopt when the grid did not measure it.
std::optional<double> grid_iwidth(const std::vector<CellCalibration::WidthRow>& grid, double delta, double ithresh) {
  if (grid.size() < 2 || ithresh < grid.front().ithresh || ithresh > grid.back().ithresh) return std::nullopt;
  std::size_t k = 0;
  while (k + 2 < grid.size() && grid[k + 1].ithresh <= ithresh) ++k;
  // Where both rows measured the width itself, it is inverted on each and the I_width
  // interpolated; otherwise each row is asked for the same width relative to its own I_thresh
  // (every row measured I_width up to 0.98 I_thresh, so relative widths overlap where absolute
  // ones need not), and the relative I_width is interpolated between the rows.
  const auto &lo = grid[k], &hi = grid[k + 1];
  if (row_covers(lo, delta) && row_covers(hi, delta)) {  // both rows measured this width
    const double a = lo.width.x_for(delta), b = hi.width.x_for(delta);
    const double f = std::log(ithresh / lo.ithresh) / std::log(hi.ithresh / lo.ithresh);
    return std::exp(std::log(a) + f * std::log(b / a));
  }
  const double relative = delta / ithresh;
  if (!row_covers(lo, relative * lo.ithresh) || !row_covers(hi, relative * hi.ithresh)) return std::nullopt;
  const double a = lo.width.x_for(relative * lo.ithresh) / lo.ithresh;
  const double b = hi.width.x_for(relative * hi.ithresh) / hi.ithresh;
  const double f = std::log(ithresh / lo.ithresh) / std::log(hi.ithresh / lo.ithresh);
  return ithresh * std::exp(std::log(a) + f * std::log(b / a));
}

std::string picoamps(double amperes) { return fmt::format("{:.4g} pA", amperes * 1e12); }

std::optional<std::string> outside(const MeasuredCurve& curve, double x, const char* what) {
  if (curve.points.empty()) return std::nullopt;
  const double low = curve.points.front().first, high = curve.points.back().first;
  if (x >= low * (1 - 1e-9) && x <= high * (1 + 1e-9)) return std::nullopt;
  return fmt::format("{} {} is outside the measured {} - {}", what, picoamps(x), picoamps(low), picoamps(high));
}

}  // namespace

std::optional<std::string> CellCalibration::unmeasured(double ithresh, double iwidth, double igain) const {
  std::vector<std::string> reasons;
  if (auto why = outside(up_switch, ithresh, "I_thresh")) reasons.push_back(*why);
  if (width_grid.size() >= 2) {
    // The width this I_width gives at this I_thresh, then whether the grid measured it.
    const double delta = iwidth_measured_width(ithresh, iwidth);
    if (!grid_iwidth(width_grid, delta, ithresh))
      reasons.push_back(fmt::format("I_width {} at I_thresh {} is outside the measured grid", picoamps(iwidth),
                                    picoamps(ithresh)));
  } else {
    if (auto why = outside(width, iwidth, "I_width")) reasons.push_back(*why);
    if (auto why = outside(width_drift, ithresh, "I_thresh (width drift)")) reasons.push_back(*why);
  }
  if (igain > 0)
    if (auto why = outside(out_high, igain, "I_gain")) reasons.push_back(*why);
  if (reasons.empty()) return std::nullopt;
  std::string text;
  for (const auto& r : reasons) text += (text.empty() ? "" : "; ") + r;
  return text + " (extrapolated)";
}

double CellCalibration::iwidth_measured_width(double ithresh, double iwidth) const {
  // The grid's width at (ithresh, iwidth): each row's curve at iwidth, interpolated in log-log.
  if (width_grid.size() < 2) return 0;
  std::size_t k = 0;
  while (k + 2 < width_grid.size() && width_grid[k + 1].ithresh <= ithresh) ++k;
  const auto &lo = width_grid[k], &hi = width_grid[k + 1];
  const double relative = iwidth / ithresh;  // as in grid_iwidth
  const double a = lo.width.y_at(relative * lo.ithresh) / lo.ithresh, b = hi.width.y_at(relative * hi.ithresh) / hi.ithresh;
  const double f = std::log(ithresh / lo.ithresh) / std::log(hi.ithresh / lo.ithresh);
  return ithresh * std::exp(std::log(a) + f * std::log(b / a));
}

double MeasuredCurve::y_at(double x) const { return interpolate_log(points, x); }

double MeasuredCurve::x_for(double y) const {
  // The curves are monotone increasing in practice; invert by swapping the axes, keeping only
  // points that continue to increase (a non-monotone measurement point is dropped).
  std::vector<std::pair<double, double>> swapped;
  for (const auto& [x, v] : points)
    if (swapped.empty() || v > swapped.back().first) swapped.emplace_back(v, x);
  return interpolate_log(swapped, y);
}

double CellCalibration::ithresh_for(double beta2) const { return up_switch.x_for(beta2); }

double CellCalibration::iwidth_for(double delta, double ithresh) const {
  if (delta <= 0) return 0;
  // Where the grid measured it, the grid; otherwise the width the iwidth sweep measured at its
  // own I_thresh, shifted by how much the measured width moves with I_thresh (an additive shift:
  // the igain sweep, at I_thresh 350 pA and I_width 200 pA, confirms it to ~3%, where a
  // proportional model missed by ~11%).
  if (const auto measured = grid_iwidth(width_grid, delta, ithresh)) return *measured;
  const double shift = width_drift.points.empty() ? 0.0 : width_drift.y_at(ithresh) - width_drift_reference;
  return width.x_for(std::max(delta - shift, 0.05 * delta));
}

double CellCalibration::igain_for(double alpha) const { return alpha <= 0 ? 0 : out_high.x_for(alpha); }

CellCalibration load_calibration(const std::filesystem::path& path) {
  const json doc = read_json_file(path, "calibration file");
  const auto bad = [&](const std::string& what) {
    return std::runtime_error(fmt::format("{}: {} (expected the output of `picospice characterize schmitt9 --sweep "
                                          "all -o FILE`)", path.string(), what));
  };
  if (!doc.is_object()) throw bad("the top level is not an object");
  if (text(doc, "format") != "picospice-cell-calibration") throw bad("format is not picospice-cell-calibration");
  if (text(doc, "cell") != "schmitt9") throw bad("not a schmitt9 calibration");
  if (!doc.contains("sweeps") || !doc["sweeps"].is_object()) throw bad("no \"sweeps\"");
  const json& sweeps = doc["sweeps"];
  for (const char* key : {"ithresh", "iwidth", "igain"})
    if (!sweeps.contains(key) || !sweeps[key].is_array() || sweeps[key].empty())
      throw bad(fmt::format("sweeps.{} is missing or empty", key));

  CellCalibration cal;
  cal.source = path.string();
  std::vector<std::pair<double, double>> up, drift, width, high;
  for (const auto& row : sweeps["ithresh"]) {
    const double ith = number(row, "ithresh"), u = number(row, "up_switch"), d = number(row, "down_switch");
    if (std::isfinite(u)) up.emplace_back(ith, u);
    if (std::isfinite(u) && std::isfinite(d)) drift.emplace_back(ith, u - d);
  }
  for (const auto& row : sweeps["iwidth"]) {
    const double u = number(row, "up_switch"), d = number(row, "down_switch");
    if (std::isfinite(u) && std::isfinite(d)) width.emplace_back(number(row, "iwidth"), u - d);
    cal.width_reference_ithresh = number(row, "ithresh");
  }
  {
    const json& row = sweeps["iwidth"][sweeps["iwidth"].size() / 2];
    cal.check_row = {number(row, "ithresh"), number(row, "iwidth"), number(row, "igain"), number(row, "up_switch"),
                     number(row, "down_switch")};
  }
  if (doc.contains("conditions") && doc["conditions"].is_object()) {
    const json& conditions = doc["conditions"];
    for (const auto& [key, target] : {std::pair{"vdd", &cal.vdd}, std::pair{"temp", &cal.temp_celsius}}) {
      if (!conditions.contains(key)) continue;
      const double value = number(conditions, key);
      if (!std::isfinite(value)) throw bad(fmt::format("conditions.{} is not a finite number", key));
      *target = value;
    }
  }
  cal.library = text(doc, "library");
  for (const auto& row : sweeps["igain"]) {
    const double h = number(row, "out_high");
    if (std::isfinite(h)) high.emplace_back(number(row, "igain"), h);
  }
  if (sweeps.contains("grid") && sweeps["grid"].is_array()) {
    std::map<double, std::vector<std::pair<double, double>>> rows;
    for (const auto& row : sweeps["grid"]) {
      const double ith = number(row, "ithresh"), iw = number(row, "iwidth");
      const double u = number(row, "up_switch"), d = number(row, "down_switch");
      if (std::isfinite(ith) && std::isfinite(iw) && std::isfinite(u) && std::isfinite(d)) rows[ith].emplace_back(iw, u - d);
    }
    for (auto& [ith, points] : rows) {
      CellCalibration::WidthRow row{ith, make_curve(points)};
      if (row.width.points.size() >= 2) cal.width_grid.push_back(row);
    }
  }
  cal.up_switch = make_curve(up);
  cal.width = make_curve(width);
  cal.out_high = make_curve(high);
  MeasuredCurve raw_drift = make_curve(drift);
  if (!raw_drift.points.empty() && std::isfinite(cal.width_reference_ithresh)) {
    cal.width_drift_reference = raw_drift.y_at(cal.width_reference_ithresh);
    cal.width_drift = raw_drift;
  }
  if (cal.up_switch.points.size() < 2 || cal.width.points.size() < 2 || cal.out_high.points.size() < 2)
    throw bad("fewer than two measured points in a sweep");
  return cal;
}

std::optional<std::string> calibration_staleness(const CellCalibration& cal) {
  const CellCalibration::Row& row = cal.check_row;
  if (!(row.ithresh > 0 && row.iwidth > 0 && row.igain > 0 && std::isfinite(row.up_switch) &&
        std::isfinite(row.down_switch)))
    return std::nullopt;  // nothing to compare with
  cells::CharacterizationSettings settings;
  settings.transient = false;  // the switching points come from the DC loop alone
  const cells::SchmittFigures now = cells::characterize_schmitt({row.ithresh, row.iwidth, row.igain},
                                                                {cal.vdd, cal.temp_celsius}, settings);
  const auto moved = [](double was, double is) { return std::abs(is - was) > std::max(2e-12, 1e-3 * std::abs(was)); };
  if (!moved(row.up_switch, now.up_switch) && !moved(row.down_switch, now.down_switch)) return std::nullopt;
  return fmt::format("{}: stale: at I_thresh {:.4g} pA, I_width {:.4g} pA the cell now switches up at {:.2f} pA and "
                     "down at {:.2f} pA, the file says {:.2f} and {:.2f}; regenerate it with `picospice characterize "
                     "schmitt9 --sweep all -o {}`",
                     cal.source, row.ithresh * 1e12, row.iwidth * 1e12, now.up_switch * 1e12, now.down_switch * 1e12,
                     row.up_switch * 1e12, row.down_switch * 1e12, cal.source);
}

}  // namespace picospice::network
