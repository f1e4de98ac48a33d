// team.cpp: pyneuro's worker threads, and why a parallel kernel never waits for a sleeping one.
//
// An OpenMP parallel region ends at a barrier that every thread of its team must reach. If a
// worker was asleep when the region started (idle workers sleep after a short spin, see
// runtime.cpp), the caller does its share, then waits for the worker to wake up, do its
// share (or find it taken) and check in. On the 2-vCPU VMs of bench/results a wake-up of an
// idle vCPU sometimes takes ~1 ms instead of ~20 us, and then it feeds itself: while the
// caller waits for the late worker its own spin runs out and it sleeps too, so the worker
// finds a sleeping caller to wake, and so on. Blocks of back-to-back 128x256 @ 256x784
// products ran at 1.1 ms a call instead of 0.17 ms in a quarter of the blocks that followed
// a 0.15 s pause (Intel Xeon model 167; numba's OpenMP kernels, which keep libgomp, still do),
// and a training step paid a wake-up for every parallel kernel after a stretch of Python.
//
// This team changes one rule: the caller starts at once, as member 0, and a worker joins only
// if it is awake while the job is still open. The caller then waits only for workers that
// joined -- they are running -- never for one that is asleep or whose core is busy. Work a
// late worker would have done is taken by the members present: parallel_chunks' members
// take chunks from each other, so a job is complete even if member 0 runs alone.
//
// Protocol. One job at a time; `state_` is one 64-bit word: epoch << 32 | closed | active.
//   caller: write the job; state = (epoch + 1, open, active = 1: itself); notify sleeping
//           workers (only if there are any); run member 0; wait until active == 1, then
//           close the job with one compare-and-swap from (epoch, open, 1).
//   worker: on a new epoch, join with a compare-and-swap active + 1 while the job is open;
//           take the next member index; run it if it is below the job's size; active - 1.
// A worker reads the job only while it counts in `active`, and the caller rewrites the job
// only after closing the last one with active == 1, so no worker reads a job being written;
// a worker that saw the epoch too late finds the job closed and goes back to waiting.
// A worker that wakes up on the CPU its caller runs on moves itself to another of the
// process's CPUs (step_aside): left alone, the scheduler often kept the two taking turns on one
// vCPU for whole blocks of calls.
// Another thread's call while a job runs (two Python threads, each in a kernel), and a call
// from inside a body (a GEMM per image inside a parallel convolution) run as member 0 alone.
// After fork() the child has none of the workers: it starts a new team (pthread_atfork).
//
// Idle workers spin on `state_` for kSpinUs, then keep yielding the CPU until kYieldUs (so a
// worker stays ready across the ~10-150 us of Python between the kernels of a training step
// without keeping another runnable thread -- NumPy's BLAS, a DataLoader process -- off its
// core), then sleep on a condition variable until the next job. With more workers than CPUs
// (set_num_threads(64) on 2 cores) they sleep at once instead: spinners would take the cores
// from the members at work. A job wakes only as many sleepers as it has members to give.
#include "pyneuro/team.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <thread>

