// Run-time settings for the CPU kernels: thread count, flush-to-zero and the
// SIMD level chosen from cpuid. See pyneuro/common.h.
#include "pyneuro/common.h"

#include <omp.h>
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#include <pmmintrin.h>
#define PYNEURO_HAVE_MXCSR 1
#else
#define PYNEURO_HAVE_MXCSR 0
#endif
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace pyneuro {

namespace {
int default_threads() {
  // Respect the usual knobs, then fall back to what OpenMP would use.
  for (const char* var : {"PYNEURO_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* s = std::getenv(var)) {
      int n = std::atoi(s);
      if (n > 0) return n;
    }
  }
  int n = omp_get_max_threads();
  return n > 0 ? n : 1;
}
std::atomic<int> g_threads{0};
}  // namespace

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n <= 0) {
    n = default_threads();
    g_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) { g_threads.store(n > 0 ? n : 1, std::memory_order_relaxed); }

void enable_flush_to_zero() {
#if PYNEURO_HAVE_MXCSR
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#endif
}

#if PYNEURO_HAVE_MXCSR
FlushToZeroScope::FlushToZeroScope() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }  // FTZ | DAZ
FlushToZeroScope::~FlushToZeroScope() { _mm_setcsr(saved_); }
#else
FlushToZeroScope::FlushToZeroScope() : saved_(0) {}
FlushToZeroScope::~FlushToZeroScope() {}
#endif

void parallel_for(index_t n, index_t work, void (*fn)(void*, index_t, index_t), void* ctx) {
  if (n <= 0) return;
  const int threads = work < kParallelMinWork ? 1 : int(std::min<index_t>(num_threads(), n));
  if (threads == 1) {
    FlushToZeroScope ftz;
    fn(ctx, 0, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    FlushToZeroScope ftz;
    const index_t t = omp_get_thread_num(), team = omp_get_num_threads();
    const index_t begin = n * t / team, end = n * (t + 1) / team;
    if (begin < end) fn(ctx, begin, end);
  }
}

bool cpu_has_avx2_fma() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

bool cpu_has_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  return ok;
}

const char* simd_path() {
  // PYNEURO_SIMD=scalar|avx2 forces a narrower path (tests, teaching); it never widens.
  static const char* path = [] {
    const char* best = cpu_has_avx512() ? "avx512" : cpu_has_avx2_fma() ? "avx2" : "scalar";
    const char* want = std::getenv("PYNEURO_SIMD");
    if (want && std::strcmp(want, "scalar") == 0) return "scalar";
    if (want && std::strcmp(want, "avx2") == 0 && cpu_has_avx2_fma()) return "avx2";
    return best;
  }();
  return path;
}

}  // namespace pyneuro
