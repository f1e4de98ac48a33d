// Run-time settings for the CPU kernels: thread count, parallel_for, flush-to-zero and the
// SIMD level chosen from cpuid. See pyneuro/common.h. Every ISA-specific line is guarded:
// x86 (MXCSR, cpuid), aarch64 (FPCR) and anything else (no-ops, the portable path).
// parallel_for's threads are pyneuro's own worker team (team.cpp), with or without OpenMP.
//
// ---------------------------------------------------------------------------------------
// Threads: pyneuro's worker team, NumPy's OpenBLAS pool, and why idle workers must yield
//
// A training step alternates NumPy/BLAS calls (OpenBLAS's own pthread pool) with pyneuro
// kernels (num_threads() threads). Both keep idle workers *spinning* for a while after each
// call, so that the next call starts without a wake-up:
//   * OpenBLAS polls for 2^OPENBLAS_THREAD_TIMEOUT cycles (default 2^28, ~0.1 s), calling
//     sched_yield() in between;
//   * libgomp, which ran pyneuro's kernels until round 3 (and still runs the FMA peak
//     measurement and numba's OpenMP layer), spins
//     GOMP_SPINCOUNT times (default 300000: milliseconds) without yielding, then sleeps on a
//     futex; OMP_WAIT_POLICY=PASSIVE makes that 0, ACTIVE makes it forever.
// On a machine with 2 cores the spinning pool of one library occupies exactly the core the
// other library's next call needs. The scheduler then time-slices a spinner against a
// worker, and a parallel region ends only when its slowest thread reaches the join barrier:
// a 0.1 ms kernel turns into a 20-60 ms one. A spinning thread is also the one the
// scheduler favours least (it never sleeps, so it earns no wake-up preference), so the
// same happens whenever other processes load the cores.
//
// Measured with an alternating loop, each setting in a fresh process: NumPy 256x784 @
// 784x1024 (OpenBLAS SkylakeX kernel, 2 threads), then pyneuro softmax of the 256x1024
// result on 2 OpenMP threads (measured before kParallelMinWork was raised; that size now
// runs on one thread), 2-core AMD EPYC; medians in ms, each library alone and inside the
// alternating loop:
//                                       matmul alone/in loop  softmax alone/in loop  step
//   libgomp default (300000 spins)         2.17 /  6.39          0.053 / 1.63        8.00
//   GOMP_SPINCOUNT=10000                   2.53 /  2.63          0.107 / 0.71        3.35
//   OMP_WAIT_POLICY=PASSIVE                2.45 /  2.51          0.098 / 0.17        2.70
//   pyneuro threads = 1                    2.47 /  2.46          0.088 / 0.17        2.63
//   BLAS 1 thread (threadpoolctl)          4.39 /  4.47          0.071 / 0.17        4.65
// Both directions hurt with the default: our spinning worker triples the matmul, and
// OpenBLAS's spinning thread makes the softmax 30x slower. With other jobs on the machine
// (load average 10-250) the default was far worse still: 20-60 ms per 0.1 ms softmax.
//
// A short spin (GOMP_SPINCOUNT=30000, which pyneuro set until round 3) bounded that, but left a
// worse trap where a wake-up is slow: a worker that had fallen asleep made the caller wait at
// the barrier, the caller's spin ran out and it slept too, and on the 2-vCPU VMs (where waking
// an idle vCPU sometimes takes ~1 ms) whole blocks of calls then ran at one wake-up per call
// -- 1.1 ms instead of 0.17 for a 128x256 @ 256x784 product. So the kernels now run on
// pyneuro's own team (team.cpp): its caller never waits for a worker that has not joined; a
// worker woken onto the caller's CPU moves itself to another one (the scheduler had left the
// two taking turns on one vCPU for whole blocks); idle workers spin ~30 us, then yield the
// CPU until ~0.5 ms, then sleep. Measured on the Intel Xeon model 167 (2 vCPUs), each in a
// fresh process, medians: the loop above with pyneuro's product instead of the softmax
// (NumPy 256x784 @ 784x1024, pyneuro 128x784 @ (256x784)^T, a 256x1024 ReLU) 8.0 ms a step
// with libgomp at 30000 spins -> 1.8-2.1 ms (NumPy's product 5.4 -> 1.4-1.6 ms: nothing
// spins on its core any more); back-to-back products the same (~160-190 us); blocks of 50
// products after 0.15 s pauses at two cores' speed in 64 of 64 rounds (libgomp: one
// wake-up per call in about a quarter of them; the team before it moved off the caller's
// CPU: one core's speed in 7-9 of 16).
//
// The policy that follows:
//   * Idle workers yield their core soon and sleep soon (team.cpp); the caller of a kernel
//     starts at once and takes a late worker's work. pyneuro sets no GOMP_* or OMP_*
//     variable: libgomp now runs only the FMA peak measurement and numba's OpenMP layer, with
//     its defaults, as in an install without the extension (numba's kernels in blocks after
//     pauses ran 1.7-3.8x the C++ time at 30000 spins, 0.75-1.74x at libgomp's 300000; the
//     numba epoch 0.49-0.52 s against 0.49).
//   * Kernels go parallel only above kParallelMinWork (~150-250 us of single-thread work);
//     a 128x10 batch never uses a worker. The work is handed out in dynamic chunks, so a
//     worker that joins late costs little.
//   * For long NumPy-heavy phases, cap one pool with threadpoolctl, e.g.
//         with threadpoolctl.threadpool_limits(1, user_api="blas"): ...
//     or pyneuro.set_num_threads(1) while NumPy does the heavy lifting.
#include "pyneuro/common.h"

