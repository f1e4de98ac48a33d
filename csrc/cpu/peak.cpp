// peak.cpp: measured peak FLOP/s and copy bandwidth of this CPU (see pyneuro/peak.h).
//
// FLOP peak: every thread runs kChains independent chains acc = acc * a + b of fused
// multiply-adds on SIMD registers. Nothing touches memory, so the only limits are the
// FMA units: an FMA has a latency of ~4 cycles and a core issues 1-2 per cycle, so
// at least 4 * 2 = 8 independent chains are needed to keep both pipes busy; 12 leave
// headroom and still fit in the 16 (AVX2) / 32 (AVX-512) vector registers.
// One iteration = kChains FMAs * lanes * 2 FLOPs. Each ISA path is compiled with its
// own __attribute__((target(...))) and picked at run time from cpuid, so the library
// itself stays baseline x86-64.
//
// Bandwidth: a large memcpy split across threads (each thread its own slice, first
// touched by that thread), counted as read + write = 2 * bytes per copy, like STREAM's
// "Copy". The buffers are far larger than any cache, so this is DRAM bandwidth.
#include "pyneuro/peak.h"

#include "pyneuro/omp.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#if defined(__x86_64__) || defined(_M_X64)
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 warns about its own AVX-512 headers (the undefined __Y operand inside the reduce
// intrinsics, GCC bug 105593), where they are inlined; those values are never read.
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#define PYNEURO_X86 1
#endif

namespace pyneuro::cpu {

namespace {

constexpr int kChains = 12;

// Scalar path: the same chains on plain floats (the compiler may not vectorise them
// because each chain depends on itself; this is the "no SIMD" reference point).
float fma_chains_scalar(index_t iterations, float seed) {
  float acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = seed + 0.001f * c;
  const float a = 0.999999f, b = 1e-7f;
  for (index_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * a + b;
  }
  float s = 0.0f;
  for (int c = 0; c < kChains; ++c) s += acc[c];
  return s;
}

#ifdef PYNEURO_X86
__attribute__((target("avx2,fma"))) float fma_chains_avx2(index_t iterations, float seed) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(seed + 0.001f * c);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (index_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  }
  __m256 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm256_add_ps(s, acc[c]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  return out[0] + out[7];
}

__attribute__((target("avx512f"))) float fma_chains_avx512(index_t iterations, float seed) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(seed + 0.001f * c);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (index_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  }
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
  return _mm512_reduce_add_ps(s);
}
#endif

// Resolve the requested ISA to one this CPU has; returns the name and SIMD lanes.
const char* resolve_isa(const char* want, int* lanes) {
  const std::string w = want ? want : "auto";
#ifdef PYNEURO_X86
  if ((w == "auto" || w == "avx512") && cpu_has_avx512()) {
    *lanes = 16;
    return "avx512";
  }
  if ((w == "auto" || w == "avx512" || w == "avx2") && cpu_has_avx2_fma()) {
    *lanes = 8;
    return "avx2";
  }
#endif
  *lanes = 1;
  return "scalar";
}

float run_chains(const char* isa, index_t iterations, float seed) {
#ifdef PYNEURO_X86
  if (std::strcmp(isa, "avx512") == 0) return fma_chains_avx512(iterations, seed);
  if (std::strcmp(isa, "avx2") == 0) return fma_chains_avx2(iterations, seed);
#endif
  return fma_chains_scalar(iterations, seed);
}

// Keeps the chains' results alive so the compiler cannot delete the loops.
volatile float g_sink = 0.0f;

}  // namespace

PeakResult fma_peak(int threads, index_t iterations, const char* isa) {
  threads = openmp_enabled() ? std::max(threads, 1) : 1;  // without OpenMP: one thread, said so
  iterations = std::max<index_t>(iterations, 1);
  int lanes = 1;
  const char* used = resolve_isa(isa, &lanes);
  double start = 0.0, stop = 0.0;
  float total = 0.0f;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  {
    FlushToZeroScope ftz;  // restores the caller's MXCSR: the master thread is the Python thread
#pragma omp barrier
#pragma omp master
    start = omp_get_wtime();
    total += run_chains(used, iterations, 1.0f + omp_get_thread_num());
#pragma omp barrier
#pragma omp master
    stop = omp_get_wtime();
  }
  g_sink = total;
  const double seconds = stop - start;
  const double flops = double(threads) * double(iterations) * kChains * lanes * 2.0;
  return {seconds > 0 ? flops / seconds * 1e-9 : 0.0, seconds, threads, used};
}

BandwidthResult copy_bandwidth(index_t bytes, int threads, int repeats) {
  threads = openmp_enabled() ? std::max(threads, 1) : 1;
  repeats = std::max(repeats, 1);
  bytes = std::max<index_t>(bytes, 4096);
  // 64-byte aligned buffers; aligned_free (pyneuro/common.h) through unique_ptr's deleter.
  const index_t padded = (bytes + 63) / 64 * 64;
  std::unique_ptr<char, decltype(&aligned_free)> src(static_cast<char*>(aligned_malloc(size_t(padded))),
                                                     &aligned_free);
  std::unique_ptr<char, decltype(&aligned_free)> dst(static_cast<char*>(aligned_malloc(size_t(padded))),
                                                     &aligned_free);
  if (!src || !dst) return {0.0, 0.0, threads};
  char* s = src.get();
  char* d = dst.get();
  // Slice [lo, hi) of thread t: contiguous, 64-byte aligned boundaries.
  auto slice = [&](int t, index_t* lo, index_t* hi) {
    const index_t lines = padded / 64;
    *lo = lines * t / threads * 64;
    *hi = lines * (t + 1) / threads * 64;
  };
#pragma omp parallel num_threads(threads)
  {
    index_t lo, hi;
    slice(omp_get_thread_num(), &lo, &hi);
    std::memset(s + lo, 1, size_t(hi - lo));  // first touch: pages land near this thread
    std::memset(d + lo, 0, size_t(hi - lo));
  }
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    double start = 0.0, stop = 0.0;
#pragma omp parallel num_threads(threads)
    {
      index_t lo, hi;
      slice(omp_get_thread_num(), &lo, &hi);
#pragma omp barrier
#pragma omp master
      start = omp_get_wtime();
      std::memcpy(d + lo, s + lo, size_t(hi - lo));
#pragma omp barrier
#pragma omp master
      stop = omp_get_wtime();
    }
    best = std::min(best, stop - start);
  }
  g_sink = float(d[padded / 2]);
  return {best > 0 ? 2.0 * double(padded) / best * 1e-9 : 0.0, best, threads};
}

}  // namespace pyneuro::cpu
