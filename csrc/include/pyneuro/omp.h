// pyneuro/omp.h: OpenMP when the compiler has it, else a serial stand-in.
//
// OpenMP is optional (CMake's PYNEURO_OPENMP=AUTO): clang without libomp (stock macOS) or a
// compiler without OpenMP still builds every kernel. The kernels' threads are pyneuro's own
// (team.cpp); OpenMP runs only the FMA peak measurement (peak.cpp). Without -fopenmp the
// compiler ignores its `#pragma omp` (the region runs once, on the calling thread), and these
// stubs answer the few run-time calls that remain (peak.cpp, runtime.cpp) as one thread would.
#pragma once

#if defined(_OPENMP)
#include <omp.h>
#else
#include <chrono>
#include <climits>
#include <thread>

inline int omp_get_thread_num() { return 0; }
inline int omp_get_num_threads() { return 1; }
inline int omp_get_max_threads() { return 1; }
inline int omp_in_parallel() { return 0; }
inline int omp_get_num_procs() { return static_cast<int>(std::thread::hardware_concurrency()); }
inline int omp_get_thread_limit() { return INT_MAX; }
inline double omp_get_wtime() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
#endif