#include "pyneuro/omp.h"
#include "pyneuro/team.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#include <pmmintrin.h>
#if defined(__GNUC__)
#include <cpuid.h>  // __get_cpuid (cpu_splits_512bit_fma)
#endif
#define PYNEURO_HAVE_MXCSR 1
#else
#define PYNEURO_HAVE_MXCSR 0
#endif
// aarch64's FPCR.FZ (bit 24) flushes denormal inputs and results to zero, like FTZ|DAZ.
#if PYNEURO_AARCH64 && defined(__GNUC__)
#define PYNEURO_HAVE_FPCR 1
#else
#define PYNEURO_HAVE_FPCR 0
#endif
#ifdef _MSC_VER
#include <malloc.h>  // _aligned_malloc
#endif
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>

namespace pyneuro {

namespace {
int default_threads() {
  // Respect the usual knobs, then fall back to what OpenMP would use (without OpenMP: the
  // CPUs this process may run on; the kernels' threads are pyneuro's own, team.cpp).
  for (const char* var : {"PYNEURO_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* s = std::getenv(var)) {
      int n = std::atoi(s);
      if (n > 0) return n;
    }
  }
#ifdef _OPENMP
  int n = omp_get_max_threads();
#else
  int n = usable_cpus();
#endif
  return n > 0 ? n : 1;
}
std::atomic<int> g_threads{0};

#if PYNEURO_HAVE_FPCR
std::uint64_t read_fpcr() {
  std::uint64_t v;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
  return v;
}
void write_fpcr(std::uint64_t v) { __asm__ __volatile__("msr fpcr, %0" : : "r"(v)); }
constexpr std::uint64_t kFpcrFz = std::uint64_t(1) << 24;
#endif
}  // namespace

bool openmp_enabled() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n <= 0) {
    n = default_threads();
    g_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

int max_num_threads() {
  const int by_hardware = std::max(64, 4 * std::max(1, omp_get_num_procs()));
  const int limit = omp_get_thread_limit();  // INT_MAX unless OMP_THREAD_LIMIT is set
  return std::max(1, std::min(by_hardware, limit));
}

void set_num_threads(int n) {
  g_threads.store(std::min(n > 0 ? n : 1, max_num_threads()), std::memory_order_relaxed);
}

void enable_flush_to_zero() {
#if PYNEURO_HAVE_MXCSR
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#elif PYNEURO_HAVE_FPCR
  write_fpcr(read_fpcr() | kFpcrFz);
#endif
}

#if PYNEURO_HAVE_MXCSR
FlushToZeroScope::FlushToZeroScope() : saved_(_mm_getcsr()) {
  _mm_setcsr(unsigned(saved_) | 0x8040u);
}  // FTZ | DAZ
FlushToZeroScope::~FlushToZeroScope() { _mm_setcsr(unsigned(saved_)); }
KeepDenormalsScope::KeepDenormalsScope() : saved_(_mm_getcsr()) { _mm_setcsr(unsigned(saved_) & ~0x8040u); }
KeepDenormalsScope::~KeepDenormalsScope() { _mm_setcsr(unsigned(saved_)); }
#elif PYNEURO_HAVE_FPCR
FlushToZeroScope::FlushToZeroScope() : saved_(read_fpcr()) { write_fpcr(saved_ | kFpcrFz); }
FlushToZeroScope::~FlushToZeroScope() { write_fpcr(saved_); }
KeepDenormalsScope::KeepDenormalsScope() : saved_(read_fpcr()) { write_fpcr(saved_ & ~kFpcrFz); }
KeepDenormalsScope::~KeepDenormalsScope() { write_fpcr(saved_); }
#else
FlushToZeroScope::FlushToZeroScope() : saved_(0) {}
FlushToZeroScope::~FlushToZeroScope() {}
KeepDenormalsScope::KeepDenormalsScope() : saved_(0) {}
KeepDenormalsScope::~KeepDenormalsScope() {}
#endif

// One thread's share of the chunks, [front, back) packed in one 64-bit word so that the
// owner (taking from the front) and a thief (taking from the back) claim chunks with one
// compare-and-swap and never both get the same one.
class ChunkRange {
 public:
  void reset(std::uint32_t front, std::uint32_t back) {
    v_.store(pack(front, back), std::memory_order_relaxed);
  }
  // The next chunk from the front (the owner) or the back (a thief); false when empty.
  bool take(bool from_back, std::uint32_t* chunk) {
    std::uint64_t cur = v_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint32_t front = std::uint32_t(cur >> 32), back = std::uint32_t(cur);
      if (front >= back) return false;
      const std::uint64_t next = from_back ? pack(front, back - 1) : pack(front + 1, back);
      if (v_.compare_exchange_weak(cur, next, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        *chunk = from_back ? back - 1 : front;
        return true;
      }
    }
  }

 private:
  static std::uint64_t pack(std::uint32_t front, std::uint32_t back) {
    return (std::uint64_t(front) << 32) | back;
  }
  alignas(64) std::atomic<std::uint64_t> v_{0};  // a cache line each: no false sharing
};

constexpr int kChunksPerThread = 4;  // parallel_for's chunks per thread (see parallel_chunks)

void parallel_for(index_t n, index_t work, void (*fn)(void*, index_t, index_t), void* ctx) {
  if (n <= 0) return;
  parallel_chunks(n, work < kParallelMinWork ? 1 : num_threads(), kChunksPerThread, fn, ctx);
}

void parallel_chunks(index_t n, int threads, int per_thread, void (*fn)(void*, index_t, index_t), void* ctx) {
  if (n <= 0) return;
  threads = int(std::max<index_t>(1, std::min<index_t>(threads, n)));
  if (threads == 1) {  // on the calling thread, as member 0 (its scratch is buffer 0)
    struct One {
      index_t n;
      void (*fn)(void*, index_t, index_t);
      void* ctx;
    } one{n, fn, ctx};
    run_team(
        1,
        [](void* p, int) {
          const One& o = *static_cast<const One*>(p);
          FlushToZeroScope ftz;
          o.fn(o.ctx, 0, o.n);
        },
        &one);
    return;
  }
  // The range is cut into per_thread chunks per thread, and thread t owns the t-th
  // contiguous group of them: it works through its own group front to back, then takes
  // chunks from the back of the other groups. So, on an idle machine, thread t always
  // handles the same part of an array -- the part the previous kernel wrote from the same
  // core, still in that core's L2 -- while a worker that wakes late (another process holds
  // its core) finds its group already emptied by the others instead of owning a fixed half
  // that everyone then waits for. Measured on the loaded 2-core machine, 4096x1024 softmax:
  // static halves 1.42 ms (= 1 thread, 1.38 ms), dynamic chunks 1.04 ms (median). Which
  // thread computes a chunk never changes its result.
  // The members run on pyneuro's own team (team.cpp), whose caller never waits for a worker
  // that is still asleep: the members present take its group too.
  struct Job {
    index_t n, chunks;
    int threads;
    std::unique_ptr<ChunkRange[]> groups;
    void (*fn)(void*, index_t, index_t);
    void* ctx;
  } job;
  job.n = n;
  job.chunks = std::min<index_t>(n, index_t(threads) * std::max(1, per_thread));
  job.threads = threads;
  job.groups.reset(new ChunkRange[threads]);
  job.fn = fn;
  job.ctx = ctx;
  for (int t = 0; t < threads; ++t)
    job.groups[t].reset(std::uint32_t(job.chunks * t / threads),
                        std::uint32_t(job.chunks * (t + 1) / threads));
  run_team(
      threads,
      [](void* p, int me) {
        const Job& j = *static_cast<const Job*>(p);
        FlushToZeroScope ftz;
        for (int k = 0; k < j.threads; ++k) {  // its own group from the front, then the others' from the back
          const int g = (me + k) % j.threads;
          std::uint32_t c;
          while (j.groups[g].take(k != 0, &c))
            j.fn(j.ctx, j.n * index_t(c) / j.chunks, j.n * (index_t(c) + 1) / j.chunks);
        }
      },
      &job);
}

#if PYNEURO_X86_TARGETS
bool cpu_has_avx2_fma() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

bool cpu_has_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  return ok;
}

