// How many processes an MPI launcher started, from the variables it sets for each of them. Read
// without MPI, so a build without MPI can refuse to run one whole sweep per process.
#include <cstdlib>
#include <string>

#include "tools/mpi/mpi_sweep.hpp"

namespace picospice::tools::mpi {

int launched_ranks() {
  // Open MPI's mpirun; MPICH's Hydra and Slurm's srun --mpi=pmi2 set PMI_SIZE.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (!value) continue;
    try {
      const int size = std::stoi(value);
      if (size > 0) return size;
    } catch (const std::exception&) {
      // Not a number: ignore this variable and look at the next.
    }
  }
  return 1;
}

}  // namespace picospice::tools::mpi
