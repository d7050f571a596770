// Fuzz target: netlist text -> elaborate -> run .op/.dc/.tran/.ac with .measure. The work per input is
// bounded, as a fuzzer needs thousands of inputs a second: circuits up to 40 unknowns, Newton
// iteration limits clamped, and at most 2000 points over all analyses (the sink stops the run).
#include <algorithm>
#include <complex>
#include <cstdint>
#include <vector>
#include <exception>
#include <stdexcept>

#include "engine/analyses/measure.hpp"
#include "engine/simulator.hpp"
#include "netlists/elaborate.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

struct WorkExhausted : std::exception {};

// Passes points to the measure sink and stops the run after a budget of points.
class BoundedSink final : public picospice::PlotSink {
 public:
  explicit BoundedSink(picospice::PlotSink& next) : next_(next) {}
  void begin_plot(const picospice::Plot& layout) override { next_.begin_plot(layout); }
  void add_point(const std::vector<double>& row) override {
    if (++points_ > 2000) throw WorkExhausted{};
    next_.add_point(row);
  }
  void add_complex_point(const std::vector<std::complex<double>>& row) override {
    if (++points_ > 2000) throw WorkExhausted{};
    next_.add_complex_point(row);
  }
  void end_plot() override { next_.end_plot(); }

 private:
  picospice::PlotSink& next_;
  int points_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;  // long inputs only slow the search down
  try {
    auto circuit = picospice::elaborate_text(picospice::fuzz::as_text(data, size), "fuzz.cir");
    if (circuit->unknowns.size() > 40) return 0;
    auto& options = circuit->options;
    options.itl1 = std::min(options.itl1, 60);
    options.itl4 = std::min(options.itl4, 30);
    picospice::MeasureSink measures(circuit->measures);
    BoundedSink sink(measures);
    picospice::run_analyses(*circuit, sink);
    (void)measures.results();
  } catch (const WorkExhausted&) {
  } catch (const std::exception&) {
  }
  return 0;
}