bool cpu_is_intel() {
  static const bool intel = __builtin_cpu_is("intel");
  return intel;
}

bool cpu_splits_512bit_fma() {
  static const bool split = [] {
    if (!__builtin_cpu_is("amd") || !cpu_has_avx512()) return false;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    unsigned family = (eax >> 8) & 0xF;
    if (family == 0xF) family += (eax >> 20) & 0xFF;  // the extended family (Zen: 0x17, 0x19, 0x1A)
    return family == 0x19;  // family 19h: Zen 3 (no AVX-512) and Zen 4
  }();
  return split;
}
#else
bool cpu_has_avx2_fma() { return false; }
bool cpu_has_avx512() { return false; }
bool cpu_is_intel() { return false; }
bool cpu_splits_512bit_fma() { return false; }
#endif

void* aligned_malloc(std::size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
#ifdef _MSC_VER
  return _aligned_malloc(bytes, 64);
#else
  return std::aligned_alloc(64, bytes);
#endif
}

void aligned_free(void* p) {
#ifdef _MSC_VER
  _aligned_free(p);
#else
  std::free(p);
#endif
}

const char* simd_path() {
  // PYNEURO_SIMD=scalar (or portable) | avx2 forces a narrower path (tests, teaching, CI's
  // run of the conformance suite on the portable path); it never widens.
  static const char* path = [] {
    const char* best = cpu_has_avx512()     ? "avx512"
                       : cpu_has_avx2_fma() ? "avx2"
                       : PYNEURO_NEON       ? "neon"
                                            : "scalar";
    const char* want = std::getenv("PYNEURO_SIMD");
    if (want && (std::strcmp(want, "scalar") == 0 || std::strcmp(want, "portable") == 0)) return "scalar";
    if (want && std::strcmp(want, "avx2") == 0 && cpu_has_avx2_fma()) return "avx2";
    return best;
  }();
  return path;
}

}  // namespace pyneuro
