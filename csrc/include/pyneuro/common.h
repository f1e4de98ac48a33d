// pyneuro/common.h: types and run-time settings shared by every CPU kernel.
// Kernel sources include only this and their family's header: no Python, no pybind11.
#pragma once
#include <cstddef>
#include <cstdint>

// Which instruction-set-specific code this compiler can build (each kernel file guards its
// intrinsics with these; every other machine compiles the portable C++ path only):
//   PYNEURO_X86_TARGETS  x86 with GCC or clang: AVX2/AVX-512 functions via
//                        __attribute__((target(...))) and cpuid (__builtin_cpu_supports).
//   PYNEURO_AARCH64      64-bit Arm (Apple Silicon, Graviton, Raspberry Pi 4/5): NEON is
//                        part of the baseline, so the portable loops vectorise with no flag.
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define PYNEURO_X86_TARGETS 1
#else
#define PYNEURO_X86_TARGETS 0
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define PYNEURO_AARCH64 1
#else
#define PYNEURO_AARCH64 0
#endif
// PYNEURO_NEON: aarch64 with <arm_neon.h> (every aarch64 compiler): the matmul micro-kernel
// has a NEON version; the other kernels use the portable path, which the compiler vectorises.
#if PYNEURO_AARCH64 && (defined(__ARM_NEON) || defined(_M_ARM64))
#define PYNEURO_NEON 1
#else
#define PYNEURO_NEON 0
#endif
// PYNEURO_ALWAYS_INLINE: a helper lambda in a hot loop that must be compiled into its caller
// (GCC left the matmul's tile lambda out of line: 2% slower); a plain hint elsewhere.
#if defined(__GNUC__)
#define PYNEURO_ALWAYS_INLINE __attribute__((always_inline))
#else
#define PYNEURO_ALWAYS_INLINE
#endif

namespace pyneuro {

using index_t = std::int64_t;

// Threads used by every parallel kernel (the members of a team job, team.h), set by
// pyneuro.set_num_threads. Kernels never split a reduction across threads, so
// results are bit-identical for any thread count. The team needs no OpenMP: a build without
// it (clang without libomp, stock macOS) has the same threads (the default: usable_cpus()).
int num_threads();
void set_num_threads(int n);
// Largest n set_num_threads accepts: 4 threads per hardware thread (at least 64), within
// OpenMP's thread limit. An absurd count (10**6) is refused up front: the team would start a
// thread per member, and the FMA peak's OpenMP region (libgomp aborts the whole process when
// it cannot create its threads) runs num_threads() threads.
int max_num_threads();
// Whether this build has OpenMP (see pyneuro/omp.h): only the FMA peak measurement uses it.
bool openmp_enabled();

// Set flush-to-zero / denormals-are-zero on the calling thread (MXCSR on x86, FPCR.FZ on
// aarch64; elsewhere a no-op). Denormal
// floats take a ~100-cycle microcode assist per operation; deep-learning values
// never need them. Every parallel region calls this once per thread.
void enable_flush_to_zero();

// Instruction sets detected at run time (cpuid via __builtin_cpu_supports); false on
// other CPUs and compilers.
bool cpu_has_avx2_fma();
bool cpu_has_avx512();
// The CPU's vendor is Intel (cpuid; false elsewhere): where a block size measured best on one
// vendor's cores loses on the other's (the packed matmul's kc_deep, matmul_blocking.h).
bool cpu_is_intel();
// The CPU runs each 512-bit FMA as two 256-bit halves, one zmm FMA per cycle where Intel's
// server cores and Zen 5 issue two: AMD Zen 4 (family 19h with AVX-512). There the packed
// matmul's B panel streams from L2 fast enough that the deepest k block wins (size_blocks, matmul_blocking.h).
bool cpu_splits_512bit_fma();
// "avx512", "avx2", "neon" (aarch64: NEON matmul micro-kernel, portable softmax and
// elementwise loops) or "scalar": the widest SIMD path the kernels dispatch to. "scalar" is
// the portable C++ path. PYNEURO_SIMD=scalar (or portable) or avx2 forces a narrower path;
// it never widens.
const char* simd_path();

// Data cache sizes of this CPU in bytes (L1d and L2 per core, L3 whole; l3 = 0 if there is
// none) and where they were read from ("sysfs", "sysconf", "sysctl", "PYNEURO_CACHE_SIZES"
// or "default"). Detected once (csrc/cpu/cache_info.cpp); the packed matmul sizes its
// blocks from them.
struct CacheSizes {
  std::size_t l1d, l2, l3;
  const char* source;
};
const CacheSizes& cache_sizes();

// 64-byte-aligned allocation (std::aligned_alloc does not exist on MSVC); size is rounded
// up to a multiple of the alignment. Returns nullptr on failure; free with aligned_free.
void* aligned_malloc(std::size_t bytes);
void aligned_free(void* p);

// Sets FTZ/DAZ for its lifetime and restores the caller's MXCSR afterwards, so a kernel
// running on the Python thread never changes NumPy's denormal behaviour.
class FlushToZeroScope {
 public:
  FlushToZeroScope();
  ~FlushToZeroScope();
  FlushToZeroScope(const FlushToZeroScope&) = delete;
  FlushToZeroScope& operator=(const FlushToZeroScope&) = delete;

