// cuda_runtime_api.h (EMULATION): a CPU stand-in for the parts of the CUDA runtime and
// device language that pyneuro's kernels and launch code use, so that csrc/cuda/launch.cu
// and kernels/*.cuh can be compiled by a plain C++ compiler and *run* on a machine without
// a GPU (tests/test_cuda_emulated.py). Not part of any build of pyneuro.
//
// Model: a launch runs its blocks one after another; the threads of a block are fibers
// that take turns on the launching OS thread (the block scheduler below), so
// __syncthreads is a barrier, __shfl_xor_sync exchanges through a per-thread slot array
// between two warp barriers, and `__shared__` (defined as `static`) is shared by the
// block's threads exactly as on a GPU (only one block runs at a time). A kernel that
// reads shared memory without the __syncthreads that orders it gets a wrong result on
// every run; one that lets part of a warp skip a shuffle, or part of a block wait at a
// __syncthreads the rest never reach, fails its launch (emu_selftest.cpp plants each).
// Device memory is host memory (cudaMalloc = malloc); every cudaMemcpy is a memcpy.
#pragma once
#include <sys/mman.h>
#include <ucontext.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

// ------------------------------------------------------------------ runtime API subset
typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorInvalidConfiguration = 9 };
enum cudaMemcpyKind {
  cudaMemcpyHostToHost,
  cudaMemcpyHostToDevice,
  cudaMemcpyDeviceToHost,
  cudaMemcpyDeviceToDevice
};
#define CUDART_VERSION 0

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace emu {
inline cudaError_t& last_error() {
  static cudaError_t e = cudaSuccess;
  return e;
}
}  // namespace emu

inline cudaError_t cudaGetLastError() {
  cudaError_t e = emu::last_error();
  emu::last_error() = cudaSuccess;
  return e;
}
inline const char* cudaGetErrorName(cudaError_t e) { return e == 0 ? "cudaSuccess" : "cudaErrorEmulated"; }
inline const char* cudaGetErrorString(cudaError_t e) { return e == 0 ? "no error" : "emulated CUDA error"; }
inline cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
// The emulated driver is as new as any toolkit (CUDART_VERSION 0 above), so the extension's
// "driver older than the toolkit" check never fires here.
inline cudaError_t cudaDriverGetVersion(int* v) {
  *v = 99000;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) {
  std::memcpy(d, s, n);
  return cudaSuccess;
}

// ------------------------------------------------------------------ device language
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline float __int_as_float(unsigned bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
// A block's threads take turns on one OS thread (below), but two host threads may launch
// at once: atomics stay real ones.
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }

namespace emu {
// ------------------------------------------------------------------ the block scheduler
// Each thread of a block is a fiber (ucontext) on the launching OS thread. A fiber runs
// until it reaches a barrier (__syncthreads, or one of the two warp barriers of a
// shuffle) or the end of the kernel, then hands the CPU back to the scheduler, which runs
// the next ready fiber in thread order. A barrier releases its waiters when the last one
// arrives. So thread 0 runs up to its first barrier before thread 1 starts: a kernel that
// reads another thread's shared memory without a __syncthreads in between reads it
// before it is written, every time, and its result is wrong every time. When no fiber is
// ready and some have not finished (part of a block skipped a __syncthreads, part of a
// warp skipped a shuffle), the launch stops and reports a launch failure.
enum : cudaError_t { cudaErrorLaunchFailure = 719 };

struct Barrier {  // counts arrivals; `expected` drops as block threads exit
  int expected = 0, count = 0;
  std::vector<unsigned> waiting;
};

struct Fiber {
  ucontext_t ctx;
  bool ready = false, done = false;
};

struct Block {
  ucontext_t scheduler;
  std::vector<Fiber> fibers;
  Barrier block;  // __syncthreads
  std::vector<Barrier> warps;  // one per warp: the shuffle's exchange
  std::vector<uint64_t> slots;  // one per thread: the value a shuffle publishes
  unsigned current = 0;  // the fiber running now
  const std::function<void()>* body = nullptr;
};
inline thread_local Block* tl_block = nullptr;

inline void release(Barrier& b) {
  for (unsigned t : b.waiting) tl_block->fibers[t].ready = true;
  b.waiting.clear();
  b.count = 0;
}

inline void wait_at(Barrier& b) {
  Block& blk = *tl_block;
  const unsigned me = blk.current;
  if (++b.count == b.expected) return release(b);  // the last to arrive goes on
  b.waiting.push_back(me);
  blk.fibers[me].ready = false;
  swapcontext(&blk.fibers[me].ctx, &blk.scheduler);
}

inline void fiber_main() {
  Block& blk = *tl_block;
  (*blk.body)();
  // The exited thread no longer holds back this block's __syncthreads (as on the GPU);
  // it stays counted in its warp's barrier, so a shuffle that part of a warp skipped
  // deadlocks instead of silently reading a stale lane.
  blk.fibers[blk.current].done = true;
  if (--blk.block.expected == blk.block.count && blk.block.count > 0) release(blk.block);
}  // returns to uc_link: the scheduler

// Fiber stacks: 256 KiB each under a guard page (an overflow faults instead of writing
// into the next stack), mapped once per OS thread and reused by every launch.
constexpr size_t kStackBytes = 256 * 1024;
inline char* fiber_stack(unsigned t) {
  struct Stacks {
    std::vector<char*> maps;
    ~Stacks() {
      for (char* m : maps) munmap(m, kStackBytes + 4096);
    }
  };
  static thread_local Stacks stacks;
  while (stacks.maps.size() <= t) {
    void* m = mmap(nullptr, kStackBytes + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      std::fprintf(stderr, "emulated launch: cannot map a fiber stack\n");
      std::abort();
    }
    mprotect(m, 4096, PROT_NONE);  // stacks grow down, into this page
    stacks.maps.push_back(static_cast<char*>(m));
  }
  return stacks.maps[t] + 4096;
}
}  // namespace emu

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

