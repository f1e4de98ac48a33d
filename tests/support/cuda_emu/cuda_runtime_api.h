// cuda_runtime_api.h (EMULATION): a CPU stand-in for the parts of the CUDA runtime and
// device language that pyneuro's kernels and launch code use, so that csrc/cuda/launch.cu
// and kernels/*.cuh can be compiled by a plain C++ compiler and *run* on a machine without
// a GPU (tests/test_cuda_emulated.py). Not part of any build of pyneuro.
//
// Model: a launch runs its blocks one after another; the threads of a block run as real
// std::threads, so __syncthreads is a barrier, __shfl_xor_sync exchanges through a
// per-warp slot array between two warp barriers, and `__shared__` (defined as `static`)
// is shared by the block's threads exactly as on a GPU (only one block runs at a time).
// A kernel that lets part of a warp skip a shuffle, or part of a block skip a
// __syncthreads, deadlocks here (the test runs under a timeout), so those bugs show up.
// Device memory is host memory (cudaMalloc = malloc); every cudaMemcpy is a memcpy.
#pragma once
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <mutex>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
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
// The threads of a block run concurrently: atomics must be real ones.
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }

namespace emu {
// A block barrier that threads leaving the kernel can drop out of (as exited GPU threads
// no longer hold back bar.sync), reset for each block.
class BlockBarrier {
 public:
  void reset(int n) {
    expected_ = n;
    count_ = 0;
  }
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mu_);
    const long gen = gen_;
    if (++count_ == expected_) {
      release();
    } else {
      cv_.wait(lock, [&] { return gen_ != gen; });
    }
  }
  void drop() {
    std::unique_lock<std::mutex> lock(mu_);
    --expected_;
    if (count_ > 0 && count_ == expected_) release();
  }

 private:
  void release() {
    count_ = 0;
    ++gen_;
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  int expected_ = 0, count_ = 0;
  long gen_ = 0;
};
struct Warp {
  std::barrier<> bar{32};
  uint64_t slot[32] = {};
};
inline thread_local BlockBarrier* tl_block = nullptr;
inline thread_local Warp* tl_warp = nullptr;
inline thread_local int tl_lane = 0;
}  // namespace emu

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

inline void __syncthreads() { emu::tl_block->arrive_and_wait(); }

template <class T>
T __shfl_xor_sync(unsigned, T v, int lane_mask) {
  static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  emu::tl_warp->slot[emu::tl_lane] = bits;
  emu::tl_warp->bar.arrive_and_wait();
  const uint64_t other = emu::tl_warp->slot[emu::tl_lane ^ lane_mask];
  emu::tl_warp->bar.arrive_and_wait();
  T r;
  std::memcpy(&r, &other, sizeof(T));
  return r;
}

namespace emu {
// kernel<<<grid, block>>>(args) becomes emu::launch(grid, block, [&] { kernel(args); }).
// One worker thread per thread of a block runs every block in turn; a barrier between
// blocks keeps `static` shared memory private to the block being run.
inline void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
  const unsigned n = block.x * block.y * block.z;
  if (n == 0 || n > 1024 || n % 32 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535) {
    last_error() = cudaErrorInvalidConfiguration;  // this emulator also wants whole warps
    return;
  }
  BlockBarrier blk;
  blk.reset(static_cast<int>(n));
  std::vector<Warp> warps(n / 32);
  std::barrier<std::function<void()>> between(static_cast<std::ptrdiff_t>(n),
                                              std::function<void()>([&] { blk.reset(static_cast<int>(n)); }));
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (unsigned t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      tl_block = &blk;
      tl_warp = &warps[t / 32];
      tl_lane = static_cast<int>(t % 32);
      threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
      blockDim = block;
      gridDim = grid;
      for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
          for (unsigned bx = 0; bx < grid.x; ++bx) {
            blockIdx = dim3(bx, by, bz);
            body();
            // The exited thread no longer holds back this block's __syncthreads (as on the
            // GPU); it stays counted in its warp's barrier, so a shuffle that part of a
            // warp skipped deadlocks instead of silently reading a stale lane.
            blk.drop();
            between.arrive_and_wait();
          }
    });
  }
  for (auto& th : threads) th.join();
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
