// The MPI entry points of a build without MPI (mpi_sweep.hpp): they say so.
#include <stdexcept>

#include "tools/mpi/mpi_sweep.hpp"

namespace picospice::tools::mpi {

namespace {
[[noreturn]] void refuse() {
  throw std::runtime_error(
      "this picospice was built without MPI, so under mpirun every process would run the whole sweep.\n"
      "Install libopenmpi-dev and openmpi-bin (tools/setup) and rebuild, or split the run with --shard K/N "
      "and `picospice mc-merge`");
}
}  // namespace

std::string build_description() { return "MPI: not built in (install libopenmpi-dev and rebuild for mpirun)"; }

Session::Session() { refuse(); }
Session::~Session() = default;

SweepOutcome coordinate_sweep(const Session&, const MonteCarloStudy&, const ResultsLayout&, const SweepSettings&,
                              const std::function<void(const SampleResult&)>&) {
  refuse();
}

void serve_sweep(const Session&, const MonteCarloStudy&, const ResultsLayout&, int, const std::atomic<bool>*) { refuse(); }

}  // namespace picospice::tools::mpi
