// How an analysis hands out its results, point by point: a plot's layout, then one row per
// point, then the end. A sink decides what to keep: PlotRecorder keeps everything in memory (for
// tests and the co-design flow), the raw and CSV writers stream to a file, the measure sink keeps
// only what its .measure lines need. So `picospice run` holds no waveform in memory however long
// it runs.
//
// A complex plot (layout.complex, .ac) arrives through add_complex_point, a real one through
// add_point; a sink never gets the other kind for a plot. Every sink takes both, so none can
// silently drop an AC analysis.
#pragma once
#include <complex>
#include <vector>

#include "engine/plot.hpp"

namespace picospice {

class PlotSink {
 public:
  virtual ~PlotSink() = default;
  // `layout` is a Plot whose signals are named and typed but hold no values.
  virtual void begin_plot(const Plot& layout) = 0;
  // One value per signal of the layout, the scale first.
  virtual void add_point(const std::vector<double>& row) = 0;
  // The same for a complex plot: one complex value per signal, the (real) scale first.
  virtual void add_complex_point(const std::vector<std::complex<double>>& row) = 0;
  virtual void end_plot() = 0;
};

// Keeps every plot in memory.
class PlotRecorder final : public PlotSink {
 public:
  void begin_plot(const Plot& layout) override { plots_.push_back(layout); }
  void add_point(const std::vector<double>& row) override {
    Plot& plot = plots_.back();
    for (std::size_t s = 0; s < plot.signals.size() && s < row.size(); ++s) plot.signals[s].values.push_back(row[s]);
  }
  void add_complex_point(const std::vector<std::complex<double>>& row) override {
    Plot& plot = plots_.back();
    for (std::size_t s = 0; s < plot.signals.size() && s < row.size(); ++s) {
      plot.signals[s].values.push_back(row[s].real());
      plot.signals[s].imag.push_back(row[s].imag());
    }
  }
  void end_plot() override {}
  std::vector<Plot>& plots() { return plots_; }
  Plot take_last() {
    Plot plot = std::move(plots_.back());
    plots_.pop_back();
    return plot;
  }

 private:
  std::vector<Plot> plots_;
};

// Hands every call on to several sinks, in order.
class PlotFanOut final : public PlotSink {
 public:
  explicit PlotFanOut(std::vector<PlotSink*> sinks) : sinks_(std::move(sinks)) {}
  void begin_plot(const Plot& layout) override {
    for (auto* s : sinks_) s->begin_plot(layout);
  }
  void add_point(const std::vector<double>& row) override {
    for (auto* s : sinks_) s->add_point(row);
  }
  void add_complex_point(const std::vector<std::complex<double>>& row) override {
    for (auto* s : sinks_) s->add_complex_point(row);
  }
  void end_plot() override {
    for (auto* s : sinks_) s->end_plot();
  }

 private:
  std::vector<PlotSink*> sinks_;
};

// Replays a finished plot into a sink.
inline void replay(const Plot& plot, PlotSink& sink) {
  sink.begin_plot([&] {
    Plot layout = plot;
    for (auto& s : layout.signals) {
      s.values.clear();
      s.imag.clear();
    }
    return layout;
  }());
  if (plot.complex) {
    std::vector<std::complex<double>> row(plot.signals.size());
    for (std::size_t p = 0; p < plot.points(); ++p) {
      for (std::size_t s = 0; s < plot.signals.size(); ++s) {
        const Signal& signal = plot.signals[s];
        row[s] = {signal.values.at(p), signal.imag.empty() ? 0.0 : signal.imag.at(p)};
      }
      sink.add_complex_point(row);
    }
  } else {
    std::vector<double> row(plot.signals.size());
    for (std::size_t p = 0; p < plot.points(); ++p) {
      for (std::size_t s = 0; s < plot.signals.size(); ++s) row[s] = plot.signals[s].values.at(p);
      sink.add_point(row);
    }
  }
  sink.end_plot();
}

}  // namespace picospice
