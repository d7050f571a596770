// Monte Carlo over MPI ranks: `mpirun -np N picospice mc ...`. The only place that knows about
// MPI; it builds from mpi_sweep.cpp when CMake finds MPI and from no_mpi.cpp otherwise, so the
// rest of picospice never includes <mpi.h> and builds without it.
//
// Rank 0 coordinates: it hands out ranges of samples on request (large ranges first, shrinking
// towards the end, so ranks with slow samples do not hold up the finish), runs samples itself on
// its own --jobs threads, receives the other ranks' rows, and passes every row to the sink in
// sample order (the same sink, so the same bytes, as a one-process run). The other ranks run the
// ranges they are given on their --jobs threads and send the rows back as CSV text, which reads
// back exactly (results_csv.hpp). Only rank 0's main thread and the workers' main threads call
// MPI (MPI_THREAD_FUNNELED); rank 0 polls with a short sleep so it leaves its cores to the work.
//
// Stopping: SIGINT/SIGTERM (mpirun passes them on) set each rank's stop flag. Rank 0 then hands
// out nothing more; a worker finishes what it runs, sends those rows and leaves; a range it did
// not finish goes back to the pool. Rank 0 writes every row up to the first missing sample, so
// the file is a prefix that --resume completes.
#pragma once
#include <atomic>
#include <functional>
#include <string>

#include "engine/monte_carlo/monte_carlo.hpp"
#include "engine/monte_carlo/results_csv.hpp"

namespace picospice::tools::mpi {

// For `picospice --version`: whether MPI is built in, and which library.
std::string build_description();

// The number of processes the MPI launcher started (Open MPI, MPICH/Hydra, Slurm's srun), read
// from its environment; 1 when picospice was not started by a launcher.
int launched_ranks();

// MPI_Init_thread in the constructor, MPI_Finalize in the destructor. Throws std::runtime_error
// when picospice was built without MPI.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0, size_ = 1;
};

// Rank 0: runs samples [settings.first, settings.runs) over all ranks; sink sees them in order.
SweepOutcome coordinate_sweep(const Session& session, const MonteCarloStudy& study, const ResultsLayout& layout,
                              const SweepSettings& settings, const std::function<void(const SampleResult&)>& sink);

// Every other rank: runs the ranges rank 0 hands out until it says stop, or *stop is set.
void serve_sweep(const Session& session, const MonteCarloStudy& study, const ResultsLayout& layout, int jobs,
                 const std::atomic<bool>* stop);

}  // namespace picospice::tools::mpi