inline void __syncthreads() { emu::wait_at(emu::tl_block->block); }

template <class T>
T __shfl_xor_sync(unsigned, T v, int lane_mask) {
  static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
  emu::Block& blk = *emu::tl_block;
  const unsigned me = blk.current;
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  blk.slots[me] = bits;
  emu::wait_at(blk.warps[me / 32]);  // every lane has published its value
  const uint64_t other = blk.slots[(me & ~31u) | ((me & 31u) ^ static_cast<unsigned>(lane_mask))];
  emu::wait_at(blk.warps[me / 32]);  // every lane has read before any publishes again
  T r;
  std::memcpy(&r, &other, sizeof(T));
  return r;
}

namespace emu {
// Fiber t of the block, ready to run the kernel from its start. (Out of line: getcontext
// "returns twice" as far as the compiler knows, which it must not assume of launch.)
[[gnu::noinline]] inline void start_fiber(Block& blk, unsigned t) {
  Fiber& f = blk.fibers[t];
  f.ready = true;
  f.done = false;
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = fiber_stack(t);
  f.ctx.uc_stack.ss_size = kStackBytes;
  f.ctx.uc_link = &blk.scheduler;
  makecontext(&f.ctx, fiber_main, 0);
}

// kernel<<<grid, block>>>(args) becomes emu::launch(grid, block, [&] { kernel(args); }).
// The blocks run one after another, so `static` shared memory belongs to the block
// being run.
inline void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
  const unsigned n = block.x * block.y * block.z;
  if (n == 0 || n > 1024 || n % 32 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535) {
    last_error() = cudaErrorInvalidConfiguration;  // this emulator also wants whole warps
    return;
  }
  Block blk;
  blk.fibers.resize(n);
  blk.warps.resize(n / 32);
  blk.slots.assign(n, 0);
  blk.body = &body;
  tl_block = &blk;
  blockDim = block;
  gridDim = grid;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        blockIdx = dim3(bx, by, bz);
        blk.block = Barrier{static_cast<int>(n), 0, {}};
        for (auto& w : blk.warps) w = Barrier{32, 0, {}};
        for (unsigned t = 0; t < n; ++t) start_fiber(blk, t);
        unsigned finished = 0;
        while (finished < n) {
          bool ran = false;
          for (unsigned t = 0; t < n; ++t) {
            Fiber& f = blk.fibers[t];
            if (!f.ready || f.done) continue;
            ran = true;
            blk.current = t;
            threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            swapcontext(&blk.scheduler, &f.ctx);
            if (f.done) ++finished;
          }
          if (!ran) {  // every unfinished thread waits at a barrier that cannot complete
            std::fprintf(stderr,
                         "emulated launch: block (%u,%u,%u) deadlocked: %u of %u threads finished, "
                         "%d wait at __syncthreads, %d at a warp shuffle\n",
                         bx, by, bz, finished, n, blk.block.count, int(n - finished) - blk.block.count);
            last_error() = cudaErrorLaunchFailure;
            tl_block = nullptr;
            return;
          }
        }
      }
  tl_block = nullptr;
}
}  // namespace emu

// ------------------------------------------------------------------ for the bindings
// (building pyneuro._cuda itself against the emulator: tools in tests/test_cuda_emulated.py)
typedef void* cudaStream_t;
enum cudaMemoryType {
  cudaMemoryTypeUnregistered = 0,
  cudaMemoryTypeHost = 1,
  cudaMemoryTypeDevice = 2,
  cudaMemoryTypeManaged = 3
};
struct cudaPointerAttributes {
  cudaMemoryType type = cudaMemoryTypeDevice;
  int device = 0;
  void* devicePointer = nullptr;
  void* hostPointer = nullptr;
};
struct cudaDeviceProp {
  char name[256] = "pyneuro CPU emulator";
  int major = 0, minor = 0, multiProcessorCount = 1, memoryBusWidth = 0, l2CacheSize = 0;
  size_t totalGlobalMem = 0;
};
enum cudaDeviceAttr { cudaDevAttrClockRate = 13, cudaDevAttrMemoryClockRate = 36 };
inline cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  *p = cudaDeviceProp{};
  return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) {
  *v = 0;
  return cudaSuccess;
}
inline cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* a, const void* p) {
  *a = cudaPointerAttributes{};
  a->devicePointer = const_cast<void*>(p);
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
