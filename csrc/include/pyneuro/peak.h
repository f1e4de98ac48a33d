// pyneuro/peak.h: what this machine can do at best, measured, so benchmarks can say
// "X% of peak" instead of quoting a datasheet.
//   fma_peak:       floating-point peak of a register-only FMA chain (no memory traffic).
//                   Cost: threads * iterations * chains * lanes * 2 FLOPs; 0 bytes.
//   copy_bandwidth: sustained memory bandwidth of a large parallel memcpy.
//                   Cost: 0 FLOPs; 2 * bytes moved per copy (read src + write dst).
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

struct PeakResult {
  double gflops;  // float32 GFLOP/s over all threads (1 FMA = 2 FLOPs)
  double seconds;  // wall time of the timed run
  int threads;  // threads that ran
  const char* isa;  // "avx512", "avx2" or "scalar": the path that was measured
};

// isa: "auto" (widest the CPU supports), "avx512", "avx2" or "scalar"; an ISA the CPU
// lacks falls back to the next narrower one (the result's isa says which ran).
// iterations: loop trips per thread (each trip: `kChains` independent FMAs per register).
PeakResult fma_peak(int threads, index_t iterations, const char* isa);

struct BandwidthResult {
  double gbs;  // best GB/s (1e9 bytes/s) over the repeats, counting read + write
  double seconds;  // time of the best repeat
  int threads;
};

// Copies a `bytes`-sized buffer `repeats` times with `threads` threads (each copies
// its own contiguous slice with memcpy), after a first-touch pass so every page
// lives near the thread that uses it.
BandwidthResult copy_bandwidth(index_t bytes, int threads, int repeats);

}  // namespace pyneuro::cpu