 private:
  std::uint64_t saved_;
};

// The opposite, inside a parallel_for body: denormals kept (FTZ/DAZ off) for its lifetime.
// The softmax family uses it: exp(x - max) of a logit 88 or more below the row's max is a
// denormal that torch keeps (softmax([1, 10, 100])[0] is 1.0089e-43, not 0); only such
// elements take the slow path, unlike an optimizer's decaying buffers, which stay flushed.
class KeepDenormalsScope {
 public:
  KeepDenormalsScope();
  ~KeepDenormalsScope();
  KeepDenormalsScope(const KeepDenormalsScope&) = delete;
  KeepDenormalsScope& operator=(const KeepDenormalsScope&) = delete;

 private:
  std::uint64_t saved_;
};

// Work below which a kernel stays on the calling thread. Callers count work as elements x
// a cost (16 for an element with an exp, 64 for a bandwidth-bound elementwise op), so the
// threshold is 512K exps (~150-250 us on one core) or 128K elementwise floats. Waking a
// sleeping OpenMP worker (OMP_WAIT_POLICY=PASSIVE, see runtime.cpp) costs tens of us, more
// when other processes hold the cores; measured on the 2-core machine, 2 threads lose to 1
// at 256K exps (85 vs 71 us, median) and win from 1M (212 vs 276 us). An elementwise op is
// bound by the bandwidth of one core, which a second core doubles: from 128K floats (512
// KiB) two threads win even after a 1 ms pause that lets the worker sleep -- relu 128K
// 23 -> 13 us, 256K 65 -> 27, 512K 148 -> 71; relu_backward, bias_add and softmax_backward
// alike (model 167 Xeon; at 8 per float they had stayed on one thread up to 1M). A 128x256
// activation (32K floats) and a 128x10 batch never leave the calling thread.
constexpr index_t kParallelMinWork = index_t(1) << 23;
constexpr index_t kCostElementwise = 64;  // per float of a memory-bound kernel
constexpr index_t kCostExp = 16;  // per float that needs an exp

// Outputs of at least this many floats (8 MiB, more than one core's L2) are written with
// streaming (non-temporal) stores by the kernels that can (ReLU, softmax): such an output
// cannot stay in cache anyway, and a normal store first reads each line it writes.
constexpr index_t kStreamMinFloats = index_t(1) << 21;

// Runs fn(ctx, begin, end) over [0, n): on the calling thread when work < kParallelMinWork,
// else as a few contiguous chunks per thread (num_threads() members of a team job, team.h),
// handed out dynamically; the caller never waits for a worker that has not joined.
// Each thread runs under a FlushToZeroScope. Kernels never let a result depend on where a
// range starts, so the output is bit-identical for any thread count.
void parallel_for(index_t n, index_t work, void (*fn)(void* ctx, index_t begin, index_t end), void* ctx);

template <class F>
void parallel_for(index_t n, index_t work, const F& fn) {
  parallel_for(
      n, work, [](void* ctx, index_t begin, index_t end) { (*static_cast<const F*>(ctx))(begin, end); },
      const_cast<F*>(&fn));
}

// parallel_for's schedule on exactly `threads` threads (1: the calling thread) with
// `per_thread` chunks per thread (parallel_for: 4), for a kernel that chooses both itself
// (the packed matmul: its thread count from threads_for, its pieces per thread).
void parallel_chunks(index_t n, int threads, int per_thread,
                     void (*fn)(void* ctx, index_t begin, index_t end), void* ctx);

template <class F>
void parallel_chunks(index_t n, int threads, int per_thread, const F& fn) {
  parallel_chunks(
      n, threads, per_thread,
      [](void* ctx, index_t begin, index_t end) { (*static_cast<const F*>(ctx))(begin, end); },
      const_cast<F*>(&fn));
}

}  // namespace pyneuro