#include "pyneuro/omp.h"
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define PYNEURO_HAVE_ATFORK 1
#else
#define PYNEURO_HAVE_ATFORK 0
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace pyneuro {

namespace {

constexpr long kSpinUs = 30;  // busy-wait with pause instructions first
constexpr long kYieldUs = 500;  // then yield the CPU in a loop; then sleep

// kSpinUs / kYieldUs, or PYNEURO_WORKER_SPIN_US / PYNEURO_WORKER_YIELD_US where set (>= 0).
long env_micros(const char* name, long fallback) {
  const char* s = std::getenv(name);
  return s && *s && std::atol(s) >= 0 ? std::atol(s) : fallback;
}
const long g_spin_us = env_micros("PYNEURO_WORKER_SPIN_US", kSpinUs);
const long g_yield_us = std::max(g_spin_us, env_micros("PYNEURO_WORKER_YIELD_US", kYieldUs));

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
  _mm_pause();
#elif defined(__aarch64__) && defined(__GNUC__)
  __asm__ __volatile__("yield");
#endif
}

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kClosed = std::uint64_t(1) << 31;
constexpr std::uint64_t kActive = kClosed - 1;  // the mask of the active count
inline std::uint32_t epoch_of(std::uint64_t s) { return std::uint32_t(s >> 32); }
inline long micros_since(Clock::time_point t) {
  return long(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
}

thread_local int tl_member = 0;
thread_local bool tl_in_body = false;

// Makes the calling thread member m until the scope ends; as a team member (in_body) its
// kernels run on it alone, while a body run on its own thread only (a job of size 1) leaves
// nested kernels free to use the team.
class BodyScope {
 public:
  explicit BodyScope(int m, bool in_body = true) : member_(tl_member), in_body_(tl_in_body) {
    tl_member = m;
    tl_in_body = in_body || tl_in_body;
  }
  ~BodyScope() {
    tl_member = member_;
    tl_in_body = in_body_;
  }

 private:
  int member_;
  bool in_body_;
};

class Team {
 public:
  void run(int size, void (*body)(void*, int), void* ctx) {
    std::unique_lock<std::mutex> call(call_mu_, std::try_to_lock);
    if (!call.owns_lock()) {  // another thread's job holds the team
      BodyScope scope(0, false);
      body(ctx, 0);
      return;
    }
    grow(size - 1);
    body_ = body;
    ctx_ = ctx;
    size_ = size;
    next_member_.store(1, std::memory_order_relaxed);
    caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
    const std::uint32_t e = epoch_of(state_.load(std::memory_order_relaxed)) + 1;
    state_.store((std::uint64_t(e) << 32) | 1, std::memory_order_seq_cst);
    if (const int asleep = sleepers_.load(std::memory_order_seq_cst); asleep > 0) {
      std::lock_guard<std::mutex> guard(sleep_mu_);
      for (int i = std::min(asleep, size - 1); i > 0; --i) wake_.notify_one();
    }
    {
      BodyScope scope(0);
      body(ctx, 0);
    }
    // Close the job once only the caller counts: the workers that joined are running their
    // last chunk (rarely one was descheduled mid-chunk: then yield the core to it).
    std::uint64_t cur = state_.load(std::memory_order_acquire);
    for (unsigned spins = 0;; ++spins) {
      if ((cur & kActive) == 1 &&
          state_.compare_exchange_weak(cur, (std::uint64_t(e) << 32) | kClosed, std::memory_order_acq_rel,
                                       std::memory_order_acquire))
        break;
      if (spins > 4096) std::this_thread::yield();
      cpu_relax();
      cur = state_.load(std::memory_order_acquire);
    }
  }

 private:
  // Starts workers until there are n (fewer if the system refuses: the jobs still finish).
  void grow(int n) {
    int have = workers_.load(std::memory_order_relaxed);
    while (have < n) {
      try {
        std::thread(&Team::work, this).detach();
      } catch (const std::system_error&) { return; }
      workers_.store(++have, std::memory_order_relaxed);
    }
  }

  void work() {
    std::uint32_t seen = epoch_of(state_.load(std::memory_order_acquire));
    for (;;) {
      std::uint64_t s = next_job(seen);
      seen = epoch_of(s);
      bool joined = false;
      while (epoch_of(s) == seen && !(s & kClosed)) {
        if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
          joined = true;
          break;
        }
      }
      if (!joined) continue;  // the job closed before this worker got to it
      const int member = next_member_.fetch_add(1, std::memory_order_relaxed);
      if (member < size_) {
        step_aside(caller_cpu_.load(std::memory_order_relaxed));
        BodyScope scope(member);
        body_(ctx_, member);
      }
      state_.fetch_sub(1, std::memory_order_release);
    }
  }

  // A worker woken onto the CPU its caller runs on would only take turns with it there (and
  // the idle CPU pulls it over only once it looks busy for a while): it moves itself off that
  // CPU, within the process's CPUs. On the 2-vCPU VM, blocks of 50 products after a 0.15 s
  // pause then ran at two cores' speed in every round (7 of 16 rounds at one core's before).
  void step_aside(int caller_cpu) {
#if defined(__linux__)
    if (caller_cpu < 0 || sched_getcpu() != caller_cpu || !CPU_ISSET(caller_cpu, &allowed_)) return;
    cpu_set_t others = allowed_;
    CPU_CLR(caller_cpu, &others);
    if (CPU_COUNT(&others) > 0) pthread_setaffinity_np(pthread_self(), sizeof(others), &others);
#else
    (void)caller_cpu;
#endif
  }

  static int current_cpu() {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
  }

  // The state once its epoch differs from `seen`: spin, then yield, then sleep.
  std::uint64_t next_job(std::uint32_t seen) {
    static const int cpus = usable_cpus();
    const bool crowded = workers_.load(std::memory_order_relaxed) >= cpus;  // +1: the caller
    const Clock::time_point start = Clock::now();
    for (unsigned i = 1; !crowded; ++i) {
      const std::uint64_t s = state_.load(std::memory_order_acquire);
      if (epoch_of(s) != seen) return s;
      if (i % 64 == 0 && micros_since(start) >= g_spin_us) break;
      cpu_relax();
    }
    while (!crowded) {
      const std::uint64_t s = state_.load(std::memory_order_acquire);
      if (epoch_of(s) != seen) return s;
      if (micros_since(start) >= g_yield_us) break;
      std::this_thread::yield();
    }
    std::unique_lock<std::mutex> lock(sleep_mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    std::uint64_t s;
    while (epoch_of(s = state_.load(std::memory_order_seq_cst)) == seen) wake_.wait(lock);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return s;
  }

  alignas(64) std::atomic<std::uint64_t> state_{kClosed};
  alignas(64) std::atomic<int> next_member_{1};
  std::atomic<int> caller_cpu_{-1};
  void (*body_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  int size_ = 0;
  std::atomic<int> workers_{0};  // changed only by the caller holding call_mu_
  std::mutex call_mu_;
  alignas(64) std::atomic<int> sleepers_{0};
  std::mutex sleep_mu_;
  std::condition_variable wake_;
#if defined(__linux__)
  cpu_set_t allowed_ = [] {  // the CPUs of the thread that made the team (the process's)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) CPU_ZERO(&set);
    return set;
  }();
#endif
};

// The team is never destroyed: its workers are detached and may still wait on its members
// while the process exits. A fork()ed child gets a new one (the old one's workers do not
// exist there, and its mutexes may have been held by a thread of the parent).
std::atomic<Team*> g_team{nullptr};

Team& team() {
  static const bool registered = [] {
    g_team.store(new Team(), std::memory_order_release);
#if PYNEURO_HAVE_ATFORK
    pthread_atfork(nullptr, nullptr, [] { g_team.store(new Team(), std::memory_order_release); });
#endif
    return true;
  }();
  (void)registered;
  return *g_team.load(std::memory_order_acquire);
}

}  // namespace

void run_team(int size, void (*body)(void*, int), void* ctx) {
  if (size <= 1 || tl_in_body) {
    BodyScope scope(0, false);
    body(ctx, 0);
    return;
  }
  team().run(size, body, ctx);
}

int team_member() { return tl_member; }

int usable_cpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n ? int(n) : 1;
}

bool in_parallel_region() { return tl_in_body || omp_in_parallel(); }

}  // namespace pyneuro
